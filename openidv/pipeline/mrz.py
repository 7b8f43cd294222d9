"""ICAO 9303 machine-readable zones: check digits, parsing, encoding and OCR repair.

Our own code, short on purpose: the 7-3-1 check digit, the field layout of TD1, TD2, TD3,
MRV-A and MRV-B, date century rules, country codes, and the repair of OCR confusions by the
character class of each position and by agreement between two independent readings.
A check digit is only ever *verified* here, never used to search for a substitution that
happens to pass.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import pycountry

from openidv.pipeline.results import MrzData

FILLER = "<"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

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

# Confusions of the OCR engines seen on MRZ text, mapped within a character class.
DIGIT_FOR_LETTER = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1",
                    "Z": "2", "B": "8", "S": "5", "G": "6", "A": "4"}
LETTER_FOR_DIGIT = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"}
# Glyphs a reader may return for the filler '<' (OCR-B '<' resembles them at low resolution).
FILLER_LOOKALIKES = set("KCSX") | {"«", "‹", "{", "(", "[", "£", "€"}
# Non-MRZ glyphs mapped to what they stand for before anything else.
GLYPH_FOLDING = {"«": "<<", "‹": "<", "{": "<", "(": "<", "[": "<", "£": "<", "€": "<",
                 " ": "", "Φ": "D", "Ø": "0", "Ñ": "N", "|": "I", "$": "S"}

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
    if ch.isdigit():
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
    """Whether the printed check character verifies ``data`` ('<' counts as 0)."""
    if printed == FILLER:
        return check_digit(data) == 0
    if not printed.isdigit():
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
    if len(text) != 6 or not text.isdigit():
        return None
    return int(text[:2]), int(text[2:4]), int(text[4:6])


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
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
    candidate = _safe_date(2000 + yy, mm, dd)
    if candidate is not None and candidate <= today:
        return candidate
    return _safe_date(1900 + yy, mm, dd)


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
    return _safe_date(year, mm, dd)


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
    """(surname, given names) from the name field; '<' separates words, '<<' the two parts."""
    stripped = field.rstrip(FILLER)
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
        if spec.name == "personal_number" and set(data) == {FILLER} and printed in "<0":
            results[spec.name] = True  # an empty personal number may carry '<' or 0
            continue
        results[spec.name] = check_digit_matches(data, printed)
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
        method=method,
    )


# ---------------------------------------------------------------------------------------
# Encoding (used by the synthetic document generator and tests)


def _fit(text: str, length: int) -> str:
    clean = "".join(ch if ch in ALPHABET else FILLER for ch in text.upper().replace(" ", FILLER))
    return clean[:length].ljust(length, FILLER)


def _yymmdd_of(date: dt.date | None) -> str:
    return date.strftime("%y%m%d") if date else FILLER * 6


def encode_names(surname: str, given_names: str, length: int) -> str:
    """The name field: SURNAME<<GIVEN<NAMES, truncated and padded to ``length``."""
    return _fit(f"{surname}<<{given_names}" if given_names else surname, length)


def encode_mrz(
    fmt: str,
    *,
    document_code: str,
    issuing_code: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality_code: str,
    date_of_birth: dt.date | None,
    sex: str,
    date_of_expiry: dt.date | None,
    personal_number: str = "",
    optional_data: str = "",
) -> tuple[str, ...]:
    """MRZ lines of format ``fmt`` for the given fields, with correct check digits.

    Document numbers longer than 9 characters are supported for TD1 (ICAO long-number rule).
    """
    if fmt not in FORMAT_SHAPES:
        raise MrzFormatError(f"unknown MRZ format {fmt!r}")
    _, length = FORMAT_SHAPES[fmt]
    code, issuer, nat = _fit(document_code, 2), _fit(issuing_code, 3), _fit(nationality_code, 3)
    dob, doe = _yymmdd_of(date_of_birth), _yymmdd_of(date_of_expiry)
    sex_char = sex if sex in ("M", "F", "X") else FILLER
    if fmt == "TD1":
        if len(document_number) > 9:
            number_field = document_number[:9]
            rest = document_number[9:] + str(check_digit(_fit(document_number, len(document_number))))
            line1 = code + issuer + number_field + FILLER + _fit(rest + FILLER + optional_data, 15)
        else:
            number = _fit(document_number, 9)
            line1 = code + issuer + number + str(check_digit(number)) + _fit(optional_data, 15)
        line2 = (dob + str(check_digit(dob)) + sex_char + doe + str(check_digit(doe)) + nat
                 + _fit(personal_number, 11))
        line2 += str(check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]))
        return line1, line2, encode_names(surname, given_names, 30)
    line1 = code + issuer + encode_names(surname, given_names, length - 5)
    number = _fit(document_number, 9)
    head = number + str(check_digit(number)) + nat + dob + str(check_digit(dob)) + sex_char
    head += doe + str(check_digit(doe))
    if fmt == "TD3":
        personal = _fit(personal_number, 14)
        personal_check = FILLER if set(personal) == {FILLER} else str(check_digit(personal))
        body = head + personal + personal_check
        line2 = body + str(check_digit(body[0:10] + body[13:20] + body[21:43]))
    elif fmt == "TD2":
        body = head + _fit(optional_data or personal_number, 7)
        line2 = body + str(check_digit(body[0:10] + body[13:20] + body[21:35]))
    else:  # MRV-A / MRV-B: no composite check digit
        line2 = head + _fit(optional_data or personal_number, length - 28)
    return line1, line2


# ---------------------------------------------------------------------------------------
# OCR repair


def fold_glyphs(text: str) -> str:
    """Upper-case and map non-MRZ glyphs an OCR engine may return onto MRZ characters."""
    return "".join(GLYPH_FOLDING.get(ch, ch) for ch in text.upper())


def clean_line(text: str) -> str:
    """OCR text → MRZ characters only (glyph folding; anything else dropped)."""
    return "".join(ch for ch in fold_glyphs(text) if ch in ALPHABET)


def fits_class(ch: str, cls: str) -> bool:
    """Whether a character is legal in a column of class ``cls``."""
    if ch == FILLER:
        return True
    if cls == DIGITS:
        return ch.isdigit()
    if cls == LETTERS:
        return "A" <= ch <= "Z"
    if cls == SEX:
        return ch in "MFX"
    return ch in ALPHABET


def repair_char(ch: str, cls: str) -> str:
    """Map one character onto its column's class (O→0 in digit columns, 0→O in letter ones).

    The mapping depends only on the character and the column, never on any check digit.
    """
    if fits_class(ch, cls):
        return ch
    if cls == DIGITS:
        return DIGIT_FOR_LETTER.get(ch, ch)
    if cls in (LETTERS, SEX):
        return LETTER_FOR_DIGIT.get(ch, ch)
    return ch


def repair_by_class(line: str, classes: str) -> str:
    """:func:`repair_char` on every column of a line."""
    return "".join(repair_char(ch, cls) for ch, cls in zip(line, classes)) + line[len(classes):]


def repair_filler_runs(line: str, classes: str) -> str:
    """Turn K/C/S/X read inside filler runs back into '<'.

    In name fields, names end at the first '<<<' (ICAO separates words by one filler and
    the two name parts by two), so a K/C/S/X after it is a misread filler. Elsewhere a
    single K/C/S/X with fillers on both sides inside a run of three or more is one.
    """
    chars = list(line)
    n = min(len(chars), len(classes))
    name_start = None
    for i in range(n - 2):
        if classes[i] == LETTERS and "".join(chars[i : i + 3]) == FILLER * 3:
            name_start = i
            break
    if name_start is not None:
        for i in range(name_start, n):
            if classes[i] != LETTERS:
                break
            if chars[i] in FILLER_LOOKALIKES:
                chars[i] = FILLER
    for i in range(1, n - 1):
        if chars[i] in FILLER_LOOKALIKES and chars[i - 1] == FILLER and chars[i + 1] == FILLER:
            left = i >= 2 and chars[i - 2] == FILLER
            right = i + 2 < n and chars[i + 2] == FILLER
            if (left or right) and classes[i] in (ANY, LETTERS):
                chars[i] = FILLER
    return "".join(chars)


def fit_line_length(line: str, length: int) -> str:
    """Fit a reading to the format length; the longest filler run absorbs the difference.

    Spurious or dropped characters are nearly always fillers in a long run; taking them
    out of (or adding them to) that run keeps the check digits at the end in their columns.
    """
    if len(line) == length:
        return line
    runs = [(m_end - m_start, m_start) for m_start, m_end in _filler_runs(line)]
    if len(line) > length:
        excess = len(line) - length
        for run_len, start in sorted(runs, reverse=True):
            if run_len >= excess + 1:
                return line[:start] + line[start + excess :]
        return line[:length]
    missing = length - len(line)
    if runs:
        run_len, start = max(runs)
        if run_len >= 2:
            return line[:start] + FILLER * missing + line[start:]
    return line + FILLER * missing


def _filler_runs(line: str) -> list[tuple[int, int]]:
    runs, i = [], 0
    while i < len(line):
        if line[i] == FILLER:
            j = i
            while j < len(line) and line[j] == FILLER:
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def align_to(primary: str, secondary: str) -> list[str | None]:
    """For each column of ``primary``, the character ``secondary`` has there (None if unaligned)."""
    if len(primary) == len(secondary):
        return list(secondary)
    out: list[str | None] = [None] * len(primary)
    matcher = difflib.SequenceMatcher(a=primary, b=secondary, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            for k in range(a1 - a0):
                out[a0 + k] = secondary[b0 + k]
    return out


def normalise_reading(raw_lines: Sequence[str], fmt: str) -> tuple[str, ...]:
    """Raw OCR lines → lines of the format's length, repaired by class and filler runs."""
    _, length = FORMAT_SHAPES[fmt]
    out = []
    for line_no, (raw, cls) in enumerate(zip(raw_lines, position_classes(fmt))):
        line = fit_line_length(clean_line(raw), length)
        out.append(repair_filler_runs(_repair_line(line, cls, fmt, line_no), cls))
    return tuple(out)


