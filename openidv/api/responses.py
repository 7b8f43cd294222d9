"""The partner API's answer models, as /docs shows them: every field described, and the
codes a field can hold listed as its allowed values.

The routes build their bodies with core/wire.py; these models only describe them (a test
checks every example body against them, and schemathesis checks live answers).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from openidv.api.validation import DocumentedType
from openidv.core.vocab import (
    DOCUMENT_CODES, FACE_CODES, STATUSES, FraudTag, MismatchTag, Platform, SuspicionReason,
)
from openidv.core.wire import ABSENT_SERVICES, DOC_KEYS, MANUAL_KEYS, MRZ_KEYS

OverallStatus = Literal[STATUSES]  # type: ignore[valid-type]
DocumentResult = Literal[DOCUMENT_CODES]  # type: ignore[valid-type]
FaceResult = Literal[FACE_CODES]  # type: ignore[valid-type]
FraudTagName = Literal[tuple(FraudTag)]  # type: ignore[valid-type]
MismatchTagName = Literal[tuple(MismatchTag)]  # type: ignore[valid-type]
SuspicionReasonName = Literal[tuple(SuspicionReason)]  # type: ignore[valid-type]
PlatformName = Literal[tuple(Platform)]  # type: ignore[valid-type]
StepResult = Literal["Additional step is valid", "Additional step is invalid", "Additional step was not found"]
Sex = Literal["MALE", "FEMALE", "UNDEFINED"]

_AUTO_DOC = ("Automatic document result; null while ACTIVE. DOC_VALIDATED passes; the other codes say "
             "what failed (docs/migrating-from-idenfy.md).")
_AUTO_FACE = ("Automatic face result; null while ACTIVE. FACE_MATCH passes; FACE_NOT_ANALYSED for "
              "DOCUMENT tokens and expired ones.")
_STEPS = "Additional UPLOAD step -> whether the upload showed a document; null when the token has none."


class StatusResponse(BaseModel):
    """/status: the overall status and the results behind it."""

    status: OverallStatus = Field(description="ACTIVE until the result is known (token unused or images being "
                                              "analysed); APPROVED, DENIED and SUSPECTED are final; REVIEWING "
                                              "waits for a reviewer; EXPIRED: token never used; DELETED: erased.")
    autoDocument: Optional[DocumentResult] = Field(description=_AUTO_DOC)
    autoFace: Optional[FaceResult] = Field(description=_AUTO_FACE)
    manualDocument: Optional[DocumentResult] = Field(description="A reviewer's document result; null until reviewed.")
    manualFace: Optional[FaceResult] = Field(description="A reviewer's face result; null until reviewed.")
    fraudTags: list[FraudTagName] = Field(description="What checks across verifications found (the same face or "
                                                      "document under another clientId, a blocklisted document).")
    mismatchTags: list[MismatchTagName] = Field(description="Data given at token creation that differs from the "
                                                            "document, and age bounds not met.")
    suspicionReasons: list[SuspicionReasonName] = Field(description="Why a result is suspected.")
    additionalSteps: Optional[dict[str, StepResult]] = Field(None, description=_STEPS)
    scanRef: str = Field(description="The verification's id.")
    clientId: str = Field(description="Your identifier of the person, from the token.")


_READ = "as read from the document (a reviewer's correction wins over the printed text, which wins over the MRZ)"


class DataResponse(BaseModel):
    """/data, and the webhook's ``data``: every key iDenfy documents, null where unknown or
    where openidv does not read it (original-script names, age estimates, IP proxy risk)."""

    docFirstName: Optional[str] = Field(description=f"Given names {_READ}.")
    docLastName: Optional[str] = Field(description=f"Surname {_READ}.")
    docNumber: Optional[str] = Field(description=f"Document number {_READ}.")
    docPersonalCode: Optional[str] = Field(description=f"Personal code {_READ}.")
    docExpiry: Optional[str] = Field(description="Expiry date, YYYY-MM-DD.")
    docDob: Optional[str] = Field(description="Date of birth, YYYY-MM-DD.")
    docDateOfIssue: Optional[str] = Field(description="Date of issue, YYYY-MM-DD (MRZs do not carry it).")
    docType: Optional[DocumentedType] = Field(description="Document type read, else the one the person chose.")
    docSex: Optional[Sex] = Field(description="Sex on the document.")
    docNationality: Optional[str] = Field(description="Nationality, ISO 3166-1 alpha-2.")
    docIssuingCountry: Optional[str] = Field(description="Issuing country, ISO 3166-1 alpha-2.")
    birthPlace: Optional[str] = Field(description="Place of birth, when read.")
    authority: Optional[str] = Field(description="Issuing authority, when read.")
    address: Optional[str] = Field(description="Address on the document, when read.")
    docTemporaryAddress: Optional[None] = Field(description="Not read by openidv: always null.")
    mothersMaidenName: Optional[None] = Field(description="Not read by openidv: always null.")
    docBirthName: Optional[None] = Field(description="Not read by openidv: always null.")
    docPatronymic: Optional[None] = Field(description="Not read by openidv: always null.")
    driverLicenseCategory: Optional[str] = Field(description="Driving licence categories, comma-separated "
                                                             "(from the barcode of North American licences).")
    manuallyDataChanged: Optional[bool] = Field(description="True when a reviewer corrected a value read from "
                                                            "the document.")
    fullName: Optional[str] = Field(description="docFirstName and docLastName joined.")
    selectedCountry: Optional[str] = Field(description="The issuing country given with the images (ISO alpha-2).")
    orgFirstName: Optional[None] = Field(description="Original-script names are not read: always null.")
    orgLastName: Optional[None] = Field(description="Always null.")
    orgNationality: Optional[None] = Field(description="Always null.")
    orgBirthPlace: Optional[None] = Field(description="Always null.")
    orgAuthority: Optional[None] = Field(description="Always null.")
    orgAddress: Optional[None] = Field(description="Always null.")
    orgTemporaryAddress: Optional[None] = Field(description="Always null.")
    orgMothersMaidenName: Optional[None] = Field(description="Always null.")
    orgPatronymic: Optional[None] = Field(description="Always null.")
    orgBirthName: Optional[None] = Field(description="Always null.")
    ageEstimate: Optional[None] = Field(description="Age is not estimated: always null.")
    clientIpProxyRiskLevel: Optional[None] = Field(description="IP proxies are not checked: always null.")
    duplicateFaces: Optional[list[str]] = Field(description="scanRefs of other clientIds' verifications with the "
                                                            "same selfie face.")
    duplicateDocFaces: Optional[list[str]] = Field(description="scanRefs of other clientIds' verifications with the "
                                                               "same document portrait.")
    additionalData: Optional[None] = Field(description="COMPARE steps are not offered: always null.")
    mrzString: Optional[str] = Field(description="openidv addition: the MRZ as read, its lines joined.")


_FIELD_LABELS = {
    "name": "given names", "surname": "surname", "date_of_birth": "date of birth (YYYY-MM-DD)",
    "expiry_date": "expiry date (YYYY-MM-DD)", "personal_code": "personal code",
    "document_number": "document number", "sex": "sex (MALE, FEMALE, UNDEFINED)",
    "nationality": "nationality (ISO alpha-2)", "date_of_issue": "date of issue (YYYY-MM-DD)",
    "license_categories": "driving licence categories", "document_type": "document type",
    "country": "issuing country (ISO alpha-2)", "document_subtype": "document subtype (the MRZ code's 2nd letter)",
    "optional_data": "optional data field", "string": "whole zone, lines joined",
}


def _document_field(key: str) -> tuple[Any, Any]:
    prefix, _, rest = key.partition("_")
    where = {"doc": "printed on the document (the MRZ's value where the print was not read)",
             "mrz": "read from the machine-readable zone", "manual": "as corrected by a reviewer (null: unchanged)"}
    return Optional[str], Field(None, description=f"The {_FIELD_LABELS[rest]} {where[prefix]}.")


FullStatusDocument = create_model(
    "FullStatusDocument",
    __config__=ConfigDict(title="FullStatusDocument"),
    __doc__="client_identity_document: what was read, per source.",
    **{key: _document_field(key) for key in DOC_KEYS + MRZ_KEYS + MANUAL_KEYS},
    document_type=(Optional[DocumentedType], Field(None, description="The document type of the verification.")),
    manual_utility_address=(Optional[str], Field(None, description="The address a reviewer read from the "
                                                                    "utility bill.")),
    manual_utility_address_match=(Optional[bool], Field(None, description="Whether a reviewer found it matches "
                                                                           "the token's address.")),
)


class FullStatusClient(BaseModel):
    """client: what the partner gave at token creation."""

    name: Optional[str] = Field(description="firstName of the token.")
    surname: Optional[str] = Field(description="lastName of the token.")
    date_of_birth: Optional[str] = Field(description="dateOfBirth of the token.")
    personal_id_number: Optional[str] = Field(description="personalNumber of the token.")
    document_number: Optional[str] = Field(description="documentNumber of the token.")
    document_type: Optional[DocumentedType] = Field(description="The document type used.")
    expiry_date: Optional[str] = Field(description="dateOfExpiry of the token.")
    nationality: Optional[str] = Field(description="nationality of the token.")
    date_of_issue: Optional[str] = Field(description="dateOfIssue of the token.")
    sex: Optional[str] = Field(description="sex of the token.")
    country: Optional[str] = Field(description="The issuing country used (else the token's).")
    default_country: Optional[str] = Field(description="country of the token.")
    utility_address: Optional[str] = Field(description="address of the token.")


class DecisionReason(BaseModel):
    check: str = Field(description="Which check: document, face, cross-checks, policy, manual review...")
    outcome: str = Field(description="The status this check leads to.")
    detail: str = Field(description="Plain-language explanation.")
    scores: dict[str, float] = Field(description="The numbers behind it, when there are any.")
    matches: Optional[list[dict[str, Any]]] = Field(None, description="Other verifications a duplicate check "
                                                                      "matched.")


class Explanation(BaseModel):
    """openidv: only with includeReasons: true."""

    decision_reasons: list[DecisionReason] = Field(description="Why the status is what it is, in order.")
    face_similarity: Optional[float] = Field(description="Selfie-to-portrait similarity, 0-1; null without a "
                                                         "comparison.")
    fraud_tags: list[FraudTagName] = Field(description="As fraudTags of /status.")
    mismatch_tags: list[MismatchTagName] = Field(description="As mismatchTags of /status.")
    additional_steps: Optional[dict[str, StepResult]] = Field(description=_STEPS)


class FullStatusResponse(BaseModel):
    """/full-status: exactly the structure of iDenfy's full-status (snake_case keys)."""

    face_match_result: Optional[FaceResult] = Field(description=_AUTO_FACE)
    document_validity: Optional[DocumentResult] = Field(description=_AUTO_DOC)
    manual_face_match_result: Optional[FaceResult] = Field(description="A reviewer's face result.")
    manual_document_validity: Optional[DocumentResult] = Field(description="A reviewer's document result.")
    client: FullStatusClient
    client_identity_document: FullStatusDocument  # type: ignore[valid-type]
    attempt_count: int = Field(description="Verifications of this clientId so far, this one included.")
    suspection_reasons: list[SuspicionReasonName] = Field(description="iDenfy's spelling: as suspicionReasons.")
    start_time: Optional[str] = Field(description="When the images were handed in, UTC, YYYY-MM-DD HH:MM:SS.")
    finish_time: Optional[str] = Field(description="When the automatic result was made (or the token expired), "
                                                   "UTC.")
    review_time: Optional[str] = Field(description="When a reviewer decided, UTC; null without a review.")
    openidv: Optional[Explanation] = Field(None, description="openidv extension, only with includeReasons: true.")


