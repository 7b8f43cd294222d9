"""Every code openidv reads or writes on the wire, as string enums (one definition each).

The values are iDenfy's documented constants; a member compares equal to its string, so
rows and JSON bodies hold plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    ID_CARD = "ID_CARD"
    PASSPORT = "PASSPORT"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    OTHER = "OTHER"


DOCUMENT_TYPES: tuple[str, ...] = tuple(DocumentType)
# Every document type iDenfy documents for a token's `documents` (and for `docType`). A
# partner may offer any of them; openidv analyses the five above, and the few below that are
# the same physical kind of document (ANALYSED_AS). Any other gets DOC_NOT_SUPPORTED.
DOCUMENTED_DOCUMENT_TYPES: tuple[str, ...] = (
    *DOCUMENT_TYPES,
    "PAN_CARD", "AADHAAR", "VISA", "NATIONAL_PASSPORT", "INTERNATIONAL_PASSPORT",
    "PROVISIONAL_DRIVER_LICENSE", "OLD_ID_CARD", "MILITARY_CARD", "ADDRESS_CARD", "SMART_ID", "CLEAR",
    "ONE_ID", "BANK_ID_SE", "BANK_ID_NO", "BANK_ID_CZ", "FTN", "MIT_ID", "VERIMI", "LA_WALLET",
    "SAMSUNG_WALLET", "MOJE_ID_CZ", "YOTI_ID", "BORDER_CROSSING", "ASYLUM", "PHOTO_CARD",
    "PROOF_OF_AGE_CARD", "TRAVEL_CARD", "SOCIAL_SECURITY_CARD", "VOTER_CARD", "DIPLOMATIC_ID", "WORK_PERMIT",
)
# Documented types that openidv reads as one of its own: a visa carries an MRV zone, which
# the OTHER analysis reads; national and international passports carry the passport MRZ.
ANALYSED_AS: dict[str, str] = {
    **{t: t for t in DOCUMENT_TYPES},
    "VISA": DocumentType.OTHER,
    "NATIONAL_PASSPORT": DocumentType.PASSPORT,
    "INTERNATIONAL_PASSPORT": DocumentType.PASSPORT,
}


def analysed_type(document_type: str | None) -> str | None:
    """The type openidv analyses a declared document as; None when it cannot analyse it."""
    return ANALYSED_AS.get(document_type) if document_type else None

# Types with two sides: the BACK image is required when a submission names one of these.
TWO_SIDED_TYPES: frozenset[str] = frozenset(
    {DocumentType.ID_CARD, DocumentType.RESIDENCE_PERMIT, DocumentType.DRIVER_LICENSE}
)


class Step(StrEnum):
    """The standard image steps; a token may add its own UPLOAD steps under other names."""

    FRONT = "FRONT"
    BACK = "BACK"
    FACE = "FACE"
    UTILITY_BILL = "UTILITY_BILL"
    SECOND_UTILITY_BILL = "SECOND_UTILITY_BILL"
    PASSPORT_COVER = "PASSPORT_COVER"


IMAGE_STEPS: tuple[str, ...] = tuple(Step)


class TokenType(StrEnum):
    IDENTIFICATION = "IDENTIFICATION"  # document + face
    DOCUMENT = "DOCUMENT"  # document only


class Status(StrEnum):
    """The overall status of a verification."""

    ACTIVE = "ACTIVE"  # token unused, or images being processed
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    SUSPECTED = "SUSPECTED"
    REVIEWING = "REVIEWING"
    EXPIRED = "EXPIRED"
    DELETED = "DELETED"


STATUSES: tuple[str, ...] = tuple(Status)
# Decided and final: a person or the automatic policy said the last word.
DECIDED_STATUSES: frozenset[str] = frozenset({Status.APPROVED, Status.DENIED, Status.SUSPECTED})
# A review may overrule any decided verification, and settles a REVIEWING one.
REVIEWABLE_STATUSES: frozenset[str] = DECIDED_STATUSES | {Status.REVIEWING}


class DocumentCode(StrEnum):
    """Results of the document analysis (``document_validity``)."""

    DOC_VALIDATED = "DOC_VALIDATED"
    DOC_INFO_MISMATCH = "DOC_INFO_MISMATCH"
    DOC_NOT_FOUND = "DOC_NOT_FOUND"
    DOC_NOT_FULLY_VISIBLE = "DOC_NOT_FULLY_VISIBLE"
    DOC_NOT_SUPPORTED = "DOC_NOT_SUPPORTED"
    DOC_FACE_NOT_FOUND = "DOC_FACE_NOT_FOUND"
    DOC_TOO_BLURRY = "DOC_TOO_BLURRY"
    DOC_FACE_GLARED = "DOC_FACE_GLARED"
    MRZ_NOT_FOUND = "MRZ_NOT_FOUND"
    MRZ_OCR_READING_ERROR = "MRZ_OCR_READING_ERROR"
    DOC_EXPIRED = "DOC_EXPIRED"
    COUNTRY_MISMATCH = "COUNTRY_MISMATCH"
    DOC_TYPE_MISMATCH = "DOC_TYPE_MISMATCH"
    DOC_DAMAGED = "DOC_DAMAGED"
    DOC_FAKE = "DOC_FAKE"
    DOC_ERROR = "DOC_ERROR"
    AUTO_UNVERIFIABLE = "AUTO_UNVERIFIABLE"
    DOC_NOT_ANALYSED = "DOC_NOT_ANALYSED"
    DOC_NAME_ERROR = "DOC_NAME_ERROR"
    DOC_SURNAME_ERROR = "DOC_SURNAME_ERROR"
    DOC_EXPIRY_ERROR = "DOC_EXPIRY_ERROR"
    DOC_DOB_ERROR = "DOC_DOB_ERROR"
    DOC_PERSONAL_NUMBER_ERROR = "DOC_PERSONAL_NUMBER_ERROR"
    DOC_NUMBER_ERROR = "DOC_NUMBER_ERROR"
    DOC_DATE_OF_ISSUE_ERROR = "DOC_DATE_OF_ISSUE_ERROR"
    DOC_SEX_ERROR = "DOC_SEX_ERROR"
    DOC_NATIONALITY_ERROR = "DOC_NATIONALITY_ERROR"


DOCUMENT_CODES: tuple[str, ...] = tuple(DocumentCode)


class FaceCode(StrEnum):
    """Results of the face analysis (``face_match_result``)."""

    FACE_MATCH = "FACE_MATCH"
    FACE_MISMATCH = "FACE_MISMATCH"
    NO_FACE_FOUND = "NO_FACE_FOUND"
    TOO_MANY_FACES = "TOO_MANY_FACES"
    FACE_TOO_BLURRY = "FACE_TOO_BLURRY"
    FACE_UNCERTAIN = "FACE_UNCERTAIN"
    FACE_NOT_ANALYSED = "FACE_NOT_ANALYSED"
    FACE_ERROR = "FACE_ERROR"
    AUTO_UNVERIFIABLE = "AUTO_UNVERIFIABLE"
    FAKE_FACE = "FAKE_FACE"


FACE_CODES: tuple[str, ...] = tuple(FaceCode)


class Liveness(StrEnum):
    """What presentation-attack detection says about a selfie."""

    LIVE = "LIVE"
    FAKE_FACE = "FAKE_FACE"
    FACE_UNCERTAIN = "FACE_UNCERTAIN"


class FraudTag(StrEnum):
    """``fraudTags``: what checks across verifications and attack detection found."""

    DUPLICATE_FACE = "DUPLICATE_FACE"
    DUPLICATE_DOC_FACE = "DUPLICATE_DOC_FACE"
    DUPLICATE_PERSONAL_DATA = "DUPLICATE_PERSONAL_DATA"
    DATA_IN_BLACKLIST = "DATA_IN_BLACKLIST"
    FAKE_PHOTO = "FAKE_PHOTO"
    AML_SUSPECTION = "AML_SUSPECTION"  # a strong or confirmed sanctions/PEP hit
    AML_FAILED = "AML_FAILED"  # screening was asked for and could not run


class SuspicionReason(StrEnum):
    """``suspicionReasons`` that openidv sets (a subset of iDenfy's list)."""

    FAKE_PHOTO = "FAKE_PHOTO"
    AUTO_UNVERIFIABLE = "AUTO_UNVERIFIABLE"
    AML_SUSPECTION = "AML_SUSPECTION"
    AML_FAILED = "AML_FAILED"


class MismatchTag(StrEnum):
    """``mismatchTags``: data given at token creation that differs from the document."""

    NAME = "NAME"
    SURNAME = "SURNAME"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    DOCUMENT_NUMBER = "DOCUMENT_NUMBER"
    PERSONAL_CODE = "PERSONAL_CODE"
    EXPIRY_DATE = "EXPIRY_DATE"
    DATE_OF_ISSUE = "DATE_OF_ISSUE"
    SEX = "SEX"
    NATIONALITY = "NATIONALITY"
    UNDER_AGE = "UNDER_AGE"  # younger than the token's ageLimit (or the partner's minimum)
    OVER_AGE = "OVER_AGE"  # older than the token's ageMax
    UNKNOWN_AGE = "UNKNOWN_AGE"  # an age bound is set and no date of birth is known


class ReviewPolicy(StrEnum):
    """A partner's policy: when a person looks at a verification."""

    AUTOMATIC = "automatic"
    REVIEW_FAILED = "review_failed"
    REVIEW_ALL = "review_all"


class Platform(StrEnum):
    """Where the images came from (iDenfy's documented values)."""

    PC = "PC"
    MOBILE = "MOBILE"
    TABLET = "TABLET"
    MOBILE_APP = "MOBILE_APP"
    MOBILE_SDK = "MOBILE_SDK"
    OTHER = "OTHER"


class WebhookEvent(StrEnum):
    """Why a webhook was sent (stored with each outbox row)."""

    AUTOMATIC = "automatic"  # the automatic decision
    MANUAL = "manual"  # a reviewer's decision
    EXPIRED = "expired"  # an unused token expired
    AML_MONITORING = "aml_monitoring"  # re-screening after a list reload found new hits


# The Idenfy-Event-Type header of each webhook: iDenfy's documented event names.
WEBHOOK_EVENT_TYPES: dict[str, str] = {
    WebhookEvent.AUTOMATIC: "IDENTIFICATION_AUTO_FINISHED",
    WebhookEvent.MANUAL: "IDENTIFICATION_MANUAL_FINISHED",
    WebhookEvent.EXPIRED: "IDENTIFICATION_EXPIRED",
    WebhookEvent.AML_MONITORING: "AML_MONITORING",
}


class AmlState(StrEnum):
    """How a verification's sanctions/PEP screening went."""

    SCREENED = "screened"
    FAILED = "failed"  # asked for and could not run (no list loaded, no name read...)


class WebhookSigning(StrEnum):
    """Which key signs a partner's webhooks (Idenfy-Signature)."""

    WEBHOOK_SECRET = "webhook-secret"  # the partner's webhook secret (generated, or set)
    API_SECRET = "api-secret"  # the partner's API secret, as older iDenfy integrations verify
