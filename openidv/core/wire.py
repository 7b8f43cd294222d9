"""iDenfy's response and webhook bodies, built from one verification's record.

Pure functions shared by the API, the webhook sender and `openidv verify`, so the same
verification reads the same everywhere. ``VerificationRecord`` names the attributes they
read; the database row has them, and so does the record `openidv verify` builds in memory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional, Protocol

from openidv.core.aml_block import aml_block
from openidv.core.steps import additional_step_names
from openidv.core.token import TokenOptions
from openidv.core.vocab import DocumentCode, FaceCode, Platform, Status

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
    client_ip: Optional[str]
    duplicate_faces: Optional[list[Any]]
    duplicate_doc_faces: Optional[list[Any]]
    created_at: Optional[dt.datetime]
    flow_started_at: Optional[dt.datetime]
    start_time: Optional[dt.datetime]
    finish_time: Optional[dt.datetime]
    review_time: Optional[dt.datetime]


def format_time(value: Optional[dt.datetime]) -> Optional[str]:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def epoch(value: Optional[dt.datetime]) -> Optional[int]:
    return int(value.replace(tzinfo=dt.timezone.utc).timestamp()) if value else None


def wire_platform(platform: Optional[str]) -> str:
    """iDenfy's documented platform values only: images handed in by direct processing (and
    rows stored before openidv said so, as "API") are OTHER."""
    return platform if platform in tuple(Platform) else Platform.OTHER


def auto_document(v: VerificationRecord) -> Optional[str]:
    """The automatic document result; an expired token's nothing-analysed code, also for rows
    expired before openidv stored one."""
    if v.auto_document is None and v.status == Status.EXPIRED:
        return DocumentCode.DOC_NOT_ANALYSED
    return v.auto_document


def auto_face(v: VerificationRecord) -> Optional[str]:
    if v.auto_face is None and v.status == Status.EXPIRED:
        return FaceCode.FACE_NOT_ANALYSED
    return v.auto_face


def started_at(v: VerificationRecord) -> Optional[dt.datetime]:
    """When the person started: images handed in, else the hosted flow opened, else (a token
    that expired unused) when the session was created: iDenfy's startTime is never null."""
    return v.start_time or getattr(v, "flow_started_at", None) or getattr(v, "created_at", None) or v.finish_time


def status_view(v: VerificationRecord) -> dict[str, Any]:
    return {
        "status": v.status,
        "autoDocument": auto_document(v),
        "autoFace": auto_face(v),
        "manualDocument": v.manual_document,
        "manualFace": v.manual_face,
        "fraudTags": list(v.fraud_tags or []),
        "mismatchTags": list(v.mismatch_tags or []),
        "suspicionReasons": list(v.suspicion_reasons or []),
        "additionalSteps": v.additional_steps,
        "scanRef": v.scan_ref,
        "clientId": v.client_id,
        # openidv addition: the webhook's AML block (null when no screening was asked for).
        "AML": aml_block(v),
    }


def _doc_value(v: VerificationRecord, doc_key: str, mrz_key: str) -> Optional[str]:
    """A reviewer's correction wins over what was printed, which wins over the MRZ."""
    manual_key = "manual_" + doc_key.removeprefix("doc_")
    data = v.document_data or {}
    for value in ((v.manual_data or {}).get(manual_key), data.get(doc_key), data.get(mrz_key)):
        if value not in (None, ""):
            return value
    return None


_SEX_WORDS = {"M": "MALE", "F": "FEMALE", "MALE": "MALE", "FEMALE": "FEMALE", "UNDEFINED": "UNDEFINED",
              "X": "UNDEFINED"}
# manual_* key -> the doc_* and mrz_* keys it corrects.
_CORRECTED = {key: ("doc_" + key.removeprefix("manual_"), "mrz_" + key.removeprefix("manual_"))
              for key in MANUAL_KEYS}


def _same_value(a: Any, b: Any) -> bool:
    norm = lambda x: _SEX_WORDS.get(str(x).strip().upper(), " ".join(str(x).upper().split()))  # noqa: E731
    return norm(a) == norm(b)


