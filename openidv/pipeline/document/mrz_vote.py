"""More readings of an MRZ whose check digits fail: each line re-read from other pixels
(enlarged and sharpened, adaptively binarised) by both engines, and a column vote per engine.

The vote is made separately for each engine, so that the two results stay independent and
the usual agreement and check-digit rules of :func:`mrz_repair.combine_readings` decide
what is confirmed: voting only chooses, per column, between characters an engine read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openidv.pipeline import mrz_repair, ocr
from openidv.pipeline.document.geometry import WorkImage, warp_line
from openidv.pipeline.document.mrz_zone import MrzLine
from openidv.pipeline.engines import Engines
from openidv.pipeline.mrz import FORMAT_SHAPES, LAYOUTS, parse_mrz, position_classes
from openidv.pipeline.results import MrzData

# Glyph height the line crops are scaled to before sharpening or binarising (in the zone
# band glyphs are ~20 px tall; Tesseract's secondary reading sees ~19 px). Not tuned.
VOTE_GLYPH_HEIGHT_PX = 28
# A row belongs to a line's glyphs when it holds at least this share of the most inked
# row's ink; the run found must be this share of the box height (else the box is used).
GLYPH_ROW_INK_SHARE = 0.2
GLYPH_SHARE_OF_BOX = (0.3, 0.85)
# Unsharp mask: blur sigma (px at VOTE_GLYPH_HEIGHT_PX, about one stroke width) and the
# amount added back. A mild mask; not tuned on any image.
UNSHARP_SIGMA_PX = 1.5
UNSHARP_AMOUNT = 1.0
# Adaptive binarisation: neighbourhood of about one line height, offset in grey levels.
BINARISE_OFFSET = 10
# A character that needed mapping onto its column's class (O read in a date) counts this
# much of a vote: it is weaker evidence than one read as a legal character.
MAPPED_VOTE_WEIGHT = 0.5


@dataclass(frozen=True)
class EngineReadings:
    """Several readings of the same zone by one engine, best-trusted first."""

    engine: str
    readings: tuple[tuple[str, ...], ...]


def _grey_line(zone_work: WorkImage, line: MrzLine) -> np.ndarray:
    """The line, straightened, cut to its own glyphs and scaled to ``VOTE_GLYPH_HEIGHT_PX``."""
    grey, glyph_height = glyph_band(zone_work.image, line.geom.quad)
    scale = VOTE_GLYPH_HEIGHT_PX / max(glyph_height, 1)
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def glyph_band(image: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, int]:
    """A line cut out along its box, only its own glyph rows kept: (grey crop, glyph height).

    The detector's box of an MRZ line is about twice as tall as the glyphs, so its crop
    also holds the tops or bottoms of the neighbouring lines, which costs Tesseract the
    whole line. The glyph rows are the run of inked rows nearest the box's middle; rows
    outside it are painted with the background. Falls back to the box crop when no
    plausible run is found.
    """
    box = cv2.cvtColor(warp_line(image, quad, pad=0.15), cv2.COLOR_BGR2GRAY)
    height = box.shape[0] / 1.3
    _, ink = cv2.threshold(box, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    profile = ink.sum(axis=1, dtype=np.float64)
    inked = profile > GLYPH_ROW_INK_SHARE * profile.max()
    rows = np.flatnonzero(inked)
    if len(rows) == 0:
        return box, int(round(height * 0.5))
    top = bottom = int(rows[np.argmin(np.abs(rows - box.shape[0] // 2))])
    while top > 0 and inked[top - 1]:
        top -= 1
    while bottom < box.shape[0] - 1 and inked[bottom + 1]:
        bottom += 1
    glyph = bottom - top + 1
    if not GLYPH_SHARE_OF_BOX[0] * height <= glyph <= GLYPH_SHARE_OF_BOX[1] * height:
        return box, int(round(height * 0.5))
    background = float(np.percentile(box, 90))
    margin = max(2, int(round(0.3 * glyph)))
    out = np.full((glyph + 2 * margin, box.shape[1]), background, dtype=np.uint8)
    out[margin:margin + glyph] = box[top:bottom + 1]
    return out, glyph


def sharpened(grey: np.ndarray) -> np.ndarray:
    """Contrast-stretched and unsharp-masked (thin strokes of a small or soft line stand out)."""
    lo, hi = np.percentile(grey, (2, 98))
    stretched = np.clip((grey.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255)
    sigma = UNSHARP_SIGMA_PX
    blurred = cv2.GaussianBlur(stretched, (0, 0), sigma)
    return np.clip(stretched * (1 + UNSHARP_AMOUNT) - blurred * UNSHARP_AMOUNT, 0, 255).astype(np.uint8)


def binarised(grey: np.ndarray) -> np.ndarray:
    """Adaptive threshold over about one glyph height (glare, shadow and uneven light)."""
    block = (VOTE_GLYPH_HEIGHT_PX // 2) * 2 + 1
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.0)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block,
                                 BINARISE_OFFSET)


PREPROCESSINGS = (sharpened, binarised)


def extra_readings(engines: Engines, zone_work: WorkImage, zone: Sequence[MrzLine]) -> tuple[EngineReadings, EngineReadings]:
    """Each preprocessing of every line, read by RapidOCR and by Tesseract's MRZ model."""
    greys = [_grey_line(zone_work, ln) for ln in zone]
    rapid, tess = [], []
    for prep in PREPROCESSINGS:
        images = [cv2.copyMakeBorder(prep(g), 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255) for g in greys]
        rapid.append(tuple(t for t, _ in ocr.recognize_lines(engines, [cv2.cvtColor(i, cv2.COLOR_GRAY2BGR)
                                                                          for i in images])))
        tess.append(tuple(ocr.tesseract_read_line(engines, i)[0] for i in images))
    return EngineReadings("rapidocr", tuple(rapid)), EngineReadings("tesseract-mrz", tuple(tess))


