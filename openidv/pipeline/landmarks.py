"""Face landmarks: MediaPipe's face mesh (468 points) on a face whose rough box is known.

The model sees a 192 px square crop, upright, about 1.5× the face; the box from the
detector is refined once from the landmarks themselves (centre, size and in-plane angle
of the eye line), as MediaPipe's own pipeline does from frame to frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from openidv.pipeline.engines import Engines, FaceMesh
from openidv.pipeline.results import Box

INPUT_PX = 192  # the model's input side
# Crop side relative to the detector's box (dlib HOG boxes are tight, eyebrows to lip) and
# relative to the landmarks' extent once they are known.
BOX_CROP_SCALE = 1.6
LANDMARK_CROP_SCALE = 1.5
REFINE_PASSES = 2
# Mesh indices used to align the crop and to measure the face.
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
RIGHT_CHEEK_CONTOUR, LEFT_CHEEK_CONTOUR = 234, 454
NOSE_TIP = 1


@dataclass(frozen=True)
class FaceLandmarks:
    """The mesh in image pixels: ``xy`` (468, 2), ``z`` (468,) relative depth in the same
    pixel scale (smaller = nearer the camera), and the model's face-presence probability."""

    xy: np.ndarray
    z: np.ndarray
    presence: float

    @property
    def width(self) -> float:
        """Face width between the cheek contours, pixels."""
        return float(np.linalg.norm(self.xy[LEFT_CHEEK_CONTOUR] - self.xy[RIGHT_CHEEK_CONTOUR]))

    @property
    def box(self) -> Box:
        (x0, y0), (x1, y1) = self.xy.min(axis=0), self.xy.max(axis=0)
        return int(round(x0)), int(round(y0)), max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))

    @property
    def yaw_cue(self) -> float:
        """Where the nose tip sits between the cheek contours: 0 frontal, ±0.5 on a contour."""
        right, left = self.xy[RIGHT_CHEEK_CONTOUR, 0], self.xy[LEFT_CHEEK_CONTOUR, 0]
        return float((self.xy[NOSE_TIP, 0] - right) / (left - right + 1e-9) - 0.5)


def _run_on_crop(mesh: FaceMesh, image: np.ndarray, centre: tuple[float, float], side: float,
                 angle_deg: float) -> FaceLandmarks:
    scale = INPUT_PX / max(side, 1.0)
    matrix = cv2.getRotationMatrix2D(centre, angle_deg, scale)
    matrix[0, 2] += INPUT_PX / 2 - centre[0]
    matrix[1, 2] += INPUT_PX / 2 - centre[1]
    crop = cv2.warpAffine(image, matrix, (INPUT_PX, INPUT_PX), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    points, presence = mesh.run(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
    back = cv2.invertAffineTransform(matrix)
    xy = points[:, :2] @ back[:, :2].T + back[:, 2]
    return FaceLandmarks(xy=xy, z=points[:, 2] / scale, presence=presence)


def face_landmarks(engines: Engines, image: np.ndarray, box: Box) -> FaceLandmarks:
    """The mesh of the face roughly in ``box`` (x, y, w, h) of a BGR image."""
    x, y, w, h = box
    centre, side, angle = (x + w / 2.0, y + h / 2.0), BOX_CROP_SCALE * max(w, h), 0.0
    with engines.face_landmarkers.borrow() as mesh:
        found = _run_on_crop(mesh, image, centre, side, angle)
        for _ in range(REFINE_PASSES):
            low, high = found.xy.min(axis=0), found.xy.max(axis=0)
            centre = (float(low[0] + high[0]) / 2.0, float(low[1] + high[1]) / 2.0)
            side = LANDMARK_CROP_SCALE * float(max(high - low))
            right, left = found.xy[RIGHT_EYE_OUTER], found.xy[LEFT_EYE_OUTER]
            angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
            found = _run_on_crop(mesh, image, centre, side, angle)
    return found


def landmarks_box(previous: Optional[FaceLandmarks]) -> Optional[Box]:
    """A detector-like box from the previous frame's mesh, to follow a face the frontal
    detector loses (turned, very close)."""
    if previous is None:
        return None
    x, y, w, h = previous.box
    side = max(w, h) / (BOX_CROP_SCALE / LANDMARK_CROP_SCALE)
    return int(x + w / 2 - side / 2), int(y + h / 2 - side / 2), int(side), int(side)