def _country_columns(fmt: str) -> list[tuple[int, int, int]]:
    return [(s.line, s.start, s.end) for s in LAYOUTS[fmt]
            if s.name in ("issuing_code", "nationality_code")]


def _repair_line(line: str, classes: str, fmt: str, line_no: int, other: Sequence[str | None] | None = None) -> str:
    """Class repair, except where issuers are known to print outside the class.

    A state code is only changed into a *known* state code (a Romanian ID card prints
    digits in the nationality columns). The second character of the document code is left
    as read when the other reading (``other``) has the same character there: the US
    permanent-resident card prints "C1".
    """
    repaired = list(repair_by_class(line, classes))
    if line_no == 0 and len(line) > 1 and other is not None and len(other) > 1 and other[1] == line[1]:
        repaired[1] = line[1]
    for ln, start, end in _country_columns(fmt):
        if ln != line_no:
            continue
        raw, new = line[start:end], "".join(repaired[start:end])
        if raw != new and not is_known_country_code(new):
            repaired[start:end] = list(raw)
    return "".join(repaired)


def _field_spans(fmt: str) -> list[FieldSpec]:
    return list(LAYOUTS[fmt])


def combine_readings(
    primary: Sequence[str],
    secondary: Sequence[str] | None,
    fmt: str,
    *,
    today: dt.date | None = None,
    method: str = "",
) -> MrzData:
    """Merge two independent readings of one zone into one verified result.

    Both readings are repaired by character class. Where they still differ in a column and
    exactly one of them read a character legal for that column, that one is taken (the
    other engine's character needed mapping, so it is the weaker evidence). A field with a
    check digit is then verified; if the readings still differ on it, the reading whose own
    check digit verifies it is taken (if exactly one does) — a choice between two observed
    readings, never a search over substitutions. A field without a check digit is confirmed
    only when both readings agree on it; otherwise it is listed in ``unconfirmed_fields``.
    """
    _, length = FORMAT_SHAPES[fmt]
    classes = position_classes(fmt)
    raw_a = [fit_line_length(clean_line(t), length) for t in primary]
    have_b = secondary is not None and len(secondary) == len(primary) and any(secondary)
    raw_b: list[list[str | None]] = []
    for ln, line_a in enumerate(raw_a):
        if have_b:
            raw_b.append(align_to(line_a, clean_line(secondary[ln])))  # type: ignore[index]
        else:
            raw_b.append([None] * length)
    lines_a = [list(repair_filler_runs(_repair_line(line, cls, fmt, i, raw_b[i]), cls))
               for i, (line, cls) in enumerate(zip(raw_a, classes))]
    lines_b: list[list[str | None]] = []
    for i, (row, cls) in enumerate(zip(raw_b, classes)):
        text = "".join(ch if ch is not None else "?" for ch in row)
        fixed = repair_filler_runs(_repair_line(text, cls, fmt, i, raw_a[i]), cls)
        lines_b.append([None if ch == "?" else ch for ch in fixed])
    # Column by column: prefer the reading that needed no class mapping.
    for ln in range(len(lines_a)):
        for col in range(length):
            a_ch, b_ch = lines_a[ln][col], lines_b[ln][col]
            if b_ch is None or a_ch == b_ch:
                continue
            a_native = fits_class(raw_a[ln][col], classes[ln][col])
            b_native = raw_b[ln][col] is not None and fits_class(raw_b[ln][col], classes[ln][col])
            if b_native and not a_native:
                lines_a[ln][col] = b_ch
            elif a_native and not b_native:
                lines_b[ln][col] = a_ch
    unconfirmed: list[str] = []
    chosen_secondary: list[str] = []
    for spec in _field_spans(fmt):
        cols = list(range(spec.start, spec.end)) + ([spec.check] if spec.check is not None else [])
        val_a = "".join(lines_a[spec.line][c] for c in cols)
        b_chars = [lines_b[spec.line][c] for c in cols]
        val_b = None if any(ch is None for ch in b_chars) else "".join(b_chars)  # type: ignore[arg-type]
        if val_b == val_a:
            continue
        if spec.check is None:
            if spec.name in ("issuing_code", "nationality_code") and val_b is not None:
                known = _known_code_from_readings(val_a, val_b)
                if known is not None:
                    for c, ch in zip(cols, known):
                        lines_a[spec.line][c] = ch
            if spec.name == "names" and _same_printed_name(val_a, b_chars):
                continue
            unconfirmed.append(spec.name)
            continue
        ok_a = check_digit_matches(val_a[:-1], val_a[-1])
        ok_b = val_b is not None and check_digit_matches(val_b[:-1], val_b[-1])
        if ok_b and not ok_a:
            for c, ch in zip(cols, val_b):  # type: ignore[arg-type]
                lines_a[spec.line][c] = ch
            chosen_secondary.append(spec.name)
        elif ok_a == ok_b:
            unconfirmed.append(spec.name)  # both verify or neither: the readings disagree
    final = tuple("".join(line) for line in lines_a)
    if not have_b:
        unconfirmed = [s.name for s in LAYOUTS[fmt] if s.check is None]
    note = method
    if chosen_secondary:
        note += f"; secondary reading taken for {','.join(chosen_secondary)}"
    return parse_mrz(final, today=today, unconfirmed_fields=_public_names(unconfirmed), method=note)


def _known_code_from_readings(val_a: str, val_b: str) -> str | None:
    """The one state code made of characters either reading saw in each column, if unique.

    Only when the primary reading is no known code; the field stays unconfirmed anyway.
    """
    if is_known_country_code(val_a):
        return None
    options = [""]
    for ca, cb in zip(val_a, val_b):
        options = [o + ch for o in options for ch in dict.fromkeys((ca, cb))]
    known = [o for o in options if is_known_country_code(o)]
    return known[0] if len(known) == 1 else None


def _same_printed_name(val_a: str, b_chars: Sequence[str | None]) -> bool:
    """Names agree up to the end of the printed name; after it only fillers (or nothing)."""
    printed = len(val_a.rstrip(FILLER))
    same = all(b_chars[i] == val_a[i] for i in range(printed))
    rest = all(ch is None or ch == FILLER or ch in FILLER_LOOKALIKES for ch in b_chars[printed:])
    return same and rest


def _public_names(fields: Sequence[str]) -> tuple[str, ...]:
    """Map layout field names onto MrzData attribute names (names → surname, given_names)."""
    out: list[str] = []
    for name in fields:
        if name == "names":
            out += ["surname", "given_names"]
        elif name == "optional_data_2":
            out.append("optional_data")
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))