def vote_line(readings: Sequence[str], classes: str, length: int) -> str:
    """One line from several raw readings: per column, the character with most votes.

    One reading, fitted to the line length, is the reference; every other reading is aligned to it character by character (a reading with stray glyphs
    before or after the line, or one filler more, still lands in the right columns). A
    character legal in its column's class counts one vote, one that would need mapping
    (a letter in a date) ``MAPPED_VOTE_WEIGHT``; the raw character wins, not its
    mapping, so that the class repair and its exceptions stay with
    :func:`mrz_repair.combine_readings`. Ties go to the earlier reading.
    """
    cleaned = [mrz_repair.clean_line(r) for r in readings]
    cleaned = [c for c in cleaned if c]
    if not cleaned:
        return ""
    # The reference is the earliest reading of the line's length (or nearest to it): one
    # read short has lost characters, and fitting it shifts the columns after the loss.
    nearest = min(range(len(cleaned)), key=lambda i: (abs(len(cleaned[i]) - length), i))
    reference = mrz_repair.fit_line_length(cleaned[nearest], length)
    columns = [list(reference) if i == nearest else _aligned(reference, c, length) for i, c in enumerate(cleaned)]
    out = []
    for col in range(length):
        scores: dict[str, float] = {}
        for aligned in columns:
            ch = aligned[col]
            if ch is None:
                continue
            native = col >= len(classes) or mrz_repair.fits_class(ch, classes[col])
            scores[ch] = scores.get(ch, 0.0) + (1.0 if native else MAPPED_VOTE_WEIGHT)
        out.append(max(scores, key=scores.__getitem__))  # the first of equal scores: earlier reading
    return "".join(out)


def _aligned(reference: str, reading: str, length: int) -> list[str | None]:
    """``reading`` aligned to the columns of ``reference``: as read, or fitted to the line
    length first, whichever matches the reference in more columns."""
    as_read = mrz_repair.align_to(reference, reading)
    fitted = mrz_repair.align_to(reference, mrz_repair.fit_line_length(reading, length))
    agree = lambda cols: sum(a == b for a, b in zip(reference, cols))  # noqa: E731
    return as_read if agree(as_read) >= agree(fitted) else fitted


def vote_reading(readings: EngineReadings, fmt: str) -> tuple[str, ...]:
    """:func:`vote_line` on every line of one engine's readings of a zone."""
    _, length = FORMAT_SHAPES[fmt]
    classes = position_classes(fmt)
    n_lines = len(classes)
    usable = [r for r in readings.readings if len(r) == n_lines]
    return tuple(vote_line([r[i] for r in usable], classes[i], length) for i in range(n_lines))


def guarded(vote: MrzData, before: MrzData, originals: Sequence[Sequence[str]], fmt: str,
            today: dt.date | None) -> MrzData | None:
    """The voted result, held to what the extra readings can prove; None to discard it.

    The extra readings of both engines look at the same preprocessed pixels, so their
    errors are not independent (a binarised F that closed into an E fools both). Hence:
    * a field the first readings had settled (agreed, check digit passing) must come out
      the same, or the vote is discarded: it contradicts better evidence;
    * a field without a check digit that the vote newly confirms must have that value in
      one of the first readings (on the original pixels); else it stays unconfirmed;
    * a field with a check digit may change in at most
      ``mrz_repair.MAX_DIFFERENCES_CHECK_DIGIT_SETTLES`` characters, as when a check digit
      chooses between two readings; further, it stays unconfirmed;
    * a field the vote does not settle keeps the characters it had before: the vote only
      fills what it settles.
    """
    first = [mrz_repair.normalise_reading(r, fmt) for r in originals if len(r) == len(before.lines)]
    unconfirmed = set(vote.unconfirmed_fields)
    lines = [list(line) for line in vote.lines]
    for spec in LAYOUTS[fmt]:
        public = set(mrz_repair._public_names([spec.name]))
        cols = list(range(spec.start, spec.end)) + ([spec.check] if spec.check is not None else [])
        old = "".join(before.lines[spec.line][c] for c in cols)
        new = "".join(vote.lines[spec.line][c] for c in cols)
        if not public & set(before.unconfirmed_fields) and before.check_digits.get(spec.name, True):
            if new != old:
                return None
            continue
        if not public & unconfirmed:
            if spec.check is None:
                if new not in {"".join(r[spec.line][c] for c in cols) for r in first}:
                    unconfirmed |= public
            elif sum(a != b for a, b in zip(old, new)) > mrz_repair.MAX_DIFFERENCES_CHECK_DIGIT_SETTLES:
                unconfirmed |= public
        if public & unconfirmed or not vote.check_digits.get(spec.name, True):
            for c in cols:
                lines[spec.line][c] = before.lines[spec.line][c]
    final = tuple("".join(line) for line in lines)
    if final == vote.lines and unconfirmed == set(vote.unconfirmed_fields):
        return vote
    kept = tuple(f for f in vote.unconfirmed_fields) + tuple(sorted(unconfirmed - set(vote.unconfirmed_fields)))
    return parse_mrz(final, today=today, unconfirmed_fields=kept,
                     unprotected_fields=mrz_repair.unprotected_fields(final, fmt), method=vote.method)
