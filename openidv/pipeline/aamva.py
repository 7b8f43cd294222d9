"""Parsing the AAMVA payload of a driver licence or ID card barcode (PDF417), versions 1 to 10
of the AAMVA DL/ID Card Design Standard, into checked, typed fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from openidv.pipeline.aamva_issuers import JURISDICTION_CODES, issuer_of

MAX_PAYLOAD_CHARS = 4096  # a PDF417 symbol holds at most 1,850 text characters
MAX_SUBFILES = 16
SUPPORTED_VERSIONS = range(1, 11)  # 01 = AAMVA DL/ID-2000 … 10 = the 2020 standard
FILE_TYPES = ("ANSI ", "AAMVA")  # "AAMVA" was written by some issuers of version 1 cards
# Fillers the standard and issuers put in elements that have no data.
NO_DATA = frozenset({"NONE", "UNAVL", "UNAVAIL", "UNAVAILABLE", "N/A"})
NAME_SUFFIXES = frozenset({"JR", "SR", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX",
                           "1ST", "2ND", "3RD", "4TH", "5TH", "6TH", "7TH", "8TH", "9TH"})
_ASCII_DIGITS = re.compile(r"[0-9]+")  # str.isdigit() also takes "¹" and other scripts' digits
_ELEMENT_ID = re.compile(r"[A-Z]{3}")
_SUBFILE_TYPE = re.compile(r"[A-Z]{2}")
_PRINTABLE = re.compile(r"[\x20-\x7e\xa0-\xff]*")


class DocumentType(str, Enum):
    DRIVER_LICENSE = "DRIVER_LICENSE"  # from a DL subfile
    ID_CARD = "ID_CARD"  # from an ID subfile


class Sex(str, Enum):
    MALE = "M"
    FEMALE = "F"
    UNSPECIFIED = "X"


class AamvaRefusal(str, Enum):
    """Why a payload was refused; every refusal also carries a sentence saying what was found."""

    NOT_AAMVA = "NOT_AAMVA"  # no compliance indicator, file type or readable header
    TOO_LONG = "TOO_LONG"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    UNKNOWN_ISSUER = "UNKNOWN_ISSUER"  # the IIN is no US or Canadian jurisdiction's
    NO_DOCUMENT_SUBFILE = "NO_DOCUMENT_SUBFILE"  # neither a DL nor an ID subfile
    MALFORMED = "MALFORMED"  # subfile structure or elements are garbage
    MISSING_ELEMENT = "MISSING_ELEMENT"  # number, family name or date of birth absent
    INVALID_DATE = "INVALID_DATE"  # a date that is no calendar date in either AAMVA order
    INCONSISTENT = "INCONSISTENT"  # fields that contradict each other


class AamvaError(ValueError):
    """The payload is not a usable AAMVA driver licence or ID card record."""

    def __init__(self, reason: AamvaRefusal, message: str):
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Address:
    street: Optional[str] = None
    city: Optional[str] = None
    jurisdiction: Optional[str] = None  # two-letter code (DAJ)
    postal_code: Optional[str] = None  # "23269", "23269-1234" or "K1A 0B1"


@dataclass(frozen=True)
class UnparsedElement:
    element: str
    value: str
    reason: str


@dataclass(frozen=True)
class AamvaData:
    """The checked fields of an AAMVA barcode. Absent or unreadable fields are None; what
    could not be read is listed in ``unparsed``, and deviations from the declared version in
    ``notes``. Nothing is filled in that the barcode does not say."""

    document_type: DocumentType
    version: int
    jurisdiction_version: Optional[int]  # absent in version 1 headers
    iin: str
    issuing_jurisdiction: str  # two-letter code from the IIN, e.g. "VA", "ON"
    issuing_jurisdiction_name: str
    country: str  # "US" or "CA", from the IIN (and checked against DCG)
    document_number: str  # DAQ
    last_name: str
    first_name: Optional[str]
    middle_name: Optional[str]
    name_suffix: Optional[str]
    date_of_birth: dt.date
    date_of_expiry: Optional[dt.date]
    date_of_issue: Optional[dt.date]
    sex: Optional[Sex]
    address: Address
    categories: tuple[str, ...]  # jurisdiction vehicle classes (DCA; DAR in version 1)
    truncated: tuple[str, ...] = ()  # name fields the issuer marked as truncated
    elements: dict[str, str] = field(default_factory=dict)  # the document subfile as read
    jurisdiction_subfiles: dict[str, dict[str, str]] = field(default_factory=dict)  # Z? subfiles
    unparsed: tuple[UnparsedElement, ...] = ()
    notes: tuple[str, ...] = ()


# ---- the file structure: header, subfile designators, subfiles, elements ----------------

@dataclass(frozen=True)
class _Header:
    element_separator: str
    segment_terminator: str
    iin: str
    version: int
    jurisdiction_version: Optional[int]
    designators: tuple[tuple[str, int, int], ...]  # (type, offset, length)
    end: int  # index just after the last designator


def _digits(text: str, start: int, count: int, what: str) -> int:
    chunk = text[start:start + count]
    if len(chunk) != count or not _ASCII_DIGITS.fullmatch(chunk):
        raise AamvaError(AamvaRefusal.NOT_AAMVA, f"header {what} {chunk!r} is not {count} digits")
    return int(chunk)


def _read_header(text: str) -> _Header:
    if len(text) < 19 or text[0] != "@":
        raise AamvaError(AamvaRefusal.NOT_AAMVA, "no AAMVA compliance indicator '@' at the start")
    separator, record, terminator = text[1], text[2], text[3]
    if not all(ord(c) < 32 for c in (separator, record, terminator)) or separator == terminator:
        raise AamvaError(AamvaRefusal.NOT_AAMVA, "the header's separator characters are not control characters")
    if text[4:9] not in FILE_TYPES:
        raise AamvaError(AamvaRefusal.NOT_AAMVA, f"file type {text[4:9]!r} is not 'ANSI '")
    iin = text[9:15]
    _digits(text, 9, 6, "IIN")
    version = _digits(text, 15, 2, "AAMVA version")
    if version not in SUPPORTED_VERSIONS:
        raise AamvaError(AamvaRefusal.UNSUPPORTED_VERSION, f"AAMVA version {version:02d} is not one of 01–10")
    # Version 1 headers have no jurisdiction version: 19 bytes instead of 21.
    jurisdiction_version = None if version == 1 else _digits(text, 17, 2, "jurisdiction version")
    position = 17 if version == 1 else 19
    entries = _digits(text, position, 2, "number of entries")
    position += 2
    if not 1 <= entries <= MAX_SUBFILES:
        raise AamvaError(AamvaRefusal.MALFORMED, f"header announces {entries} subfiles")
    designators = []
    for _ in range(entries):
        kind = text[position:position + 2]
        if not _SUBFILE_TYPE.fullmatch(kind):
            raise AamvaError(AamvaRefusal.MALFORMED, f"subfile designator {text[position:position + 10]!r} is malformed")
        designators.append((kind, _digits(text, position + 2, 4, "subfile offset"),
                            _digits(text, position + 6, 4, "subfile length")))
        position += 10
    return _Header(separator, terminator, iin, version, jurisdiction_version, tuple(designators), position)


def _subfile_body(text: str, header: _Header, kind: str, offset: int, length: int, notes: list[str]) -> Optional[str]:
    """The subfile's text after its two-letter type, up to its segment terminator.

    Some issuers write offsets that miss by a byte or more; a subfile also always starts
    right after the designators or right after another subfile's terminator, which is
    where it is looked for when the declared offset does not hold its type."""
    start = offset if text.startswith(kind, offset) else None
    if start is None:
        starts = [header.end] + [m.end() for m in re.finditer(re.escape(header.segment_terminator), text)]
        start = next((s for s in starts if s >= header.end and text.startswith(kind, s)), None)
        if start is None:
            return None
        notes.append(f"subfile {kind} found at byte {start}, not at its declared offset {offset}")
    end = text.find(header.segment_terminator, start)
    if end < 0:  # last subfile without its terminator: trust the declared length
        end = min(len(text), start + length) if length else len(text)
    return text[start + 2:end]


def _elements(body: str, separator: str, unparsed: list[UnparsedElement], notes: list[str]) -> dict[str, str]:
    elements: dict[str, str] = {}
    pieces = [p for p in body.split(separator) if p.strip()]
    bad = 0
    for piece in pieces:
        piece = piece.lstrip("\r\n")
        element, value = piece[:3], piece[3:].strip()
        if not _ELEMENT_ID.fullmatch(element):
            bad += 1
            unparsed.append(UnparsedElement(element, value[:40], "not an element identifier"))
        elif not _PRINTABLE.fullmatch(value):
            unparsed.append(UnparsedElement(element, value[:40], "control characters in the value"))
        elif element in elements:
            notes.append(f"element {element} repeated; the first value is used")
        else:
            elements[element] = value
    if not pieces or bad * 2 > len(pieces):
        raise AamvaError(AamvaRefusal.MALFORMED, f"{bad} of {len(pieces)} data elements are malformed")
    return elements


# ---- fields -----------------------------------------------------------------------------

def _value(elements: Mapping[str, str], element: str) -> Optional[str]:
    value = elements.get(element, "").strip()
    return value if value and value.upper() not in NO_DATA else None


def _split_full_name(full: str) -> Optional[tuple[str, Optional[str], Optional[str], Optional[str]]]:
    """DAA of version 1: ``LAST,FIRST,MIDDLE,SUFFIX`` (some issuers use ``$`` as the
    magnetic stripe does). Without a delimiter the order of the parts is unknown."""
    delimiter = "," if "," in full else "$" if "$" in full else None
    if delimiter is None:
        return None
    parts = [p.strip() for p in full.split(delimiter)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    suffix = parts.pop() if len(parts) > 2 and parts[-1].upper() in NAME_SUFFIXES else None
    first = parts[1] if len(parts) > 1 else None
    middle = " ".join(parts[2:]) or None
    return parts[0], first, middle, suffix


def _split_given_names(given: str) -> tuple[str, Optional[str]]:
    """DCT of versions 2 and 3: all given names, separated by commas (or by spaces)."""
    parts = [p.strip() for p in (given.split(",") if "," in given else given.split(" "))]
    parts = [p for p in parts if p]
    return parts[0], (" ".join(parts[1:]) or None)


def _names(elements: Mapping[str, str], version: int, unparsed: list[UnparsedElement], notes: list[str]):
    """(last, first, middle, suffix) from the elements the version defines, falling back to
    the other versions' elements (with a note) when an issuer used those instead."""
    def separate():  # versions 4–10: DCS, DAC, DAD (several middle names separated by commas)
        if (last := _value(elements, "DCS")) and (first := _value(elements, "DAC")):
            middle = _value(elements, "DAD")
            return last, first, " ".join(middle.replace(",", " ").split()) if middle else None, _value(elements, "DCU")
        return None

    def given_names():  # versions 2–3: DCS and DCT
        if (last := _value(elements, "DCS")) and (given := _value(elements, "DCT")):
            first, middle = _split_given_names(given)
            return last, first, middle, _value(elements, "DCU")
        return None

    def legacy():  # version 1: DAB, DAC, DAD, DAE, or all in DAA
        if last := _value(elements, "DAB"):
            return last, _value(elements, "DAC"), _value(elements, "DAD"), _value(elements, "DAE")
        if full := _value(elements, "DAA"):
            if (names := _split_full_name(full)) is None:
                unparsed.append(UnparsedElement("DAA", full, "full name without delimiters: the order of its parts is unknown"))
            return names
        return None

    def family_only():
        last = _value(elements, "DCS")
        return (last, None, None, _value(elements, "DCU")) if last else None

    readers = {1: (legacy, separate, given_names), 2: (given_names, separate, legacy), 3: (given_names, separate, legacy)}
    for i, reader in enumerate(readers.get(version, (separate, given_names, legacy)) + (family_only,)):
        if (names := reader()) is not None:
            if i and reader is not family_only:
                notes.append(f"name read from the elements of another AAMVA version than {version:02d}")
            return names
    return None


