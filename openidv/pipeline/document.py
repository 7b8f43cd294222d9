"""Document analysis: find the document, read and verify its MRZ, read the printed data, decide.

Steps (each a small function, each recording how it got its answer):

1. ``read_page`` + ``locate_mrz`` — RapidOCR's text detector finds the text lines of the page
   (once per side: the visual zone reuses them). Fast path:
   the lowest block of 2–3 parallel, equally long, very thin lines is cut out as a
   straightened, enlarged band and recognised. Otherwise thin lines are recognised and
   those that read like MRZ text make the zone, the page being turned by quarter turns
   when needed (90°: lines run vertically; 180°: the first recognition reads garbage);
   the zone is then detected and read again in its band. Tilt (±20°) and perspective are
   handled per line: every line is cut out along its own quadrilateral and straightened.
2. ``read_mrz`` — each MRZ line is read twice, independently: RapidOCR (primary) and
   Tesseract with the MRZ-only model (secondary); :func:`mrz.combine_readings` repairs by
   character class and by agreement, then verifies every check digit.
3. ``analyse_document`` — visual zone text (RapidOCR on the other lines), cross-check with
   the MRZ, classification, declared country/type, expiry, quality, portrait location.

``DocumentResult.validity`` precedence, first match wins (worst problem first, so that the
code names the reason a human must act on):

    DOC_NOT_FOUND > DOC_NOT_FULLY_VISIBLE > DOC_TOO_BLURRY > MRZ_NOT_FOUND >
    MRZ_OCR_READING_ERROR > DOC_FACE_GLARED > DOC_EXPIRED > COUNTRY_MISMATCH >
    DOC_TYPE_MISMATCH > DOC_*_ERROR / DOC_INFO_MISMATCH > DOC_VALIDATED

Photo problems come first because nothing read from a bad photo can be trusted; MRZ
problems next because type, country and expiry come from the MRZ; expiry before the
declared-type/country checks because an expired document fails whatever was declared.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field

import cv2
import numpy as np

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline import ocr
from openidv.pipeline.threads import helper_thread
from openidv.pipeline.results import Box, DocumentResult, MrzData, VisualZoneData

# --- Geometry of the working image -------------------------------------------------------
# Images are rescaled so their long side lies in this range before page detection: small
# scans (250 px wide ID cards in the dev set) are enlarged; large photos shrunk to bound the
# cost. The MRZ itself is re-read at a fixed size in a band (ZONE_LINE_HEIGHT_PX).
WORK_MIN_LONG_SIDE_PX = 640
WORK_MAX_LONG_SIDE_PX = 1600

# A detected line is an MRZ candidate when its length/height ratio is at least this. MRZ
# lines of the dev set measured >= 16.6 (TD1, 30 characters, is the shortest); 6 keeps
# MRZ lines that the detector split in two.
MRZ_CANDIDATE_MIN_ASPECT = 6.0
# Fast path: lines at least this thin (length/height) are taken for MRZ lines from their
# shape alone, before any recognition. Dev-set MRZ lines on upright pages measured >= 16.6
# at the page detector's resolution (TD1 ID cards lowest); 11 leaves room for blur and
# tilt. The fast path found the zone on 52 of the 54 dev images (not the 90°-turned page,
# nor the tilted screenshot where the detector missed one MRZ line).
GEOMETRIC_MRZ_MIN_ASPECT = 11.0
# How many of the thinnest candidate lines are recognised first (a zone has 2–3 lines,
# plus room for one split line and one long printed line).
MRZ_FIRST_CANDIDATES = 5
# Recognised text counts as MRZ text when at least this many MRZ characters remain.
MRZ_LINE_MIN_CHARS = 12
# Lines of one MRZ are at most this many line heights apart (centre to centre). ICAO's
# line pitch is ~1.5 heights of a detected line; this leaves room for uneven boxes.
MRZ_MAX_LINE_GAP = 2.6
# The MRZ is read again in a straightened band around it, enlarged so lines are this tall
# (RapidOCR's recogniser works at 48 px), with this many line heights of margin.
ZONE_LINE_HEIGHT_PX = 40
ZONE_MARGIN_LINES = 1.6
# Secondary reading: line crops are scaled to this height before Tesseract. On the dev set,
# zone 40 px / Tesseract 48 px read 53/54 MRZs exactly; 32 / 36 px read 51/54 for no
# measurable time saved.
TESSERACT_LINE_HEIGHT_PX = 48

# --- Quality thresholds (measurements in docs/benchmarks-mrz.md) -------------------------
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

# --- has_document (the synchronous photo check) -------------------------------------------
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

# --- Portrait detection --------------------------------------------------------------------
# dlib's HOG detector finds faces of >= ~80 px; portraits on small scans are ~60 px, so the
# image is enlarged until its long side is at least this.
PORTRAIT_MIN_LONG_SIDE_PX = 1000

DOCUMENT_TYPES = ("ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER")


# ---------------------------------------------------------------------------------------
# Geometry helpers: every transform is a 3×3 matrix from the original image.


def _scale_matrix(s: float) -> np.ndarray:
    return np.array([[s, 0, 0], [0, s, 0], [0, 0, 1]], dtype=np.float64)


def _rot90_matrix(k: int, width: int, height: int) -> np.ndarray:
    """Matrix of ``np.rot90(img, k)`` (k quarter turns counter-clockwise) on pixel coords."""
    k %= 4
    if k == 0:
        return np.eye(3)
    if k == 1:  # (x, y) -> (y, W-1-x)
        return np.array([[0, 1, 0], [-1, 0, width - 1], [0, 0, 1]], dtype=np.float64)
    if k == 2:
        return np.array([[-1, 0, width - 1], [0, -1, height - 1], [0, 0, 1]], dtype=np.float64)
    return np.array([[0, -1, height - 1], [1, 0, 0], [0, 0, 1]], dtype=np.float64)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.hstack([points.reshape(-1, 2), np.ones((points.reshape(-1, 2).shape[0], 1))])
    out = pts @ matrix.T
    return (out[:, :2] / out[:, 2:3]).astype(np.float32)


@dataclass(frozen=True)
class WorkImage:
    """An image derived from the original and the matrix that maps original → it."""

    image: np.ndarray
    matrix: np.ndarray
    rotation: int = 0  # quarter turns counter-clockwise applied


def to_working_image(image: np.ndarray) -> WorkImage:
    """Rescale into the working size range (see WORK_*_LONG_SIDE_PX)."""
    long_side = max(image.shape[:2])
    scale = 1.0
    if long_side < WORK_MIN_LONG_SIDE_PX:
        scale = WORK_MIN_LONG_SIDE_PX / long_side
    elif long_side > WORK_MAX_LONG_SIDE_PX:
        scale = WORK_MAX_LONG_SIDE_PX / long_side
    if scale == 1.0:
        return WorkImage(image, np.eye(3))
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interp)
    return WorkImage(resized, _scale_matrix(scale))


def rotate_quarter(work: WorkImage, k: int) -> WorkImage:
    """Turn a working image by k quarter turns counter-clockwise."""
    h, w = work.image.shape[:2]
    rotated = np.ascontiguousarray(np.rot90(work.image, k))
    return WorkImage(rotated, _rot90_matrix(k, w, h) @ work.matrix, (work.rotation + k) % 4)


@dataclass(frozen=True)
class LineGeom:
    quad: np.ndarray  # TL, TR, BR, BL in working-image coordinates
    length: float
    height: float
    angle: float  # degrees of the TL→TR edge
    center: np.ndarray


def line_geometry(quad: np.ndarray) -> LineGeom:
    length = float(np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    height = float(np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    dx, dy = (quad[1] - quad[0]) + (quad[2] - quad[3])
    angle = float(np.degrees(np.arctan2(dy, dx)))
    return LineGeom(quad, length, max(height, 1.0), angle, quad.mean(axis=0))


def warp_line(image: np.ndarray, quad: np.ndarray, pad: float = 0.12) -> np.ndarray:
    """Cut one text line out along its quadrilateral, straightened, with a little margin."""
    g = line_geometry(quad)
    u = (quad[1] - quad[0]) / max(np.linalg.norm(quad[1] - quad[0]), 1e-6)
    v = (quad[3] - quad[0]) / max(np.linalg.norm(quad[3] - quad[0]), 1e-6)
    dx, dy = u * g.height * pad, v * g.height * pad
    src = np.array(
        [quad[0] - dx - dy, quad[1] + dx - dy, quad[2] + dx + dy, quad[3] - dx + dy], dtype=np.float32
    )
    w = int(round(g.length + 2 * g.height * pad))
    h = int(round(g.height * (1 + 2 * pad)))
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (max(w, 1), max(h, 1)), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


# ---------------------------------------------------------------------------------------
# MRZ location and reading


def mrz_text_score(text: str) -> int:
    """How many MRZ characters a recognised line holds, or 0 if it does not look like MRZ."""
    upper = text.upper().replace(" ", "")
    if not upper:
        return 0
    cleaned = mrzlib.clean_line(upper)
    if len(cleaned) < MRZ_LINE_MIN_CHARS or len(cleaned) < 0.9 * len(upper):
        return 0
    has_filler = "<" in cleaned
    digits = sum(ch.isdigit() for ch in cleaned)
    # Lines without any filler exist (fully used MRV-A line 2) but then carry many digits.
    if has_filler or (len(cleaned) >= 28 and digits >= 8):
        return len(cleaned)
    return 0


@dataclass(frozen=True)
class MrzLine:
    geom: LineGeom
    text: str  # primary reading, as recognised
    score: float


@dataclass(frozen=True)
class MrzLocation:
    """Where the MRZ is (in ``work``) and its primary reading, line by line."""

    work: WorkImage  # the upright page
    zone_work: WorkImage  # the image the MRZ line quads refer to (page or zone band)
    lines: tuple[MrzLine, ...]
    all_lines: tuple[LineGeom, ...]  # every detected text line (for the visual zone)
    fmt: str | None


def _merge_fragments(lines: list[MrzLine]) -> list[MrzLine]:
    """Join pieces of one MRZ line that the detector split (same baseline, side by side)."""
    if not lines:
        return []
    angle = np.radians(np.median([ln.geom.angle for ln in lines]))
    normal = np.array([-np.sin(angle), np.cos(angle)])
    along = np.array([np.cos(angle), np.sin(angle)])
    ordered = sorted(lines, key=lambda ln: float(ln.geom.center @ normal))
    groups: list[list[MrzLine]] = []
    for ln in ordered:
        if groups:
            last = groups[-1][-1]
            gap = abs(float((ln.geom.center - last.geom.center) @ normal))
            if gap < 0.5 * min(ln.geom.height, last.geom.height):
                groups[-1].append(ln)
                continue
        groups.append([ln])
    merged = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        group.sort(key=lambda ln: float(ln.geom.center @ along))
        pts = np.vstack([ln.geom.quad for ln in group])
        proj_a, proj_n = pts @ along, pts @ normal
        a0, a1, n0, n1 = proj_a.min(), proj_a.max(), proj_n.min(), proj_n.max()
        quad = np.array([a0 * along + n0 * normal, a1 * along + n0 * normal,
                         a1 * along + n1 * normal, a0 * along + n1 * normal], dtype=np.float32)
        text = "".join(ln.text.replace(" ", "") for ln in group)
        merged.append(MrzLine(line_geometry(quad), text, min(ln.score for ln in group)))
    return merged


def _pick_zone(lines: list[MrzLine]) -> tuple[list[MrzLine], str | None]:
    """The lowest block of 2–3 consecutive MRZ lines and the format their lengths suggest."""
    if not lines:
        return [], None
    angle = np.radians(np.median([ln.geom.angle for ln in lines]))
    normal = np.array([-np.sin(angle), np.cos(angle)])
    ordered = sorted(lines, key=lambda ln: float(ln.geom.center @ normal))
    blocks: list[list[MrzLine]] = [[ordered[0]]]
    for ln in ordered[1:]:
        prev = blocks[-1][-1]
        gap = float((ln.geom.center - prev.geom.center) @ normal)
        if gap < MRZ_MAX_LINE_GAP * max(prev.geom.height, ln.geom.height):
            blocks[-1].append(ln)
        else:
            blocks.append([ln])
    # Prefer the block with most MRZ characters (the real zone), ties to the lowest.
    best = max(blocks, key=lambda b: (min(len(b), 3) * 100 + sum(
        len(mrzlib.clean_line(x.text)) for x in b[-3:]), float(b[-1].geom.center @ normal)))
    lengths = [len(mrzlib.clean_line(x.text)) for x in best]
    if len(best) >= 3 and np.median(lengths[-3:]) <= 33:
        return best[-3:], "TD1"
    zone = best[-2:]
    if len(zone) < 2:
        return zone, None
    mean_len = float(np.mean([len(mrzlib.clean_line(x.text)) for x in zone]))
    visa = mrzlib.clean_line(zone[0].text)[:1] == "V"
    if mean_len >= 40:
        return zone, "MRVA" if visa else "TD3"
    if mean_len >= 33:
        return zone, "MRVB" if visa else "TD2"
    return zone, None


def _mrz_lines_in(work: WorkImage, detected: Sequence[LineGeom]) -> list[MrzLine]:
    """Recognise the long thin lines and keep those whose text looks like MRZ text."""
    candidates = [g for g in detected if g.length >= MRZ_CANDIDATE_MIN_ASPECT * g.height]
    # MRZ lines are the thinnest, longest lines of a page: recognise those first, and the
    # rest only if they do not yield a zone (recognition is the costly step).
    candidates.sort(key=lambda g: g.length / g.height, reverse=True)
    found: list[MrzLine] = []
    for batch in (candidates[:MRZ_FIRST_CANDIDATES], candidates[MRZ_FIRST_CANDIDATES:]):
        if not batch:
            break
        texts = ocr.recognize_lines([warp_line(work.image, g.quad) for g in batch])
        found += [MrzLine(g, t, s) for g, (t, s) in zip(batch, texts) if mrz_text_score(t)]
        if len(found) >= 2:
            break
    return found


def _find_in(work: WorkImage) -> tuple[list[MrzLine], list[LineGeom], int]:
    """MRZ-looking lines in one orientation, all detected lines, and the vertical-line count."""
    detected = [line_geometry(d.quad) for d in ocr.detect_text_lines(work.image)]
    vertical = sum(1 for g in detected if g.height >= MRZ_CANDIDATE_MIN_ASPECT * g.length)
    return _mrz_lines_in(work, detected), detected, vertical


def zone_band(work: WorkImage, lines: Sequence[MrzLine]) -> WorkImage:
    """A straightened, enlarged band around the MRZ lines found on the page.

    The page is detected at low resolution for speed; MRZ lines are detected and read
    again in this band, where characters are ~ZONE_LINE_HEIGHT_PX tall and horizontal.
    It also recovers a line the page-level detector missed next to one it found.
    """
    angle = float(np.median([ln.geom.angle for ln in lines]))
    rad = np.radians(angle)
    along = np.array([np.cos(rad), np.sin(rad)])
    normal = np.array([-np.sin(rad), np.cos(rad)])
    pts = np.vstack([ln.geom.quad for ln in lines])
    h = float(np.median([ln.geom.height for ln in lines]))
    a0, a1 = (pts @ along).min() - 1.5 * h, (pts @ along).max() + 1.5 * h
    n0, n1 = (pts @ normal).min() - ZONE_MARGIN_LINES * h, (pts @ normal).max() + ZONE_MARGIN_LINES * h
    scale = ZONE_LINE_HEIGHT_PX / h
    # Affine map: work point p -> ((p·along - a0) * s, (p·normal - n0) * s)
    affine = np.array([[along[0] * scale, along[1] * scale, -a0 * scale],
                       [normal[0] * scale, normal[1] * scale, -n0 * scale],
                       [0, 0, 1]], dtype=np.float64)
    size = (max(int((a1 - a0) * scale), 1), max(int((n1 - n0) * scale), 1))
    band = cv2.warpAffine(work.image, affine[:2], size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return WorkImage(band, affine @ work.matrix, work.rotation)


def _equalise_extent(zone: Sequence[MrzLine]) -> list[MrzLine]:
    """Give every line of a (horizontal, band-level) zone the same left and right ends.

    All lines of an MRZ have the same length and start at the same column, but the
    detector sometimes stops a line early inside a long filler run.
    """
    if len(zone) < 2:
        return list(zone)
    x0 = min(float(ln.geom.quad[:, 0].min()) for ln in zone)
    x1 = max(float(ln.geom.quad[:, 0].max()) for ln in zone)
    out = []
    for ln in zone:
        q = ln.geom.quad
        y_top, y_bottom = float(q[:, 1].min()), float(q[:, 1].max())
        quad = np.array([[x0, y_top], [x1, y_top], [x1, y_bottom], [x0, y_bottom]], dtype=np.float32)
        out.append(MrzLine(line_geometry(quad), ln.text, ln.score))
    return out


def _reread_primary(band: WorkImage, zone: Sequence[MrzLine]) -> list[MrzLine]:
    """Recognise lines again whose quad was widened (their text may have been cut short)."""
    texts = ocr.recognize_lines([warp_line(band.image, ln.geom.quad) for ln in zone])
    return [MrzLine(ln.geom, t, s) for ln, (t, s) in zip(zone, texts)]


def _next_zone_line(upper: LineGeom, lower: LineGeom) -> bool:
    """Whether ``lower`` can be the MRZ line after ``upper`` (the caller knows it lies below):
    close enough, as long within 20 %, and parallel within 4°."""
    gap = float(lower.center[1] - upper.center[1])
    return (gap < MRZ_MAX_LINE_GAP * max(lower.height, upper.height)
            and abs(lower.length - upper.length) < 0.2 * max(lower.length, upper.length)
            and abs(lower.angle - upper.angle) < 4)


def geometric_zone(detected: Sequence[LineGeom]) -> list[LineGeom]:
    """The likeliest MRZ from line shapes alone: the lowest block of 2–3 adjacent, parallel,
    equally long, very thin lines (no recognition needed)."""
    thin = [g for g in detected if g.length >= GEOMETRIC_MRZ_MIN_ASPECT * g.height and abs(g.angle) < 45]
    if len(thin) < 2:
        return []
    thin.sort(key=lambda g: float(g.center[1]))
    best: list[LineGeom] = []
    for i in range(len(thin)):
        block = [thin[i]]
        for g in thin[i + 1 :]:
            prev = block[-1]
            if _next_zone_line(prev, g):
                block.append(g)
            elif float(g.center[1] - prev.center[1]) >= MRZ_MAX_LINE_GAP * max(g.height, prev.height):
                break
        if 2 <= len(block) <= 3:
            best = block  # the lowest qualifying block wins (MRZs sit at the bottom)
    return best


def _third_line_above(detected: Sequence[LineGeom], shaped: Sequence[LineGeom]) -> bool:
    """Whether a two-line shaped zone has a third such line just above it: a TD1 zone,
    whose two lower lines alone read as no format, so their carried reading is skipped
    and the band (which then holds all three) is read straight away."""
    if len(shaped) != 2:
        return False
    top = shaped[0]
    for g in detected:
        if g is top or g is shaped[1] or g.length < GEOMETRIC_MRZ_MIN_ASPECT * g.height:
            continue
        if float(top.center[1] - g.center[1]) > 0 and _next_zone_line(g, top):
            return True
    return False


def _read_band(work: WorkImage, zone: Sequence[MrzLine], hint: str | None) -> tuple[WorkImage, list[MrzLine], str | None]:
    """Detect and recognise the MRZ again inside a straightened band around ``zone``."""
    band = zone_band(work, zone)
    band_lines = [line_geometry(d.quad) for d in ocr.detect_text_lines(band.image)]
    band_zone, band_fmt = _pick_zone(_merge_fragments(_mrz_lines_in(band, band_lines)))
    widened = _equalise_extent(band_zone)
    expected = mrzlib.FORMAT_SHAPES.get(band_fmt or hint or "", (0, 0))[1]
    over_read = any(len(mrzlib.clean_line(ln.text)) > expected + 2 for ln in band_zone)
    if over_read:
        pass  # a line ran into text beside the zone (a caption): its extent is no guide
    elif any(abs(a.geom.length - b.geom.length) > a.geom.height for a, b in zip(widened, band_zone)):
        band_zone = _reread_primary(band, widened)
    else:
        band_zone = widened
    return band, band_zone, band_fmt or hint


@dataclass(frozen=True)
class Page:
    """An image at working size and the text lines the detector found on it, as read once."""

    work: WorkImage
    lines: tuple[LineGeom, ...]


def read_page(image: np.ndarray) -> Page:
    """Detect the text lines of an image at working size (the one detector pass per side)."""
    work = to_working_image(image)
    return Page(work, tuple(line_geometry(d.quad) for d in ocr.detect_text_lines(work.image)))


def locate_mrz(image: np.ndarray, page: Page | None = None) -> MrzLocation | None:
    """Find the MRZ in any of the four orientations; None when no MRZ-like text is found.

    Fast path: pick the zone by line shape and read it in its band. Otherwise recognise
    the thin lines of the page (turning it by quarter turns when needed) to find it.
    """
    page = page or read_page(image)
    base, detected = page.work, list(page.lines)
    shaped = geometric_zone(detected)
    if shaped:
        guess = [MrzLine(g, "", 0.0) for g in shaped]
        if not _third_line_above(detected, shaped):
            # Fastest: the page-level quads, carried into the band, straight to recognition.
            band = zone_band(base, guess)
            to_band = band.matrix @ np.linalg.inv(base.matrix)
            carried = _equalise_extent([MrzLine(line_geometry(_apply(to_band, g.quad)), "", 0.0) for g in shaped])
            read = [ln for ln in _reread_primary(band, carried) if mrz_text_score(ln.text)]
            zone, fmt = _pick_zone(read)
            if len(zone) == len(shaped) and fmt is not None:
                return MrzLocation(base, band, tuple(zone), tuple(detected), fmt)
        band, band_zone, fmt = _read_band(base, guess, None)
        if len(band_zone) >= 2 and fmt is not None:
            return MrzLocation(base, band, tuple(band_zone), tuple(detected), fmt)
    found = _mrz_lines_in(base, detected)
    vertical = sum(1 for g in detected if g.height >= MRZ_CANDIDATE_MIN_ASPECT * g.length)
    work = base
    if len(found) < 2:
        # 90°: the detector's lines run vertically. Upside down: lines are horizontal but
        # the recogniser reads garbage. Try the likeliest turns first.
        turns = (1, 3, 2) if vertical > len(detected) / 2 else (2, 1, 3)
        for k in turns:
            candidate = rotate_quarter(base, k)
            c_found, c_detected, _ = _find_in(candidate)
            if len(c_found) > len(found):
                work, found, detected = candidate, c_found, c_detected
            if len(found) >= 2:
                break
    if not found:
        return None
    zone, fmt = _pick_zone(_merge_fragments(found))
    band, band_zone, band_fmt = _read_band(work, zone, fmt)
    if len(band_zone) >= len(zone):
        return MrzLocation(work, band, tuple(band_zone), tuple(detected), band_fmt)
    return MrzLocation(work, work, tuple(zone), tuple(detected), fmt)


def secondary_reading(work: WorkImage, zone: Sequence[MrzLine]) -> tuple[str, ...]:
    """Tesseract (MRZ model) on each straightened line: the independent second reading."""
    out = []
    for ln in zone:
        crop = warp_line(work.image, ln.geom.quad, pad=0.15)
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        scale = TESSERACT_LINE_HEIGHT_PX / grey.shape[0]
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        grey = cv2.copyMakeBorder(grey, 10, 10, 10, 10, cv2.BORDER_REPLICATE)
        text, _ = ocr.tesseract_read_line(grey)
        out.append(text)
    return tuple(out)


def _format_from_readings(primary: Sequence[str], secondary: Sequence[str], hint: str | None) -> str | None:
    """Format from the number of lines and the lengths both readings agree best with."""
    n = len(primary)
    lengths = [len(mrzlib.clean_line(t)) for t in primary] + [len(t) for t in secondary if t]
    if not lengths:
        return hint
    first = (mrzlib.clean_line(primary[0])[:1] if primary else "") or (secondary[0][:1] if secondary else "")
    visa = first == "V"
    best, best_err = None, 1e9
    candidates = [f for f, (n_lines, _) in mrzlib.FORMAT_SHAPES.items()
                  if n_lines == n and f.startswith("MRV") == visa
                  and (first != "P" or f == "TD3")]  # ICAO 9303: passport books are TD3
    if len(candidates) == 1:
        return candidates[0]
    for fmt in candidates:
        length = mrzlib.FORMAT_SHAPES[fmt][1]
        err = float(np.median([abs(x - length) for x in lengths]))
        if err < best_err:
            best, best_err = fmt, err
    return best if best is not None and best_err <= 4 else hint


@dataclass(frozen=True)
class MrzReadResult:
    """The MRZ reading plus where it was found (for quality checks and straightening)."""

    data: MrzData | None
    location: MrzLocation | None
    primary: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()
    error: str | None = None  # why no data: "MRZ_NOT_FOUND" / "MRZ_OCR_READING_ERROR"
    sharpness: float | None = None
    visual_zone: tuple[VizLine, ...] | None = None  # with with_visual_zone=True and a zone found


def visual_zone_of(location: MrzLocation) -> list[VizLine]:
    """The visual-zone lines of the page that carries this MRZ (the MRZ lines left out)."""
    to_page = location.work.matrix @ np.linalg.inv(location.zone_work.matrix)
    mrz_on_page = [line_geometry(_apply(to_page, ln.geom.quad)) for ln in location.lines]
    return read_visual_zone(location.work, location.all_lines, mrz_on_page)


def read_mrz(
    image: np.ndarray, *, today: dt.date | None = None, with_visual_zone: bool = False, page: Page | None = None
) -> MrzReadResult:
    """Locate and read the MRZ of a BGR image with two independent readings.

    ``with_visual_zone``: also recognise the page's other lines, while Tesseract reads the
    zone in a second thread (both release the GIL, so the two engines share the cores
    instead of taking turns). Measured: ≈ −50 ms per verification on 2 cores (docs/benchmarks.md).
    """
    location = locate_mrz(image, page)
    if location is None or not location.lines:
        return MrzReadResult(None, location, error="MRZ_NOT_FOUND")
    primary = tuple(ln.text for ln in location.lines)
    sharp = line_sharpness(location.zone_work.image, [ln.geom for ln in location.lines])
    if len(primary) < 2:
        return MrzReadResult(None, location, primary, error="MRZ_OCR_READING_ERROR", sharpness=sharp)
    reading = helper_thread("tesseract").submit(secondary_reading, location.zone_work, location.lines)
    try:
        visual = tuple(visual_zone_of(location)) if with_visual_zone else None
    finally:
        secondary = reading.result()
    fmt = _format_from_readings(primary, secondary, location.fmt)
    if fmt is None:
        return MrzReadResult(None, location, primary, secondary, "MRZ_OCR_READING_ERROR", sharp)
    try:
        data = mrzlib.combine_readings(
            primary, secondary, fmt, today=today,
            method=f"rapidocr+tesseract-mrz, rotation {location.work.rotation * 90}°",
        )
    except mrzlib.MrzFormatError:
        return MrzReadResult(None, location, primary, secondary, "MRZ_OCR_READING_ERROR", sharp)
    if data.unconfirmed_fields or not data.all_check_digits_valid:
        data = _settle_with_third_reading(data, location, secondary, fmt, today)
    return MrzReadResult(data, location, primary, secondary, None, sharp, visual)


def third_reading(zone_work: WorkImage, zone: Sequence[MrzLine]) -> tuple[str, ...]:
    """RapidOCR on the lines again, from a grey, contrast-stretched crop (other pixels)."""
    crops = []
    for ln in zone:
        grey = cv2.cvtColor(warp_line(zone_work.image, ln.geom.quad, pad=0.2), cv2.COLOR_BGR2GRAY)
        lo, hi = np.percentile(grey, (2, 98))
        stretched = np.clip((grey.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255)
        crops.append(cv2.cvtColor(stretched.astype(np.uint8), cv2.COLOR_GRAY2BGR))
    return tuple(t for t, _ in ocr.recognize_lines(crops))


def _settle_with_third_reading(
    data: MrzData, location: MrzLocation, secondary: Sequence[str], fmt: str, today: dt.date | None
) -> MrzData:
    """When the two readings disagree, read the zone a third time and pair it with Tesseract.

    The result replaces the first only if it leaves strictly fewer fields unconfirmed and
    no more failing check digits: two engines (RapidOCR on other pixels, Tesseract) then
    agree on what the first pairing could not settle.
    """
    tertiary = third_reading(location.zone_work, location.lines)
    try:
        other = mrzlib.combine_readings(
            tertiary, secondary, fmt, today=today,
            method=f"rapidocr(stretched)+tesseract-mrz, rotation {location.work.rotation * 90}°",
        )
    except mrzlib.MrzFormatError:
        return data
    failing = sum(not ok for ok in data.check_digits.values())
    other_failing = sum(not ok for ok in other.check_digits.values())
    if other_failing <= failing and set(other.unconfirmed_fields) < set(data.unconfirmed_fields) | (
            {"__checks__"} if other_failing < failing else set()):
        return other
    return data


# ---------------------------------------------------------------------------------------
# Quality


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


def expected_line_length(read: MrzReadResult) -> int:
    """Characters per line the zone should have: passports (P…) are always TD3 (44)."""
    loc = read.location
    if loc is None or not loc.lines:
        return 0
    first = mrzlib.clean_line(loc.lines[0].text)[:1]
    if len(loc.lines) == 2 and first == "P":
        return 44
    if read.data is not None:
        return mrzlib.FORMAT_SHAPES[read.data.format][1]
    return mrzlib.FORMAT_SHAPES.get(loc.fmt or "", (0, 0))[1]


def mrz_cut_off(read: MrzReadResult, image: np.ndarray) -> bool:
    """Whether the MRZ runs off the image edge (a line too short and touching the border)."""
    loc = read.location
    if loc is None or not loc.lines:
        return False
    h, w = image.shape[:2]
    expected = expected_line_length(read)
    back = np.linalg.inv(loc.zone_work.matrix)
    for ln in loc.lines:
        q = _apply(back, ln.geom.quad)
        line_h = float(np.linalg.norm(q[3] - q[0]))
        margin = EDGE_MARGIN_LINE_HEIGHTS * line_h
        touches = (q[:, 0].min() < margin or q[:, 0].max() > w - margin
                   or q[:, 1].min() < margin or q[:, 1].max() > h - margin)
        short = bool(expected) and len(mrzlib.clean_line(ln.text)) < expected - 2
        if touches and short:
            return True
    return False


# ---------------------------------------------------------------------------------------
# Fast check


def has_document(image: np.ndarray) -> bool:
    """Fast photo check: does the image show a document (several lines of printed text)?

    Runs only the text detector on a small copy (~0.1 s on 2 cores). A selfie, a landscape
    or a blank page shows too few text lines covering too little area.
    """
    lines, area = fast_text_stats(image)
    if lines >= FAST_CHECK_MANY_TEXT_LINES:
        return True
    return lines >= FAST_CHECK_MIN_TEXT_LINES and area >= FAST_CHECK_MIN_TEXT_AREA


def fast_text_stats(image: np.ndarray) -> tuple[int, float]:
    """(number of text lines, share of the image they cover) on a ≤640 px copy."""
    if image is None or image.size == 0:
        return 0, 0.0
    long_side = max(image.shape[:2])
    small = image
    if long_side > FAST_CHECK_LONG_SIDE_PX:
        s = FAST_CHECK_LONG_SIDE_PX / long_side
        small = cv2.resize(image, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    lines = ocr.detect_text_lines(small)
    area = sum(float(cv2.contourArea(d.quad)) for d in lines)
    return len(lines), area / float(small.shape[0] * small.shape[1])


# ---------------------------------------------------------------------------------------
# Portrait


_face_detector = None
_face_lock = threading.Lock()


def _dlib_detector():
    global _face_detector
    if _face_detector is None:
        with _face_lock:
            if _face_detector is None:
                import dlib

                _face_detector = dlib.get_frontal_face_detector()
    return _face_detector


def load_portrait_detector() -> None:
    """Build the portrait finder's HOG detector now (≈0.25 s that the first job would pay)."""
    _dlib_detector()


