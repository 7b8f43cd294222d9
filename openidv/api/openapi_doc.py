"""What /openapi.json says beyond the routes themselves: how partners authenticate (so
Swagger UI offers "Authorize" and locks the partner endpoints), worked examples of every
body and error, and the webhook the service sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from openidv.api import examples
from openidv.api.errors import ErrorBody

PARTNER_AUTH = "partnerBasic"
METRICS_AUTH = "metricsBearer"
SECURITY_SCHEMES = {
    PARTNER_AUTH: {
        "type": "http", "scheme": "basic",
        "description": "The partner's API key as user name and its API secret as password "
                       "(`openidv partner create` prints both once).",
    },
    METRICS_AUTH: {"type": "http", "scheme": "bearer", "description": "The operator's OPENIDV_METRICS_TOKEN."},
}
PARTNER_SECURITY = [{PARTNER_AUTH: []}]
PARTNER_TAG = "Partner API"
TAGS = [
    {"name": PARTNER_TAG, "description": "Create a session, hand in images, read the result. Every call is a POST "
                                         "with a JSON body and HTTP Basic auth (Authorize above)."},
    {"name": "Files", "description": "The images behind the pre-signed URLs of /files and the webhooks."},
    {"name": "Operations", "description": "Health checks and metrics for the operator."},
]

_STATUS_TEXT = {400: "Bad request: the body, a field or an image is wrong (nothing was used up)",
                401: "Missing or wrong API key and secret", 404: "Unknown scanRef, or another partner's",
                409: "Conflict with the verification's state", 413: "Request body or an image is over its cap",
                429: "Over the partner's hourly rate limit", 500: "Unexpected server error; the message carries "
                "a request id the server's log has too"}


def inline_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its $defs inlined (OpenAPI resolves "#/..." from the
    document root, where pydantic's "#/$defs/..." would not be found)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                # The field's own keys (its description) beside the referenced model's.
                siblings = {k: resolve(v) for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.removeprefix("#/$defs/")]), **siblings}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra of a partner route: its JSON request body, and its auth."""
    return {
        "security": PARTNER_SECURITY,
        "requestBody": {"required": True, "content": {"application/json": {"schema": inline_json_schema(model)}}},
    }


def error_responses(errors: dict[int, tuple[str, ...]]) -> dict[int | str, dict[str, Any]]:
    """The error statuses of a route (their examples are added by ``install``), and 500."""
    return {status: {"model": ErrorBody, "description": _STATUS_TEXT[status]}
            for status in sorted({*errors, 500}) if status != 200}


Named = dict[str, dict[str, Any]]


def _one(summary: str, value: Any) -> Named:
    return {"example": {"summary": summary, "value": value}}


def route_examples() -> dict[tuple[str, str], tuple[Named, dict[int, Named]]]:
    """(method, path) -> (request examples, status -> answer examples)."""
    def errors(table: dict[int, tuple[str, ...]]) -> dict[int, Named]:
        return {status: examples.error_examples(names) for status, names in table.items()}

    scan_ref = examples.scan_ref_request_examples()
    retrieval = errors(examples.RETRIEVAL_ERRORS)
    return {
        ("post", "/api/v2/token"): (examples.token_request_examples(), {
            201: _one("A new session", examples.token_answer_example()), **errors(examples.TOKEN_ERRORS)}),
        ("post", "/api/v2/process"): (examples.process_request_examples(), errors(examples.PROCESS_ERRORS)),
        ("post", "/api/v2/status"): (scan_ref, {200: examples.status_examples(), **retrieval}),
        ("post", "/api/v2/data"): (scan_ref, {200: _one("Read from a passport", examples.data_example()), **retrieval}),
        ("post", "/api/v2/files"): (scan_ref, {200: _one("A passport and a selfie", examples.files_example()),
                                               **retrieval}),
        ("post", "/api/v2/full-status"): (examples.scan_ref_request_examples(reasons=True), {
            200: examples.full_status_examples(), **retrieval}),
        ("post", "/api/v2/delete"): (scan_ref, errors(examples.DELETE_ERRORS)),
        ("get", "/files/{token}"): ({}, errors(examples.FILE_ERRORS)),
        ("get", "/metrics"): ({}, errors(examples.METRICS_ERRORS)),
    }


def _add_examples(schema: dict[str, Any]) -> None:
    """Examples go in after FastAPI has built the document: it drops every null value while
    building, and the bodies' nulls (keys present, value unknown) are part of the contract."""
    for (method, path), (requests, answers) in route_examples().items():
        operation = schema["paths"][path][method]
        if requests:
            operation["requestBody"]["content"]["application/json"]["examples"] = requests
        for status, named in answers.items():
            content = operation["responses"][str(status)].setdefault("content", {})
            content.setdefault("application/json", {"schema": {"$ref": "#/components/schemas/ErrorBody"}})
            content["application/json"]["examples"] = named


def _drop_unused_validation_answers(schema: dict[str, Any]) -> None:
    """FastAPI documents a 422 for routes with parameters; openidv answers every invalid
    request with a 400 error body instead (api/errors.py), so the 422 would be a lie."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)


def _webhook(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.1's webhooks: what openidv posts to the partner's callback URL."""
    named = {f"{n}-{w.event}": {"summary": f"{w.event}: {w.title}", "value": w.body}
             for n, w in enumerate(examples.verification_webhook_examples(), 1)}
    return {"verificationResult": {"post": {
        "summary": "The result of a verification, posted to the callback URL",
        "description": "Sent after the automatic decision (final: false when a reviewer will look), after a "
                       "reviewer's decision, and when an unused token expires. Verify Idenfy-Signature (hex "
                       "HMAC-SHA256 of the raw body with the webhook secret) or Openidv-Signature "
                       "(docs/webhooks.md) before trusting it; answer 2xx, else it is retried for 24 hours.",
        "parameters": [
            {"name": "Idenfy-Event-Type", "in": "header", "required": True,
             "schema": {"type": "string", "enum": sorted({w.event for w in examples.verification_webhook_examples()})}},
            {"name": "Idenfy-Signature", "in": "header", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
            {"name": "Openidv-Signature", "in": "header", "required": True,
             "schema": {"type": "string", "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema, "examples": named}}},
        "responses": {"200": {"description": "Any 2xx: received"}},
    }}}


def install(app: FastAPI) -> None:
    """/openapi.json with the security schemes and the webhook (built once, then cached)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            from openidv.api.responses import WebhookBody

            schema = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                                 description=app.description, routes=app.routes, tags=TAGS)
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["webhooks"] = _webhook(inline_json_schema(WebhookBody))
            _add_examples(schema)
            _drop_unused_validation_answers(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
