"""The hosted flow's server side beyond the basics of test_flow.py: the back-side check, the
capture-quality feedback, the partner's flow settings (selfie camera-only, consent,
branding), saved progress and the desktop → phone hand-off. Black-box against real
`openidv serve` processes, like test_flow.py."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.web.test_flow import b64, browser_client, give_consent, new_token, run_sql, still_approach_frames


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
    assert mrz_side["ok"] is True and mrz_side["checked"] is True and "warning" not in mrz_side
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
    assert good["ok"] is True and good["checked"] is True and "warning" not in good


# ----------------------------------------------------------------------------- selfie camera-only


def test_selfie_upload_is_a_partner_setting_and_skips_the_challenge(service, partner, real_images):
    shown = json.loads(service.cli("partner", "policy", partner.api_key).stdout)
    assert shown["selfieCameraOnly"] is True  # the default
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    images = {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])}
    with browser_client(service) as c:
        give_consent(c, created["authToken"])
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


# ----------------------------------------------------------------------------- saved progress


def draft_rows(service, scan_ref: str) -> list[str]:
    return [row[0] for row in run_sql(service, "SELECT d.step FROM flow_drafts d JOIN verifications v "
                                               "ON v.id = d.verification_id WHERE v.scan_ref = :ref", ref=scan_ref)]


def real_approach(test_data_dir) -> tuple[bytes, list[str]]:  # noqa: ANN001
    """A real live capture's selfie and "move closer" frames (far twice, then near), as the
    page sends them: 480×640 JPEGs."""
    live = test_data_dir / "extra" / "spoof" / "biometrics-server" / "real" / "test1"
    if not live.exists():
        pytest.skip("extra/spoof/biometrics-server not in the test data")

    def frame(name: str) -> bytes:
        out = io.BytesIO()
        Image.open(live / name).convert("RGB").resize((480, 640)).save(out, "JPEG", quality=80)
        return out.getvalue()

    far, near = frame("image.jpeg"), frame("zoomedImage.jpeg")
    return far, [b64(f) for f in (far, far, near, near, near, near)]


def test_checked_photos_are_kept_until_submission(service, partner, real_images, test_data_dir):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    key, scan_ref = created["authToken"], created["scanRef"]
    selfie, frames = real_approach(test_data_dir)
    with browser_client(service) as c:
        assert check(c, key, "FRONT", real_images["passport"])["ok"]
        assert check(c, key, "FACE", selfie, frames=frames)["ok"]
        assert sorted(draft_rows(service, scan_ref)) == sorted(["FRONT", "FACE"] + [
            f"FACE_CHALLENGE_{i + 1}" for i in range(len(frames))])
        # After a reload the page knows them, and serves them to the preview.
        give_consent(c, key)
        page = c.get(f"/flow/{key}/capture").text
        assert f'"FRONT": "/flow/{key}/photo/FRONT"' in page
        photo = c.get(f"/flow/{key}/photo/FRONT")
        assert photo.status_code == 200 and photo.content == real_images["passport"]
        assert photo.headers["cache-control"] == "no-store"
        # Handing in needs no images in the request: the saved ones are used, then erased.
        r = c.post(f"/flow/{key}/submit", json={})
        assert r.json()["ok"] is True, r.text
        assert draft_rows(service, scan_ref) == []
        assert c.get(f"/flow/{key}/photo/FRONT").status_code == 404
    hook_files = service.wait_for_status(partner, scan_ref)
    assert hook_files["status"] != "ACTIVE"


def test_saved_photos_are_erased_when_the_session_expires(service, partner, real_images):
    created = new_token(service, partner, sessionLength=60, documents=["PASSPORT"], country="CZ",
                        errorUrl="https://partner.example/error")
    key, scan_ref = created["authToken"], created["scanRef"]
    with browser_client(service) as c:
        c.get(f"/flow/{key}")
        assert check(c, key, "FRONT", real_images["passport"])["ok"]
        assert draft_rows(service, scan_ref) == ["FRONT"]
        run_sql(service, "UPDATE verifications SET flow_started_at = flow_started_at - INTERVAL '61 seconds' "
                         "WHERE scan_ref = :ref" if service.mode == "scaleout" else
                "UPDATE verifications SET flow_started_at = datetime(flow_started_at, '-61 seconds') "
                "WHERE scan_ref = :ref", ref=scan_ref)
        page = c.get(f"/flow/{key}/capture")
    assert page.status_code == 410 and "Your session has expired" in page.text
    assert 'href="https://partner.example/error"' in page.text and scan_ref in page.text
    assert draft_rows(service, scan_ref) == []
    keys = run_sql(service, "SELECT count(*) FROM flow_drafts")
    assert keys[0][0] >= 0


def test_the_sweep_erases_photos_of_flows_nobody_came_back_to():
    import datetime as dt

    from openidv.config import get_settings
    from openidv.store.db import migrate, session_scope
    from openidv.store.drafts import erase_stale_drafts, save_drafts
    from openidv.store.files import make_file_store
    from openidv.store.models import FlowDraft, Partner
    from openidv.store.partners import create_partner
    from openidv.store.verifications import create_verification

    migrate()
    files = make_file_store(get_settings())
    with session_scope() as session:
        created = create_partner(session, "sweep-drafts", get_settings().data_keys())
        partner = session.query(Partner).filter_by(api_key=created.apiKey).one()
        ids = []
        for started_ago in (30, 700):  # a live session, and one past its 600 s
            v = create_verification(session, partner, {"clientId": "c", "tokenType": "DOCUMENT", "expiryTime": 3600,
                                                       "sessionLength": 600}, False).verification
            v.flow_started_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=started_ago)
            save_drafts(session, files, v.id, "PASSPORT", {"FRONT": (b"\xff\xd8jpeg", "image/jpeg")})
            ids.append(v.id)
    with session_scope() as session:
        keys = {row.verification_id: row.storage_key for row in session.query(FlowDraft).filter(
            FlowDraft.verification_id.in_(ids))}
        assert erase_stale_drafts(session, files, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) >= 1
    with session_scope() as session:
        left = {row.verification_id for row in session.query(FlowDraft).filter(FlowDraft.verification_id.in_(ids))}
        assert left == {ids[0]}
        assert files.get(session, keys[ids[0]]) == b"\xff\xd8jpeg"
        assert files.get(session, keys[ids[1]]) is None  # the encrypted file is gone too


# ----------------------------------------------------------------------------- consent and branding


def test_consent_comes_first_and_is_recorded_with_the_verification(service, partner):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", locale="de")
    key, scan_ref = created["authToken"], created["scanRef"]
    with browser_client(service) as c:
        r = c.get(f"/flow/{key}/capture")
        assert r.status_code == 303 and "/consent" in r.headers["location"]  # no photo before consent
        notice = c.get(r.headers["location"])
        assert notice.status_code == 200 and "Ihre Einwilligung" in notice.text and "biometrische" in notice.text
        assert partner.name in notice.text  # the default text names the partner
        give_consent(c, key)
        assert c.get(f"/flow/{key}/capture").status_code == 200
    given_at, consent = run_sql(service, "SELECT consent_given_at, consent FROM verifications WHERE scan_ref = :ref",
                                ref=scan_ref)[0]
    consent = json.loads(consent) if isinstance(consent, str) else consent
    assert given_at is not None
    assert consent["decision"] == "given" and consent["language"] == "de" and "biometrische" in consent["text"]
    assert len(consent["textSha256"]) == 64


def test_declining_consent_leads_back_to_the_partner(service, partner, tmp_path):
    text = tmp_path / "consent-en.txt"
    text.write_text("We check your ID for Example Shop.\n\nSay no and nothing is kept.\n")
    service.cli("partner", "policy", partner.api_key, "--consent-text", "en", str(text))
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ",
                        errorUrl="https://shop.example/kyc-error")
    key = created["authToken"]
    with browser_client(service) as c:
        page = c.get(f"/flow/{key}/consent").text
        assert "<p>We check your ID for Example Shop.</p>" in page and "<p>Say no and nothing is kept.</p>" in page
        declined = c.post(f"/flow/{key}/consent", data={"decision": "decline"})
        assert c.get(f"/flow/{key}/capture").headers["location"].startswith(f"/flow/{key}/consent")
    assert declined.status_code == 200 and "No photos were taken" in declined.text
    assert 'href="https://shop.example/kyc-error"' in declined.text
    consent, given_at = run_sql(service, "SELECT consent, consent_given_at FROM verifications WHERE scan_ref = :ref",
                                ref=created["scanRef"])[0]
    consent = json.loads(consent) if isinstance(consent, str) else consent
    assert consent["decision"] == "declined" and given_at is None


def test_partner_colour_and_logo_are_served_from_our_origin(service, partner, tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (900, 300), (10, 125, 79)).save(logo)
    out = json.loads(service.cli("partner", "policy", partner.api_key, "--brand-color", "#0A7D4F",
                                 "--logo", str(logo)).stdout)
    assert out["brandColor"] == "#0a7d4f" and len(out["logoSha256"]) == 64
    bad_colour = service.cli("partner", "policy", partner.api_key, "--brand-color", "red;}body{x:y", check=False)
    assert bad_colour.returncode != 0 and "#rrggbb" in bad_colour.stderr
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    assert service.cli("partner", "policy", partner.api_key, "--logo", str(svg), check=False).returncode != 0
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (600 * 1024))
    assert "512 KB" in service.cli("partner", "policy", partner.api_key, "--logo", str(big), check=False).stderr

    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    with browser_client(service) as c:
        page = c.get(f"/flow/{created['authToken']}")
        css_url = "/flow-brand/colour-0a7d4f.css"
        logo_url = f"/flow-brand/logo-{out['logoSha256']}.png"
        assert f'href="{css_url}"' in page.text and f'src="{logo_url}"' in page.text
        assert "style=" not in page.text  # the CSP allows no inline styles
        css = c.get(css_url)
        png = c.get(logo_url)
        assert c.get("/flow-brand/colour-zzzzzz.css").status_code == 404
    assert css.headers["content-type"].startswith("text/css")
    assert "--brand: #0a7d4f" in css.text and "--on-brand: #ffffff" in css.text
    assert png.headers["content-type"] == "image/png" and png.headers["x-content-type-options"] == "nosniff"
    served = Image.open(io.BytesIO(png.content))
    assert served.format == "PNG" and served.size[0] <= 480 and served.size[1] <= 160


def test_brand_colours_keep_text_readable():
    from openidv.services.branding import brand_colours, contrast_ratio

    pale = brand_colours("#ffe14d")  # a yellow: dark text on its buttons, default blue for links
    assert pale.on_brand == "#1b1f24" and contrast_ratio(pale.brand, pale.on_brand) >= 4.5
    assert pale.brand_text == "#0b5cad"
    dark = brand_colours("#0a7d4f")
    assert dark.on_brand == "#ffffff" and dark.brand_text == "#0a7d4f"
    assert contrast_ratio(dark.brand_text, "#ffffff") >= 4.5


def test_focus_ring_keeps_three_to_one_against_every_background():
    import re
    from pathlib import Path

    from openidv.services.branding import contrast_ratio

    css = (Path(__file__).resolve().parents[2] / "openidv" / "web" / "static" / "flow" / "flow.css").read_text()
    ring = re.search(r"--focus-ring: (#[0-9a-f]{6})", css).group(1)
    halo = re.search(r"--focus-halo: (#[0-9a-f]{3,6})", css).group(1)
    halo = "#" + "".join(ch * 2 for ch in halo[1:]) if len(halo) == 4 else halo
    assert "outline: 3px solid var(--focus-ring)" in css and "box-shadow: 0 0 0 7px var(--focus-halo)" in css
    # The ring sits between the halo and whatever is behind it.
    assert contrast_ratio(ring, halo) >= 3
    backgrounds = {"#ffffff", "#eef1f4", "#111111", "#f3f4f6", "#fff4dc", "#0b5cad"}
    for background in backgrounds:
        assert max(contrast_ratio(ring, background), contrast_ratio(halo, background)) >= 3, background
    for background in ("#ffffff", "#eef1f4", "#f3f4f6", "#fff4dc"):  # the page's light surfaces
        assert contrast_ratio(ring, background) >= 3, background


# ----------------------------------------------------------------------------- hand-off to a phone


def test_handoff_makes_a_short_lived_code_on_demand(service, partner):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    assert created["digitString"] is None
    key = created["authToken"]
    with browser_client(service) as c:
        c.get(f"/flow/{key}")
        first = c.post(f"/flow/{key}/handoff", json={}).json()
        again = c.post(f"/flow/{key}/handoff", json={}).json()
        assert first["ok"] and len(first["code"]) == 8 and first["code"].isdigit()
        assert again["code"] == first["code"]  # one code at a time
        assert 800 <= first["expiresIn"] <= 900
        assert first["entryUrl"].endswith("/flow")
        qr = c.get(first["qr"])
        assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
        assert qr.text.startswith("<svg") and "<script" not in qr.text
        # The code opens the same flow on the phone.
        with browser_client(service) as phone:
            entered = phone.post("/flow", data={"digitString": first["code"]})
            assert entered.status_code == 303
            assert phone.get(entered.headers["location"]).status_code == 200
        # Past its lifetime it no longer works, and a new one is made.
        run_sql(service, "UPDATE verifications SET digit_string_expires_at = :t WHERE scan_ref = :ref",
                t=dt.datetime(2000, 1, 1), ref=created["scanRef"])
        with browser_client(service) as phone:
            assert phone.post("/flow", data={"digitString": first["code"]}).status_code == 400
        fresh = c.post(f"/flow/{key}/handoff", json={}).json()
        assert fresh["ok"] and fresh["code"] != first["code"]
        cross_site = c.post(f"/flow/{key}/handoff", json={}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403


def test_handoff_reuses_the_partners_own_code(service, partner):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", generateDigitString=True)
    with browser_client(service) as c:
        answer = c.post(f"/flow/{created['authToken']}/handoff", json={}).json()
    assert answer["code"] == created["digitString"] and answer["expiresIn"] is None
