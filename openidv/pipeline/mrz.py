"""ICAO 9303 machine-readable zones: formats, check digits, dates, country codes, parsing.

Our own code, short on purpose: the 7-3-1 check digit, the field layout of TD1, TD2, TD3,
MRV-A and MRV-B, date century rules and country codes. Reading OCR output into clean lines
is ``mrz_repair``'s job; a check digit is only ever *verified* here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

from openidv.pipeline.results import MrzData

FILLER = "<"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
# ASCII digits only: str.isdigit() also accepts "¹" and other scripts' digits.
DIGITS_0_9 = frozenset("0123456789")

# Lines × characters of each format (ICAO 9303 parts 4–6).
FORMAT_SHAPES: dict[str, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRVA": (2, 44),
    "MRVB": (2, 36),
}

# Character classes of MRZ positions.
LETTERS = "A"  # A–Z or filler (codes, names)
DIGITS = "N"  # 0–9 or filler (dates, check digits)
ANY = "X"  # A–Z, 0–9 or filler (document number, optional data)
SEX = "S"  # M, F, X or filler

# Residence permits by document code; ICAO leaves the second letter to the issuer.
RESIDENCE_PERMIT_CODES = {"IR", "AR", "CR", "RP", "RT"}
# Issuer-specific residence permit codes: the US permanent-resident card prints "C1".
RESIDENCE_PERMIT_CODES_BY_ISSUER = {("USA", "C1"), ("USA", "C2")}

# Codes that are not ISO 3166 alpha-3 but are legal in an MRZ (ICAO 9303 part 3, 5.3).
SPECIAL_COUNTRY_CODES: dict[str, str | None] = {
    "D": "DE",
    "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB",
    "RKS": "XK", "UNK": "XK",
    "UTO": None,  # Utopia, ICAO's fictional state
    # ICAO 9303 part 3 codes with no ISO 3166 country: EU, UN bodies, Interpol, and the
    # X-codes for stateless persons and refugees (XXA, XXB, XXC, XXX is "unspecified").
    "EUE": None, "UNO": None, "UNA": None, "XPO": None, "XXA": None, "XXB": None,
    "XXC": None, "XXX": None, "XOM": None, "XDC": None, "XBT": None, "XEC": None,
    "XCC": None, "XCE": None, "XCO": None, "XES": None, "XIM": None, "XMP": None,
    "XCT": None,
}

# An expiry year more than this far in the future is read as last century.
EXPIRY_MAX_YEARS_AHEAD = 50


class MrzFormatError(ValueError):
    """The lines do not have the shape of any ICAO 9303 format."""


# ---------------------------------------------------------------------------------------
# Check digits


def char_value(ch: str) -> int:
    """ICAO value of one MRZ character: digits as is, A=10 … Z=35, filler 0."""
    if ch in DIGITS_0_9:
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == FILLER:
        return 0
    raise ValueError(f"{ch!r} is not an MRZ character")


def check_digit(data: str) -> int:
    """The ICAO 9303 check digit of ``data`` (weights 7, 3, 1 repeating, modulo 10)."""
    weights = (7, 3, 1)
    return sum(char_value(ch) * weights[i % 3] for i, ch in enumerate(data)) % 10


def check_digit_matches(data: str, printed: str) -> bool:
    """Whether the printed check character verifies ``data``.

    A check digit is a digit. A filler there is not the digit 0: it is what a line cut
    short (thumb, glare, a crop) is padded with, and '<' would "verify" every data whose
    sum ends in 0. The one place ICAO allows '<', after an empty TD3 personal number, is
    handled by :func:`verify_check_digits`.
    """
    if printed not in DIGITS_0_9:
        return False
    try:
        return check_digit(data) == int(printed)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------
# Layouts


@dataclass(frozen=True)
class FieldSpec:
    """Where one field sits: line index, [start, end) columns, class, check digit column."""

    name: str
    line: int
    start: int
    end: int
    char_class: str
    check: int | None = None  # column (same line) of the field's check digit


def _layout_two_line(length: int, has_personal: bool) -> list[FieldSpec]:
    """Fields of TD2/TD3/MRV-A/MRV-B (they share the first 28 columns of line 2)."""
    fields = [
        FieldSpec("document_code", 0, 0, 2, LETTERS),
        FieldSpec("issuing_code", 0, 2, 5, LETTERS),
        FieldSpec("names", 0, 5, length, LETTERS),
        FieldSpec("document_number", 1, 0, 9, ANY, check=9),
        FieldSpec("nationality_code", 1, 10, 13, LETTERS),
        FieldSpec("date_of_birth", 1, 13, 19, DIGITS, check=19),
        FieldSpec("sex", 1, 20, 21, SEX),
        FieldSpec("date_of_expiry", 1, 21, 27, DIGITS, check=27),
    ]
    if has_personal:  # TD3: personal number with its own check digit, then the composite
        fields.append(FieldSpec("personal_number", 1, 28, 42, ANY, check=42))
    return fields


LAYOUTS: dict[str, list[FieldSpec]] = {
    "TD3": _layout_two_line(44, True),
    "TD2": _layout_two_line(36, False) + [FieldSpec("optional_data", 1, 28, 35, ANY)],
    "MRVA": _layout_two_line(44, False) + [FieldSpec("optional_data", 1, 28, 44, ANY)],
    "MRVB": _layout_two_line(36, False) + [FieldSpec("optional_data", 1, 28, 36, ANY)],
    "TD1": [
        FieldSpec("document_code", 0, 0, 2, LETTERS),
        FieldSpec("issuing_code", 0, 2, 5, LETTERS),
        FieldSpec("document_number", 0, 5, 14, ANY, check=14),
        FieldSpec("optional_data", 0, 15, 30, ANY),
        FieldSpec("date_of_birth", 1, 0, 6, DIGITS, check=6),
        FieldSpec("sex", 1, 7, 8, SEX),
        FieldSpec("date_of_expiry", 1, 8, 14, DIGITS, check=14),
        FieldSpec("nationality_code", 1, 15, 18, LETTERS),
        FieldSpec("optional_data_2", 1, 18, 29, ANY),
        FieldSpec("names", 2, 0, 30, LETTERS),
    ],
}

# Composite check digit: (line, start, end) ranges it covers, and its (line, column).
COMPOSITES: dict[str, tuple[tuple[tuple[int, int, int], ...], tuple[int, int]]] = {
    "TD3": (((1, 0, 10), (1, 13, 20), (1, 21, 43)), (1, 43)),
    "TD2": (((1, 0, 10), (1, 13, 20), (1, 21, 35)), (1, 35)),
    "TD1": (((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29)),
}


def position_classes(fmt: str) -> list[str]:
    """The character class of every position of every line of ``fmt``."""
    n_lines, length = FORMAT_SHAPES[fmt]
    classes = [[ANY] * length for _ in range(n_lines)]
    for spec in LAYOUTS[fmt]:
        for col in range(spec.start, spec.end):
            classes[spec.line][col] = spec.char_class
        if spec.check is not None:
            classes[spec.line][spec.check] = DIGITS
    if fmt in COMPOSITES:
        line, col = COMPOSITES[fmt][1]
        classes[line][col] = DIGITS
    return ["".join(c) for c in classes]


def detect_format(lines: Sequence[str]) -> str | None:
    """The format whose shape the lines have (first character decides MRV vs TD), or None."""
    shape = (len(lines), len(lines[0]) if lines else 0)
    if any(len(line) != shape[1] for line in lines):
        return None
    visa = bool(lines) and lines[0][:1] == "V"
    for fmt, fmt_shape in FORMAT_SHAPES.items():
        if fmt_shape == shape and fmt.startswith("MRV") == visa:
            return fmt
    return None


# ---------------------------------------------------------------------------------------
# Dates, countries, document types


def _yymmdd(text: str) -> tuple[int, int, int] | None:
    if len(text) != 6 or not set(text) <= DIGITS_0_9:
        return None
    return int(text[:2]), int(text[2:4]), int(text[4:6])


def is_calendar_date(text: str) -> bool:
    """Whether YYMMDD is a day that exists in some century (2000 is a leap year, so a
    29 February that exists in either the 1900s or the 2000s exists in the 2000s)."""
    parts = _yymmdd(text)
    return parts is not None and safe_date(2000 + parts[0], parts[1], parts[2]) is not None


def safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def birth_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """A YYMMDD birth date: in the 2000s unless that is after today, then the 1900s."""
    parts = _yymmdd(text)
    if parts is None:
        return None
    today = today or dt.date.today()
    yy, mm, dd = parts
    candidate = safe_date(2000 + yy, mm, dd)
    if candidate is not None and candidate <= today:
        return candidate
    return safe_date(1900 + yy, mm, dd)


def expiry_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """A YYMMDD expiry date: in the 2000s unless that is implausibly far in the future."""
    parts = _yymmdd(text)
    if parts is None:
        return None
    today = today or dt.date.today()
    yy, mm, dd = parts
    year = 2000 + yy
    if year > today.year + EXPIRY_MAX_YEARS_AHEAD:
        year -= 100
    return safe_date(year, mm, dd)


def country_alpha2(code: str) -> str | None:
    """ISO alpha-2 for an MRZ state code ('D<<' → DE, 'UTO' → None, 'GBD' → GB)."""
    clean = code.replace(FILLER, "")
    if clean in SPECIAL_COUNTRY_CODES:
        return SPECIAL_COUNTRY_CODES[clean]
    if len(clean) == 3:
        country = pycountry.countries.get(alpha_3=clean)
        return country.alpha_2 if country else None
    if len(clean) == 2:  # a few specimens print alpha-2 padded with a filler ("SI<")
        country = pycountry.countries.get(alpha_2=clean)
        return country.alpha_2 if country else None
    return None


def is_known_country_code(code: str) -> bool:
    """Whether ``code`` is a state code an MRZ may carry (ISO alpha-3 or ICAO special)."""
    clean = code.replace(FILLER, "")
    return clean in SPECIAL_COUNTRY_CODES or country_alpha2(code) is not None


def document_type_from_code(document_code: str, issuing_code: str = "") -> str:
    """PASSPORT, ID_CARD, RESIDENCE_PERMIT or OTHER from the MRZ document code."""
    code = document_code[:2].ljust(2, FILLER)
    issuer = issuing_code.replace(FILLER, "")
    if code in RESIDENCE_PERMIT_CODES or (issuer, code) in RESIDENCE_PERMIT_CODES_BY_ISSUER:
        return "RESIDENCE_PERMIT"
    first = code[0]
    if first == "P":
        return "PASSPORT"
    if first in "IAC":
        return "ID_CARD"
    return "OTHER"  # V (visas) and anything else


# ---------------------------------------------------------------------------------------
# Parsing


def split_names(field: str) -> tuple[str, str]:
    """(surname, given names) from the name field; '<' separates words, '<<' the two parts.

    The name ends at the first '<<<': what follows is filler, whatever was read there.
    """
    stripped = field.split(FILLER * 3, 1)[0].rstrip(FILLER)
    surname, _, given = stripped.partition("<<")
    return surname.replace(FILLER, " ").strip(), given.replace(FILLER, " ").strip()


def _field_text(lines: Sequence[str], spec: FieldSpec) -> str:
    return lines[spec.line][spec.start : spec.end]


def _td1_document_number(lines: Sequence[str]) -> tuple[str, str, str]:
    """TD1 number, the data its check digit covers, and the check char (long-number rule).

    ICAO 9303-5: a number longer than 9 characters continues in the optional data after a
    filler in column 14, and its check digit follows the last character of the number.
    """
    head, check_char, optional = lines[0][5:14], lines[0][14], lines[0][15:30]
    if check_char == FILLER and optional[:1] not in ("", FILLER):
        tail = optional.split(FILLER, 1)[0]
        if len(tail) >= 2:
            full = head + tail[:-1]
            return full.replace(FILLER, ""), full, tail[-1]
    return head.replace(FILLER, ""), head, check_char


# Fields whose check verdict also asks for a date.
DATE_FIELDS = ("date_of_birth", "date_of_expiry")


def field_verifies(name: str, data: str, printed: str) -> bool:
    """Whether one check-digit field verifies: its check digit, and what its value must be.

    A date must be a day of the calendar. A check digit passes for one wrong digit in ten,
    so one that passes for day 63 or month 13 only says the misread was unlucky; a run of
    fillers is a line cut short and padded (fillers sum to 0), and a letter is no digit
    whatever its check-digit value (G counts as 16, the same as 6). A date left partly
    unknown with fillers is therefore not verified either: a person must look at it.
    """
    if name == "personal_number" and set(data) == {FILLER} and printed in (FILLER, "0"):
        return True  # an empty personal number may carry '<' or 0 as its check digit
    if name in DATE_FIELDS and not is_calendar_date(data):
        return False
    return check_digit_matches(data, printed)


def verify_check_digits(lines: Sequence[str], fmt: str) -> dict[str, bool]:
    """Every check digit of the zone: field name → verified (composite included)."""
    results: dict[str, bool] = {}
    for spec in LAYOUTS[fmt]:
        if spec.check is None:
            continue
        if fmt == "TD1" and spec.name == "document_number":
            _, data, printed = _td1_document_number(lines)
        else:
            data, printed = _field_text(lines, spec), lines[spec.line][spec.check]
        results[spec.name] = field_verifies(spec.name, data, printed)
    if fmt in COMPOSITES:
        ranges, (line, col) = COMPOSITES[fmt]
        data = "".join(lines[ln][a:b] for ln, a, b in ranges)
        results["composite"] = check_digit_matches(data, lines[line][col])
    return results


def parse_mrz(
    lines: Sequence[str],
    *,
    today: dt.date | None = None,
    unconfirmed_fields: Sequence[str] = (),
    unprotected_fields: Sequence[str] = (),
    method: str = "",
) -> MrzData:
    """Parse clean MRZ lines (exactly as printed) into :class:`MrzData`; check every digit.

    Raises MrzFormatError when the lines fit no format or hold non-MRZ characters.
    """
    lines = tuple(lines)
    fmt = detect_format(lines)
    if fmt is None:
        raise MrzFormatError(f"no ICAO format has the shape {[len(line) for line in lines]}")
    for line in lines:
        bad = set(line) - set(ALPHABET)
        if bad:
            raise MrzFormatError(f"non-MRZ characters {''.join(sorted(bad))!r}")
    values = {spec.name: _field_text(lines, spec) for spec in LAYOUTS[fmt]}
    if fmt == "TD1":
        number, _, _ = _td1_document_number(lines)
        optional = values["optional_data"]
        if lines[0][14] == FILLER and number != values["document_number"].replace(FILLER, ""):
            optional = optional[len(number) - 9 + 1 :]  # what follows the long number's check
        optional_data = (optional.strip(FILLER) + " " + values["optional_data_2"].strip(FILLER)).strip()
    else:
        number = values["document_number"].replace(FILLER, "")
        optional_data = values.get("optional_data", "").strip(FILLER)
    surname, given = split_names(values["names"])
    dob = birth_date(values["date_of_birth"], today)
    doe = expiry_date(values["date_of_expiry"], today)
    issuing_code = values["issuing_code"].replace(FILLER, "")
    nationality_code = values["nationality_code"].replace(FILLER, "")
    document_code = values["document_code"]
    return MrzData(
        format=fmt,
        lines=lines,
        document_code=document_code,
        document_type=document_type_from_code(document_code, issuing_code),
        issuing_code=issuing_code,
        issuing_country=country_alpha2(issuing_code),
        surname=surname,
        given_names=given,
        document_number=number,
        nationality_code=nationality_code,
        nationality=country_alpha2(nationality_code),
        date_of_birth=dob.isoformat() if dob else None,
        sex=values["sex"],
        date_of_expiry=doe.isoformat() if doe else None,
        personal_number=values.get("personal_number", "").replace(FILLER, " ").strip(),
        optional_data=optional_data,
        check_digits=verify_check_digits(lines, fmt),
        unconfirmed_fields=tuple(unconfirmed_fields),
        unprotected_fields=tuple(unprotected_fields),
        method=method,
    )
