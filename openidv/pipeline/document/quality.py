"""Photo quality of a document: text sharpness, glare on the portrait, an MRZ cut off by
the image edge, and the fast "is there a document at all" check of photo validation.

Thresholds are measured in docs/benchmarks-mrz.md."""

from __future__ import annotations

from collections.abc import Sequence
import cv2
import numpy as np

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline import ocr
from openidv.pipeline.document.geometry import LineGeom, _apply, warp_line
from openidv.pipeline.document.mrz_zone import MrzLocation
from openidv.pipeline.engines import Engines
from openidv.pipeline.mrz_repair import clean_line
from openidv.pipeline.results import Box

# Sharpness of MRZ/text line crops: mean |Laplacian| / contrast on crops scaled to 32 px
# height. Dev set (54 real images): minimum 0.058 (27_pass-gbr), all read. Synthetic TD3
# pages at 0.6 scale: blur sigma 2 px 0.056–0.063 (read exactly), sigma 3 px 0.038–0.041
# (misread), sigma 4–5 px <= 0.035 (unreadable).
SHARPNESS_MIN = 0.05
# Glare on the portrait: share of near-white, unsaturated pixels in the detected face box.
# Dev set max 0.088 (resident_cards_USA_Permanent); synthetic glare spot of strength 0.3
# over the face: 0.51. (Stronger glare hides the face from the detector altogether.)
PORTRAIT_GLARE_MAX_FRACTION = 0.30
GLARE_VALUE_MIN = 245
GLARE_SATURATION_MAX = 40
# MRZ lines ending closer than this to the image border (fraction of line height) and read
# shorter than the format are cut off (chosen, not tuned: synthetic pages cut by 10–30 %
# have their MRZ lines end beyond the border).
EDGE_MARGIN_LINE_HEIGHTS = 0.6
# More than this share of failing check digits means the MRZ was not really read (chosen,
# not tuned). Dev specimens printing invalid check digits fail 1–2 of 4, except 0_id-esp
# (3 of 4), which therefore gets MRZ_OCR_READING_ERROR — with its data still returned.
MAX_FAILING_CHECK_SHARE = 0.5
# The image is shrunk to this long side for the fast check: detection only, 0.1–0.3 s on
# 2 cores (measured with other jobs running; 480 px was not faster enough to lose lines).
FAST_CHECK_LONG_SIDE_PX = 640
# A document shows many text lines. Measured at 640 px on shared/data: the 54 documents
# have >= 7 lines (77_card-cmw), and those with fewer than 10 cover >= 0.24 of the image
# (tight scans); of the 77 face photos the most text-like has 7 lines covering 0.09
# (img39, a printed backdrop) and the largest area is 0.245 with 5 lines (img23).
# Synthetic pages photographed on a table show 11–17 lines covering only 0.06–0.18.
# So: many lines, or a fair number of lines that fill the frame.
FAST_CHECK_MANY_TEXT_LINES = 10
FAST_CHECK_MIN_TEXT_LINES = 7
FAST_CHECK_MIN_TEXT_AREA = 0.15


def line_sharpness(image: np.ndarray, lines: Sequence[LineGeom]) -> float | None:
    """Mean |Laplacian| / contrast of text-line crops scaled to 32 px height (higher = sharper)."""
    values = []
    for g in lines:
        crop = cv2.cvtColor(warp_line(image, g.quad, pad=0.0), cv2.COLOR_BGR2GRAY)
        scale = 32.0 / crop.shape[0]
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        lo, hi = np.percentile(crop, (5, 95))
        contrast = max(float(hi - lo), 1.0)
        lap = cv2.Laplacian(crop.astype(np.float32), cv2.CV_32F)
        values.append(float(np.mean(np.abs(lap))) / contrast)
    return float(np.median(values)) if values else None


def portrait_glare_fraction(image: np.ndarray, box: Box) -> float:
    """Share of near-white, unsaturated (specular) pixels inside the portrait box."""
    x, y, w, h = box
    roi = image[max(y, 0) : y + h, max(x, 0) : x + w]
    if roi.size == 0:
        return 0.0
    hsv = cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)
    glare = (hsv[:, :, 2] >= GLARE_VALUE_MIN) & (hsv[:, :, 1] <= GLARE_SATURATION_MAX)
    return float(glare.mean())


def expected_line_length(location: MrzLocation | None, read_format: str | None) -> int:
    """Characters per line the zone should have: passports (P…) are always TD3 (44)."""
    if location is None or not location.lines:
        return 0
    first = clean_line(location.lines[0].text)[:1]
    if len(location.lines) == 2 and first == "P":
        return 44
    return mrzlib.FORMAT_SHAPES.get(read_format or location.fmt or "", (0, 0))[1]


def mrz_cut_off(loc: MrzLocation | None, read_format: str | None, image: np.ndarray) -> bool:
    """Whether the MRZ runs off the image edge (a line too short and touching the border);
    ``read_format``: the format the zone was read as, when it was."""
    if loc is None or not loc.lines:
        return False
    h, w = image.shape[:2]
    expected = expected_line_length(loc, read_format)
    back = np.linalg.inv(loc.zone_work.matrix)
    for ln in loc.lines:
        q = _apply(back, ln.geom.quad)
        line_h = float(np.linalg.norm(q[3] - q[0]))
        margin = EDGE_MARGIN_LINE_HEIGHTS * line_h
        touches = (q[:, 0].min() < margin or q[:, 0].max() > w - margin
                   or q[:, 1].min() < margin or q[:, 1].max() > h - margin)
        short = bool(expected) and len(clean_line(ln.text)) < expected - 2
        if touches and short:
            return True
    return False


def has_document(engines: Engines, image: np.ndarray) -> bool:
    """Fast photo check: does the image show a document (several lines of printed text)?

    Runs only the text detector on a small copy (~0.1 s on 2 cores). A selfie, a landscape
    or a blank page shows too few text lines covering too little area.
    """
    lines, area = fast_text_stats(engines, image)
    return looks_like_document(lines, area)


def looks_like_document(lines: int, area: float) -> bool:
    """Many text lines, or a fair number of lines that fill the frame (see the constants)."""
    if lines >= FAST_CHECK_MANY_TEXT_LINES:
        return True
    return lines >= FAST_CHECK_MIN_TEXT_LINES and area >= FAST_CHECK_MIN_TEXT_AREA


def fast_text_stats(engines: Engines, image: np.ndarray) -> tuple[int, float]:
    """(number of text lines, share of the image they cover) on a ≤640 px copy."""
    if image is None or image.size == 0:
        return 0, 0.0
    long_side = max(image.shape[:2])
    small = image
    if long_side > FAST_CHECK_LONG_SIDE_PX:
        s = FAST_CHECK_LONG_SIDE_PX / long_side
        small = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    lines = ocr.detect_text_lines(engines, small)
    area = sum(float(cv2.contourArea(d.quad)) for d in lines)
    return len(lines), area / float(small.shape[0] * small.shape[1])
