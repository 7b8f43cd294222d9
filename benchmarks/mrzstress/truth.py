"""What a stress document says: issuing state, holder, document code, numbers, dates, and
(for a share of documents) a deliberate defect that makes the zone invalid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from benchmarks.mrzstress import icao, names

# (MRZ code, printed state name, script of printed names, language for transliteration)
STATES: tuple[tuple[str, str, str, str], ...] = (
    ("GBR", "United Kingdom", "latin", ""), ("IRL", "Ireland", "latin", ""),
    ("USA", "United States of America", "latin", ""), ("CAN", "Canada", "latin", ""),
    ("AUS", "Australia", "latin", ""), ("NZL", "New Zealand", "latin", ""),
    ("ZAF", "South Africa", "latin", ""), ("NGA", "Nigeria", "latin", ""),
    ("KEN", "Kenya", "latin", ""), ("GHA", "Ghana", "latin", ""), ("IND", "India", "latin", ""),
    ("PHL", "Philippines", "latin", ""), ("SGP", "Singapore", "latin", ""),
    ("D", "Bundesrepublik Deutschland", "latin-diacritics", ""), ("AUT", "Republik Österreich", "latin-diacritics", ""),
    ("CHE", "Schweiz Suisse Svizzera", "latin-diacritics", ""), ("FRA", "République Française", "latin-diacritics", ""),
    ("ESP", "Reino de España", "latin-diacritics", ""), ("PRT", "República Portuguesa", "latin-diacritics", ""),
    ("ITA", "Repubblica Italiana", "latin-diacritics", ""), ("POL", "Rzeczpospolita Polska", "latin-diacritics", ""),
    ("CZE", "Česká republika", "latin-diacritics", ""), ("SVK", "Slovenská republika", "latin-diacritics", ""),
    ("HUN", "Magyarország", "latin-diacritics", ""), ("ROU", "România", "latin-diacritics", ""),
    ("HRV", "Republika Hrvatska", "latin-diacritics", ""), ("SWE", "Sverige", "latin-diacritics", ""),
    ("NOR", "Norge", "latin-diacritics", ""), ("DNK", "Danmark", "latin-diacritics", ""),
    ("FIN", "Suomi Finland", "latin-diacritics", ""), ("ISL", "Ísland", "latin-diacritics", ""),
    ("NLD", "Koninkrijk der Nederlanden", "latin-diacritics", ""), ("BEL", "Belgique België", "latin-diacritics", ""),
    ("TUR", "Türkiye Cumhuriyeti", "latin-diacritics", ""), ("LVA", "Latvijas Republika", "latin-diacritics", ""),
    ("LTU", "Lietuvos Respublika", "latin-diacritics", ""), ("VNM", "Việt Nam", "latin-diacritics", ""),
    ("BRA", "República Federativa do Brasil", "latin-diacritics", ""), ("MEX", "Estados Unidos Mexicanos", "latin-diacritics", ""),
    ("COL", "República de Colombia", "latin-diacritics", ""),
    ("RUS", "Российская Федерация", "cyrillic", "ru"), ("UKR", "Україна", "cyrillic", "uk"),
    ("BLR", "Рэспубліка Беларусь", "cyrillic", "be"), ("BGR", "Република България", "cyrillic", "bg"),
    ("SRB", "Република Србија", "cyrillic", "sr"), ("KAZ", "Қазақстан Республикасы", "cyrillic", "kk"),
    ("GRC", "Ελληνική Δημοκρατία", "greek", ""), ("CYP", "Κυπριακή Δημοκρατία", "greek", ""),
    ("EGY", "جمهورية مصر العربية", "arabic", ""), ("JOR", "المملكة الأردنية الهاشمية", "arabic", ""),
    ("SAU", "المملكة العربية السعودية", "arabic", ""), ("ARE", "الإمارات العربية المتحدة", "arabic", ""),
    ("MAR", "المملكة المغربية", "arabic", ""), ("LBN", "الجمهورية اللبنانية", "arabic", ""),
    ("CHN", "中华人民共和国", "cjk", "zh"), ("TWN", "中華民國", "cjk", "zh"), ("JPN", "日本国", "cjk", "ja"),
    ("KOR", "대한민국", "cjk", "ko"),
    ("UTO", "Utopia", "latin", ""), ("GBD", "British Overseas Territories", "latin", ""),
    ("XXA", "Stateless person", "latin", ""), ("UNO", "United Nations", "latin", ""),
)

# Document codes by format. ICAO fixes the first letter (P, I/A/C, V); the second is the
# issuer's choice, which is where unusual codes come from.
DOCUMENT_CODES: dict[str, tuple[tuple[str, float], ...]] = {
    "TD3": (("P<", 0.7), ("PD", 0.08), ("PO", 0.08), ("PS", 0.07), ("PE", 0.07)),
    "TD1": (("I<", 0.3), ("ID", 0.15), ("IR", 0.1), ("AR", 0.06), ("C<", 0.06), ("CR", 0.05),
            ("AC", 0.05), ("IO", 0.05), ("IT", 0.04), ("IP", 0.04), ("IX", 0.04), ("A<", 0.03),
            ("IL", 0.03)),
    "TD2": (("I<", 0.45), ("ID", 0.2), ("IR", 0.15), ("AC", 0.1), ("CD", 0.1)),
    "MRVA": (("V<", 0.6), ("VA", 0.1), ("VB", 0.1), ("VC", 0.1), ("VD", 0.1)),
    "MRVB": (("V<", 0.6), ("VA", 0.1), ("VC", 0.15), ("VT", 0.15)),
}
FORMAT_SHARES = (("TD3", 0.34), ("TD1", 0.26), ("TD2", 0.12), ("MRVA", 0.15), ("MRVB", 0.13))
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Kinds of deliberately invalid zones: the reader must not accept any of them.
MALFORMATIONS = ("check_digit", "impossible_date", "letter_in_digits", "composite")


@dataclass(frozen=True)
class Truth:
    """Everything printed on one stress document."""

    zone: icao.Zone
    lines: tuple[str, ...]
    state_name: str
    script: str
    printed_surname: str
    printed_given: str
    birth_date: dt.date
    expiry_date: dt.date
    issue_date: dt.date
    long_number: bool  # TD1 number longer than 9 characters
    long_optional: bool  # TD1 optional data filling most of its field
    malformation: str | None = None  # one of MALFORMATIONS, or None for a valid zone
    malformation_detail: str = ""


def _choice(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...]) -> str:
    values, weights = zip(*weighted)
    p = np.asarray(weights, dtype=float)
    return str(values[int(rng.choice(len(values), p=p / p.sum()))])


def _random_text(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


def _document_number(rng: np.random.Generator, long: bool) -> str:
    if long:
        return _random_text(rng, LETTERS, int(rng.integers(1, 4))) + _random_text(rng, DIGITS, int(rng.integers(9, 12)))
    style = int(rng.integers(4))
    if style == 0:
        return _random_text(rng, DIGITS, 9)
    if style == 1:
        return _random_text(rng, LETTERS, 2) + _random_text(rng, DIGITS, 7)
    if style == 2:
        return _random_text(rng, ALNUM, 9)
    return _random_text(rng, LETTERS, 1) + _random_text(rng, DIGITS, int(rng.integers(5, 8)))  # short: fillers follow


def _date_between(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _optional_data(rng: np.random.Generator, fmt: str, long: bool) -> tuple[str, str]:
    """(optional data / personal number, TD1 line-2 optional data)."""
    if fmt == "TD1":
        first = _random_text(rng, DIGITS, int(rng.integers(11, 16))) if long else (
            _random_text(rng, ALNUM, int(rng.integers(0, 9))) if rng.random() < 0.5 else "")
        second = _random_text(rng, ALNUM, int(rng.integers(6, 12))) if long or rng.random() < 0.3 else ""
        return first, second
    room = {"TD3": 14, "TD2": 7, "MRVA": 16, "MRVB": 8}[fmt]
    if rng.random() < 0.45:
        return "", ""
    return _random_text(rng, ALNUM if rng.random() < 0.5 else DIGITS, int(rng.integers(3, room + 1))), ""


def draw_truth(rng: np.random.Generator, malformed_share: float) -> Truth:
    """One document: format, state, holder, codes, numbers, dates (ICAO-valid unless malformed)."""
    fmt = _choice(rng, FORMAT_SHARES)
    code, state_name, script, language = STATES[int(rng.integers(len(STATES)))]
    printed_surname, printed_given, mrz_surname, mrz_given = names.draw_name(rng, script, language)
    if rng.random() < 0.05:
        mrz_given, printed_given = "", ""  # a holder with one name only
    document_code = _choice(rng, DOCUMENT_CODES[fmt])
    # Residence permits and visas are held by foreigners; passports and ID cards mostly not.
    nationality = code
    if document_code[0] in "AVC" or document_code in ("IR",) or rng.random() < 0.05:
        nationality = STATES[int(rng.integers(len(STATES)))][0]
    long_number = fmt == "TD1" and rng.random() < 0.25
    long_optional = fmt == "TD1" and (long_number or rng.random() < 0.3)
    optional, optional_2 = _optional_data(rng, fmt, long_optional)
    birth = _date_between(rng, dt.date(1938, 1, 1), dt.date(2012, 12, 31))
    expiry = _date_between(rng, dt.date(2016, 1, 1), dt.date(2037, 12, 31))
    issue = expiry - dt.timedelta(days=365 * int(rng.choice([5, 10])))
    sex = _choice(rng, (("M", 0.47), ("F", 0.47), ("X", 0.04), ("<", 0.02)))
    zone = icao.Zone(
        fmt=fmt, document_code=document_code, issuing_state=code, primary_identifier=mrz_surname,
        secondary_identifier=mrz_given, document_number=_document_number(rng, long_number),
        nationality=nationality, birth=birth.strftime("%y%m%d"), sex=sex, expiry=expiry.strftime("%y%m%d"),
        optional_data=optional, optional_data_2=optional_2,
        empty_personal_check="<" if rng.random() < 0.7 else "0",
    )
    truth = Truth(zone, icao.encode(zone), state_name, script, printed_surname, printed_given,
                  birth, expiry, issue, long_number, long_optional)
    if rng.random() < malformed_share:
        truth = malform(rng, truth)
    return truth


def _set_char(lines: tuple[str, ...], line: int, col: int, ch: str) -> tuple[str, ...]:
    out = list(lines)
    out[line] = out[line][:col] + ch + out[line][col + 1 :]
    return tuple(out)


def malform(rng: np.random.Generator, truth: Truth) -> Truth:
    """Make the zone invalid in one of the MALFORMATIONS ways (recorded in the truth)."""
    fmt = truth.zone.fmt
    kinds = [k for k in MALFORMATIONS if k != "composite" or fmt in ("TD1", "TD2", "TD3")]
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind in ("impossible_date", "letter_in_digits"):
        # The defect is printed and every check digit computed over it: only a reader that
        # checks calendar dates and character classes refuses it.
        which = "expiry" if rng.random() < 0.5 else "birth"
        value = getattr(truth.zone, which)
        if kind == "impossible_date":
            if rng.random() < 0.6:
                value = value[:4] + str(int(rng.integers(32, 100)))  # day 32–99, e.g. 63
            else:
                value = value[:2] + str(int(rng.integers(13, 100))) + value[4:]  # month 13–99
        else:
            col = int(rng.integers(6))
            value = value[:col] + LETTERS[int(rng.integers(26))] + value[col + 1 :]
        zone = replace(truth.zone, **{which: value})
        return replace(truth, zone=zone, lines=icao.encode(zone), malformation=kind,
                       malformation_detail=f"{which} printed as {value}")
    checks = icao.checked_fields(truth.lines, fmt)
    target = [c for c in checks if c.name == "composite"][0] if kind == "composite" else (
        checks[int(rng.integers(len([c for c in checks if c.name != "composite"])))])
    line, col = _check_position(truth.lines, fmt, target.name)
    old = truth.lines[line][col]
    new = str((int(old) + int(rng.integers(1, 10))) % 10) if old.isdigit() else str(int(rng.integers(1, 10)))
    lines = _set_char(truth.lines, line, col, new)
    return replace(truth, lines=lines, malformation=kind,
                   malformation_detail=f"{target.name} check digit {old}→{new}")


def _check_position(lines: tuple[str, ...], fmt: str, name: str) -> tuple[int, int]:
    """(line, column) of a field's check digit."""
    if fmt == "TD1":
        if name == "document_number":
            if lines[0][14] == "<" and lines[0][15] != "<":
                return 0, 15 + len(lines[0][15:].split("<", 1)[0]) - 1
            return 0, 14
        return {"birth": (1, 6), "expiry": (1, 14), "composite": (1, 29)}[name]
    return 1, {"document_number": 9, "birth": 19, "expiry": 27, "personal_number": 42,
               "composite": 43 if fmt == "TD3" else 35}[name]