FILES_DESCRIPTION = ("Image step -> URL serving that image for 1 hour (a changed or expired URL gets 403, a "
                     "deleted image 404). Ask again for fresh URLs.")


class WebhookStatus(BaseModel):
    overall: OverallStatus = Field(description="As status of /status.")
    suspicionReasons: list[SuspicionReasonName] = Field(description="As in /status.")
    fraudTags: list[FraudTagName] = Field(description="As in /status.")
    mismatchTags: list[MismatchTagName] = Field(description="As in /status.")
    autoFace: Optional[FaceResult] = Field(description=_AUTO_FACE)
    manualFace: Optional[FaceResult] = Field(description="A reviewer's face result; null until reviewed.")
    autoDocument: Optional[DocumentResult] = Field(description=_AUTO_DOC)
    manualDocument: Optional[DocumentResult] = Field(description="A reviewer's document result; null until reviewed.")
    additionalSteps: Optional[dict[str, StepResult]] = Field(description=_STEPS)


WebhookBody = create_model(
    "WebhookBody",
    __doc__="The body of every webhook (Idenfy-Event-Type says which event it reports).",
    final=(bool, Field(description="True when this is the verification's last word; false when a reviewer "
                                   "will look and another webhook follows.")),
    platform=(PlatformName, Field(description="PC, MOBILE or TABLET for the hosted flow; OTHER for /process.")),
    status=(WebhookStatus, Field(description="The results as of this event.")),
    data=(DataResponse, Field(description="As the /data answer.")),
    fileUrls=(dict[str, str], Field(description=FILES_DESCRIPTION + " {} after the images were deleted.")),
    additionalStepPdfUrls=(dict[str, str], Field(description="Always {} (no PDF steps).")),
    additionalSteps=(Optional[dict[str, Literal["UPLOAD"]]], Field(description="The token's additional steps for "
                                                                               "this document; null when none.")),
    scanRef=(str, Field(description="The verification's id.")),
    externalRef=(Optional[str], Field(description="externalRef of the token.")),
    clientId=(str, Field(description="clientId of the token.")),
    startTime=(int, Field(description="When the person started (images handed in, else the flow opened, "
                                      "else the session was created), Unix seconds.")),
    finishTime=(Optional[int], Field(description="When the automatic result was made, or the token expired, "
                                                 "Unix seconds.")),
    clientIp=(Optional[str], Field(description="The address that handed the images in.")),
    manualAddress=(Optional[str], Field(description="The address a reviewer read from the utility bill.")),
    manualAddressMatch=(Optional[bool], Field(description="Whether it matches the token's address.")),
    **{key: (Optional[None], Field(description="An iDenfy service openidv does not have: always null."))
       for key in ABSENT_SERVICES},
)
