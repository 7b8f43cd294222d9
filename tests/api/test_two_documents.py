"""Seed 004, step by step: two documents for one user, linked by clientId, each with its own
webhook; additional steps; a silent second token processed without documentType."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.api.test_process import b64
from tests.api.test_tokens import assert_error


@pytest.mark.slow
def test_seed_004_two_documents_for_one_user(service, partner, receiver, test_data_dir, real_images):
    second_document = (test_data_dir / "documents/passporteye/100_pass-ltu.jpg").read_bytes()
    steps = {"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}}
    with service.client(partner) as c:
        # Step 1: token 1 asks for an additional upload step.
        token1 = c.post("/api/v2/token", json={"clientId": "user-123", "additionalSteps": steps}).json()
        assert token1["additionalSteps"] == steps
        # Step 2: the user completes the flow (here: the partner uploads for them).
        r = c.post("/api/v2/process", json={
            "authToken": token1["authToken"], "country": "CZ", "documentType": "PASSPORT",
            "images": {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"]),
                       "UTILITY_BILL": b64(second_document)}})
        assert r.status_code == 200 and r.content == b"", r.text

    # Step 3: the webhook, with both statuses and the files keyed by step.
    hook = receiver.wait_for(lambda h: h.json()["scanRef"] == token1["scanRef"], timeout=120)[0].json()
    assert hook["status"]["overall"] in ("APPROVED", "DENIED", "SUSPECTED", "REVIEWING")
    assert hook["status"]["additionalSteps"] == {"UTILITY_BILL": "Additional step is valid"}
    assert set(hook["fileUrls"]) == {"FRONT", "FACE", "UTILITY_BILL"}
    assert hook["additionalStepPdfUrls"] == {}
    downloaded = httpx.get(hook["fileUrls"]["UTILITY_BILL"])
    assert downloaded.status_code == 200 and downloaded.content == second_document

    with service.client(partner) as c:
        # Step 4: a silent token 2 for the same clientId, additional steps switched off.
        token2 = c.post("/api/v2/token", json={"clientId": "user-123", "tokenType": "DOCUMENT",
                                               "additionalSteps": {"ALL": {"ALL": {}}},
                                               "questionnaire": None}).json()
        assert token2["additionalSteps"] == {}  # an object, as documented: no steps
        # Step 5: direct processing with "token", no documentType (detected from FRONT).
        r = c.post("/api/v2/process", json={"token": token2["authToken"], "country": "LT",
                                            "images": {"FRONT": base64.b64encode(downloaded.content).decode()}})
        assert r.status_code == 200 and r.content == b"", r.text

    hook2 = receiver.wait_for(lambda h: h.json()["scanRef"] == token2["scanRef"], timeout=120)[0].json()
    assert hook2["clientId"] == "user-123" and hook2["status"]["additionalSteps"] is None
    with service.client(partner) as c:
        full1 = c.post("/api/v2/full-status", json={"scanRef": token1["scanRef"]}).json()
        full2 = c.post("/api/v2/full-status", json={"scanRef": token2["scanRef"]}).json()
        data2 = c.post("/api/v2/data", json={"scanRef": token2["scanRef"]}).json()
    assert (full1["attempt_count"], full2["attempt_count"]) == (1, 2)
    assert full2["client_identity_document"]["document_type"] == "PASSPORT"
    assert data2["docIssuingCountry"] == "LT" and data2["docType"] == "PASSPORT"


def test_missing_additional_step_is_reported_not_found(service, partner, receiver):
    steps = {"ALL": {"ALL": {"SECOND_DOCUMENT": {"type": "UPLOAD"}}}}
    from tests.conftest import jpeg_bytes

    with service.client(partner) as c:
        token = c.post("/api/v2/token", json={"clientId": "u", "tokenType": "DOCUMENT",
                                              "additionalSteps": steps}).json()
        bad = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                              "images": {"FRONT": b64(jpeg_bytes()), "OTHER_STEP": b64(jpeg_bytes())},
                                              "skipAnalysis": True})
        assert_error(bad, 400, "BAD_VALUE")
        r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                            "images": {"FRONT": b64(jpeg_bytes())}, "skipAnalysis": True})
        assert r.status_code == 200
    status = service.wait_for_status(partner, token["scanRef"])
    assert status["additionalSteps"] == {"SECOND_DOCUMENT": "Additional step was not found"}


def test_custom_step_name_upload_is_checked(service, partner):
    steps = {"LT": {"ALL": {"SECOND_DOCUMENT": {"type": "UPLOAD"}}}}
    from tests.conftest import jpeg_bytes

    with service.client(partner) as c:
        token = c.post("/api/v2/token", json={"clientId": "u", "tokenType": "DOCUMENT",
                                              "additionalSteps": steps}).json()
        r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                            "images": {"FRONT": b64(jpeg_bytes()),
                                                       "SECOND_DOCUMENT": b64(jpeg_bytes(500, 400, (255, 255, 255)))},
                                            "skipAnalysis": True})
        assert r.status_code == 200, r.text
        files = None
    status = service.wait_for_status(partner, token["scanRef"])
    assert status["additionalSteps"] == {"SECOND_DOCUMENT": "Additional step is invalid"}
    with service.client(partner) as c:
        files = c.post("/api/v2/files", json={"scanRef": token["scanRef"]}).json()
    assert set(files) == {"FRONT", "SECOND_DOCUMENT"}