def _date(value: str, us_order: bool) -> Optional[dt.date]:
    digits = value.strip()
    if not _ASCII_DIGITS.fullmatch(digits) or len(digits) != 8:
        return None
    year, month, day = (digits[4:], digits[:2], digits[2:4]) if us_order else (digits[:4], digits[4:6], digits[6:])
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return date if 1900 <= date.year <= 2200 else None


def _dates(elements: Mapping[str, str], version: int, country: str, notes: list[str]) -> dict[str, Optional[dt.date]]:
    # Version 1: CCYYMMDD; version 2: MMDDCCYY; from version 3 on MMDDCCYY in the USA and
    # CCYYMMDD in Canada. Issuers that used the other order are still read: with a century
    # of 19 or 20 no 8-digit date is valid in both orders, so the fallback cannot misread.
    us_order = version == 2 or (version >= 3 and country == "US")
    dates: dict[str, Optional[dt.date]] = {}
    for element in ("DBB", "DBA", "DBD"):
        value = _value(elements, element)
        if value is None:
            dates[element] = None
            continue
        if element == "DBA" and len(set(value)) == 1:  # 99999999, 00000000: no expiry
            notes.append(f"DBA {value}: no expiry date")
            dates[element] = None
            continue
        date = _date(value, us_order)
        if date is None and (date := _date(value, not us_order)) is not None:
            notes.append(f"{element} written {'CCYYMMDD' if us_order else 'MMDDCCYY'}, not as version {version:02d} says")
        if date is None:
            raise AamvaError(AamvaRefusal.INVALID_DATE, f"{element} {value!r} is not a calendar date")
        dates[element] = date
    return dates


