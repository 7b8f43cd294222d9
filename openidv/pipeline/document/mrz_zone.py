"""Finding the machine-readable zone on a page: by line shape first, else by recognising
the thin lines (turning the page by quarter turns when needed), then reading it again in a
straightened, enlarged band."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline import ocr
from openidv.pipeline.document.geometry import (
    LineGeom, Page, WorkImage, _apply, line_geometry, read_page, rotate_quarter, warp_line,
)
from openidv.pipeline.engines import Engines
from openidv.pipeline.mrz_repair import clean_line

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


def mrz_text_score(text: str) -> int:
    """How many MRZ characters a recognised line holds, or 0 if it does not look like MRZ."""
    upper = text.upper().replace(" ", "")
    if not upper:
        return 0
    cleaned = clean_line(upper)
    if len(cleaned) < MRZ_LINE_MIN_CHARS or len(cleaned) < 0.9 * len(upper):
        return 0
    has_filler = "<" in cleaned
    digits = sum(ch in mrzlib.DIGITS_0_9 for ch in cleaned)
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
        len(clean_line(x.text)) for x in b[-3:]), float(b[-1].geom.center @ normal)))
    lengths = [len(clean_line(x.text)) for x in best]
    if len(best) >= 3 and np.median(lengths[-3:]) <= 33:
        return best[-3:], "TD1"
    zone = best[-2:]
    if len(zone) < 2:
        return zone, None
    mean_len = float(np.mean([len(clean_line(x.text)) for x in zone]))
    visa = clean_line(zone[0].text)[:1] == "V"
    if mean_len >= 40:
        return zone, "MRVA" if visa else "TD3"
    if mean_len >= 33:
        return zone, "MRVB" if visa else "TD2"
    return zone, None


def _mrz_lines_in(engines: Engines, work: WorkImage, detected: Sequence[LineGeom]) -> list[MrzLine]:
    """Recognise the long thin lines and keep those whose text looks like MRZ text."""
    candidates = [g for g in detected if g.length >= MRZ_CANDIDATE_MIN_ASPECT * g.height]
    # MRZ lines are the thinnest, longest lines of a page: recognise those first, and the
    # rest only if they do not yield a zone (recognition is the costly step).
    candidates.sort(key=lambda g: g.length / g.height, reverse=True)
    found: list[MrzLine] = []
    for batch in (candidates[:MRZ_FIRST_CANDIDATES], candidates[MRZ_FIRST_CANDIDATES:]):
        if not batch:
            break
        texts = ocr.recognize_lines(engines, [warp_line(work.image, g.quad) for g in batch])
        found += [MrzLine(g, t, s) for g, (t, s) in zip(batch, texts) if mrz_text_score(t)]
        if len(found) >= 2:
            break
    return found


def _find_in(engines: Engines, work: WorkImage) -> tuple[list[MrzLine], list[LineGeom], int]:
    """MRZ-looking lines in one orientation, all detected lines, and the vertical-line count."""
    detected = [line_geometry(d.quad) for d in ocr.detect_text_lines(engines, work.image)]
    vertical = sum(1 for g in detected if g.height >= MRZ_CANDIDATE_MIN_ASPECT * g.length)
    return _mrz_lines_in(engines, work, detected), detected, vertical


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


def _reread_primary(engines: Engines, band: WorkImage, zone: Sequence[MrzLine]) -> list[MrzLine]:
    """Recognise lines again whose quad was widened (their text may have been cut short)."""
    texts = ocr.recognize_lines(engines, [warp_line(band.image, ln.geom.quad) for ln in zone])
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


def _read_band(engines: Engines, work: WorkImage, zone: Sequence[MrzLine], hint: str | None) -> tuple[WorkImage, list[MrzLine], str | None]:
    """Detect and recognise the MRZ again inside a straightened band around ``zone``."""
    band = zone_band(work, zone)
    band_lines = [line_geometry(d.quad) for d in ocr.detect_text_lines(engines, band.image)]
    band_zone, band_fmt = _pick_zone(_merge_fragments(_mrz_lines_in(engines, band, band_lines)))
    widened = _equalise_extent(band_zone)
    expected = mrzlib.FORMAT_SHAPES.get(band_fmt or hint or "", (0, 0))[1]
    over_read = any(len(clean_line(ln.text)) > expected + 2 for ln in band_zone)
    if over_read:
        pass  # a line ran into text beside the zone (a caption): its extent is no guide
    elif any(abs(a.geom.length - b.geom.length) > a.geom.height for a, b in zip(widened, band_zone)):
        band_zone = _reread_primary(engines, band, widened)
    else:
        band_zone = widened
    return band, band_zone, band_fmt or hint


def locate_mrz(engines: Engines, image: np.ndarray, page: Page | None = None) -> MrzLocation | None:
    """Find the MRZ in any of the four orientations; None when no MRZ-like text is found.

    Fast path: pick the zone by line shape and read it in its band. Otherwise recognise
    the thin lines of the page (turning it by quarter turns when needed) to find it.
    """
    page = page or read_page(engines, image)
    base, detected = page.work, list(page.lines)
    shaped = geometric_zone(detected)
    if shaped:
        guess = [MrzLine(g, "", 0.0) for g in shaped]
        if not _third_line_above(detected, shaped):
            # Fastest: the page-level quads, carried into the band, straight to recognition.
            band = zone_band(base, guess)
            to_band = band.matrix @ np.linalg.inv(base.matrix)
            carried = _equalise_extent([MrzLine(line_geometry(_apply(to_band, g.quad)), "", 0.0) for g in shaped])
            read = [ln for ln in _reread_primary(engines, band, carried) if mrz_text_score(ln.text)]
            zone, fmt = _pick_zone(read)
            if len(zone) == len(shaped) and fmt is not None:
                return MrzLocation(base, band, tuple(zone), tuple(detected), fmt)
        band, band_zone, fmt = _read_band(engines, base, guess, None)
        if len(band_zone) >= 2 and fmt is not None:
            return MrzLocation(base, band, tuple(band_zone), tuple(detected), fmt)
    found = _mrz_lines_in(engines, base, detected)
    vertical = sum(1 for g in detected if g.height >= MRZ_CANDIDATE_MIN_ASPECT * g.length)
    work = base
    if len(found) < 2:
        # 90°: the detector's lines run vertically. Upside down: lines are horizontal but
        # the recogniser reads garbage. Try the likeliest turns first.
        turns = (1, 3, 2) if vertical > len(detected) / 2 else (2, 1, 3)
        for k in turns:
            candidate = rotate_quarter(base, k)
            c_found, c_detected, _ = _find_in(engines, candidate)
            if len(c_found) > len(found):
                work, found, detected = candidate, c_found, c_detected
            if len(found) >= 2:
                break
    if not found:
        return None
    zone, fmt = _pick_zone(_merge_fragments(found))
    band, band_zone, band_fmt = _read_band(engines, work, zone, fmt)
    if len(band_zone) >= len(zone):
        return MrzLocation(work, band, tuple(band_zone), tuple(detected), band_fmt)
    return MrzLocation(work, work, tuple(zone), tuple(detected), fmt)
