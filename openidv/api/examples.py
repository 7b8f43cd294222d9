"""Worked examples of the partner API's bodies and webhooks, for /docs and docs/webhooks.md.

Each example is made by the code that makes the real answer (the wire shapes, the token
defaults, the error classes) from one fictitious person's verification, so what the
reference shows is what the service sends; tests/api/test_openapi_docs.py and
tests/webhooks/test_webhook_docs.py hold them to that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Optional

from openidv.aml.records import (
    CountryAgreement, DobAgreement, EntitySchema, Hit, ListedEntity, MatchReason, PartialDate,
)
from openidv.api.token_request import TokenRequest, given_options, token_answer
from openidv.core.aml_block import monitoring_body
from openidv.core.errors import (
    ApiError, BadValue, EncodingError, Forbidden, JsonError, MissingValue, NotFound, PartnerError, PhotoNotAccepted,
    RequestTooLarge, TokenNotValid, TooManyRequests, Unauthorized, error_body,
)
from openidv.core.vocab import WEBHOOK_EVENT_TYPES, AmlState, DocumentCode, FaceCode, Platform, Status, WebhookEvent
from openidv.core.wire import attempt_payload, data_view, full_status_view, status_view, webhook_view
from openidv.services.aml_screening import hit_dict
from openidv.services.intake import CreatedToken, token_defaults
from openidv.services.partners import PartnerContext

BASE_URL = "https://idv.example.com"
SCAN_REF = "3f1c2a9e-6b0d-4f7a-9c55-0e2d8b7a41c6"
# 32 URL-safe characters, as the service makes them.
AUTH_TOKEN = "kX2vQ9mR4tB7nW1zL8cY5fH3jD6sA0pE"
CLIENT_ID = "customer-48213"
EXTERNAL_REF = "order-2026-0117"
CALLBACK_URL = "https://shop.example.com/kyc/webhook"
# A stand-in for a real image: the docs would otherwise show megabytes of base64.
IMAGE_B64 = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg..."

# The fictitious holder: a Czech passport whose MRZ has correct check digits.
MRZ_LINES = ("P<CZENOVAKOVA<<JANA<<<<<<<<<<<<<<<<<<<<<<<<<", "45872369<8CZE8804123F32051618854123003<<<<00")
PASSPORT_DATA: dict[str, Any] = {
    "doc_name": "JANA", "doc_surname": "NOVAKOVA", "doc_date_of_birth": "1988-04-12",
    "doc_expiry_date": "2032-05-16", "doc_personal_code": "8854123003", "doc_document_number": "45872369",
    "doc_sex": "FEMALE", "doc_nationality": "CZ", "doc_date_of_issue": "2022-05-16",
    "doc_document_type": "PASSPORT", "doc_country": "CZ",
    "mrz_name": "JANA", "mrz_surname": "NOVAKOVA", "mrz_date_of_birth": "1988-04-12",
    "mrz_expiry_date": "2032-05-16", "mrz_personal_code": "8854123003", "mrz_document_number": "45872369",
    "mrz_sex": "FEMALE", "mrz_nationality": "CZ", "mrz_country": "CZ", "mrz_document_type": "PASSPORT",
    "mrz_document_subtype": None, "mrz_optional_data": "8854123003", "mrz_string": "".join(MRZ_LINES),
    "mrz_date_of_issue": None,
}
TOKEN_REQUEST: dict[str, Any] = {
    "clientId": CLIENT_ID, "firstName": "Jana", "lastName": "Novakova", "dateOfBirth": "1988-04-12",
    "country": "CZ", "documents": ["PASSPORT", "ID_CARD"], "externalRef": EXTERNAL_REF,
    "callbackUrl": CALLBACK_URL, "successUrl": "https://shop.example.com/kyc/done",
    "errorUrl": "https://shop.example.com/kyc/failed", "locale": "cs",
}
T0 = dt.datetime(2026, 3, 2, 9, 14, 5)


@dataclass(frozen=True)
class ExampleVerification:
    """One verification as the wire shapes read it (core.wire.VerificationRecord)."""

    scan_ref: str = SCAN_REF
    client_id: str = CLIENT_ID
    external_ref: Optional[str] = EXTERNAL_REF
    status: str = Status.APPROVED
    platform: Optional[str] = Platform.MOBILE
    country: Optional[str] = "CZ"
    document_type: Optional[str] = "PASSPORT"
    attempt_count: int = 1
    token_request: Optional[dict[str, Any]] = None
    auto_document: Optional[str] = DocumentCode.DOC_VALIDATED
    auto_face: Optional[str] = FaceCode.FACE_MATCH
    manual_document: Optional[str] = None
    manual_face: Optional[str] = None
    fraud_tags: Optional[list[Any]] = field(default_factory=list)
    mismatch_tags: Optional[list[Any]] = field(default_factory=list)
    suspicion_reasons: Optional[list[Any]] = field(default_factory=list)
    face_similarity: Optional[float] = 0.91
    document_data: Optional[dict[str, Any]] = field(default_factory=lambda: dict(PASSPORT_DATA))
    manual_data: Optional[dict[str, Any]] = field(default_factory=dict)
    decision_reasons: Optional[list[Any]] = field(default_factory=lambda: [
        {"check": "all", "outcome": Status.APPROVED, "detail": "document and face checks passed", "scores": {}},
    ])
    additional_steps: Optional[dict[str, Any]] = None
    aml: Optional[Any] = None  # the stored sanctions/PEP screening, when one was asked for
    client_ip: Optional[str] = "198.51.100.23"
    duplicate_faces: Optional[list[Any]] = field(default_factory=list)
    duplicate_doc_faces: Optional[list[Any]] = field(default_factory=list)
    created_at: Optional[dt.datetime] = T0
    flow_started_at: Optional[dt.datetime] = T0 + dt.timedelta(seconds=41)
    start_time: Optional[dt.datetime] = T0 + dt.timedelta(seconds=95)
    finish_time: Optional[dt.datetime] = T0 + dt.timedelta(seconds=107)
    review_time: Optional[dt.datetime] = None


def partner_context() -> PartnerContext:
    """The example partner: default policy, its callback URL as the default."""
    return PartnerContext(id=1, name="example-shop", callback_url=CALLBACK_URL, review_policy="automatic",
                          minimum_age=None, photo_validation=True, max_image_bytes=None, rate_limit_per_hour=None,
                          success_url=None, error_url=None, unverified_url=None, frame_ancestors=None)


def _stored_token_request(request: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """A token request as stored: validated (names upper-cased) with the defaults filled in."""
    given = given_options(TokenRequest.model_validate(request or TOKEN_REQUEST))
    return token_defaults(given, partner_context())


def approved() -> ExampleVerification:
    return ExampleVerification(token_request=_stored_token_request())


def sent_to_review() -> ExampleVerification:
    """The selfie resembles the portrait, but not enough to decide alone."""
    return replace(
        approved(), status=Status.REVIEWING, auto_face=FaceCode.FACE_UNCERTAIN, face_similarity=0.58,
        decision_reasons=[{"check": "face", "outcome": Status.REVIEWING,
                           "detail": "face result FACE_UNCERTAIN is not conclusive", "scores": {}}],
    )


def approved_by_reviewer() -> ExampleVerification:
    before = sent_to_review()
    codes = f"document {DocumentCode.DOC_VALIDATED}, face {FaceCode.FACE_MATCH}"
    return replace(
        before, status=Status.APPROVED, manual_document=DocumentCode.DOC_VALIDATED, manual_face=FaceCode.FACE_MATCH,
        review_time=T0 + dt.timedelta(minutes=23, seconds=10),
        decision_reasons=[*before.decision_reasons, {
            "check": "manual review", "outcome": Status.APPROVED,
            "detail": f"reviewer@example.com: Approve: Same person, photo taken in poor light ({codes})",
            "scores": {},
        }, {"check": "after review: review", "outcome": Status.APPROVED,
            "detail": f"approved by the reviewer ({codes})", "scores": {}}],
    )


def expired_unused() -> ExampleVerification:
    """A token nobody used: the expiry sets the status, the *_NOT_ANALYSED codes and the finish time."""
    return replace(
        approved(), scan_ref="b84e0d52-91c7-4f0e-8a3d-6c2f7e15a9d0", client_id="customer-48377",
        external_ref=None, status=Status.EXPIRED, platform=None, country=None, document_type=None,
        token_request=_stored_token_request({"clientId": "customer-48377"}),
        auto_document=DocumentCode.DOC_NOT_ANALYSED, auto_face=FaceCode.FACE_NOT_ANALYSED, face_similarity=None,
        document_data=None, decision_reasons=None, client_ip=None, duplicate_faces=None, duplicate_doc_faces=None,
        flow_started_at=None, start_time=None, finish_time=T0 + dt.timedelta(hours=1),
    )


# ------------------------------------------------------------------ webhooks

# file URLs are signed per attempt; these stand for the tokens the server signs.
EXAMPLE_FILE_URLS = {
    "FRONT": f"{BASE_URL}/files/MTI4MQ.Z8xWkg.3nJ2cF5oXyT1b4RrQeLmV0aPsHk",
    "FACE": f"{BASE_URL}/files/MTI4Mg.Z8xWkg.Qm7vK2dL9sWc0pN4yEhT6bJrUaA",
}


@dataclass(frozen=True)
class WebhookExample:
    event: str  # the Idenfy-Event-Type header
    title: str
    body: dict[str, Any]


def webhook_body(v: ExampleVerification, *, final: bool, file_urls: dict[str, str]) -> dict[str, Any]:
    """What the sender posts: the body the outbox stores (webhooks/outbox.py) as one delivery
    attempt sends it (webhooks/attempts.py)."""
    return attempt_payload(webhook_view(v, final=final, file_urls={}), file_urls)


def webhook_examples() -> list[WebhookExample]:
    auto, manual, expired = (WEBHOOK_EVENT_TYPES[e] for e in
                             (WebhookEvent.AUTOMATIC, WebhookEvent.MANUAL, WebhookEvent.EXPIRED))
    return [
        WebhookExample(auto, "approved automatically", webhook_body(
            approved(), final=True, file_urls=EXAMPLE_FILE_URLS)),
        WebhookExample(auto, "face uncertain, so a reviewer will look (final: false)", webhook_body(
            sent_to_review(), final=False, file_urls=EXAMPLE_FILE_URLS)),
        WebhookExample(manual, "the reviewer approved that same verification", webhook_body(
            approved_by_reviewer(), final=True, file_urls=EXAMPLE_FILE_URLS)),
        WebhookExample(expired, "a token nobody used expired", webhook_body(
            expired_unused(), final=True, file_urls={})),
        WebhookExample(WEBHOOK_EVENT_TYPES[WebhookEvent.AML_MONITORING],
                       "a list reload found the approved person on a PEP list", aml_monitoring_body()),
    ]


def verification_webhook_examples() -> list[WebhookExample]:
    """The examples of the verification-result body (not AML monitoring, a body of its own)."""
    monitoring = WEBHOOK_EVENT_TYPES[WebhookEvent.AML_MONITORING]
    return [w for w in webhook_examples() if w.event != monitoring]


def aml_monitoring_body() -> dict[str, Any]:
    """The approved person turns up in a reloaded (fictitious) PEP list: the monitoring alert."""
    entity = ListedEntity(source="national-peps", entity_id="NP-000482", schema=EntitySchema.PERSON,
                          name="Jana Nováková", birth_dates=(PartialDate(1988, 4, 12),), countries=("cz",),
                          topics=("role.pep",), list_date="2026-03-10")
    reason = MatchReason(query_name="JANA NOVAKOVA", matched_name="Jana Nováková", name_score=1.0,
                         dob=DobAgreement.EXACT, nationality=CountryAgreement.MATCH)
    found_at = (T0 + dt.timedelta(days=8)).strftime("%Y-%m-%d %H:%M:%S")
    hit = hit_dict(Hit(entity, 0.97, reason, source_list_date="2026-03-10"), found_at)
    screening = SimpleNamespace(
        person={"firstName": "JANA", "lastName": "NOVAKOVA", "nationality": "cz", "dateOfBirth": "1988-04-12"},
        hits=[hit], state=AmlState.SCREENED, screened_at=T0 + dt.timedelta(seconds=97),
        rescreened_at=T0 + dt.timedelta(days=8), error=None)
    return monitoring_body(replace(approved(), aml=screening), [hit])


# ------------------------------------------------------------------ requests and answers

def token_request_examples() -> dict[str, dict[str, Any]]:
    return {
        "minimal": {"summary": "Only the client id (every option at its default)",
                    "value": {"clientId": CLIENT_ID}},
        "typical": {"summary": "Known personal data to compare, countries and documents offered, URLs",
                    "value": dict(TOKEN_REQUEST)},
    }


def token_answer_example() -> dict[str, Any]:
    created = CreatedToken(AUTH_TOKEN, SCAN_REF, None, _stored_token_request())
    return token_answer(created, BASE_URL)


def process_request_examples() -> dict[str, dict[str, Any]]:
    return {
        "passport": {"summary": "A passport and a selfie (base64 shortened here)", "value": {
            "authToken": AUTH_TOKEN, "country": "CZ", "documentType": "PASSPORT",
            "images": {"FRONT": IMAGE_B64, "FACE": IMAGE_B64}}},
        "id-card": {"summary": "An ID card: both sides and a selfie", "value": {
            "authToken": AUTH_TOKEN, "country": "CZ", "documentType": "ID_CARD",
            "images": {"FRONT": IMAGE_B64, "BACK": IMAGE_B64, "FACE": IMAGE_B64}}},
    }


def scan_ref_request_examples(*, reasons: bool = False) -> dict[str, dict[str, Any]]:
    out = {"scanRef": {"summary": "The scanRef from the /token answer", "value": {"scanRef": SCAN_REF}}}
    if reasons:
        out["with-reasons"] = {"summary": "Also the decision's reasons and face similarity (openidv extension)",
                               "value": {"scanRef": SCAN_REF, "includeReasons": True}}
    return out


def status_examples() -> dict[str, dict[str, Any]]:
    return {
        "approved": {"summary": "Approved automatically", "value": status_view(approved())},
        "reviewing": {"summary": "Waiting for a reviewer", "value": status_view(sent_to_review())},
    }


def data_example() -> dict[str, Any]:
    return data_view(approved())


def full_status_examples() -> dict[str, dict[str, Any]]:
    return {
        "default": {"summary": "iDenfy's structure", "value": full_status_view(approved_by_reviewer())},
        "with-reasons": {"summary": "includeReasons: true adds the \"openidv\" object",
                         "value": full_status_view(approved_by_reviewer(), include_reasons=True)},
    }


def files_example() -> dict[str, str]:
    return dict(EXAMPLE_FILE_URLS)


# ------------------------------------------------------------------ errors

# The error answers /docs shows, by HTTP status: each is the body of the error class the
# service raises in that case (tests/api/test_openapi_docs.py provokes every one of them).
_UNKNOWN_SCAN_REF = "0b9d7c3e-0000-4000-8000-000000000000"
ERRORS: dict[str, ApiError] = {
    "json": JsonError("Request body is not valid JSON"),
    "missing-client-id": MissingValue("Missing value for field 'clientId'"),
    "bad-date": BadValue("Bad value for field 'dateOfBirth': must be a date in YYYY-MM-DD format"),
    "missing-image": MissingValue("No image provided for step 'FACE'"),
    "not-base64": EncodingError("Image for step 'FRONT' is not valid base64", step="FRONT"),
    "token-used": TokenNotValid("Token has already been used"),
    "missing-scan-ref": MissingValue("Missing value for field 'scanRef'"),
    "unauthorized": Unauthorized(),
    "not-found": NotFound(f"Verification '{_UNKNOWN_SCAN_REF}' was not found"),
    "delete-active": PartnerError("Verification is still active and cannot be deleted yet"),
    "body-too-large": RequestTooLarge("Request body is over the 20 MB limit"),
    # A partner whose limit is set to 100 (openidv partner policy KEY --rate-limit 100).
    "rate-limit": TooManyRequests("Rate limit of 100 requests per hour exceeded"),
    "no-document": PhotoNotAccepted(DocumentCode.DOC_NOT_FOUND, "No document was found on the FRONT image",
                                    step="FRONT"),
    "no-face": PhotoNotAccepted(FaceCode.NO_FACE_FOUND, "No face was found on the FACE image", step="FACE"),
    "file-url-invalid": Forbidden("This file URL is invalid or has expired"),
    "file-deleted": NotFound("This file has been deleted"),
    "metrics-token": Unauthorized("Invalid or missing metrics token", scheme='Bearer realm="metrics"'),
    "metrics-disabled": Forbidden("Metrics are disabled: set OPENIDV_METRICS_TOKEN"),
}
# Which of them each endpoint can answer, by status.
TOKEN_ERRORS = {400: ("json", "missing-client-id", "bad-date"), 401: ("unauthorized",),
                413: ("body-too-large",), 429: ("rate-limit",)}
PROCESS_ERRORS = {200: ("no-document", "no-face"), 400: ("token-used", "missing-image", "not-base64"),
                  401: ("unauthorized",), 413: ("body-too-large",), 429: ("rate-limit",)}
RETRIEVAL_ERRORS = {400: ("missing-scan-ref",), 401: ("unauthorized",), 404: ("not-found",),
                    413: ("body-too-large",), 429: ("rate-limit",)}
DELETE_ERRORS = {**RETRIEVAL_ERRORS, 409: ("delete-active",)}
FILE_ERRORS = {403: ("file-url-invalid",), 404: ("file-deleted",)}
METRICS_ERRORS = {401: ("metrics-token",), 403: ("metrics-disabled",)}


def error_examples(names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {name: {"summary": f"{ERRORS[name].identifier}: {ERRORS[name].message}", "value": error_body(ERRORS[name])}
            for name in names}