def manually_data_changed(v: VerificationRecord) -> bool:
    """True when a reviewer corrected any value read from the document (iDenfy: false in
    an automatic result)."""
    data = v.document_data or {}
    for key, value in (v.manual_data or {}).items():
        if key not in _CORRECTED or value in (None, ""):
            continue
        doc_key, mrz_key = _CORRECTED[key]
        read = data.get(doc_key) or data.get(mrz_key)
        if read in (None, "") or not _same_value(value, read):
            return True
    return False


def data_view(v: VerificationRecord) -> dict[str, Any]:
    """/data and the webhook's ``data``: every key iDenfy documents, null where openidv has no
    value (it reads no original-script names, estimates no age, checks no IP proxies)."""
    data = v.document_data or {}
    first = _doc_value(v, "doc_name", "mrz_name")
    last = _doc_value(v, "doc_surname", "mrz_surname")
    sex = _doc_value(v, "doc_sex", "mrz_sex")
    return {
        "docFirstName": first,
        "docLastName": last,
        "docNumber": _doc_value(v, "doc_document_number", "mrz_document_number"),
        "docPersonalCode": _doc_value(v, "doc_personal_code", "mrz_personal_code"),
        "docExpiry": _doc_value(v, "doc_expiry_date", "mrz_expiry_date"),
        "docDob": _doc_value(v, "doc_date_of_birth", "mrz_date_of_birth"),
        "docDateOfIssue": _doc_value(v, "doc_date_of_issue", "mrz_date_of_issue"),
        # The type read, else the one the person chose (a type openidv could not read).
        "docType": _doc_value(v, "doc_document_type", "mrz_document_type") or v.document_type,
        "docSex": _SEX_WORDS.get(str(sex).upper()) if sex else None,
        "docNationality": _doc_value(v, "doc_nationality", "mrz_nationality"),
        "docIssuingCountry": _doc_value(v, "doc_country", "mrz_country"),
        "birthPlace": data.get("doc_birth_place") or None,
        "authority": data.get("doc_authority") or None,
        "address": data.get("doc_address") or None,
        "docTemporaryAddress": None,
        "mothersMaidenName": None,
        "docBirthName": None,
        "docPatronymic": None,
        "driverLicenseCategory": data.get("doc_license_categories") or None,
        "manuallyDataChanged": manually_data_changed(v),
        "fullName": " ".join(part for part in (first, last) if part) or None,
        "selectedCountry": v.country,
        "orgFirstName": None,
        "orgLastName": None,
        "orgNationality": None,
        "orgBirthPlace": None,
        "orgAuthority": None,
        "orgAddress": None,
        "orgTemporaryAddress": None,
        "orgMothersMaidenName": None,
        "orgPatronymic": None,
        "orgBirthName": None,
        "ageEstimate": None,
        "clientIpProxyRiskLevel": None,
        "duplicateFaces": _scan_refs(getattr(v, "duplicate_faces", None)),
        "duplicateDocFaces": _scan_refs(getattr(v, "duplicate_doc_faces", None)),
        "additionalData": None,
        # openidv's own addition (the MRZ as read); iDenfy's full-status has it as mrz_string.
        "mrzString": data.get("mrz_string") or None,
    }


def _scan_refs(value: Optional[list[Any]]) -> Optional[list[str]]:
    return None if value is None else [str(ref) for ref in value]


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
        "face_match_result": auto_face(v),
        "document_validity": auto_document(v),
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


# Top-level webhook keys iDenfy documents for services openidv does not have: always null.
ABSENT_SERVICES = (
    "amlCheck", "LID", "CRIMINAL_CHECK", "companyId", "beneficiaryId", "clientIpCountry",
    "clientLocation", "gdcMatch", "registryCenterCheck", "addressVerification", "questionnaireAnswers",
    "riskAssessment", "bankVerification", "emailVerification", "phoneVerification", "driverLicenseCheck",
    "bankCardVerification",
)


