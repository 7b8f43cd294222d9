"""iDenfy's response and webhook bodies, built from one verification's record.

Pure functions shared by the API, the webhook sender and `openidv verify`, so the same
verification reads the same everywhere. ``VerificationRecord`` names the attributes they
read; the database row has them, and so does the record `openidv verify` builds in memory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Protocol

from openidv.core.token import TokenOptions

# full-status keys of client_identity_document, in iDenfy's order.
DOC_KEYS = (
    "doc_name", "doc_surname", "doc_date_of_birth", "doc_expiry_date", "doc_personal_code",
    "doc_document_number", "doc_sex", "doc_nationality", "doc_date_of_issue",
    "doc_license_categories", "doc_document_type", "doc_country",
)
MRZ_KEYS = (
    "mrz_name", "mrz_surname", "mrz_date_of_birth", "mrz_expiry_date", "mrz_personal_code",
    "mrz_document_number", "mrz_sex", "mrz_nationality", "mrz_country", "mrz_document_type",
    "mrz_document_subtype", "mrz_optional_data", "mrz_string", "mrz_date_of_issue",
)
MANUAL_KEYS = (
    "manual_name", "manual_surname", "manual_date_of_birth", "manual_expiry_date",
    "manual_personal_code", "manual_document_number", "manual_sex", "manual_nationality",
    "manual_document_type", "manual_date_of_issue", "manual_country",
)

FileUrls = dict[str, str]


class VerificationRecord(Protocol):
    """What the wire shapes read from a verification."""

    scan_ref: str
    client_id: str
    external_ref: Optional[str]
    status: str
    platform: Optional[str]
    country: Optional[str]
    document_type: Optional[str]
    attempt_count: int
    token_request: Optional[dict[str, Any]]
    auto_document: Optional[str]
    auto_face: Optional[str]
    manual_document: Optional[str]
    manual_face: Optional[str]
    fraud_tags: Optional[list[Any]]
    mismatch_tags: Optional[list[Any]]
    suspicion_reasons: Optional[list[Any]]
    face_similarity: Optional[float]
    document_data: Optional[dict[str, Any]]
    manual_data: Optional[dict[str, Any]]
    decision_reasons: Optional[list[Any]]
    additional_steps: Optional[dict[str, Any]]
    start_time: Optional[dt.datetime]
    finish_time: Optional[dt.datetime]
    review_time: Optional[dt.datetime]


def format_time(value: Optional[dt.datetime]) -> Optional[str]:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def epoch(value: Optional[dt.datetime]) -> Optional[int]:
    return int(value.replace(tzinfo=dt.timezone.utc).timestamp()) if value else None


def status_view(v: VerificationRecord) -> dict[str, Any]:
    return {
        "status": v.status,
        "autoDocument": v.auto_document,
        "autoFace": v.auto_face,
        "manualDocument": v.manual_document,
        "manualFace": v.manual_face,
        "fraudTags": list(v.fraud_tags or []),
        "mismatchTags": list(v.mismatch_tags or []),
        "suspicionReasons": list(v.suspicion_reasons or []),
        "additionalSteps": v.additional_steps,
        "scanRef": v.scan_ref,
        "clientId": v.client_id,
    }


def _doc_value(v: VerificationRecord, doc_key: str, mrz_key: str) -> Optional[str]:
    """A reviewer's correction wins over what was printed, which wins over the MRZ."""
    manual_key = "manual_" + doc_key.removeprefix("doc_")
    data = v.document_data or {}
    for value in ((v.manual_data or {}).get(manual_key), data.get(doc_key), data.get(mrz_key)):
        if value not in (None, ""):
            return value
    return None


