"""POST /api/v2/token: defaults, every field rule, authentication."""

from __future__ import annotations

import httpx
import pytest

SPEC_ERROR_KEYS = {"message", "identifier", "documentation", "severity"}


def assert_error(response: httpx.Response, status: int, identifier: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == SPEC_ERROR_KEYS
    assert body["identifier"] == identifier, body
    return body


def test_token_echoes_request_with_defaults(service, partner):
    with service.client(partner) as c:
        r = c.post("/api/v2/token", json={"clientId": "user-1", "firstName": "Anna", "country": "lt"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Token created successfully"
    assert 10 <= len(body["authToken"]) <= 40 and body["authToken"].isascii()
    assert 0 < len(body["scanRef"]) <= 36
    assert body["documents"] == ["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER"]
    assert body["tokenType"] == "IDENTIFICATION"
    assert body["expiryTime"] == 3600 and body["sessionLength"] == 600
    assert body["locale"] == "en"
    assert body["country"] == "LT"
    assert body["digitString"] is None
    assert body["callbackUrl"].endswith(f"/hooks/{partner.name}")
    assert body["authToken"] in body["redirectUrl"]


def test_tokens_and_scanrefs_are_unique(service, partner):
    with service.client(partner) as c:
        bodies = [c.post("/api/v2/token", json={"clientId": "u"}).json() for _ in range(5)]
    assert len({b["authToken"] for b in bodies}) == 5
    assert len({b["scanRef"] for b in bodies}) == 5


def test_digit_string_is_eight_digits_when_asked(service, partner):
    with service.client(partner) as c:
        body = c.post("/api/v2/token", json={"clientId": "u", "generateDigitString": True}).json()
    assert len(body["digitString"]) == 8 and body["digitString"].isdigit()


@pytest.mark.parametrize(
    "payload, identifier, field",
    [
        ({}, "MISSING_VALUE", "clientId"),
        ({"clientId": ""}, "BAD_VALUE", "clientId"),
        ({"clientId": "x" * 101}, "BAD_VALUE", "clientId"),
        ({"clientId": "äöü"}, "BAD_VALUE", "clientId"),
        ({"clientId": 5}, "BAD_VALUE", "clientId"),
        ({"clientId": "u", "firstName": "Ann4"}, "BAD_VALUE", "firstName"),
        ({"clientId": "u", "lastName": ""}, "BAD_VALUE", "lastName"),
        ({"clientId": "u", "dateOfBirth": "1990-13-01"}, "BAD_VALUE", "dateOfBirth"),
        ({"clientId": "u", "dateOfExpiry": "01.01.2030"}, "BAD_VALUE", "dateOfExpiry"),
        ({"clientId": "u", "nationality": "XX"}, "BAD_VALUE", "nationality"),
        ({"clientId": "u", "country": "LTU"}, "BAD_VALUE", "country"),
        ({"clientId": "u", "sex": "X"}, "BAD_VALUE", "sex"),
        ({"clientId": "u", "address": "a" * 256}, "BAD_VALUE", "address"),
        ({"clientId": "u", "documents": ["PASSPORT", "SELFIE"]}, "BAD_VALUE", "documents"),
        ({"clientId": "u", "documents": []}, "BAD_VALUE", "documents"),
        ({"clientId": "u", "tokenType": "VIDEO"}, "BAD_VALUE", "tokenType"),
        ({"clientId": "u", "expiryTime": 0}, "BAD_VALUE", "expiryTime"),
        ({"clientId": "u", "expiryTime": 2_592_001}, "BAD_VALUE", "expiryTime"),
        ({"clientId": "u", "expiryTime": True}, "BAD_VALUE", "expiryTime"),
        ({"clientId": "u", "sessionLength": 59}, "BAD_VALUE", "sessionLength"),
        ({"clientId": "u", "successUrl": "ftp://x.example"}, "BAD_VALUE", "successUrl"),
        ({"clientId": "u", "callbackUrl": "http:/"}, "BAD_VALUE", "callbackUrl"),
        ({"clientId": "u", "locale": "eng"}, "BAD_VALUE", "locale"),
        ({"clientId": "u", "externalRef": "r" * 41}, "BAD_VALUE", "externalRef"),
        ({"clientId": "u", "generateDigitString": "yes"}, "BAD_VALUE", "generateDigitString"),
        ({"clientId": "u", "additionalSteps": {"ALL": {"ALL": {"BILL": {"type": "VIDEO"}}}}},
         "BAD_VALUE", "additionalSteps"),
    ],
)
def test_token_field_rules(service, partner, payload, identifier, field):
    with service.client(partner) as c:
        body = assert_error(c.post("/api/v2/token", json=payload), 400, identifier)
    assert field in body["message"]


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b"\"text\"", b"", b"\xff\xfe"])
def test_malformed_json_is_json_error(service, partner, raw):
    with service.client(partner) as c:
        r = c.post("/api/v2/token", content=raw, headers={"content-type": "application/json"})
    assert_error(r, 400, "JSON_ERROR")


def test_json_nesting_bomb_is_refused_cleanly(service, partner):
    with service.client(partner) as c:
        r = c.post("/api/v2/token", content=b"[" * 100_000 + b"]" * 100_000)
    assert_error(r, 400, "JSON_ERROR")


@pytest.mark.parametrize(
    "auth",
    [None, ("nobody", "wrong"), "wrong-secret-for-real-key", ("", "")],
)
def test_bad_credentials_are_unauthorized(service, partner, auth):
    if auth == "wrong-secret-for-real-key":
        auth = (partner.api_key, partner.api_secret + "x")
    with httpx.Client(base_url=service.base_url, auth=auth) as c:
        r = c.post("/api/v2/token", json={"clientId": "u"})
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers["www-authenticate"].lower().startswith("basic")


def test_garbled_basic_header_is_unauthorized(service):
    with httpx.Client(base_url=service.base_url) as c:
        r = c.post("/api/v2/token", json={"clientId": "u"}, headers={"Authorization": "Basic %%%"})
    assert_error(r, 401, "UNAUTHORIZED")


def test_unknown_path_and_wrong_method_use_spec_errors(service, partner):
    with service.client(partner) as c:
        assert_error(c.post("/api/v2/nothing", json={}), 404, "NOT_FOUND")
        assert_error(c.get("/api/v2/token"), 405, "METHOD_NOT_ALLOWED")


def test_every_response_has_a_request_id(service, partner):
    with service.client(partner) as c:
        assert c.get("/healthz").headers["x-request-id"]
        assert c.post("/api/v2/token", json={}).headers["x-request-id"]


def test_health_and_openapi(service):
    with service.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        spec = c.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v2/token", "/api/v2/process", "/api/v2/status", "/api/v2/data",
                 "/api/v2/files", "/api/v2/full-status", "/api/v2/delete", "/healthz"):
        assert path in paths, path
    error_schema = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_schema["properties"]) == {"message", "identifier", "documentation", "severity"}
    token_responses = paths["/api/v2/token"]["post"]["responses"]
    assert "201" in token_responses and "401" in token_responses and "422" not in token_responses
    assert "requestBody" in paths["/api/v2/process"]["post"]