def _sex(elements: Mapping[str, str], unparsed: list[UnparsedElement]) -> Optional[Sex]:
    value = _value(elements, "DBC")
    if value is None:
        return None
    sex = {"1": Sex.MALE, "M": Sex.MALE, "2": Sex.FEMALE, "F": Sex.FEMALE, "9": Sex.UNSPECIFIED,
           "X": Sex.UNSPECIFIED}.get(value.upper())
    if sex is None:
        unparsed.append(UnparsedElement("DBC", value, "not a sex code (1, 2, 9, M, F, X)"))
    return sex


def _postal_code(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    compact = re.sub(r"[\s-]", "", value).upper()
    if re.fullmatch(r"\d{9}", compact):  # ZIP+4; an unknown extension is zero-filled
        return compact[:5] if compact.endswith("0000") else f"{compact[:5]}-{compact[5:]}"
    if re.fullmatch(r"\d{5}", compact):
        return compact
    if re.fullmatch(r"[A-Z]\d[A-Z]\d[A-Z]\d", compact):
        return f"{compact[:3]} {compact[3:]}"
    return value.strip()


def _address(elements: Mapping[str, str], unparsed: list[UnparsedElement]) -> Address:
    jurisdiction = _value(elements, "DAJ")
    if jurisdiction is not None and jurisdiction.upper() not in JURISDICTION_CODES:
        unparsed.append(UnparsedElement("DAJ", jurisdiction, "not a US or Canadian jurisdiction code"))
        jurisdiction = None
    return Address(street=_value(elements, "DAG"), city=_value(elements, "DAI"),
                   jurisdiction=jurisdiction.upper() if jurisdiction else None,
                   postal_code=_postal_code(_value(elements, "DAK")))


def _categories(elements: Mapping[str, str], version: int) -> tuple[str, ...]:
    value = _value(elements, "DAR" if version == 1 else "DCA") or _value(elements, "DCA" if version == 1 else "DAR")
    return tuple(p for p in re.split(r"[\s,]+", value) if p) if value else ()


def _country_check(elements: Mapping[str, str], country: str, unparsed: list[UnparsedElement]) -> None:
    value = _value(elements, "DCG")
    if value is None:
        return
    written = {"USA": "US", "CAN": "CA"}.get(value.upper())
    if written is None:
        unparsed.append(UnparsedElement("DCG", value, "not USA or CAN"))
    elif written != country:
        raise AamvaError(AamvaRefusal.INCONSISTENT, f"DCG says {value} but the IIN belongs to {country}")


def _check_chronology(birth: dt.date, issue: Optional[dt.date], expiry: Optional[dt.date]) -> None:
    if issue and issue < birth:
        raise AamvaError(AamvaRefusal.INCONSISTENT, f"issued {issue} before the holder's birth {birth}")
    if expiry and expiry <= birth:
        raise AamvaError(AamvaRefusal.INCONSISTENT, f"expires {expiry} before the holder's birth {birth}")
    if issue and expiry and expiry < issue:
        raise AamvaError(AamvaRefusal.INCONSISTENT, f"expires {expiry} before it was issued {issue}")


def parse_aamva(payload: str | bytes) -> AamvaData:
    """Parse and check an AAMVA DL/ID barcode payload; raises AamvaError saying why when the
    payload is not one, or contradicts itself."""
    text = payload.decode("latin-1") if isinstance(payload, (bytes, bytearray)) else payload
    if len(text) > MAX_PAYLOAD_CHARS:
        raise AamvaError(AamvaRefusal.TOO_LONG, f"{len(text)} characters; a PDF417 symbol holds fewer")
    header = _read_header(text)
    issuer = issuer_of(header.iin)
    if issuer is None:
        raise AamvaError(AamvaRefusal.UNKNOWN_ISSUER, f"IIN {header.iin} is no US or Canadian issuer's")
    notes: list[str] = []
    unparsed: list[UnparsedElement] = []
    document: Optional[tuple[str, dict[str, str]]] = None
    others: dict[str, dict[str, str]] = {}
    for kind, offset, length in header.designators:
        body = _subfile_body(text, header, kind, offset, length, notes)
        if body is None:
            notes.append(f"subfile {kind} announced but not found")
            continue
        if kind in ("DL", "ID") and document is None:
            document = (kind, _elements(body, header.element_separator, unparsed, notes))
        elif kind.startswith("Z"):
            others[kind] = _elements(body, header.element_separator, unparsed, notes)
        else:
            notes.append(f"subfile {kind} not read")
    if document is None:
        raise AamvaError(AamvaRefusal.NO_DOCUMENT_SUBFILE, "no DL or ID subfile")
    kind, elements = document

    number = _value(elements, "DAQ")
    names = _names(elements, header.version, unparsed, notes)
    if number is None or names is None or names[0] is None:
        missing = "licence or ID number (DAQ)" if number is None else "family name"
        raise AamvaError(AamvaRefusal.MISSING_ELEMENT, f"no {missing}")
    _country_check(elements, issuer.country, unparsed)
    dates = _dates(elements, header.version, issuer.country, notes)
    if dates["DBB"] is None:
        raise AamvaError(AamvaRefusal.MISSING_ELEMENT, "no date of birth (DBB)")
    _check_chronology(dates["DBB"], dates["DBD"], dates["DBA"])
    last, first, middle, suffix = names
    truncated = tuple(name for element, name in (("DDE", "last_name"), ("DDF", "first_name"), ("DDG", "middle_name"))
                      if elements.get(element, "").upper() == "T")
    return AamvaData(
        document_type=DocumentType.DRIVER_LICENSE if kind == "DL" else DocumentType.ID_CARD,
        version=header.version, jurisdiction_version=header.jurisdiction_version, iin=header.iin,
        issuing_jurisdiction=issuer.code, issuing_jurisdiction_name=issuer.name, country=issuer.country,
        document_number=number, last_name=last, first_name=first, middle_name=middle, name_suffix=suffix,
        date_of_birth=dates["DBB"], date_of_expiry=dates["DBA"], date_of_issue=dates["DBD"],
        sex=_sex(elements, unparsed), address=_address(elements, unparsed),
        categories=_categories(elements, header.version) if kind == "DL" else (),
        truncated=truncated, elements=elements, jurisdiction_subfiles=others,
        unparsed=tuple(unparsed), notes=tuple(notes),
    )