def data_view(v: VerificationRecord) -> dict[str, Any]:
    data = v.document_data or {}
    return {
        "docFirstName": _doc_value(v, "doc_name", "mrz_name"),
        "docLastName": _doc_value(v, "doc_surname", "mrz_surname"),
        "docNumber": _doc_value(v, "doc_document_number", "mrz_document_number"),
        "docPersonalCode": _doc_value(v, "doc_personal_code", "mrz_personal_code"),
        "docExpiry": _doc_value(v, "doc_expiry_date", "mrz_expiry_date"),
        "docDob": _doc_value(v, "doc_date_of_birth", "mrz_date_of_birth"),
        "docDateOfIssue": _doc_value(v, "doc_date_of_issue", "mrz_date_of_issue"),
        "docType": _doc_value(v, "doc_document_type", "mrz_document_type"),
        "docSex": _doc_value(v, "doc_sex", "mrz_sex"),
        "docNationality": _doc_value(v, "doc_nationality", "mrz_nationality"),
        "docIssuingCountry": _doc_value(v, "doc_country", "mrz_country"),
        "mrzString": data.get("mrz_string") or None,
    }


def full_status_view(v: VerificationRecord, *, include_reasons: bool = False) -> dict[str, Any]:
    """Exactly the structure of iDenfy's full-status (snake_case keys); with
    ``include_reasons``, one more key, "openidv", with the decision's reasons and scores (an
    opt-in extension, so that the default answer stays key-for-key iDenfy's)."""
    token = TokenOptions.from_stored(v.token_request)
    data = v.document_data or {}
    manual = v.manual_data or {}
    client = {
        "name": token.first_name,
        "surname": token.last_name,
        "date_of_birth": token.date_of_birth,
        "personal_id_number": token.personal_number,
        "document_number": token.document_number,
        "document_type": v.document_type,
        "expiry_date": token.date_of_expiry,
        "nationality": token.nationality,
        "date_of_issue": token.date_of_issue,
        "sex": token.sex,
        "country": v.country or token.country,
        "default_country": token.country,
        "utility_address": token.address,
    }
    document: dict[str, Any] = {}
    for key in DOC_KEYS + MRZ_KEYS:
        document[key] = data.get(key)
    for key in MANUAL_KEYS:
        document[key] = manual.get(key)
    document["document_type"] = v.document_type
    document["manual_utility_address"] = manual.get("manual_utility_address")
    document["manual_utility_address_match"] = manual.get("manual_utility_address_match")
    return {
        "face_match_result": v.auto_face,
        "document_validity": v.auto_document,
        "manual_face_match_result": v.manual_face,
        "manual_document_validity": v.manual_document,
        "client": client,
        "client_identity_document": document,
        "attempt_count": v.attempt_count,
        "suspection_reasons": list(v.suspicion_reasons or []),
        "start_time": format_time(v.start_time),
        "finish_time": format_time(v.finish_time),
        "review_time": format_time(v.review_time),
    } | ({"openidv": reasons_view(v)} if include_reasons else {})


def reasons_view(v: VerificationRecord) -> dict[str, Any]:
    return {
        "decision_reasons": list(v.decision_reasons or []),
        "face_similarity": v.face_similarity,
        "fraud_tags": list(v.fraud_tags or []),
        "mismatch_tags": list(v.mismatch_tags or []),
        "additional_steps": v.additional_steps,
    }


def webhook_view(v: VerificationRecord, *, final: bool, file_urls: FileUrls) -> dict[str, Any]:
    """The callback body: the result as of the event it reports."""
    status = status_view(v)
    return {
        "final": final,
        "platform": v.platform or "API",
        "status": {
            "overall": v.status,
            "suspicionReasons": status["suspicionReasons"],
            "fraudTags": status["fraudTags"],
            "mismatchTags": status["mismatchTags"],
            "autoFace": v.auto_face,
            "manualFace": v.manual_face,
            "autoDocument": v.auto_document,
            "manualDocument": v.manual_document,
            "additionalSteps": v.additional_steps,
        },
        "data": data_view(v),
        "fileUrls": file_urls,
        "additionalStepPdfUrls": {},
        "scanRef": v.scan_ref,
        "externalRef": v.external_ref,
        "clientId": v.client_id,
        "startTime": epoch(v.start_time),
        "finishTime": epoch(v.finish_time),
    }