def webhook_view(v: VerificationRecord, *, final: bool, file_urls: FileUrls) -> dict[str, Any]:
    """The callback body: the result as of the event it reports, with every key iDenfy
    documents for it (null where openidv has no value)."""
    status = status_view(v)
    manual = v.manual_data or {}
    token = TokenOptions.from_stored(v.token_request)
    steps = additional_step_names(token.additional_steps, v.country, v.document_type)
    body: dict[str, Any] = {
        "final": final,
        "platform": wire_platform(v.platform),
        "status": {
            "overall": v.status,
            "suspicionReasons": status["suspicionReasons"],
            "fraudTags": status["fraudTags"],
            "mismatchTags": status["mismatchTags"],
            "autoFace": status["autoFace"],
            "manualFace": v.manual_face,
            "autoDocument": status["autoDocument"],
            "manualDocument": v.manual_document,
            "additionalSteps": v.additional_steps,
        },
        "data": data_view(v),
        "fileUrls": file_urls,
        "additionalStepPdfUrls": {},
        "additionalSteps": {step: "UPLOAD" for step in steps} or None,
        "scanRef": v.scan_ref,
        "externalRef": v.external_ref,
        "clientId": v.client_id,
        "startTime": epoch(started_at(v)),
        "finishTime": epoch(v.finish_time),
        # The address that handed the images in, as openidv saw it. Its country would need an
        # IP-location database, which openidv does not ship: clientIpCountry stays null.
        "clientIp": getattr(v, "client_ip", None),
        "manualAddress": manual.get("manual_utility_address") or None,
        "manualAddressMatch": manual.get("manual_utility_address_match"),
        "AML": status["AML"],
    }
    return body | dict.fromkeys(ABSENT_SERVICES)


def upgrade_stored_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A webhook body stored by an older openidv, brought to today's shape before it is sent:
    platform "API" becomes OTHER, an expiry gets its *_NOT_ANALYSED codes and a start time,
    and keys added since are null."""
    if not payload:
        return {}
    body = dict(payload)
    body["platform"] = wire_platform(body.get("platform"))
    status = dict(body.get("status") or {})
    if status.get("overall") == Status.EXPIRED:
        status["autoFace"] = status.get("autoFace") or FaceCode.FACE_NOT_ANALYSED
        status["autoDocument"] = status.get("autoDocument") or DocumentCode.DOC_NOT_ANALYSED
        body["startTime"] = body.get("startTime") or body.get("finishTime")
    body["status"] = status
    data = dict(body.get("data") or {})
    for key in DATA_KEYS:
        data.setdefault(key, False if key == "manuallyDataChanged" else None)
    body["data"] = data
    for key in WEBHOOK_KEYS:
        body.setdefault(key, None)
    return body


def attempt_payload(stored: dict[str, Any], file_urls: Optional[FileUrls]) -> dict[str, Any]:
    """The body of one delivery attempt: the outbox's stored body in today's shape, with file
    URLs signed for this attempt (None: the images are gone, and fileUrls stays as stored)."""
    body = upgrade_stored_payload(stored)
    if file_urls is not None:
        body["fileUrls"] = file_urls
    return body


# Every key of /data and of the webhook body, in the order they are sent.
DATA_KEYS = (
    "docFirstName", "docLastName", "docNumber", "docPersonalCode", "docExpiry", "docDob", "docDateOfIssue",
    "docType", "docSex", "docNationality", "docIssuingCountry", "birthPlace", "authority", "address",
    "docTemporaryAddress", "mothersMaidenName", "docBirthName", "docPatronymic", "driverLicenseCategory",
    "manuallyDataChanged", "fullName", "selectedCountry", "orgFirstName", "orgLastName", "orgNationality",
    "orgBirthPlace", "orgAuthority", "orgAddress", "orgTemporaryAddress", "orgMothersMaidenName",
    "orgPatronymic", "orgBirthName", "ageEstimate", "clientIpProxyRiskLevel", "duplicateFaces",
    "duplicateDocFaces", "additionalData", "mrzString",
)
WEBHOOK_KEYS = (
    "final", "platform", "status", "data", "fileUrls", "additionalStepPdfUrls", "additionalSteps", "scanRef",
    "externalRef", "clientId", "startTime", "finishTime", "clientIp", "manualAddress", "manualAddressMatch",
    "AML", *ABSENT_SERVICES,
)
