"""ICAO 9303 machine-readable zones written independently of openidv's reader: check
digits, the five formats, a parser for scoring and a validator for malformed zones.

Nothing here imports ``openidv``: the stress set must not share a bug with what it tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

FILLER = "<"
MRZ_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")

# Lines × characters (ICAO 9303 part 4: TD3, part 5: TD1, part 6: TD2, part 7: MRV-A/B).
SHAPES: dict[str, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRVA": (2, 44),
    "MRVB": (2, 36),
}
# Physical page size in millimetres (width, height) of each format.
PAGE_MM: dict[str, tuple[float, float]] = {
    "TD1": (85.6, 54.0),
    "TD2": (105.0, 74.0),
    "TD3": (125.0, 88.0),
    "MRVA": (120.0, 80.0),
    "MRVB": (105.0, 74.0),
}


def character_value(ch: str) -> int:
    """Digits count as themselves, A–Z as 10–35, the filler as 0 (ICAO 9303 part 3, 4.9)."""
    if "0" <= ch <= "9":
        return ord(ch) - ord("0")
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == FILLER:
        return 0
    raise ValueError(f"{ch!r} cannot appear in an MRZ")


def check_digit(text: str) -> str:
    """The check digit of ``text``: weights 7, 3, 1 repeating, sum modulo 10."""
    total = 0
    for position, ch in enumerate(text):
        total += character_value(ch) * (7, 3, 1)[position % 3]
    return str(total % 10)


def pad(text: str, length: int) -> str:
    """Cut to ``length`` and fill the rest with fillers."""
    return text[:length] + FILLER * max(0, length - len(text))


@dataclass(frozen=True)
class Zone:
    """What an MRZ says, already in MRZ characters (names transliterated, dates YYMMDD).

    Dates are strings so that malformed zones (day 63, a letter in a date) can be encoded.
    """

    fmt: str
    document_code: str  # two characters, e.g. "P<", "ID", "V<"
    issuing_state: str  # up to three letters ("D" for Germany)
    primary_identifier: str  # surname words joined by '<'
    secondary_identifier: str  # given-name words joined by '<'
    document_number: str  # TD1 allows more than 9 characters
    nationality: str
    birth: str  # YYMMDD
    sex: str  # M, F, X or '<'
    expiry: str  # YYMMDD
    optional_data: str = ""  # TD1 line 1 / TD2, MRV line 2 / TD3 personal number
    optional_data_2: str = ""  # TD1 line 2 only
    empty_personal_check: str = FILLER  # TD3: '<' or '0' when the personal number is empty


def name_field(primary: str, secondary: str, length: int) -> str:
    """``PRIMARY<<SECONDARY``, cut at ``length`` (a cut name keeps its last letter)."""
    text = primary + (FILLER * 2 + secondary if secondary else "")
    return pad(text, length)


def _td1_first_line(zone: Zone) -> str:
    head = pad(zone.document_code, 2) + pad(zone.issuing_state, 3)
    number = zone.document_number
    if len(number) <= 9:
        number_field = pad(number, 9)
        return head + number_field + check_digit(number_field) + pad(zone.optional_data, 15)
    # Long document number (part 5, 4.2.2 note j): the first 9 characters, a filler where
    # the check digit would be, the rest of the number, its check digit (over the whole
    # number), then a filler and the optional data.
    rest = number[9:] + check_digit(number) + FILLER + zone.optional_data
    return head + number[:9] + FILLER + pad(rest, 15)


def encode(zone: Zone) -> tuple[str, ...]:
    """The MRZ lines of ``zone`` with every check digit computed over what is printed."""
    n_lines, length = SHAPES[zone.fmt]
    if zone.fmt == "TD1":
        line1 = _td1_first_line(zone)
        line2 = (zone.birth + check_digit(zone.birth) + pad(zone.sex, 1) + zone.expiry
                 + check_digit(zone.expiry) + pad(zone.nationality, 3) + pad(zone.optional_data_2, 11))
        line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
        line3 = name_field(zone.primary_identifier, zone.secondary_identifier, 30)
        return line1, line2, line3
    line1 = pad(zone.document_code, 2) + pad(zone.issuing_state, 3) + name_field(
        zone.primary_identifier, zone.secondary_identifier, length - 5)
    number = pad(zone.document_number, 9)
    line2 = (number + check_digit(number) + pad(zone.nationality, 3) + zone.birth + check_digit(zone.birth)
             + pad(zone.sex, 1) + zone.expiry + check_digit(zone.expiry))
    if zone.fmt == "TD3":
        personal = pad(zone.optional_data, 14)
        empty = personal == FILLER * 14
        line2 += personal + (zone.empty_personal_check if empty else check_digit(personal))
        line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    elif zone.fmt == "TD2":
        line2 += pad(zone.optional_data, 7)
        line2 += check_digit(line2[0:10] + line2[13:20] + line2[21:35])
    else:  # MRV-A, MRV-B: optional data to the end of the line, no composite check digit
        line2 += pad(zone.optional_data, length - 28)
    assert len(line1) == len(line2) == length and n_lines == 2
    return line1, line2


# ---------------------------------------------------------------------------------------
# Reading lines back: which format, where every check digit sits, what the fields say.


def format_of(lines: Sequence[str]) -> str | None:
    """The format of well-formed lines: shape, and a leading V for the visa formats."""
    if not lines or len({len(line) for line in lines}) != 1:
        return None
    shape = (len(lines), len(lines[0]))
    visa = lines[0][:1] == "V"
    for fmt, fmt_shape in SHAPES.items():
        if fmt_shape == shape and fmt.startswith("MRV") == visa:
            return fmt
    return None


@dataclass(frozen=True)
class CheckedField:
    name: str
    data: str
    printed: str  # the check character as printed


def _td1_number(line1: str) -> tuple[str, str, str]:
    """(document number, data the check digit covers, check character) of a TD1 line 1."""
    if line1[14] == FILLER and line1[15] != FILLER:
        tail = line1[15:30].split(FILLER, 1)[0]
        if len(tail) >= 2:
            return line1[5:14] + tail[:-1], line1[5:14] + tail[:-1], tail[-1]
    return line1[5:14].rstrip(FILLER), line1[5:14], line1[14]


def checked_fields(lines: Sequence[str], fmt: str) -> list[CheckedField]:
    """Every check digit of the zone with the data it covers (composite included)."""
    if fmt == "TD1":
        l1, l2 = lines[0], lines[1]
        _, data, printed = _td1_number(l1)
        return [CheckedField("document_number", data, printed),
                CheckedField("birth", l2[0:6], l2[6]),
                CheckedField("expiry", l2[8:14], l2[14]),
                CheckedField("composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])]
    l2 = lines[1]
    out = [CheckedField("document_number", l2[0:9], l2[9]),
           CheckedField("birth", l2[13:19], l2[19]),
           CheckedField("expiry", l2[21:27], l2[27])]
    if fmt == "TD3":
        out.append(CheckedField("personal_number", l2[28:42], l2[42]))
        out.append(CheckedField("composite", l2[0:10] + l2[13:20] + l2[21:43], l2[43]))
    elif fmt == "TD2":
        out.append(CheckedField("composite", l2[0:10] + l2[13:20] + l2[21:35], l2[35]))
    return out


def check_results(lines: Sequence[str], fmt: str) -> dict[str, bool]:
    """Field name → whether its printed check digit verifies."""
    results = {}
    for f in checked_fields(lines, fmt):
        if f.name == "personal_number" and f.data == FILLER * 14 and f.printed in (FILLER, "0"):
            results[f.name] = True  # an empty personal number may carry '<' or 0
            continue
        # A check digit is a digit; '<' stands for one only after an empty personal number.
        try:
            results[f.name] = f.printed.isdigit() and f.printed == check_digit(f.data)
        except ValueError:
            results[f.name] = False
    return results


def fields(lines: Sequence[str]) -> dict[str, str]:
    """Comparable field values (YYMMDD dates, names with spaces) of MRZ lines, {} if no format."""
    fmt = format_of(lines)
    if fmt is None:
        return {}
    if fmt == "TD1":
        l1, l2, l3 = lines
        number, _, _ = _td1_number(l1)
        raw = {"document_code": l1[0:2], "issuing_code": l1[2:5], "document_number": number,
               "date_of_birth": l2[0:6], "sex": l2[7], "date_of_expiry": l2[8:14],
               "nationality_code": l2[15:18], "optional_data": l1[15:30] + l2[18:29], "names": l3}
    else:
        l1, l2 = lines
        raw = {"document_code": l1[0:2], "issuing_code": l1[2:5], "names": l1[5:],
               "document_number": l2[0:9], "nationality_code": l2[10:13], "date_of_birth": l2[13:19],
               "sex": l2[20], "date_of_expiry": l2[21:27], "optional_data": l2[28:]}
    surname, _, given = raw.pop("names").rstrip(FILLER).partition(FILLER * 2)
    raw["surname"], raw["given_names"] = surname, given
    return {key: " ".join(value.replace(FILLER, " ").split()) for key, value in raw.items()}


def calendar_date(yymmdd: str) -> bool:
    """Whether YYMMDD names a day that exists in either century (29 Feb in a leap year)."""
    if len(yymmdd) != 6 or not yymmdd.isdigit():
        return False
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    for century in (1900, 2000):
        try:
            dt.date(century + yy, mm, dd)
            return True
        except ValueError:
            continue
    return False


def problems(lines: Sequence[str]) -> list[str]:
    """Why a zone is not a valid ICAO zone: failing check digits, impossible dates, letters
    in digit fields, characters outside the MRZ set. Empty for a valid zone."""
    fmt = format_of(lines)
    if fmt is None:
        return ["no ICAO shape"]
    found = []
    if any(set(line) - MRZ_CHARACTERS for line in lines):
        found.append("non-MRZ characters")
    for name, ok in check_results(lines, fmt).items():
        if not ok:
            found.append(f"check digit fails: {name}")
    values = fields(lines)
    for name in ("date_of_birth", "date_of_expiry"):
        if not calendar_date(values[name].replace(" ", FILLER)):
            found.append(f"impossible date: {name}")
    return found


def decode(lines: Sequence[str]) -> Zone:
    """The :class:`Zone` that well-formed lines encode (inverse of :func:`encode`)."""
    fmt = format_of(lines)
    if fmt is None:
        raise ValueError(f"no ICAO shape: {[len(line) for line in lines]}")
    names = lines[2] if fmt == "TD1" else lines[0][5:]
    primary, _, secondary = names.rstrip(FILLER).partition(FILLER * 2)
    common = {"fmt": fmt, "document_code": lines[0][0:2], "issuing_state": lines[0][2:5].rstrip(FILLER),
              "primary_identifier": primary, "secondary_identifier": secondary}
    if fmt == "TD1":
        l1, l2 = lines[0], lines[1]
        number, _, _ = _td1_number(l1)
        optional = l1[15:30]
        if len(number) > 9:
            optional = optional[len(number) - 9 + 2 :]  # after the rest of the number, its check digit, a filler
        return Zone(**common, document_number=number.rstrip(FILLER), nationality=l2[15:18].rstrip(FILLER),
                    birth=l2[0:6], sex=l2[7], expiry=l2[8:14], optional_data=optional.rstrip(FILLER),
                    optional_data_2=l2[18:29].rstrip(FILLER))
    l2 = lines[1]
    optional_end = {"TD3": 42, "TD2": 35}.get(fmt, len(l2))
    return Zone(**common, document_number=l2[0:9].rstrip(FILLER), nationality=l2[10:13].rstrip(FILLER),
                birth=l2[13:19], sex=l2[20], expiry=l2[21:27], optional_data=l2[28:optional_end].rstrip(FILLER),
                empty_personal_check=l2[42] if fmt == "TD3" else FILLER)
