"""The hosted flow's server side beyond the basics of test_flow.py: the back-side check, the
capture-quality feedback, the partner's flow settings (selfie camera-only, consent,
branding), saved progress and the desktop → phone hand-off. Black-box against real
`openidv serve` processes, like test_flow.py."""

from __future__ import annotations

import io
import json
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.web.test_flow import b64, browser_client, new_token, run_sql, still_approach_frames


def reencoded(data: bytes, quality: int = 70) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def blurred(data: bytes, sigma: float) -> bytes:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    ok, encoded = cv2.imencode(".jpg", cv2.GaussianBlur(image, (0, 0), sigma), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def check(client: Any, key: str, step: str, image: bytes, **extra: Any) -> dict[str, Any]:
    r = client.post(f"/flow/{key}/check", json={"step": step, "image": b64(image), **extra})
    assert r.status_code == 200, r.text
    return r.json()


# ----------------------------------------------------------------------------- the back side


def test_a_selfie_or_the_front_again_is_refused_as_the_back(service, partner, real_images):
    created = new_token(service, partner, documents=["ID_CARD"], country="CZ")
    key = created["authToken"]
    with browser_client(service) as c:
        selfie = check(c, key, "BACK", real_images["face"])
        blank = check(c, key, "BACK", jpeg_bytes(800, 600, (250, 250, 250)))
        # A page with an MRZ is what a card's back shows: accepted.
        mrz_side = check(c, key, "BACK", real_images["passport"])
        # At submission the front is known: its picture again is not the back.
        frames = still_approach_frames(real_images["face"])
        same = c.post(f"/flow/{key}/submit", json={"images": {
            "FRONT": b64(real_images["passport"]), "BACK": b64(reencoded(real_images["passport"])),
            "FACE": b64(real_images["face"])}, "frames": frames}).json()
        face_as_back = c.post(f"/flow/{key}/submit", json={"images": {
            "FRONT": b64(real_images["passport"]), "BACK": b64(real_images["face"]),
            "FACE": b64(real_images["face"])}, "frames": frames}).json()
        assert c.get(f"/flow/{key}").status_code == 200  # the token is still usable
    assert selfie["ok"] is False and selfie["identifier"] == "WRONG_SIDE"
    assert "photo of a face, not of the back" in selfie["message"]
    assert blank["ok"] is False and blank["identifier"] == "WRONG_SIDE"
    assert mrz_side == {"ok": True, "checked": True}
    assert same["ok"] is False and same["identifier"] == "WRONG_SIDE" and same["step"] == "BACK"
    assert "same photo as the front" in same["message"]
    assert face_as_back["ok"] is False and face_as_back["step"] == "BACK"
    with service.client(partner) as api:
        assert api.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()["status"] == "ACTIVE"


def test_back_side_messages_follow_the_language(service, partner, real_images):
    created = new_token(service, partner, documents=["DRIVER_LICENSE"], country="DE", locale="de")
    with browser_client(service) as c:
        answer = check(c, created["authToken"], "BACK", real_images["face"])
    assert answer["identifier"] == "WRONG_SIDE" and "Rückseite" in answer["message"]


# ----------------------------------------------------------------------------- capture quality


def test_instant_check_asks_for_a_sharper_closer_whole_photo(service, partner, real_images):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    key = created["authToken"]
    passport = cv2.imdecode(np.frombuffer(real_images["passport"], np.uint8), cv2.IMREAD_COLOR)
    ok, cut = cv2.imencode(".jpg", passport[:, : int(passport.shape[1] * 0.7)])
    face = cv2.imdecode(np.frombuffer(real_images["face"], np.uint8), cv2.IMREAD_COLOR)
    canvas = np.full((1600, 1200, 3), 110, np.uint8)
    small = cv2.resize(face, (face.shape[1] // 12, face.shape[0] // 12))
    canvas[700:700 + small.shape[0], 500:500 + small.shape[1]] = small
    ok, far = cv2.imencode(".jpg", canvas)
    with browser_client(service) as c:
        blurry_doc = check(c, key, "FRONT", blurred(real_images["passport"], 2.0))
        cut_doc = check(c, key, "FRONT", cut.tobytes())
        blurry_face = check(c, key, "FACE", blurred(real_images["face"], 14.0))
        far_face = check(c, key, "FACE", far.tobytes())
        good = check(c, key, "FRONT", real_images["passport"])
    assert blurry_doc["ok"] is False and blurry_doc["identifier"] == "PHOTO_QUALITY", blurry_doc
    assert "blurry" in blurry_doc["message"]
    assert cut_doc["ok"] is False and "cut off" in cut_doc["message"], cut_doc
    assert blurry_face["ok"] is False and "blurry" in blurry_face["message"], blurry_face
    assert far_face["ok"] is False and "too far" in far_face["message"], far_face
    assert good == {"ok": True, "checked": True}


# ----------------------------------------------------------------------------- selfie camera-only


def test_selfie_upload_is_a_partner_setting_and_skips_the_challenge(service, partner, real_images):
    shown = json.loads(service.cli("partner", "policy", partner.api_key).stdout)
    assert shown["selfieCameraOnly"] is True  # the default
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    images = {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])}
    with browser_client(service) as c:
        page = c.get(f"/flow/{created['authToken']}/capture").text
        refused = c.post(f"/flow/{created['authToken']}/submit", json={"images": images}).json()
    assert 'id="file-FACE"' not in page
    assert refused["identifier"] == "MISSING_VALUE" and refused["step"] == "FACE"

    changed = json.loads(service.cli("partner", "policy", partner.api_key, "--selfie-camera-only", "off").stdout)
    assert changed["selfieCameraOnly"] is False
    with browser_client(service) as c:
        page = c.get(f"/flow/{created['authToken']}/capture").text
        accepted = c.post(f"/flow/{created['authToken']}/submit", json={"images": images}).json()
    assert 'id="file-FACE"' in page and "Upload a selfie instead" in page
    assert accepted["ok"] is True, accepted
    service.wait_for_status(partner, created["scanRef"])
    with service.client(partner) as api:
        explained = api.post("/api/v2/full-status", json={"scanRef": created["scanRef"],
                                                          "includeReasons": True}).json()
    reasons = {r["check"]: r for r in explained["openidv"]["decision_reasons"]}
    assert reasons["active_liveness"]["outcome"] == "NOT_PERFORMED", reasons