def find_portrait(work: WorkImage) -> tuple[Box, float] | None:
    """Largest face in an upright working image, as a box in *original* image pixels."""
    img = work.image
    long_side = max(img.shape[:2])
    scale = max(1.0, PORTRAIT_MIN_LONG_SIDE_PX / long_side)
    if scale > 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    detector = _dlib_detector()
    with _face_lock:
        rects, scores, _ = detector.run(rgb, 0, 0.0)
    if not rects:
        return None
    best = max(range(len(rects)), key=lambda i: rects[i].area())
    r = rects[best]
    corners = np.array([[r.left(), r.top()], [r.right(), r.top()], [r.right(), r.bottom()],
                        [r.left(), r.bottom()]], dtype=np.float64) / scale
    original = _apply(np.linalg.inv(work.matrix), corners)
    x0, y0 = original.min(axis=0)
    x1, y1 = original.max(axis=0)
    return (int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))), float(scores[best])


def _box_in_original(image: np.ndarray, box: Box) -> Box:
    h, w = image.shape[:2]
    x, y, bw, bh = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + bw), min(h, y + bh)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


# ---------------------------------------------------------------------------------------
# Visual zone

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


def fold_text(text: str) -> str:
    """Upper case, accents removed (É→E, ß→SS), to compare printed text with the MRZ."""
    text = text.replace("ß", "SS").replace("Æ", "AE").replace("Ø", "O")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


