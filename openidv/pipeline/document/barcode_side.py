"""The machine-readable data of a North American driving licence or ID card: the PDF417
barcode on its back (AAMVA), read where no MRZ was, cross-checked with the printed front."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import numpy as np

from openidv.core.vocab import DocumentCode, DocumentType
from openidv.pipeline.aamva import AamvaData, AamvaError, parse_aamva
from openidv.pipeline.aamva_crosscheck import aamva_mismatches
from openidv.pipeline.barcode import BarcodeInputRejected, read_pdf417
from openidv.pipeline.results import MrzData

# Countries whose driving licences and ID cards carry an AAMVA barcode on the back.
AAMVA_COUNTRIES = frozenset({"US", "CA"})
# Fields the barcode and another machine reading disagree on → the document code raised.
MISMATCH_CODES = {
    "surname": DocumentCode.DOC_SURNAME_ERROR, "given_names": DocumentCode.DOC_NAME_ERROR,
    "date_of_birth": DocumentCode.DOC_DOB_ERROR, "date_of_expiry": DocumentCode.DOC_EXPIRY_ERROR,
    "date_of_issue": DocumentCode.DOC_DATE_OF_ISSUE_ERROR, "document_number": DocumentCode.DOC_NUMBER_ERROR,
}


@dataclass(frozen=True)
class BarcodeRead:
    """The barcode of one side: its data, or why there is none (``refused``: a symbol was
    decoded but is not a usable AAMVA record)."""

    data: Optional[AamvaData]
    refused: Optional[str] = None
    seconds: float = 0.0

    @property
    def found_symbol(self) -> bool:
        return self.data is not None or self.refused is not None


@dataclass(frozen=True)
class BarcodeAsReference:
    """The barcode's fields in the shape the printed-data cross-check compares against."""

    surname: str
    given_names: str
    document_number: str
    date_of_birth: Optional[str]
    date_of_expiry: Optional[str]

    @classmethod
    def of(cls, data: AamvaData) -> "BarcodeAsReference":
        given = " ".join(x for x in (data.first_name, data.middle_name) if x)
        return cls(data.last_name, given, data.document_number, _iso(data.date_of_birth), _iso(data.date_of_expiry))


def _iso(value: Optional[dt.date]) -> Optional[str]:
    return value.isoformat() if value else None


def read_barcode(image: np.ndarray) -> BarcodeRead:
    """Find, decode and parse the PDF417 symbol of one side."""
    try:
        found = read_pdf417(image)
    except BarcodeInputRejected as exc:
        return BarcodeRead(None, refused=str(exc))
    if found is None:
        return BarcodeRead(None)
    try:
        return BarcodeRead(parse_aamva(found.raw), seconds=found.seconds)
    except AamvaError as exc:
        return BarcodeRead(None, refused=exc.message, seconds=found.seconds)


def barcode_expected(declared_type: Optional[str], declared_country: Optional[str]) -> bool:
    """Whether the partner declared a document that must carry an AAMVA barcode."""
    return declared_type == DocumentType.DRIVER_LICENSE and (declared_country or "").upper() in AAMVA_COUNTRIES


def mismatch_codes_with_mrz(data: AamvaData, mrz: MrzData) -> set[str]:
    """Codes of the fields the barcode and the MRZ of the same card disagree on."""
    return {MISMATCH_CODES[field] for field in aamva_mismatches(data, mrz)}


def barcode_review_reasons(read: BarcodeRead) -> list[str]:
    reasons = []
    if read.refused:
        reasons.append(f"barcode not usable: {read.refused}")
    if read.data is not None and read.data.unparsed:
        reasons.append("barcode fields unreadable: " + ", ".join(u.element for u in read.data.unparsed))
    return reasons
