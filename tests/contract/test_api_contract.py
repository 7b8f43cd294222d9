"""Every body a running openidv produces, against the contract schemas written from iDenfy's
API pages: token, status, data, files, full-status, errors, and the webhook of each event
(automatic result, manual result, expiry) with its headers. Both deployments (the `service`
fixture runs embedded and scale-out)."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import closing

import httpx
import pytest

from tests.api.test_process import b64, new_token, process_body
from tests.conftest import jpeg_bytes
from tests.contract.contract import assert_matches, assert_webhook_matches
from tests.web.conftest import login
from tests.web.test_console import submit_review

RETRIEVALS = {"/api/v2/status": "status.json", "/api/v2/data": "data.json", "/api/v2/files": "files.json",
              "/api/v2/full-status": "full-status.json"}


def check_retrievals(c: httpx.Client, scan_ref: str) -> dict[str, dict]:
    bodies = {}
    for path, schema in RETRIEVALS.items():
        r = c.post(path, json={"scanRef": scan_ref})
        assert r.status_code == 200, r.text
        assert_matches(schema, r.json())
        bodies[path] = r.json()
    explained = c.post("/api/v2/full-status", json={"scanRef": scan_ref, "includeReasons": True}).json()
    assert_matches("full-status.json", explained)
    return bodies


def hooks_for(receiver, partner, scan_ref: str, count: int = 1, timeout: float = 120.0):  # noqa: ANN001, ANN201
    path = f"/hooks/{partner.name}"
    deadline = time.monotonic() + timeout
    while True:
        found = [h for h in receiver.hooks if h.path == path and h.json().get("scanRef") == scan_ref]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.parametrize("request_body", [
    {"clientId": "contract-1"},
    {"personScanRef": "contract-legacy"},
    {"clientId": "contract-2", "firstName": "John Tom", "lastName": "Smith", "dateOfBirth": "1990-12-20",
     "country": ["LT", "LV"], "documents": ["PASSPORT", "VISA", "MILITARY_CARD"], "nationality": "lt",
     "generateDigitString": True, "ageLimit": 18, "ageMax": 99, "reviewFailed": True, "checkAml": False,
     "utilityBill": True, "externalRef": "ref-2", "showInstructions": False, "expiryTime": 600},
], ids=["minimal", "legacy-name", "many-options"])
def test_token_request_and_answer_match(service, partner, request_body):
    assert_matches("token-request.json", request_body)
    with service.client(partner) as c:
        r = c.post("/api/v2/token", json=request_body)
    assert r.status_code == 201, r.text
    assert_matches("token-response.json", r.json())


@pytest.mark.slow
def test_automatic_result_bodies_match(service, partner, receiver, real_images):
    with service.client(partner) as c:
        created = new_token(c, tokenType="IDENTIFICATION", firstName="Test", lastName="Person", externalRef="ext-9")
        r = c.post("/api/v2/process", json=process_body(
            created["authToken"], {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])},
            skipAnalysis=False))
        assert r.status_code == 200, r.text
        service.wait_for_status(partner, created["scanRef"])
        bodies = check_retrievals(c, created["scanRef"])
    (hook,) = hooks_for(receiver, partner, created["scanRef"])
    assert assert_webhook_matches(hook.headers, hook.body) == "IDENTIFICATION_AUTO_FINISHED"
    body = hook.json()
    assert body["platform"] == "OTHER" and body["clientIp"] == "127.0.0.1"
    assert body["data"]["selectedCountry"] == "CZ" and body["data"]["manuallyDataChanged"] is False
    assert body["data"] == bodies["/api/v2/data"]
    assert body["data"]["duplicateFaces"] == [] and body["data"]["duplicateDocFaces"] == []
    if body["data"]["docFirstName"] and body["data"]["docLastName"]:
        assert body["data"]["fullName"] == f'{body["data"]["docFirstName"]} {body["data"]["docLastName"]}'


@pytest.mark.slow
def test_manual_result_bodies_match(service, partner, receiver):
    service.cli("partner", "policy", partner.api_key, "--review", "review_all")
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT", clientId=f"contract-{uuid.uuid4().hex[:6]}")
        r = c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": b64(jpeg_bytes())}))
        assert r.status_code == 200, r.text
    scan_ref = created["scanRef"]
    assert service.wait_for_status(partner, scan_ref)["status"] == "REVIEWING"
    (automatic,) = hooks_for(receiver, partner, scan_ref)
    assert assert_webhook_matches(automatic.headers, automatic.body) == "IDENTIFICATION_AUTO_FINISHED"
    assert automatic.json()["final"] is False

    email = f"rev-{uuid.uuid4().hex[:8]}@example.org"
    password = json.loads(service.cli("reviewer", "create", email, "--partner-key", partner.api_key).stdout)["password"]
    with closing(httpx.Client(base_url=service.base_url, timeout=60)) as browser:
        assert login(browser, email, password).status_code == 303
        assert submit_review(browser, scan_ref, manual_face="FACE_NOT_ANALYSED", manual_surname="Reviewed",
                             manual_sex="F").status_code == 303
    hooks = hooks_for(receiver, partner, scan_ref, count=2)
    manual = next(h for h in hooks if h.json()["final"])
    assert assert_webhook_matches(manual.headers, manual.body) == "IDENTIFICATION_MANUAL_FINISHED"
    data = manual.json()["data"]
    assert data["manuallyDataChanged"] is True and data["docLastName"] == "Reviewed" and data["docSex"] == "FEMALE"
    with service.client(partner) as c:
        check_retrievals(c, scan_ref)


def test_expiry_bodies_match(service, partner, receiver):
    with service.client(partner) as c:
        created = new_token(c, expiryTime=1)
        time.sleep(1.5)
        bodies = check_retrievals(c, created["scanRef"])
    assert bodies["/api/v2/status"]["status"] == "EXPIRED"
    assert bodies["/api/v2/status"]["autoFace"] == "FACE_NOT_ANALYSED"
    (hook,) = hooks_for(receiver, partner, created["scanRef"], timeout=30)
    assert assert_webhook_matches(hook.headers, hook.body) == "IDENTIFICATION_EXPIRED"
    body = hook.json()
    assert isinstance(body["startTime"], int) and body["startTime"] <= body["finishTime"]


def test_error_bodies_match(service, partner):
    with service.client(partner) as c, service.client() as anonymous:
        answers = [
            (c.post("/api/v2/token", content=b"{", headers={"content-type": "application/json"}), 400),
            (c.post("/api/v2/token", json={"clientId": "u", "notAnOption": 1}), 400),
            (c.post("/api/v2/token", json={"clientId": "u", "checkLid": True}), 400),
            (c.post("/api/v2/process", json={"authToken": "x" * 20, "country": "LT", "images": {}}), 400),
            (anonymous.post("/api/v2/token", json={"clientId": "u"}), 401),
            (c.post("/api/v2/status", json={"scanRef": "no-such-ref"}), 404),
            (c.post("/api/v2/nothing", json={}), 404),
            (c.get("/api/v2/token"), 405),
            (c.post("/api/v2/delete", json={"scanRef": new_token(c)["scanRef"]}), 409),
        ]
    for response, status in answers:
        assert response.status_code == status, response.text
        assert_matches("error.json", response.json())


def test_photo_validation_error_body_matches(service, partner):
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT")["authToken"]
        r = c.post("/api/v2/process", json=process_body(token, {"FRONT": b64(jpeg_bytes())}, skipAnalysis=False))
    assert r.status_code == 200 and r.json()["identifier"] == "DOC_NOT_FOUND"
    assert_matches("error.json", r.json())


def test_embedding_address_leads_to_the_flow(service, partner):
    """iDenfy's iframe/redirect form, <ui-host>/?authToken=TOKEN."""
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
    with httpx.Client(base_url=service.base_url, follow_redirects=False) as browser:
        r = browser.get(f"/?authToken={token}")
        assert r.status_code in (302, 303, 307) and r.headers["location"].endswith(f"/flow/{token}")
        page = browser.get(f"/?authToken={token}", follow_redirects=True)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        bare = browser.get("/")
        assert bare.status_code == 404
        assert_matches("error.json", bare.json())

