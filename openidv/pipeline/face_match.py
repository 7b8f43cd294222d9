"""The embedding that decides whether a selfie shows the document's holder: OpenCV zoo's
SFace (128-d, cosine distance) on a face aligned by YuNet's five landmarks.

dlib's ResNet (``face.py``) still embeds every face for the duplicate-face index and the
hosted flow's identity check; SFace is used for the selfie-to-portrait decision because it
separates people dlib confuses: on the development pairs the farthest same-person pair lies
below the closest different people (0.495 vs 0.639; dlib 0.580 vs 0.523), and with a
threshold that accepts no different pair in any of the benchmark's 20 pair sets it matches
95–96 % of genuine pairs where dlib matched 84–88 % (docs/benchmarks-faces.md).
"""

from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

from openidv.pipeline.engines import Engines, FaceMatcher
from openidv.pipeline.face import expand_box
from openidv.pipeline.results import Box

MATCH_MODEL = "sface_2021dec_int8bq"
# The face is resampled so its box is this wide before YuNet looks for its landmarks and
# the 112 px aligned crop is cut: YuNet finds faces of ~10–300 px, and resampling first makes
# a 100 px printed portrait and a 2000 px selfie reach SFace alike (and anti-aliased).
ALIGN_FACE_WIDTH_PX = 150
# Where SFace expects the eyes, nose tip and mouth corners in its 112×112 input (the template
# OpenCV's FaceRecognizerSF.alignCrop maps them to; the network was trained on faces so placed).
SFACE_LANDMARK_TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                                    [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)
SFACE_INPUT_PX = 112
# YuNet's face must lie this close to the detector's box (centre distance, in face widths) to
# be the same face, not a neighbour in a group photo.
SAME_FACE_MAX_OFFSET = 0.5


def _face_landmarks(matcher: FaceMatcher, region: np.ndarray, centre: np.ndarray) -> Optional[np.ndarray]:
    """YuNet's row for the face nearest ``centre``: box (4), five landmarks (10), score."""
    detector = matcher.detector
    detector.setInputSize((region.shape[1], region.shape[0]))
    _, rows = detector.detect(region)
    if rows is None:
        return None
    nearest = min(rows, key=lambda r: float(np.linalg.norm(r[:2] + r[2:4] / 2 - centre)))
    if np.linalg.norm(nearest[:2] + nearest[2:4] / 2 - centre) > SAME_FACE_MAX_OFFSET * ALIGN_FACE_WIDTH_PX:
        return None
    return nearest


def _aligned_face(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face warped so its five landmarks land on SFACE_LANDMARK_TEMPLATE: the least-squares
    similarity transform (a huge RANSAC threshold keeps every point, and the final refinement
    is a least-squares fit over all five), as alignCrop computes it."""
    matrix, _ = cv2.estimateAffinePartial2D(landmarks.astype(np.float32), SFACE_LANDMARK_TEMPLATE,
                                            method=cv2.RANSAC, ransacReprojThreshold=1e4)
    return cv2.warpAffine(image, matrix, (SFACE_INPUT_PX, SFACE_INPUT_PX))


def match_embedding(engines: Engines, image: np.ndarray, box: Box) -> Optional[np.ndarray]:
    """Unit-length SFace embedding of the face in box (x, y, w, h) of a BGR image, or None
    when YuNet finds no landmarks for that face (the comparison then cannot be made)."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise ValueError(f"empty face box {box}")
    cx, cy, cw, ch = expand_box(box, 0.5, image.shape)
    region = image[cy : cy + ch, cx : cx + cw]
    if region.ndim == 2:
        region = cv2.cvtColor(region, cv2.COLOR_GRAY2BGR)
    elif region.shape[2] == 4:
        region = cv2.cvtColor(region, cv2.COLOR_BGRA2BGR)
    factor = ALIGN_FACE_WIDTH_PX / w
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    region = cv2.resize(region, (max(1, round(cw * factor)), max(1, round(ch * factor))), interpolation=interp)
    centre = np.array([(x - cx + w / 2) * factor, (y - cy + h / 2) * factor])
    with engines.face_matchers.borrow() as matcher:
        row = _face_landmarks(matcher, region, centre)
        if row is None:
            return None
        aligned = _aligned_face(region, row[4:14].reshape(5, 2))
        matcher.net.setInput(cv2.dnn.blobFromImage(aligned, 1.0, (SFACE_INPUT_PX, SFACE_INPUT_PX), (0, 0, 0),
                                                   swapRB=True))
        vector = matcher.net.forward().ravel().astype(np.float64)
    return vector / np.linalg.norm(vector)


def match_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine distance (1 − cosine similarity) of two SFace embeddings: 0 same, ~0.9 typical strangers."""
    va, vb = np.asarray(a, float), np.asarray(b, float)
    return float(1.0 - va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))
