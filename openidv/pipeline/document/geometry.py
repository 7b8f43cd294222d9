"""Geometry of document images: the working image and its transform from the original,
quarter turns, text-line quadrilaterals and straightening one line out of the page."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openidv.pipeline import ocr
from openidv.pipeline.engines import Engines
from openidv.pipeline.results import Box

# Images are rescaled so their long side lies in this range before page detection: small
# scans (250 px wide ID cards in the dev set) are enlarged; large photos shrunk to bound the
# cost. The MRZ itself is re-read at a fixed size in a band (ZONE_LINE_HEIGHT_PX).
WORK_MIN_LONG_SIDE_PX = 640
WORK_MAX_LONG_SIDE_PX = 1600


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


@dataclass(frozen=True)
class Page:
    """An image at working size and the text lines the detector found on it, as read once."""

    work: WorkImage
    lines: tuple[LineGeom, ...]


def read_page(engines: Engines, image: np.ndarray) -> Page:
    """Detect the text lines of an image at working size (the one detector pass per side)."""
    work = to_working_image(image)
    return Page(work, tuple(line_geometry(d.quad) for d in ocr.detect_text_lines(engines, work.image)))


def _box_in_original(image: np.ndarray, box: Box) -> Box:
    h, w = image.shape[:2]
    x, y, bw, bh = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(w, x + bw), min(h, y + bh)
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)
