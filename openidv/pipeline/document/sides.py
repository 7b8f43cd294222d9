"""Which side of a document a photo shows: is a BACK photo really the back (an MRZ, a barcode,
or the printed text of a card without the portrait), and not the front again or a selfie.

Used by the hosted flow's instant check and at its submission. Only clear mistakes are
refused; what merely looks unusual (a back with a portrait and no machine-readable zone, a
North American licence whose barcode could not be read) is a warning the person may
overrule, since some genuine backs look like that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Optional

import cv2
import numpy as np

from openidv.pipeline import ocr
from openidv.pipeline.document.barcode_side import barcode_expected
from openidv.pipeline.document.geometry import LineGeom, line_geometry
from openidv.pipeline.document.mrz_zone import geometric_zone
from openidv.pipeline.document.quality import FAST_CHECK_LONG_SIDE_PX, looks_like_document
from openidv.pipeline.barcode import BarcodeInputRejected, read_pdf417
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import detect_at

# Faces are looked for on a copy this long without upsampling: dlib then finds faces of
# ≥ 80 px there, i.e. a portrait on a card filling a third of the frame (portrait faces are
# about a fifth of the card's width) and any selfie.
FACE_LOOK_SIDE_PX = 800
# Two photos whose 64-bit difference hashes differ in at most this many bits show the same
# picture (the same file, or the same frame re-encoded); a new photo of the same side taken
# by hand differs in more (measured: a card photographed twice from a hand-held phone
# differs in 12–30 bits, the same JPEG re-encoded at q70 in 0–2).
SAME_PICTURE_MAX_BITS = 6


class SideProblem(StrEnum):
    """What is wrong with a photo handed in as the back (hard: refused; soft: a warning)."""

    NOT_A_DOCUMENT = "NOT_A_DOCUMENT"  # hard: no text of a document, no MRZ, no barcode
    FACE_NOT_BACK = "FACE_NOT_BACK"  # hard: a face and no document (a selfie)
    SAME_AS_FRONT = "SAME_AS_FRONT"  # hard: the front's picture again
    LOOKS_LIKE_FRONT = "LOOKS_LIKE_FRONT"  # soft: a portrait, no MRZ, no barcode
    NO_BARCODE = "NO_BARCODE"  # soft: a US/CA licence back whose barcode was not seen


SOFT_PROBLEMS = frozenset({SideProblem.LOOKS_LIKE_FRONT, SideProblem.NO_BARCODE})


@dataclass(frozen=True)
class SideCheck:
    """The verdict on a BACK photo, how it was reached, and its measurements."""

    problem: Optional[SideProblem]
    method: str
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.problem is not None and self.problem not in SOFT_PROBLEMS


@dataclass(frozen=True)
class TextLayout:
    """The text lines of a photo as the fast document check sees them (≤ 640 px copy)."""

    lines: tuple[LineGeom, ...]
    area_share: float
    scale: float  # copy pixels per input pixel

    @property
    def is_document(self) -> bool:
        return looks_like_document(len(self.lines), self.area_share)


def text_layout(engines: Engines, image: np.ndarray) -> TextLayout:
    """Detect the text lines on a ≤ 640 px copy (the fast check's size, ~0.1–0.3 s)."""
    long_side = max(image.shape[:2])
    scale = min(1.0, FAST_CHECK_LONG_SIDE_PX / long_side)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    lines = tuple(line_geometry(d.quad) for d in ocr.detect_text_lines(engines, small))
    area = sum(float(cv2.contourArea(g.quad)) for g in lines) / float(small.shape[0] * small.shape[1])
    return TextLayout(lines, area, scale)


def difference_hash(image: np.ndarray) -> int:
    """64-bit difference hash (grey 9×8, each pixel brighter than its right neighbour)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    return bin(difference_hash(a) ^ difference_hash(b)).count("1") <= SAME_PICTURE_MAX_BITS


def _has_barcode(image: np.ndarray) -> bool:
    try:
        return read_pdf417(image) is not None
    except BarcodeInputRejected:
        return False


def check_back(engines: Engines, back: np.ndarray, *, front: Optional[np.ndarray] = None,
               document_type: Optional[str] = None, country: Optional[str] = None) -> SideCheck:
    """Whether ``back`` shows the back of the document whose front is ``front`` (when known).

    An MRZ (found by the shape of its lines) or a PDF417 barcode settles it: that is a back
    (or the side that carries the machine-readable data). Otherwise the photo must show a
    document's text; a face without a document is a selfie; a portrait on a card without an
    MRZ or barcode is most likely the front again (a warning).
    """
    if front is not None and same_picture(front, back):
        return SideCheck(SideProblem.SAME_AS_FRONT, "difference hash equal to the front's")
    layout = text_layout(engines, back)
    scores = {"text_lines": float(len(layout.lines)), "text_area": round(layout.area_share, 4)}
    if geometric_zone(layout.lines):
        return SideCheck(None, "MRZ zone by line shape", scores)
    if (barcode_expected(document_type, country) or not layout.is_document) and _has_barcode(back):
        return SideCheck(None, "PDF417 symbol", scores)
    faces = detect_at(engines, back, FACE_LOOK_SIDE_PX, upsample=0)
    if faces:
        scores["face_width_share"] = round(faces[0].width / back.shape[1], 4)
    if not layout.is_document:
        problem = SideProblem.FACE_NOT_BACK if faces else SideProblem.NOT_A_DOCUMENT
        return SideCheck(problem, "too few text lines for a document", scores)
    if barcode_expected(document_type, country):
        return SideCheck(SideProblem.NO_BARCODE, "no PDF417 symbol on a licence that carries one", scores)
    if faces:
        return SideCheck(SideProblem.LOOKS_LIKE_FRONT, "a portrait and no MRZ or barcode", scores)
    return SideCheck(None, "text of a document, no portrait", scores)
