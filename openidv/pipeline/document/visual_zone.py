"""The printed (non-MRZ) data of a document: recognising its lines, finding values under their
labels, parsing printed dates, and cross-checking them against the MRZ."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Protocol

from openidv.core.vocab import DocumentCode
from openidv.pipeline import mrz as mrzlib
from openidv.pipeline import ocr
from openidv.pipeline.document.geometry import LineGeom, WorkImage, warp_line
from openidv.pipeline.engines import Engines
from openidv.pipeline.results import VisualZoneData

# Field labels of the visual zone, strongest first (regular expressions on folded text).
LABELS: dict[str, tuple[str, ...]] = {
    "surname": (r"\bSURNAMES?\b", r"\bNOM\b", r"\bNAZWISKO\b", r"\bAPELLIDOS?\b",
                r"FAMILY NAME", r"\bNAME\b"),
    "given_names": (r"GIVEN NAMES?", r"\bPRENOMS?\b", r"\bVORNAMEN?\b", r"FORENAMES?",
                    r"\bIMIONA\b", r"\bNOMBRES?\b", r"FIRST NAMES?"),
    "date_of_birth": (r"DATE OF BIRTH", r"BIRTH ?DATE", r"DATE DE NAISSANCE", r"GEBURTSDATUM",
                      r"\bBIRTH\b"),
    "date_of_expiry": (r"DATE OF EXPIRY", r"\bEXPIRY\b", r"EXPIRATION", r"VALID UNTIL",
                       r"GULTIG BIS"),
    "date_of_issue": (r"DATE OF ISSUE", r"\bISSUE DATE\b", r"DELIVRANCE", r"AUSSTELLUNG"),
    "document_number": (r"PASSPORT N(O|R|UMBER)\b", r"DOCUMENT N(O|R|UMBER)\b",
                        r"CARD N(O|R|UMBER)\b", r"PASS N(O|R)\b"),
}
# A line holding one of these words labels something else (place of birth, personal number).
LABEL_EXCLUSIONS = (r"\bPLACE\b", r"\bLIEU\b", r"\bPERSONAL\b", r"\bPOST\b", r"\bORT\b")
MONTHS = {"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
          "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12, "JANV": 1, "FEVR": 2, "FEV": 2, "MARS": 3,
          "AVR": 4, "MAI": 5, "JUIN": 6, "JUIL": 7, "AOUT": 8, "SEPT": 9, "DEZ": 12,
          "OKT": 10, "MRZ": 3}
# A visual-zone value is compared with the MRZ only when recognised at least this surely.
VIZ_MIN_SCORE = 0.85
# A label line longer than this many heights is taken for merged labels of two fields.
MERGED_LABEL_MIN_ASPECT = 14
# Names disagree when their similarity (difflib ratio, accents folded) is below this.
# A one-letter OCR slip in an 8-letter name scores 0.875 (ERIKSSDN/ERIKSSON); different
# names score lower (NOWAK/KOWALCZYK 0.57, SMITH/MUSTERMANN 0.27).
NAME_MIN_SIMILARITY = 0.7
_DATE_NUMERIC = re.compile(r"(\d{1,2})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{4}|\d{2})\b")
_DATE_ISO = re.compile(r"\b(\d{4})\s*[-./]\s*(\d{2})\s*[-./]\s*(\d{2})\b")
_DATE_MONTH = re.compile(r"(\d{1,2})\s*([A-Z]{3,4})\.?(?:\s*/\s*[A-Z]{3,4}\.?)?\s*(\d{4}|\d{2})\b")


def fold_text(text: str) -> str:
    """Upper case, accents removed (É→E, ß→SS), to compare printed text with the MRZ."""
    text = text.replace("ß", "SS").replace("Æ", "AE").replace("Ø", "O")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def parse_printed_date(text: str, *, birth: bool = False, today: dt.date | None = None) -> dt.date | None:
    """A date printed in the visual zone (12.08.1974, 12 AUG 74, 12 AOUT/AUG 1974, 1974-08-12)."""
    dates = printed_date_readings(text, birth=birth, today=today)
    return dates[0] if dates else None


def printed_date_readings(text: str, *, birth: bool = False, today: dt.date | None = None) -> list[dt.date]:
    """Every date a printed value can mean: 10/04/49 is 10 April (Europe) or 4 October (US)."""
    t = fold_text(text)
    today = today or dt.date.today()

    def year_of(y: str) -> int:
        if len(y) == 4:
            return int(y)
        full = 2000 + int(y)
        if birth and full > today.year:
            return full - 100
        return full

    found: list[dt.date | None] = []
    m = _DATE_ISO.search(t)
    if m:
        found.append(mrzlib.safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    m = _DATE_MONTH.search(t)
    if m and m.group(2) in MONTHS:
        found.append(mrzlib.safe_date(year_of(m.group(3)), MONTHS[m.group(2)], int(m.group(1))))
    m = _DATE_NUMERIC.search(t)
    if m and not found:
        year = year_of(m.group(3))
        found.append(mrzlib.safe_date(year, int(m.group(2)), int(m.group(1))))
        found.append(mrzlib.safe_date(year, int(m.group(1)), int(m.group(2))))
    return list(dict.fromkeys(d for d in found if d is not None))


@dataclass(frozen=True)
class VizLine:
    text: str
    score: float
    geom: LineGeom


def read_visual_zone(engines: Engines, work: WorkImage, lines: Sequence[LineGeom], mrz_lines: Sequence[LineGeom]) -> list[VizLine]:
    """Recognise every detected line that is not part of the MRZ (RapidOCR)."""
    others = [g for g in lines if g.length >= 0.8 * g.height and not any(
        abs(float(g.center[1] - m.center[1])) < 0.6 * m.height
        and m.quad[:, 0].min() - m.height < g.center[0] < m.quad[:, 0].max() + m.height
        for m in mrz_lines)]
    crops = [warp_line(work.image, g.quad, pad=0.05) for g in others]
    texts = ocr.recognize_lines(engines, crops)
    return [VizLine(t, s, g) for g, (t, s) in zip(others, texts) if t.strip()]


def _value_below(label: VizLine, lines: Sequence[VizLine], at: float = 0.0) -> VizLine | None:
    """The line printed just under a label, starting near where the label word is.

    ``at`` is where the matched label word starts, as a share of the label's text: used
    for wide lines where the detector merged the labels of two fields side by side.
    """
    best, best_d = None, 1e9
    x0, x1 = float(label.geom.quad[:, 0].min()), float(label.geom.quad[:, 0].max())
    label_left = x0 + at * (x1 - x0) if label.geom.length > MERGED_LABEL_MIN_ASPECT * label.geom.height else x0
    for ln in lines:
        if ln is label:
            continue
        dy = ln.geom.center[1] - label.geom.center[1]
        x_left = ln.geom.quad[:, 0].min()
        if 0.4 * label.geom.height < dy < 2.6 * label.geom.height and abs(x_left - label_left) < 3 * label.geom.height:
            d = dy + abs(x_left - label_left) * 0.5
            if d < best_d:
                best, best_d = ln, d
    return best


def _label_keys(text: str) -> dict[str, tuple[int, float]]:
    """Fields a line labels: priority of the matching label (0 = strongest), and where in
    the text (share of its length) the label word starts."""
    folded = fold_text(text)
    if any(re.search(x, folded) for x in LABEL_EXCLUSIONS):
        return {}
    keys = {}
    for key, patterns in LABELS.items():
        for rank, pattern in enumerate(patterns):
            m = re.search(pattern, folded)
            if m:
                keys[key] = (rank, m.start() / max(len(folded), 1))
                break
    if "surname" in keys and "given_names" in keys:
        del keys["surname"]  # "Given names / Prénoms" also matches NOM-like words
    return keys


def _labelled_values(lines: Sequence[VizLine]) -> dict[str, VizLine]:
    """The value printed under each field label; labels covering two fields are skipped."""
    best: dict[str, tuple[int, VizLine]] = {}
    for ln in lines:
        keys = _label_keys(ln.text)
        if len(keys) != 1:
            continue  # no label, or a merged line labelling two fields: ambiguous
        key, (rank, at) = next(iter(keys.items()))
        value = _value_below(ln, lines, at)
        if value is None or _label_keys(value.text):
            continue
        if key not in best or rank < best[key][0]:
            best[key] = (rank, value)
    return {key: value for key, (_, value) in best.items()}


def _name_similarity(printed: str, mrz_name: str) -> float:
    """How well a printed name matches the MRZ name: 1.0 when the MRZ name is in it
    ("LIN, CHIEN-SHENG" holds "LIN"), else the best difflib ratio of the letters (accents
    folded) over the whole value and its comma/slash-separated parts ("ERIKKSON, ANNA")."""
    target = re.sub(r"[^A-Z]", "", fold_text(mrz_name))
    whole = re.sub(r"[^A-Z]", "", fold_text(printed))
    if not whole or not target or target in whole or whole in target:
        return 1.0
    parts = [whole] + [re.sub(r"[^A-Z]", "", p) for p in re.split(r"[,/]", fold_text(printed))]
    return max(difflib.SequenceMatcher(a=p, b=target).ratio() for p in parts if p)


class MachineReadable(Protocol):
    """What the printed data is checked against: the MRZ, or a driving licence's barcode."""

    surname: str
    given_names: str
    document_number: str
    date_of_birth: Optional[str]  # ISO dates
    date_of_expiry: Optional[str]


