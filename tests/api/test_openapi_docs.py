"""/openapi.json (what /docs shows) tells the truth: partner endpoints declare HTTP Basic,
every field is described, codes are listed as allowed values, every example matches its
own schema (and iDenfy's contract), and every documented error is what the service answers."""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from openidv.api import examples, schemas
from openidv.api.openapi_doc import route_examples
from openidv.core.errors import error_body
from openidv.core.vocab import DOCUMENT_CODES, FACE_CODES, STATUSES, FraudTag, MismatchTag
from openidv.webhooks.delivery import encode_payload, sign
from tests.api.test_policy import set_policy
from tests.api.test_process import PLAIN, b64, new_token, process_body
from tests.conftest import jpeg_bytes
from tests.contract.contract import assert_matches, assert_webhook_matches


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    from openidv.app import create_app

    return create_app(run_migrations=False).openapi()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation
    for name, operations in spec.get("webhooks", {}).items():
        for method, operation in operations.items():
            yield f"webhook {name}", method, operation


def _media(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON request and answer body: (where, media type object)."""
    for path, method, operation in _operations(spec):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield f"{method} {path} request", media
        for status, answer in operation.get("responses", {}).items():
            for media_type, media in answer.get("content", {}).items():
                if media_type == "application/json":
                    yield f"{method} {path} {status}", media


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # "#/components/..." references resolve against the root: give the schema the components.
    rooted = {**schema, "components": spec["components"]}
    return Draft202012Validator(rooted, format_checker=FormatChecker())


def _schema_nodes(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _schema_nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_nodes(value, f"{where}/{i}")


# ------------------------------------------------------------------ authentication


def test_partner_endpoints_declare_http_basic_and_the_others_do_not(spec):
    schemes = spec["components"]["securitySchemes"]
    basic = [name for name, s in schemes.items() if s == {**s, "type": "http", "scheme": "basic"}]
    assert len(basic) == 1
    for path, method, operation in _operations(spec):
        partner = path.startswith("/api/v2/")
        assert (operation.get("security") == [{basic[0]: []}]) == partner, (method, path)
        if partner:
            assert "401" in operation["responses"], path
    assert spec["paths"]["/metrics"]["get"]["security"] == [{"metricsBearer": []}]


# ------------------------------------------------------------------ descriptions and allowed values


def _properties(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    sources = [(f"components/{name}", schema) for name, schema in spec["components"]["schemas"].items()]
    sources += [(where, media["schema"]) for where, media in _media(spec)]
    for source, schema in sources:
        for where, node in _schema_nodes(schema, source):
            for name, prop in (node.get("properties") or {}).items():
                if isinstance(prop, dict):
                    yield f"{where}.{name}", name, prop


def test_every_field_of_every_body_is_described(spec):
    undescribed = [where for where, _, prop in _properties(spec)
                   if not prop.get("description") and "$ref" not in prop]
    assert not undescribed, undescribed
    assert len(list(_properties(spec))) > 300  # the walk really saw the bodies


def _allowed(prop: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """The values an (optional, possibly list-valued) property allows."""
    found: set[str] = set()
    for _, node in _schema_nodes(prop):
        found |= set(node.get("enum", ()))
        if "const" in node:
            found.add(node["const"])
    return found


def test_codes_are_listed_as_allowed_values(spec):
    expected = {"status": set(STATUSES), "overall": set(STATUSES),
                "autoDocument": set(DOCUMENT_CODES), "manualDocument": set(DOCUMENT_CODES),
                "document_validity": set(DOCUMENT_CODES), "autoFace": set(FACE_CODES),
                "manualFace": set(FACE_CODES), "face_match_result": set(FACE_CODES),
                "fraudTags": set(FraudTag), "mismatchTags": set(MismatchTag)}
    seen = set()
    for where, name, prop in _properties(spec):
        # The webhook's "status" is an object: its "overall" is the code.
        if name in expected and "$ref" not in prop and "properties" not in prop:
            assert _allowed(prop, spec) == expected[name], where
            seen.add(name)
    assert seen == set(expected)
    process = spec["paths"]["/api/v2/process"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "PASSPORT" in _allowed(process["properties"]["documentType"], spec)
    assert "CZ" in _allowed(process["properties"]["country"], spec)


# ------------------------------------------------------------------ examples


def test_every_example_matches_its_own_schema(spec):
    checked = 0
    for where, media in _media(spec):
        validator = _validator(spec, media["schema"])
        named = media.get("examples", {})
        if "example" in media:
            named = {**named, "example": {"value": media["example"]}}
        # Every body has an example but a 500's (it cannot be provoked) and the operator's own.
        assert named or where.endswith("500") or "/healthz" in where or "/livez" in where, f"{where} has no example"
        for name, example in named.items():
            problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                        for e in validator.iter_errors(example["value"])]
            assert not problems, f"{where} example {name}: {problems}"
            checked += 1
    for source in [*spec["components"]["schemas"].values(), *(m["schema"] for _, m in _media(spec))]:
        for where, node in _schema_nodes(source):
            for value in node.get("examples", ()) if isinstance(node.get("examples"), list) else ():
                bare = {k: v for k, v in node.items() if k != "examples"}
                assert not list(_validator(spec, bare).iter_errors(value)), (where, value)
                checked += 1
    assert checked > 60


def test_request_examples_are_accepted_by_the_service_models():
    models = {"/api/v2/token": schemas.TokenRequest, "/api/v2/process": schemas.ProcessRequest}
    for (_, path), (requests, _) in route_examples().items():
        for name, example in requests.items():
            schemas.parse_model(models.get(path, schemas.ScanRefRequest), copy.deepcopy(example["value"]))


def test_answer_examples_match_the_idenfy_contract():
    contract = {"/api/v2/token": {201: "token-response.json"}, "/api/v2/status": {200: "status.json"},
                "/api/v2/data": {200: "data.json"}, "/api/v2/files": {200: "files.json"},
                "/api/v2/full-status": {200: "full-status.json"}}
    for (_, path), (requests, answers) in route_examples().items():
        for status, named in answers.items():
            schema = contract.get(path, {}).get(status, "error.json")
            for example in named.values():
                assert_matches(schema, example["value"])
    assert_matches("token-request.json", examples.TOKEN_REQUEST)
    for example in examples.verification_webhook_examples():
        body = encode_payload(example.body)
        headers = {"Content-Type": "application/json", "Idenfy-Signature": sign(body, b"webhook-secret"),
                   "Idenfy-Event-Type": example.event}
        assert assert_webhook_matches(headers, body) == example.event


def test_the_example_passport_reads_as_the_example_data():
    """The example's MRZ is a real one (check digits and all): read by the real parser, it
    gives the example's mrz_* values."""
    from openidv.pipeline.mrz import parse_mrz

    mrz = parse_mrz(list(examples.MRZ_LINES))
    data = examples.PASSPORT_DATA
    assert all(mrz.check_digits.values()), mrz.check_digits
    read = {"mrz_name": mrz.given_names, "mrz_surname": mrz.surname, "mrz_date_of_birth": mrz.date_of_birth,
            "mrz_expiry_date": mrz.date_of_expiry, "mrz_personal_code": mrz.personal_number,
            "mrz_document_number": mrz.document_number, "mrz_nationality": mrz.nationality,
            "mrz_country": mrz.issuing_country, "mrz_document_type": mrz.document_type,
            "mrz_string": "".join(mrz.lines)}
    assert read == {key: data[key] for key in read}


# ------------------------------------------------------------------ the documented errors, provoked


def _documented_error_names(spec: dict[str, Any]) -> set[str]:
    names = set()
    for _, media in _media(spec):
        for name, example in media.get("examples", {}).items():
            if set(example["value"]) == {"message", "identifier", "documentation", "severity"}:
                assert example["value"] == error_body(examples.ERRORS[name]), name
                names.add(name)
    return names


def _check(response, name: str) -> None:  # noqa: ANN001
    error = examples.ERRORS[name]
    assert (response.status_code, response.json()) == (error.status_code, error_body(error)), name


def _embedded_only(service) -> None:  # noqa: ANN001
    if service.mode != "embedded":
        pytest.skip("one mode is enough: the error answers are the same code")


def test_documented_errors_are_the_answers_the_service_gives(service, partner, spec):
    _embedded_only(service)
    provoked = set()
    with service.client() as anonymous:
        _check(anonymous.post("/api/v2/status", json={"scanRef": examples.SCAN_REF}), "unauthorized")
        provoked.add("unauthorized")
    with service.client(partner) as c:
        def call(name: str, path: str, method: str = "POST", **kwargs: Any) -> None:
            _check(c.request(method, path, **kwargs), name)
            provoked.add(name)

        json_headers = {"content-type": "application/json"}
        call("json", "/api/v2/token", content=b'{"clientId": "customer-48213",}', headers=json_headers)
        call("missing-client-id", "/api/v2/token", json={"firstName": "Jana"})
        call("bad-date", "/api/v2/token", json={"clientId": "customer-48213", "dateOfBirth": "12.04.1988"})
        call("missing-scan-ref", "/api/v2/status", json={})
        call("not-found", "/api/v2/status", json={"scanRef": examples.ERRORS["not-found"].message.split("'")[1]})
        token = new_token(c)
        call("missing-image", "/api/v2/process", json=process_body(token["authToken"], {"FRONT": PLAIN}))
        call("not-base64", "/api/v2/process",
             json=process_body(token["authToken"], {"FRONT": "%%% not base64 %%%", "FACE": PLAIN}))
        call("delete-active", "/api/v2/delete", json={"scanRef": token["scanRef"]})
        assert c.post("/api/v2/process", json=process_body(token["authToken"], {"FRONT": PLAIN, "FACE": PLAIN})
                      ).status_code == 200
        call("token-used", "/api/v2/process", json=process_body(token["authToken"], {"FRONT": PLAIN, "FACE": PLAIN}))
        call("body-too-large", "/api/v2/process",
             content=b'{"authToken":"x","images":{"FRONT":"' + b"A" * (21 * 1024 * 1024) + b'"}}',
             headers=json_headers)
        # A finished verification's image URL, after /delete.
        service.wait_for_status(partner, token["scanRef"])
        url = c.post("/api/v2/files", json={"scanRef": token["scanRef"]}).json()["FRONT"]
        assert c.post("/api/v2/delete", json={"scanRef": token["scanRef"]}).status_code == 200
        _check(c.get(url.removeprefix(service.base_url)), "file-deleted")
        provoked.add("file-deleted")
        call("file-url-invalid", "/files/bm90IGEgZmlsZSB0b2tlbg.Z8xWkg.changed", method="GET")
        call("metrics-token", "/metrics", method="GET", headers={"Authorization": "Bearer not-the-token"})
    documented = _documented_error_names(spec)
    # The other documented ones are provoked by the tests below.
    assert documented - provoked == {"rate-limit", "no-document", "no-face", "metrics-disabled"}, documented - provoked


def test_documented_metrics_disabled_error_is_the_answer():
    from fastapi.testclient import TestClient

    from openidv.app import create_app
    from openidv.config import Settings

    app = create_app(run_migrations=False, settings=Settings(metrics_token=None))
    _check(TestClient(app).get("/metrics"), "metrics-disabled")


def test_documented_rate_limit_error_is_the_answer(service, partner):
    _embedded_only(service)
    limit = int(examples.ERRORS["rate-limit"].message.split()[3])
    set_policy(service, partner, "--rate-limit", str(limit))
    with service.client(partner) as c:
        for _ in range(limit):
            assert c.post("/api/v2/status", json={"scanRef": examples.SCAN_REF}).status_code == 404
        _check(c.post("/api/v2/status", json={"scanRef": examples.SCAN_REF}), "rate-limit")


def test_documented_photo_check_answers_are_the_answers(service, partner, real_images):
    _embedded_only(service)
    blank = b64(jpeg_bytes(800, 600, (255, 255, 255)))
    with service.client(partner) as c:
        token = new_token(c)["authToken"]
        _check(c.post("/api/v2/process", json=process_body(token, {"FRONT": blank, "FACE": b64(real_images["face"])},
                                                           skipAnalysis=False)), "no-document")
        _check(c.post("/api/v2/process", json=process_body(token, {"FRONT": b64(real_images["passport"]),
                                                                   "FACE": blank}, skipAnalysis=False)), "no-face")