_DATE_NUMERIC = re.compile(r"(\d{1,2})\s*[./\-\s]\s*(\d{1,2})\s*[./\-\s]\s*(\d{4}|\d{2})\b")
_DATE_ISO = re.compile(r"\b(\d{4})\s*[-./]\s*(\d{2})\s*[-./]\s*(\d{2})\b")
_DATE_MONTH = re.compile(r"(\d{1,2})\s*([A-Z]{3,4})\.?(?:\s*/\s*[A-Z]{3,4}\.?)?\s*(\d{4}|\d{2})\b")


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
        found.append(mrzlib._safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    m = _DATE_MONTH.search(t)
    if m and m.group(2) in MONTHS:
        found.append(mrzlib._safe_date(year_of(m.group(3)), MONTHS[m.group(2)], int(m.group(1))))
    m = _DATE_NUMERIC.search(t)
    if m and not found:
        year = year_of(m.group(3))
        found.append(mrzlib._safe_date(year, int(m.group(2)), int(m.group(1))))
        found.append(mrzlib._safe_date(year, int(m.group(1)), int(m.group(2))))
    return list(dict.fromkeys(d for d in found if d is not None))


@dataclass(frozen=True)
class VizLine:
    text: str
    score: float
    geom: LineGeom


def read_visual_zone(work: WorkImage, lines: Sequence[LineGeom], mrz_lines: Sequence[LineGeom]) -> list[VizLine]:
    """Recognise every detected line that is not part of the MRZ (RapidOCR)."""
    others = [g for g in lines if g.length >= 0.8 * g.height and not any(
        abs(float(g.center[1] - m.center[1])) < 0.6 * m.height
        and m.quad[:, 0].min() - m.height < g.center[0] < m.quad[:, 0].max() + m.height
        for m in mrz_lines)]
    crops = [warp_line(work.image, g.quad, pad=0.05) for g in others]
    texts = ocr.recognize_lines(crops)
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


def cross_check(
    mrz: MrzData, groups: Sequence[Sequence[VizLine]], today: dt.date | None
) -> tuple[VisualZoneData, list[str]]:
    """Printed values found by their labels, and the codes of fields that contradict the MRZ.

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
            errors.append("DOC_SURNAME_ERROR")
    if "given_names" in values:
        v = values["given_names"]
        given = v.text.strip()
        if v.score >= VIZ_MIN_SCORE and mrz.given_names and _name_similarity(given, mrz.given_names) < NAME_MIN_SIMILARITY:
            errors.append("DOC_NAME_ERROR")
    if "document_number" in values:
        v = values["document_number"]
        candidate = re.sub(r"[^A-Z0-9]", "", fold_text(v.text))
        if candidate and any(ch.isdigit() for ch in candidate):
            number = candidate
            if v.score >= VIZ_MIN_SCORE and difflib.SequenceMatcher(a=candidate, b=mrz.document_number).ratio() < 0.6:
                errors.append("DOC_NUMBER_ERROR")
    for key, mrz_value, code in (("date_of_birth", mrz.date_of_birth, "DOC_DOB_ERROR"),
                                 ("date_of_expiry", mrz.date_of_expiry, "DOC_EXPIRY_ERROR"),
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


# ---------------------------------------------------------------------------------------
# The analysis


@dataclass
class _Findings:
    """What the steps found, before the validity code is chosen."""

    document_found: bool = False
    cut_off: bool = False
    too_blurry: bool = False
    mrz_error: str | None = None
    face_glared: bool = False
    expired: bool = False
    country_mismatch: bool = False
    type_mismatch: bool = False
    field_errors: list[str] = field(default_factory=list)


def choose_validity(f: _Findings) -> str:
    """One document_validity code, by the precedence in the module docstring."""
    if not f.document_found:
        return "DOC_NOT_FOUND"
    if f.cut_off:
        return "DOC_NOT_FULLY_VISIBLE"
    if f.too_blurry:
        return "DOC_TOO_BLURRY"
    if f.mrz_error:
        return f.mrz_error
    if f.face_glared:
        return "DOC_FACE_GLARED"
    if f.expired:
        return "DOC_EXPIRED"
    if f.country_mismatch:
        return "COUNTRY_MISMATCH"
    if f.type_mismatch:
        return "DOC_TYPE_MISMATCH"
    if len(f.field_errors) == 1:
        return f.field_errors[0]
    if f.field_errors:
        return "DOC_INFO_MISMATCH"
    return "DOC_VALIDATED"


def declared_type_matches(declared: str, detected: str) -> bool:
    """Whether the type the partner declared fits the type read from the MRZ.

    Many residence permits carry an ID-card document code (I, A, C), so a declared
    RESIDENCE_PERMIT accepts a detected ID_CARD; a declared OTHER accepts anything that is
    not an ID card or passport (visas are OTHER).
    """
    if declared == detected:
        return True
    if declared == "RESIDENCE_PERMIT" and detected == "ID_CARD":
        return True
    return declared == "OTHER" and detected not in ("ID_CARD", "PASSPORT")


def _mrz_review_reasons(data: MrzData) -> list[str]:
    reasons = [f"check digit fails after repair: {name}" for name, ok in data.check_digits.items() if not ok]
    if data.unconfirmed_fields:
        reasons.append("MRZ readings disagree on: " + ", ".join(data.unconfirmed_fields))
    if data.date_of_birth is None:
        reasons.append("date of birth unreadable")
    if data.date_of_expiry is None:
        reasons.append("date of expiry unreadable")
    return reasons


def analyse_document(
    front: np.ndarray,
    back: np.ndarray | None = None,
    *,
    declared_country: str | None = None,
    declared_type: str | None = None,
    today: dt.date | None = None,
    on_front_portrait: Callable[[Box], object] | None = None,
) -> DocumentResult:
    """Analyse FRONT (and BACK) of a document; see the module docstring for the steps.

    ``on_front_portrait`` is called, from a helper thread, with the portrait's box as soon
    as it is found on the front page as photographed — usually well before this returns, and
    usually the box the result will give (not when the page had to be turned).
    """
    if declared_type is not None and declared_type not in DOCUMENT_TYPES:
        raise ValueError(f"declared_type must be one of {', '.join(DOCUMENT_TYPES)} or None")
    front_page = read_page(front)
    # The portrait is looked for on the upright front page while its MRZ is read: dlib's
    # single-threaded detector fills a core the OCR leaves idle (passport 483 → 457 ms,
    # docs/benchmarks.md). Used in step 3 unless the MRZ showed the page needs turning.
    front_portrait = helper_thread("portrait").submit(_find_front_portrait, front, front_page, on_front_portrait)
    try:
        return _analyse_document(front, back, front_page, front_portrait, declared_country=declared_country,
                                 declared_type=declared_type, today=today or dt.date.today())
    finally:
        wait([front_portrait])  # nothing of this call runs on after it


def _find_front_portrait(
    front: np.ndarray, page: Page, on_found: Callable[[Box], object] | None
) -> tuple[Box, float] | None:
    found = find_portrait(page.work)
    if found is not None and on_found is not None:
        on_found(_box_in_original(front, found[0]))
    return found


def _analyse_document(
    front: np.ndarray,
    back: np.ndarray | None,
    front_page: Page,
    front_portrait: Future,
    *,
    declared_country: str | None,
    declared_type: str | None,
    today: dt.date,
) -> DocumentResult:
    findings = _Findings()
    scores: dict[str, float] = {}
    notes: list[str] = []

    # 1. The MRZ: on the front, else on the back (ID cards carry it on the back).
    sides = [("FRONT", front)] + ([("BACK", back)] if back is not None else [])
    reads: dict[str, MrzReadResult] = {}
    pages: dict[str, Page] = {"FRONT": front_page}
    mrz_side = None
    for name, img in sides:
        pages[name] = pages.get(name) or read_page(img)
        reads[name] = read_mrz(img, today=today, with_visual_zone=True, page=pages[name])
        if reads[name].data is not None:
            mrz_side = name
            break
    front_read = reads["FRONT"]
    best_read = reads[mrz_side] if mrz_side else max(
        reads.values(), key=lambda r: len(r.location.lines) if r.location else -1)
    findings.document_found = mrz_side is not None or any(
        r.location is not None for r in reads.values()) or has_document(front)
    if not findings.document_found:
        return DocumentResult(validity="DOC_NOT_FOUND", method="no text lines found",
                              scores={"text_lines": float(fast_text_stats(front)[0])})

    data = best_read.data
    if best_read.sharpness is not None:
        scores["mrz_sharpness"] = round(best_read.sharpness, 4)
    findings.cut_off = any(mrz_cut_off(reads[name], img) for name, img in sides if name in reads)
    if data is None:
        findings.mrz_error = best_read.error or "MRZ_NOT_FOUND"
        sharp = best_read.sharpness
        if sharp is None and front_read.location is not None:
            sharp = line_sharpness(front_read.location.work.image, front_read.location.all_lines[:20])
        if sharp is not None:
            scores["text_sharpness"] = round(sharp, 4)
            findings.too_blurry = sharp < SHARPNESS_MIN
    else:
        total = len(data.check_digits)
        failing = sum(not ok for ok in data.check_digits.values())
        if total and failing / total > MAX_FAILING_CHECK_SHARE:
            findings.mrz_error = "MRZ_OCR_READING_ERROR"
        # Below this sharpness a reading may pass its check digits and still be wrong.
        findings.too_blurry = best_read.sharpness is not None and best_read.sharpness < SHARPNESS_MIN

    review: list[str] = []
    visual = None
    doc_type = data.document_type if data else None
    country = data.issuing_country if data else None
    if data is not None:
        review += _mrz_review_reasons(data)
        # 2. Visual zone, on the side that carries the MRZ (passports: the data page).
        assert best_read.location is not None
        viz_lines = list(best_read.visual_zone) if best_read.visual_zone is not None else visual_zone_of(best_read.location)
        if mrz_side == "BACK":
            # ID cards print the holder's data on the front and the MRZ on the back.
            front_page = pages["FRONT"]  # its lines were detected when looking for an MRZ there
            viz_groups = [read_visual_zone(front_page.work, front_page.lines, []), viz_lines]
        else:
            viz_groups = [viz_lines]
        visual, field_errors = cross_check(data, viz_groups, today)
        findings.field_errors = field_errors
        if data.date_of_expiry and data.date_of_expiry < today.isoformat():
            findings.expired = True
        if declared_country and country and declared_country.upper() != country:
            findings.country_mismatch = True
        if declared_country and data.issuing_code and country is None:
            notes.append(f"issuing code {data.issuing_code} has no ISO alpha-2 code")
        if declared_type and doc_type and not declared_type_matches(declared_type, doc_type):
            findings.type_mismatch = True

    # 3. Portrait: front first (passports, ID card fronts), else back.
    portrait_image, portrait_box = None, None
    for name, img in sides:
        read = reads.get(name)
        work = read.location.work if read and read.location else (
            pages[name].work if name in pages else to_working_image(img))
        found = front_portrait.result() if work is pages["FRONT"].work else find_portrait(work)
        if found:
            portrait_image, portrait_box = name, _box_in_original(img, found[0])
            scores["portrait_score"] = round(found[1], 3)
            glare = portrait_glare_fraction(img, portrait_box)
            scores["portrait_glare"] = round(glare, 4)
            findings.face_glared = glare > PORTRAIT_GLARE_MAX_FRACTION
            break

    validity = choose_validity(findings)
    if validity in ("MRZ_OCR_READING_ERROR", "MRZ_NOT_FOUND") and data is None:
        review.append("MRZ could not be read")
    if findings.field_errors:
        review.append("printed data differs from the MRZ: " + ", ".join(findings.field_errors))
    method_parts = [data.method if data else "no MRZ read"]
    if mrz_side:
        method_parts.append(f"MRZ on {mrz_side}")
    method_parts += notes
    return DocumentResult(
        validity=validity,
        document_type=doc_type,
        issuing_country=country,
        mrz=data,
        visual=visual,
        portrait_image=portrait_image,
        portrait_box=portrait_box,
        needs_review=bool(review),
        review_reasons=tuple(review),
        method="; ".join(method_parts),
        scores=scores,
    )