def cross_check(
    mrz: MachineReadable, groups: Sequence[Sequence[VizLine]], today: dt.date | None
) -> tuple[VisualZoneData, list[str]]:
    """Printed values found by their labels, and the codes of fields that contradict the
    machine-readable data (the MRZ, or a barcode).

    ``groups`` holds the lines of each image (front, back) separately: a label's value is
    looked for only in the same image.
    """
    values: dict[str, VizLine] = {}
    for lines in groups:
        for key, value in _labelled_values(lines).items():
            values.setdefault(key, value)
    lines = [ln for group in groups for ln in group]
    errors: list[str] = []
    surname = given = number = None
    dates: dict[str, str | None] = {}
    if "surname" in values:
        v = values["surname"]
        surname = v.text.strip()
        if v.score >= VIZ_MIN_SCORE and _name_similarity(surname, mrz.surname) < NAME_MIN_SIMILARITY:
            errors.append(DocumentCode.DOC_SURNAME_ERROR)
    if "given_names" in values:
        v = values["given_names"]
        given = v.text.strip()
        if v.score >= VIZ_MIN_SCORE and mrz.given_names and _name_similarity(given, mrz.given_names) < NAME_MIN_SIMILARITY:
            errors.append(DocumentCode.DOC_NAME_ERROR)
    if "document_number" in values:
        v = values["document_number"]
        candidate = re.sub(r"[^A-Z0-9]", "", fold_text(v.text))
        if candidate and any(ch.isdigit() for ch in candidate):
            number = candidate
            if v.score >= VIZ_MIN_SCORE and difflib.SequenceMatcher(a=candidate, b=mrz.document_number).ratio() < 0.6:
                errors.append(DocumentCode.DOC_NUMBER_ERROR)
    for key, mrz_value, code in (("date_of_birth", mrz.date_of_birth, DocumentCode.DOC_DOB_ERROR),
                                 ("date_of_expiry", mrz.date_of_expiry, DocumentCode.DOC_EXPIRY_ERROR),
                                 ("date_of_issue", None, "")):
        if key not in values:
            continue
        v = values[key]
        readings = [d.isoformat() for d in printed_date_readings(v.text, birth=key == "date_of_birth", today=today)]
        dates[key] = (mrz_value if mrz_value in readings else readings[0]) if readings else None
        if readings and mrz_value and code and v.score >= VIZ_MIN_SCORE and mrz_value not in readings:
            errors.append(code)
    visual = VisualZoneData(
        surname=surname, given_names=given, document_number=number,
        date_of_birth=dates.get("date_of_birth"), date_of_expiry=dates.get("date_of_expiry"),
        date_of_issue=dates.get("date_of_issue"),
        raw_text=tuple(ln.text for ln in lines),
    )
    return visual, errors
