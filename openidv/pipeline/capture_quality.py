"""Is a just-captured photo good enough for the analysis? Sharpness, size in the frame,
cut-off and glare of a document photo or a selfie, measured the way the analysis measures
them (text-line sharpness and portrait glare of ``document.quality``, face sharpness and
width of ``face``/``selfie``), so the hosted flow can ask for a retake on the spot instead of
a DOC_TOO_BLURRY / FACE_TOO_BLURRY after submission.

Whether there is a document or a face at all is photo validation's job (``has_document``,
``has_face``); these checks say nothing when there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional

import cv2
import numpy as np

from openidv.pipeline.document.mrz_zone import geometric_zone
from openidv.pipeline.document.quality import (
    PORTRAIT_GLARE_MAX_FRACTION, SHARPNESS_MIN, line_sharpness, portrait_glare_fraction,
)
from openidv.pipeline.document.sides import FACE_LOOK_SIDE_PX, text_layout
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import detect_at, detect_faces
from openidv.pipeline.selfie import FACE_MIN_SHARPNESS, FACE_MIN_WIDTH_PX

# Text lines whose sharpness is measured: the longest ones (body text and MRZ, not single
# words, whose crops are mostly background).
SHARPNESS_LINES = 20
TEXT_LINE_MIN_ASPECT = 3.0  # blobs the detector returns on a smeared page are not text lines
# The capture check refuses below this share of the analysis's own threshold: the two
# measure the same lines at slightly different resolutions (640 px detection here, the
# working image there), and a person must never be stuck with a photo the analysis would
# accept. benchmarks/flow_feedback.py: no real document of shared/data below 0.9 of it.
SHARPNESS_CAPTURE_FACTOR = 0.9
# A document whose text covers less than this share of the frame (its text lines' hull) is
# too far away to read (chosen: ID-1 cards filling half the frame width cover ≥ 0.08; the
# tightest real photos of shared/data cover ≥ 0.2).
DOC_MIN_TEXT_HULL_SHARE = 0.06
# An MRZ line that ends within this many line heights of the frame edge is cut off (the
# analysis's own margin, EDGE_MARGIN_LINE_HEIGHTS, on the fast check's lines).
MRZ_EDGE_MARGIN_LINE_HEIGHTS = 0.3
# Selfie framing (chosen): the face box narrower than this share of the frame is too far
# (the challenge starts at arm's length with the face in an oval a third of the frame
# wide), wider than FACE_MAX_WIDTH_SHARE too close; a face box touching the frame edge is
# cut off.
FACE_MIN_WIDTH_SHARE = 0.08
FACE_MAX_WIDTH_SHARE = 0.75
FACE_EDGE_MARGIN_SHARE = 0.01
# Mean brightness (0–255) of the face region below which the face is too dark to match
# (chosen: dlib's detector still finds faces at 35–45; matching suffers well before).
FACE_MIN_BRIGHTNESS = 45


class QualityProblem(StrEnum):
    TOO_BLURRY = "TOO_BLURRY"
    TOO_FAR = "TOO_FAR"
    TOO_CLOSE = "TOO_CLOSE"
    CUT_OFF = "CUT_OFF"
    GLARE = "GLARE"
    TOO_DARK = "TOO_DARK"


@dataclass(frozen=True)
class QualityCheck:
    problem: Optional[QualityProblem]
    scores: dict[str, float] = field(default_factory=dict)


def _hull_share(quads: list[np.ndarray], shape: tuple[int, ...]) -> float:
    points = np.vstack(quads).astype(np.float32)
    return float(cv2.contourArea(cv2.convexHull(points))) / float(shape[0] * shape[1])


def _mrz_at_edge(quads: list[np.ndarray], heights: list[float], shape: tuple[int, ...]) -> bool:
    h, w = shape[:2]
    for quad, height in zip(quads, heights):
        margin = MRZ_EDGE_MARGIN_LINE_HEIGHTS * height
        if (quad[:, 0].min() < margin or quad[:, 0].max() > w - margin
                or quad[:, 1].min() < margin or quad[:, 1].max() > h - margin):
            return True
    return False


def check_document_photo(engines: Engines, image: np.ndarray) -> QualityCheck:
    """Sharp text, close enough, the MRZ inside the frame, no glare on the portrait."""
    layout = text_layout(engines, image)
    if not layout.is_document:  # nothing to measure: photo validation or the side check speaks
        return QualityCheck(None, {"text_lines": float(len(layout.lines))})
    back = 1.0 / layout.scale
    quads = [g.quad * back for g in layout.lines]
    scores = {"text_lines": float(len(quads)), "text_hull_share": round(_hull_share(quads, image.shape), 4)}
    if scores["text_hull_share"] < DOC_MIN_TEXT_HULL_SHARE:
        return QualityCheck(QualityProblem.TOO_FAR, scores)
    zone = geometric_zone(layout.lines)
    if zone and _mrz_at_edge([g.quad * back for g in zone], [g.height * back for g in zone], image.shape):
        return QualityCheck(QualityProblem.CUT_OFF, scores)
    text_like = [g for g in layout.lines if g.length >= TEXT_LINE_MIN_ASPECT * g.height]
    longest = sorted(text_like, key=lambda g: g.length, reverse=True)[:SHARPNESS_LINES]
    mapped = [type(g)(g.quad * back, g.length * back, g.height * back, g.angle, g.center * back) for g in longest]
    sharpness = line_sharpness(image, mapped)
    if sharpness is not None:
        scores["text_sharpness"] = round(sharpness, 4)
        if sharpness < SHARPNESS_CAPTURE_FACTOR * SHARPNESS_MIN:
            return QualityCheck(QualityProblem.TOO_BLURRY, scores)
    portraits = detect_at(engines, image, FACE_LOOK_SIDE_PX, upsample=0)
    if portraits:
        glare = portrait_glare_fraction(image, portraits[0].box)
        scores["portrait_glare"] = round(glare, 4)
        if glare > PORTRAIT_GLARE_MAX_FRACTION:
            return QualityCheck(QualityProblem.GLARE, scores)
    return QualityCheck(None, scores)


def check_face_photo(engines: Engines, image: np.ndarray) -> QualityCheck:
    """One face, sharp, lit, neither too far nor too close, not cut by the frame edge."""
    faces = detect_faces(engines, image)
    if not faces:
        return QualityCheck(None, {"faces": 0.0})
    main = faces[0]
    h, w = image.shape[:2]
    x, y, fw, fh = main.box
    share = fw / w
    scores = {"faces": float(len(faces)), "face_width_share": round(share, 4),
              "face_sharpness": round(main.sharpness, 2)}
    if share > FACE_MAX_WIDTH_SHARE:
        return QualityCheck(QualityProblem.TOO_CLOSE, scores)
    if share < FACE_MIN_WIDTH_SHARE or fw < FACE_MIN_WIDTH_PX:
        return QualityCheck(QualityProblem.TOO_FAR, scores)
    margin = FACE_EDGE_MARGIN_SHARE * max(h, w)
    if x < margin or y < margin or x + fw > w - margin or y + fh > h - margin:
        return QualityCheck(QualityProblem.CUT_OFF, scores)
    region = image[max(0, y):y + fh, max(0, x):x + fw]
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    scores["face_brightness"] = round(float(grey.mean()), 1)
    if scores["face_brightness"] < FACE_MIN_BRIGHTNESS:
        return QualityCheck(QualityProblem.TOO_DARK, scores)
    if main.sharpness < FACE_MIN_SHARPNESS:
        return QualityCheck(QualityProblem.TOO_BLURRY, scores)
    return QualityCheck(None, scores)
