"""More readings of an MRZ whose check digits fail: each line re-read from other pixels
(enlarged and sharpened, adaptively binarised) by both engines, and a column vote per engine.

The vote is made separately for each engine, so that the two results stay independent and
the usual agreement and check-digit rules of :func:`mrz_repair.combine_readings` decide
what is confirmed: voting only chooses, per column, between characters an engine read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openidv.pipeline import mrz_repair, ocr
from openidv.pipeline.document.geometry import WorkImage, warp_line
from openidv.pipeline.document.mrz_zone import MrzLine
from openidv.pipeline.engines import Engines
from openidv.pipeline.mrz import FORMAT_SHAPES, position_classes

# Height the line crops are enlarged to before sharpening or binarising (the zone band holds
# lines ~40 px tall; RapidOCR reads at 48 px). Chosen as a round step above both; not tuned.
VOTE_LINE_HEIGHT_PX = 64
# Unsharp mask: blur sigma relative to the line height and the amount added back. A mild
# mask (one stroke width); not tuned on any image.
UNSHARP_SIGMA_PER_LINE_HEIGHT = 1.0 / 32
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
    crop = warp_line(zone_work.image, line.geom.quad, pad=0.15)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    scale = VOTE_LINE_HEIGHT_PX / max(grey.shape[0], 1)
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def sharpened(grey: np.ndarray) -> np.ndarray:
    """Contrast-stretched and unsharp-masked (thin strokes of a small or soft line stand out)."""
    lo, hi = np.percentile(grey, (2, 98))
    stretched = np.clip((grey.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255)
    sigma = max(grey.shape[0] * UNSHARP_SIGMA_PER_LINE_HEIGHT, 0.8)
    blurred = cv2.GaussianBlur(stretched, (0, 0), sigma)
    return np.clip(stretched * (1 + UNSHARP_AMOUNT) - blurred * UNSHARP_AMOUNT, 0, 255).astype(np.uint8)


def binarised(grey: np.ndarray) -> np.ndarray:
    """Adaptive threshold over about one line height (glare, shadow and uneven light)."""
    block = (grey.shape[0] // 2) * 2 + 1
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.0)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block,
                                 BINARISE_OFFSET)


PREPROCESSINGS = (sharpened, binarised)


def extra_readings(engines: Engines, zone_work: WorkImage, zone: Sequence[MrzLine]) -> tuple[EngineReadings, EngineReadings]:
    """Each preprocessing of every line, read by RapidOCR and by Tesseract's MRZ model."""
    greys = [_grey_line(zone_work, ln) for ln in zone]
    rapid, tess = [], []
    for prep in PREPROCESSINGS:
        images = [cv2.copyMakeBorder(prep(g), 10, 10, 10, 10, cv2.BORDER_REPLICATE) for g in greys]
        rapid.append(tuple(t for t, _ in ocr.recognize_lines(engines, [cv2.cvtColor(i, cv2.COLOR_GRAY2BGR)
                                                                          for i in images])))
        tess.append(tuple(ocr.tesseract_read_line(engines, i)[0] for i in images))
    return EngineReadings("rapidocr", tuple(rapid)), EngineReadings("tesseract-mrz", tuple(tess))


def vote_line(readings: Sequence[str], classes: str, length: int) -> str:
    """One line from several raw readings: per column, the character with most votes.

    Readings are cleaned and fitted to the line length, then aligned column by column on
    the first (non-empty) one. A character legal in its column's class counts one vote, one
    that would need mapping (a letter in a date) ``MAPPED_VOTE_WEIGHT``; the raw character
    wins, not its mapping, so that the class repair and its exceptions stay with
    :func:`mrz_repair.combine_readings`. Ties go to the earlier reading.
    """
    fitted = [mrz_repair.fit_line_length(mrz_repair.clean_line(r), length) for r in readings if r]
    if not fitted:
        return ""
    columns = [mrz_repair.align_to(fitted[0], f) for f in fitted]
    out = []
    for col in range(length):
        scores: dict[str, float] = {}
        for aligned in columns:
            ch = aligned[col]
            if ch is None:
                continue
            native = col >= len(classes) or mrz_repair.fits_class(ch, classes[col])
            scores[ch] = scores.get(ch, 0.0) + (1.0 if native else MAPPED_VOTE_WEIGHT)
        out.append(max(scores, key=scores.__getitem__) if scores else fitted[0][col])  # first max: earlier reading
    return "".join(out)


def vote_reading(readings: EngineReadings, fmt: str) -> tuple[str, ...]:
    """:func:`vote_line` on every line of one engine's readings of a zone."""
    _, length = FORMAT_SHAPES[fmt]
    classes = position_classes(fmt)
    n_lines = len(classes)
    usable = [r for r in readings.readings if len(r) == n_lines]
    return tuple(vote_line([r[i] for r in usable], classes[i], length) for i in range(n_lines))
