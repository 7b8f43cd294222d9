"""POST /api/v2/process: images, caps, token rules, atomic single use, the full flow."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import hmac
import io
import json
import socket
import time

import httpx
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.api.test_tokens import assert_error

SEED_FULL_STATUS_KEYS = {
    "face_match_result", "document_validity", "manual_face_match_result",
    "manual_document_validity", "client", "client_identity_document", "attempt_count",
    "suspection_reasons", "start_time", "finish_time", "review_time",
}
SEED_CLIENT_KEYS = {
    "name", "surname", "date_of_birth", "personal_id_number", "document_number", "document_type",
    "expiry_date", "nationality", "date_of_issue", "sex", "country", "default_country",
    "utility_address",
}
SEED_DOCUMENT_KEYS = {
    "doc_name", "doc_surname", "doc_date_of_birth", "doc_expiry_date", "doc_personal_code",
    "doc_document_number", "doc_sex", "doc_nationality", "doc_date_of_issue",
    "doc_license_categories", "doc_document_type", "doc_country", "mrz_name", "mrz_surname",
    "mrz_date_of_birth", "mrz_expiry_date", "mrz_personal_code", "mrz_document_number", "mrz_sex",
    "mrz_nationality", "mrz_country", "mrz_document_type", "mrz_document_subtype",
    "mrz_optional_data", "mrz_string", "mrz_date_of_issue", "manual_name", "manual_surname",
    "manual_date_of_birth", "manual_expiry_date", "manual_personal_code", "manual_document_number",
    "manual_sex", "manual_nationality", "manual_document_type", "manual_date_of_issue",
    "manual_country", "document_type", "manual_utility_address", "manual_utility_address_match",
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def new_token(c: httpx.Client, **fields) -> dict:
    r = c.post("/api/v2/token", json={"clientId": "client-1", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def process_body(token: str, images: dict, **extra) -> dict:
    return {"authToken": token, "country": "CZ", "documentType": "PASSPORT", "images": images,
            "skipAnalysis": True, **extra}


PLAIN = b64(jpeg_bytes())


def test_missing_images_name_the_step(service, partner):
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        body = assert_error(c.post("/api/v2/process", json=process_body(token, {"FACE": PLAIN})), 400, "MISSING_VALUE")
        assert body["message"] == "No image provided for step 'FRONT'"
        body = assert_error(c.post("/api/v2/process", json=process_body(token, {"FRONT": PLAIN})), 400, "MISSING_VALUE")
        assert body["message"] == "No image provided for step 'FACE'"
        req = process_body(token, {"FRONT": PLAIN, "FACE": PLAIN}, documentType="ID_CARD")
        body = assert_error(c.post("/api/v2/process", json=req), 400, "MISSING_VALUE")
        assert body["message"] == "No image provided for step 'BACK'"


def test_document_token_needs_no_face(service, partner):
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT")["authToken"]
        r = c.post("/api/v2/process", json=process_body(token, {"FRONT": PLAIN}))
        assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize(
    "change, identifier, status",
    [
        (lambda b: b.pop("country"), "MISSING_VALUE", 400),
        (lambda b: b.update(country="ZZ"), "BAD_VALUE", 400),
        (lambda b: b.update(documentType="SELFIE"), "BAD_VALUE", 400),
        (lambda b: b.update(images="not an object"), "BAD_VALUE", 400),
        (lambda b: b.pop("images"), "MISSING_VALUE", 400),
        (lambda b: b["images"].update(SELFIE=PLAIN), "BAD_VALUE", 400),
        (lambda b: b.update(skipAnalysis="yes"), "BAD_VALUE", 400),
        (lambda b: b["images"].update(FRONT="%%%not base64%%%"), "ENCODING_ERROR", 400),
        (lambda b: b["images"].update(FRONT=b64(b"%PDF-1.4 not an image")), "ENCODING_ERROR", 400),
        (lambda b: b["images"].update(FRONT=b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>")), "ENCODING_ERROR", 400),
        (lambda b: b["images"].update(FRONT=b64(jpeg_bytes()[:-2000])), "ENCODING_ERROR", 400),
        (lambda b: b["images"].update(FRONT=b64(b"GIF89a" + b"\0" * 100)), "ENCODING_ERROR", 400),
    ],
)
def test_bad_process_requests(service, partner, change, identifier, status):
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        body = process_body(token, {"FRONT": PLAIN, "FACE": PLAIN})
        change(body)
        assert_error(c.post("/api/v2/process", json=body), status, identifier)
        # Nothing was used up: the token still works.
        ok = c.post("/api/v2/process", json=process_body(token, {"FRONT": PLAIN, "FACE": PLAIN}))
        assert ok.status_code == 200, ok.text


def test_data_url_prefix_is_accepted(service, partner):
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        images = {"FRONT": "data:image/jpeg;base64," + PLAIN, "FACE": PLAIN}
        assert c.post("/api/v2/process", json=process_body(token, images)).status_code == 200


def test_token_alias_is_accepted(service, partner):
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        body = process_body(token, {"FRONT": PLAIN, "FACE": PLAIN})
        body["token"] = body.pop("authToken")
        assert c.post("/api/v2/process", json=body).status_code == 200


def test_image_over_50_megapixels_is_refused(service, partner):
    buf = io.BytesIO()
    Image.new("L", (8000, 6500)).save(buf, "PNG")  # 52 MP, a few hundred KB
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        r = c.post("/api/v2/process", json=process_body(token, {"FRONT": b64(buf.getvalue()), "FACE": PLAIN}))
        assert_error(r, 413, "REQUEST_TOO_LARGE")


def test_image_over_its_cap_is_413(service, partner):
    big = b64(b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024 + 10))
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        assert_error(c.post("/api/v2/process", json=process_body(token, {"FRONT": big, "FACE": PLAIN})),
                     413, "REQUEST_TOO_LARGE")


def test_21_mb_body_gets_the_413_error_body(service, partner):
    raw = b'{"authToken":"x","images":{"FRONT":"' + b"A" * (21 * 1024 * 1024) + b'"}}'
    with service.client(partner) as c:
        r = c.post("/api/v2/process", content=raw, headers={"content-type": "application/json"})
    assert_error(r, 413, "REQUEST_TOO_LARGE")


def test_21_mb_chunked_body_without_length_gets_413(service, partner):
    def chunks():
        for _ in range(21):
            yield b"A" * (1024 * 1024)

    with service.client(partner) as c:
        r = c.post("/api/v2/token", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "REQUEST_TOO_LARGE")


def test_oversized_body_to_raw_socket_is_answered_not_reset(service, partner):
    """A plain client writes its whole body before reading: it must still see the 413."""
    host, port = service.base_url.removeprefix("http://").split(":")
    auth = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
    size = 21 * 1024 * 1024
    head = (f"POST /api/v2/process HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head)
        chunk = b"A" * 65536
        for _ in range(size // len(chunk)):
            s.sendall(chunk)
        answer = b""
        while b"REQUEST_TOO_LARGE" not in answer:
            more = s.recv(65536)
            if not more:
                break
            answer += more
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"REQUEST_TOO_LARGE" in answer


def test_token_rules(service, partner, other_partner):
    with service.client(partner) as c, service.client(other_partner) as other:
        unknown = c.post("/api/v2/process", json=process_body("no-such-token-123", {"FRONT": PLAIN, "FACE": PLAIN}))
        assert_error(unknown, 400, "TOKEN_NOT_VALID")
        token = new_token(c)["authToken"]
        foreign = other.post("/api/v2/process", json=process_body(token, {"FRONT": PLAIN, "FACE": PLAIN}))
        assert foreign.json()["message"] == unknown.json()["message"]
        assert_error(foreign, 400, "TOKEN_NOT_VALID")
        q = new_token(c, questionnaire={"q1": "a"})["authToken"]
        body = assert_error(c.post("/api/v2/process", json=process_body(q, {"FRONT": PLAIN, "FACE": PLAIN})),
                            400, "TOKEN_NOT_VALID")
        assert "questionnaire" in body["message"]
        short = new_token(c, expiryTime=1)["authToken"]
        time.sleep(1.5)
        body = assert_error(c.post("/api/v2/process", json=process_body(short, {"FRONT": PLAIN, "FACE": PLAIN})),
                            400, "TOKEN_NOT_VALID")
        assert "expired" in body["message"]
        limited = new_token(c, documents=["ID_CARD"])["authToken"]
        assert_error(c.post("/api/v2/process", json=process_body(limited, {"FRONT": PLAIN, "FACE": PLAIN})),
                     400, "BAD_VALUE")


def test_six_concurrent_uses_of_one_token_exactly_one_wins(service, partner):
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
    body = process_body(token, {"FRONT": PLAIN, "FACE": PLAIN})

    def call(_):
        with service.client(partner) as c:
            r = c.post("/api/v2/process", json=body)
            return r.status_code, r.json()["identifier"] if r.content else None

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(call, range(6)))
    assert sorted(results, key=str) == sorted([(200, None)] + [(400, "TOKEN_NOT_VALID")] * 5, key=str), results


def test_photo_validation_answers_200_with_error_and_keeps_token(service, partner, real_images):
    blank = b64(jpeg_bytes(800, 600, (255, 255, 255)))
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        body = process_body(token, {"FRONT": blank, "FACE": b64(real_images["face"])}, skipAnalysis=False)
        r = c.post("/api/v2/process", json=body)
        assert r.status_code == 200
        assert r.json()["identifier"] == "DOC_NOT_FOUND" and r.json()["severity"] == "NOT_SEVERE"
        body = process_body(token, {"FRONT": b64(real_images["passport"]), "FACE": blank}, skipAnalysis=False)
        r = c.post("/api/v2/process", json=body)
        assert r.status_code == 200 and r.json()["identifier"] == "NO_FACE_FOUND"
        body = process_body(token, {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])},
                            skipAnalysis=False)
        r = c.post("/api/v2/process", json=body)
        assert r.status_code == 200 and r.content == b"", r.text


@pytest.mark.slow
def test_full_flow_to_final_status_webhook_files_and_delete(service, partner, receiver, real_images):
    with service.client(partner) as c:
        created = new_token(c, firstName="Test", lastName="Person", externalRef="ext-1")
        scan_ref = created["scanRef"]
        active = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
        assert active["status"] == "ACTIVE"
        assert_error(c.post("/api/v2/delete", json={"scanRef": scan_ref}), 409, "PARTNER_ERROR")
        r = c.post("/api/v2/process", json=process_body(
            created["authToken"], {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])},
            skipAnalysis=False))
        assert r.status_code == 200 and r.content == b""

    status = service.wait_for_status(partner, scan_ref)
    assert status["status"] in ("APPROVED", "DENIED", "SUSPECTED", "REVIEWING")
    assert status["autoDocument"] and status["autoFace"]
    assert status["scanRef"] == scan_ref and status["clientId"] == "client-1"

    hooks = receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}" and h.json()["scanRef"] == scan_ref)
    hook = hooks[0]
    expected = hmac.new(partner.webhook_secret.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["Idenfy-Signature"] == expected
    payload = hook.json()
    assert payload["status"]["overall"] == status["status"]
    assert payload["final"] == (status["status"] != "REVIEWING")
    assert payload["platform"] == "OTHER" and payload["externalRef"] == "ext-1"
    assert set(payload["fileUrls"]) == {"FRONT", "FACE"}
    assert isinstance(payload["startTime"], int) and payload["finishTime"] >= payload["startTime"]
    for key in ("suspicionReasons", "fraudTags", "mismatchTags", "autoFace", "manualFace",
                "autoDocument", "manualDocument", "additionalSteps"):
        assert key in payload["status"]
    assert set(payload["data"]) >= {"docFirstName", "docLastName", "docNumber", "mrzString"}

    with service.client(partner) as c:
        full = c.post("/api/v2/full-status", json={"scanRef": scan_ref}).json()
        assert set(full) == SEED_FULL_STATUS_KEYS
        assert set(full["client"]) == SEED_CLIENT_KEYS
        explained = c.post("/api/v2/full-status", json={"scanRef": scan_ref, "includeReasons": True}).json()
        assert set(explained) == SEED_FULL_STATUS_KEYS | {"openidv"}
        checks = {r["check"] for r in explained["openidv"]["decision_reasons"]}
        assert {"document", "face"} <= checks
        assert set(full["client_identity_document"]) == SEED_DOCUMENT_KEYS
        assert full["start_time"] and full["finish_time"]
        assert full["client"]["name"] == "TEST" and full["client"]["surname"] == "PERSON"  # upper-cased, as iDenfy
        data = c.post("/api/v2/data", json={"scanRef": scan_ref}).json()
        assert set(data) >= {"docFirstName", "docLastName", "docNumber", "docPersonalCode", "docExpiry",
                             "docDob", "docDateOfIssue", "docType", "docSex", "docNationality",
                             "docIssuingCountry", "mrzString", "fullName", "selectedCountry", "duplicateFaces"}
        files = c.post("/api/v2/files", json={"scanRef": scan_ref}).json()
        assert set(files) == {"FRONT", "FACE"}
        got = httpx.get(files["FRONT"])
        assert got.status_code == 200 and got.content == real_images["passport"]
        assert httpx.get(payload["fileUrls"]["FACE"]).content == real_images["face"]
        cut = len(files["FRONT"]) - 6  # inside the signature (the last character has padding bits)
        tampered = files["FRONT"][:cut] + ("a" if files["FRONT"][cut] != "a" else "b") + files["FRONT"][cut + 1:]
        assert_error(httpx.get(tampered), 403, "FORBIDDEN")
        # Another file id under a valid signature: change the payload's first character
        # (the first base64 character has no padding bits, so the bytes really change).
        base, signed = files["FACE"].split("/files/")
        forged = f"{base}/files/{'B' if signed[0] != 'B' else 'C'}{signed[1:]}"
        assert_error(httpx.get(forged), 403, "FORBIDDEN")

        assert c.post("/api/v2/delete", json={"scanRef": scan_ref}).status_code == 200
        assert c.post("/api/v2/status", json={"scanRef": scan_ref}).json()["status"] == "DELETED"
        assert_error(httpx.get(files["FRONT"]), 404, "NOT_FOUND")
        assert c.post("/api/v2/files", json={"scanRef": scan_ref}).json() == {}
        full = c.post("/api/v2/full-status", json={"scanRef": scan_ref}).json()
        assert full["client"]["name"] is None and full["client_identity_document"]["mrz_string"] is None
        assert_error(c.post("/api/v2/delete", json={"scanRef": scan_ref}), 409, "PARTNER_ERROR")


@pytest.mark.parametrize("path", ["/api/v2/status", "/api/v2/data", "/api/v2/files", "/api/v2/full-status",
                                  "/api/v2/delete"])
def test_other_partners_scanref_is_not_found(service, partner, other_partner, path):
    with service.client(partner) as c, service.client(other_partner) as other:
        scan_ref = new_token(c)["scanRef"]
        foreign = other.post(path, json={"scanRef": scan_ref})
        unknown = other.post(path, json={"scanRef": "00000000-0000-0000-0000-000000000000"})
        assert_error(foreign, 404, "NOT_FOUND")
        assert_error(unknown, 404, "NOT_FOUND")
        assert foreign.json()["message"].replace(scan_ref, "X") == unknown.json()["message"].replace(
            "00000000-0000-0000-0000-000000000000", "X")
        assert c.post("/api/v2/status", json={"scanRef": scan_ref}).status_code == 200


@pytest.mark.parametrize("body", [{}, {"scanRef": 5}, {"scanRef": ""}])
def test_retrieval_body_rules(service, partner, body):
    with service.client(partner) as c:
        r = c.post("/api/v2/status", json=body)
    assert r.status_code == 400 and r.json()["identifier"] in ("MISSING_VALUE", "BAD_VALUE")


def test_webhook_retries_after_failure(service, partner, receiver, real_images):
    receiver.status_for_path[f"/hooks/{partner.name}"] = 500
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT")
        r = c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": PLAIN}))
        assert r.status_code == 200
    scan_ref = created["scanRef"]
    receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}" and json.loads(h.body)["scanRef"] == scan_ref)
    receiver.status_for_path[f"/hooks/{partner.name}"] = 200
    # The first retry comes 10 s after the failed attempt.
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        hooks = [h for h in receiver.hooks if h.path == f"/hooks/{partner.name}"]
        if len(hooks) >= 2:
            break
        time.sleep(0.5)
    assert len(hooks) >= 2, "the failed webhook was not retried"
    assert json.loads(hooks[0].body)["scanRef"] == json.loads(hooks[1].body)["scanRef"] == scan_ref


def test_unused_token_expires_and_its_webhook_is_sent(service, partner, receiver):
    with service.client(partner) as c:
        created = new_token(c, expiryTime=1)
        time.sleep(1.5)
        status = c.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()
    assert status["status"] == "EXPIRED"
    hook = receiver.wait_for(lambda h: h.json()["scanRef"] == created["scanRef"], timeout=30)[0]
    assert hook.json()["status"]["overall"] == "EXPIRED" and hook.json()["final"] is True


def test_expiry_is_noticed_without_anyone_asking(service, partner, receiver):
    """The worker's sweep expires tokens by itself (its webhook within about 2 minutes)."""
    with service.client(partner) as c:
        created = new_token(c, expiryTime=1)
    hook = receiver.wait_for(lambda h: h.json()["scanRef"] == created["scanRef"], timeout=150)[0]
    assert hook.json()["status"]["overall"] == "EXPIRED"


def test_slow_drip_body_is_cut_off(tmp_path):
    """A client that trickles its body is answered 408 and disconnected, not waited for."""
    from tests.support.service import start_service

    service = start_service("embedded", tmp_path / "slow", {"OPENIDV_BODY_TIMEOUT_SECONDS": "2"})
    try:
        partner = service.create_partner("slow")
        host, port = service.base_url.removeprefix("http://").split(":")
        auth = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
        head = (f"POST /api/v2/token HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode()
        started = time.monotonic()
        with socket.create_connection((host, int(port)), timeout=20) as s:
            s.sendall(head)
            answer = b""
            try:
                for _ in range(15):
                    s.sendall(b" ")
                    time.sleep(0.5)
            except OSError:
                pass  # the server closed the connection: expected
            try:
                while chunk := s.recv(65536):
                    answer += chunk
            except OSError:
                pass
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"REQUEST_TIMEOUT" in answer
        assert time.monotonic() - started < 10
    finally:
        service.stop()
