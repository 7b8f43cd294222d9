"""Partner policy (CLI) and the checks across verifications, seen through the API."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.api.test_process import b64, new_token, process_body


def set_policy(service, partner, *args):  # noqa: ANN001, ANN002, ANN201
    return json.loads(service.cli("partner", "policy", partner.api_key, *args).stdout)


def run_passport(service, partner, real_images, client_id: str, **token_fields) -> dict:  # noqa: ANN001
    with service.client(partner) as c:
        created = new_token(c, clientId=client_id, tokenType="DOCUMENT", **token_fields)
        r = c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": b64(real_images["passport"])}))
        assert r.status_code == 200, r.text
    return service.wait_for_status(partner, created["scanRef"])


def test_policy_command_shows_and_changes_settings(service, partner):
    out = set_policy(service, partner, "--review", "review_all", "--minimum-age", "21", "--photo-validation", "off")
    assert out["review"] == "review_all" and out["minimumAge"] == 21 and out["photoValidation"] is False
    assert service.cli("partner", "policy", "no-such-key", check=False).returncode != 0


@pytest.mark.slow
def test_review_all_policy_sends_everything_to_review(service, partner, real_images):
    set_policy(service, partner, "--review", "review_all")
    status = run_passport(service, partner, real_images, "policy-1")
    assert status["status"] == "REVIEWING"


def test_photo_validation_can_be_switched_off(service, partner):
    set_policy(service, partner, "--photo-validation", "off")
    blank = b64(jpeg_bytes(800, 600, (255, 255, 255)))
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT")["authToken"]
        r = c.post("/api/v2/process", json=process_body(token, {"FRONT": blank}, skipAnalysis=False))
    assert r.status_code == 200 and r.content == b""


def test_per_partner_image_cap(service, partner):
    set_policy(service, partner, "--max-image-mb", "0.1")
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (600, 600, 3), dtype=np.uint8)).save(buf, "PNG")
    assert len(buf.getvalue()) > 0.1 * 1024 * 1024
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT")["authToken"]
        r = c.post("/api/v2/process", json=process_body(token, {"FRONT": b64(buf.getvalue())}))
    assert r.status_code == 413 and r.json()["identifier"] == "REQUEST_TOO_LARGE"


@pytest.mark.slow
def test_same_document_under_another_client_is_a_duplicate(service, partner, real_images):
    first = run_passport(service, partner, real_images, "dup-a")
    assert "DUPLICATE_PERSONAL_DATA" not in first["fraudTags"]
    again_same_client = run_passport(service, partner, real_images, "dup-a")
    assert "DUPLICATE_PERSONAL_DATA" not in again_same_client["fraudTags"]
    second = run_passport(service, partner, real_images, "dup-b")
    assert "DUPLICATE_PERSONAL_DATA" in second["fraudTags"]


@pytest.mark.slow
def test_blocklisted_document_number_is_tagged(service, partner, real_images, documents_manifest):
    item = next(i for i in documents_manifest["items"] if i["file"] == "passporteye/100_pass-cze.jpg")
    number = item["mrz_lines"][1][:9].rstrip("<")
    out = json.loads(service.cli("partner", "blocklist", partner.api_key, "add", number).stdout)
    assert out["blocked"] == [number]
    status = run_passport(service, partner, real_images, "blocked-1")
    assert "DATA_IN_BLACKLIST" in status["fraudTags"]


@pytest.mark.slow
def test_token_data_mismatch_and_minimum_age(service, partner, real_images, documents_manifest):
    set_policy(service, partner, "--minimum-age", "150")
    status = run_passport(service, partner, real_images, "mm-1", dateOfBirth="1950-01-01", lastName="Nobody")
    assert {"DATE_OF_BIRTH", "SURNAME", "UNDER_AGE"} <= set(status["mismatchTags"]), status


def test_rate_limit_per_partner_answers_429(service, partner, other_partner):
    set_policy(service, partner, "--rate-limit", "5")
    with service.client(partner) as c, service.client(other_partner) as other:
        codes = [c.post("/api/v2/token", json={"clientId": "r"}).status_code for _ in range(7)]
        assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]
        body = c.post("/api/v2/status", json={"scanRef": "x"}).json()
        assert body["identifier"] == "TOO_MANY_REQUESTS"
        assert other.post("/api/v2/token", json={"clientId": "r"}).status_code == 201
