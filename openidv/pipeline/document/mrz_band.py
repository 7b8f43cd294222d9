"""A second way to find the MRZ, without the text detector: blocks of small dark characters
in long, thin rows, found by morphology, for pages where the detector finds no zone
(defocused, dark or small pages, on which it outlines the whole document as one box)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openidv.pipeline.document.geometry import LineGeom, line_geometry

# Character heights tried, in working-image pixels, each as (blackhat kernel, closing
# kernel) sides: the blackhat keeps dark marks smaller than its kernel, the closing joins
# the characters of a row and the rows of a zone (gaps ≈ 0.3 and ≈ 0.8 character heights).
# The smaller pair covers characters of ≈ 4–9 px, the larger ≈ 8–19 px: the range of MRZ
# character heights at working size on stress samples 0–199 (4.5–18.8 px), set once.
BAND_KERNELS_PX = ((15, 7), (31, 13))
# A block is an MRZ candidate when it is at least this many times as long as it is tall
# (a TD1 zone, 30 characters by 3 lines, is ≈ 7; two-line zones ≈ 14–17) ...
BAND_MIN_ASPECT = 4.0
# ... at least this long, in working-image pixels (30 characters of the smallest height
# above, 4.5 px) ...
BAND_MIN_LENGTH_PX = 120
# ... and filled with ink-joined pixels at least this much (a zone is a dense rectangle).
BAND_MIN_FILL = 0.5
# How many blocks (the longest first) are offered to the caller.
BAND_MAX_BLOCKS = 3
# A block up to this aspect is taken for three lines (TD1), above it for two: a TD1 zone is
# ≈ 7 (30 characters, 3 lines), a two-line zone ≈ 13–17.
BAND_THREE_LINE_MAX_ASPECT = 10.0
# ICAO 9303 line pitch over character height (≈ 4.2 mm over 2.4 mm).
LINE_PITCH_PER_HEIGHT = 1.75
# Levels of a block mapped to black and white before it is read (percentiles of its grey
# values: ink covers well over 1 % of a zone and paper well over 1 %).
STRETCH_PERCENTILES = (1, 99)


@dataclass(frozen=True)
class BandBlock:
    """A dense block of character rows: its rotated rectangle and its guessed lines."""

    center: tuple[float, float]
    length: float
    height: float
    angle: float  # degrees of the long side, in (-90, 90]
    lines: int


def _blocks_at(grey: np.ndarray, blackhat_px: int, close_px: int) -> list[BandBlock]:
    ink = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT,
                           cv2.getStructuringElement(cv2.MORPH_RECT, (blackhat_px, blackhat_px)))
    _, mask = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE,
                            cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_px, close_px)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        length, height = max(w, h), min(w, h)
        if height < 3 or length < BAND_MIN_LENGTH_PX or length < BAND_MIN_ASPECT * height:
            continue
        if cv2.contourArea(contour) < BAND_MIN_FILL * w * h:
            continue
        if w < h:
            angle += 90
        angle = (angle + 90) % 180 - 90  # long side's direction in [-90, 90)
        lines = 3 if length <= BAND_THREE_LINE_MAX_ASPECT * height else 2
        out.append(BandBlock((float(cx), float(cy)), float(length), float(height), float(angle), lines))
    return out


def find_blocks(image: np.ndarray) -> list[BandBlock]:
    """MRZ-like blocks of a BGR page, the longest first, at every kernel size (overlaps kept
    once: a block whose centre lies inside a longer one is dropped)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    found = [b for bh, cl in BAND_KERNELS_PX for b in _blocks_at(grey, bh, cl)]
    found.sort(key=lambda b: b.length, reverse=True)
    kept: list[BandBlock] = []
    for b in found:
        if any(_inside(b.center, k) for k in kept):
            continue
        kept.append(b)
    return kept[:BAND_MAX_BLOCKS]


def _inside(point: tuple[float, float], block: BandBlock) -> bool:
    rad = np.radians(block.angle)
    d = np.subtract(point, block.center)
    along = abs(d[0] * np.cos(rad) + d[1] * np.sin(rad))
    across = abs(-d[0] * np.sin(rad) + d[1] * np.cos(rad))
    return along <= block.length / 2 and across <= block.height / 2


def block_lines(block: BandBlock, flip: bool) -> list[LineGeom]:
    """The block cut into its guessed lines, as quads whose top-left to top-right edge runs
    along the text: with ``flip`` the other way round (the page is upside down)."""
    rad = np.radians(block.angle + (180 if flip else 0))
    along = np.array([np.cos(rad), np.sin(rad)])
    normal = np.array([-np.sin(rad), np.cos(rad)])
    n = block.lines
    # The block spans (n − 1) pitches plus one character height.
    char_h = block.height / (1 + (n - 1) * LINE_PITCH_PER_HEIGHT)
    pitch = char_h * LINE_PITCH_PER_HEIGHT
    centre = np.array(block.center)
    half = block.length / 2
    out = []
    for i in range(n):
        offset = (i - (n - 1) / 2) * pitch
        mid = centre + offset * normal
        top, bottom = mid - normal * char_h / 2, mid + normal * char_h / 2
        quad = np.array([top - half * along, top + half * along,
                         bottom + half * along, bottom - half * along], dtype=np.float32)
        out.append(line_geometry(quad))
    return out


def stretch_to_block(image: np.ndarray, block: BandBlock) -> np.ndarray:
    """``image`` with its levels stretched so the block's darkest ink is black and its
    paper white: the fallback's pages are often dark or veiled, and both engines read
    a zone better at full contrast."""
    box = cv2.boxPoints((block.center, (block.length, block.height), block.angle)).astype(np.int32)
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, box, 255)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    values = grey[mask > 0]
    if values.size == 0:
        return image
    lo, hi = np.percentile(values, STRETCH_PERCENTILES)
    alpha = 255.0 / max(float(hi - lo), 1.0)
    return cv2.convertScaleAbs(image, alpha=alpha, beta=-alpha * float(lo))
