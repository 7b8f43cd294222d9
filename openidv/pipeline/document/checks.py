"""The one table that turns what the document checks found into a ``document_validity`` code.

Each check adds the code of what it found to a set; the code reported is the first of
``PRECEDENCE`` in that set (worst problem first, so that the code names the reason a human
must act on). Photo problems come first because nothing read from a bad photo can be
trusted; MRZ problems next because type, country and expiry come from the MRZ; expiry
before the declared-type/country checks because an expired document fails whatever was
declared. Printed fields that contradict the MRZ come last: one gives its own code, several
give DOC_INFO_MISMATCH. Adding a check is adding its code here and to the set it fills.
"""

from __future__ import annotations

from collections.abc import Collection

from openidv.core.vocab import DocumentCode, DocumentType

PRECEDENCE: tuple[DocumentCode, ...] = (
    DocumentCode.DOC_NOT_FOUND,
    DocumentCode.DOC_NOT_FULLY_VISIBLE,
    DocumentCode.DOC_TOO_BLURRY,
    DocumentCode.MRZ_NOT_FOUND,
    DocumentCode.MRZ_OCR_READING_ERROR,
    DocumentCode.DOC_FACE_GLARED,
    DocumentCode.DOC_EXPIRED,
    DocumentCode.COUNTRY_MISMATCH,
    DocumentCode.DOC_TYPE_MISMATCH,
)
# Printed data that contradicts the MRZ, field by field.
FIELD_ERRORS: frozenset[DocumentCode] = frozenset({
    DocumentCode.DOC_NAME_ERROR, DocumentCode.DOC_SURNAME_ERROR, DocumentCode.DOC_EXPIRY_ERROR,
    DocumentCode.DOC_DOB_ERROR, DocumentCode.DOC_PERSONAL_NUMBER_ERROR, DocumentCode.DOC_NUMBER_ERROR,
    DocumentCode.DOC_DATE_OF_ISSUE_ERROR, DocumentCode.DOC_SEX_ERROR, DocumentCode.DOC_NATIONALITY_ERROR,
})


def choose_validity(found: Collection[str]) -> DocumentCode:
    """One document_validity code for the set of codes the checks raised."""
    for code in PRECEDENCE:
        if code in found:
            return code
    field_errors = [code for code in FIELD_ERRORS if code in found]
    if len(field_errors) == 1:
        return field_errors[0]
    if field_errors:
        return DocumentCode.DOC_INFO_MISMATCH
    return DocumentCode.DOC_VALIDATED


def declared_type_matches(declared: str, detected: str) -> bool:
    """Whether the type the partner declared fits the type read from the MRZ.

    Many residence permits carry an ID-card document code (I, A, C), so a declared
    RESIDENCE_PERMIT accepts a detected ID_CARD; a declared OTHER accepts anything that is
    not an ID card or passport (visas are OTHER).
    """
    if declared == detected:
        return True
    if declared == DocumentType.RESIDENCE_PERMIT and detected == DocumentType.ID_CARD:
        return True
    return declared == DocumentType.OTHER and detected not in (DocumentType.ID_CARD, DocumentType.PASSPORT)
