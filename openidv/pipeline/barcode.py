"""Finding and decoding the PDF417 barcode on the back of a North American driver licence or ID
card (AAMVA), with zxing-cpp: the image as given first, fallbacks only when that fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
import zxingcpp

MAX_INPUT_PIXELS = 50_000_000  # same ceiling as accepted uploads; larger arrays are refused
# Work on at most this many pixels on the long side. A card's PDF417 (about 70 mm of up to
# ~400 modules) keeps more than 3 px per module at 2000 px even when the card fills only half
# of the frame; zxing also scans downscaled copies itself.
MAX_WORK_SIDE = 2000
# Localisation runs on a copy this long: enough to see a ~70 mm symbol as a dense block.
LOCATE_SIDE = 800
# A rectified crop is brought to at least this width so that a module spans ≥ 3 px (a card's
# symbol is ≤ ~400 modules wide); zxing's PDF417 sampler misreads thinner modules.
CROP_MIN_WIDTH = 1200
DEFAULT_BUDGET_S = 1.5  # wall time for the fallbacks; the first, plain attempt always runs
MAX_PAYLOAD_BYTES = 4096  # a PDF417 symbol holds at most 1,850 text characters
MAX_CANDIDATES = 3

_PDF417 = zxingcpp.BarcodeFormat.PDF417


class BarcodeInputRejected(ValueError):
    """The array is not an image we read (wrong type, shape, or too many pixels)."""


@dataclass(frozen=True)
class Pdf417Result:
    """A decoded PDF417 symbol and how it was found."""

    raw: bytes
    text: str  # ``raw`` as Latin-1: AAMVA payloads are ASCII, and Latin-1 maps every byte
    quad: tuple[tuple[float, float], ...]  # symbol corners in input pixels, as zxing orders them
    variant: str  # which image variant decoded: "original", "rectified-1+global", ...
    attempts: int  # zxing calls made, this one included
    seconds: float
    cpu_seconds: float


@dataclass(frozen=True)
class _Variant:
    name: str
    image: np.ndarray  # greyscale uint8
    to_input: np.ndarray  # 3x3 homography from this image's pixels to the input's


def _as_grey(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise BarcodeInputRejected("expected a uint8 numpy image")
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 2:
        return image
    raise BarcodeInputRejected(f"expected a BGR or greyscale image, got shape {image.shape}")


def _scale_matrix(factor: float) -> np.ndarray:
    return np.diag([factor, factor, 1.0])


def _decode(variant: _Variant, binarizer: zxingcpp.Binarizer, with_errors: bool = False) -> list:
    return zxingcpp.read_barcodes(
        variant.image, formats=_PDF417, binarizer=binarizer, text_mode=zxingcpp.TextMode.Plain,
        try_rotate=True, try_downscale=True, try_invert=False, return_errors=with_errors,
    )


def _quad_of(barcode, to_input: np.ndarray) -> tuple[tuple[float, float], ...]:
    p = barcode.position
    points = np.array([[pt.x, pt.y, 1.0] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)])
    mapped = points @ to_input.T
    return tuple((round(float(x / w), 1), round(float(y / w), 1)) for x, y, w in mapped)


# ---- where the symbol is -------------------------------------------------------------------

def _order_corners(points: np.ndarray) -> np.ndarray:
    """Corners clockwise from the top-left of the *long* side, so the symbol's rows run
    along x after warping (AAMVA symbols are wider than tall)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ring = points[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(ring.sum(axis=1)))
    ring = np.roll(ring, -start, axis=0)
    if np.linalg.norm(ring[1] - ring[0]) < np.linalg.norm(ring[3] - ring[0]):
        ring = np.roll(ring, -1, axis=0)  # the first edge must be a long one
    return ring.astype(np.float32)


def _dense_blocks(grey: np.ndarray) -> list[np.ndarray]:
    """Quadrilaterals (input pixels) around blocks of dense edges shaped like a PDF417
    symbol, largest first. A printed symbol is the densest large block on a card back."""
    h, w = grey.shape
    factor = min(1.0, LOCATE_SIDE / max(h, w))
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.convertScaleAbs(cv2.GaussianBlur(np.abs(gx) + np.abs(gy), (5, 5), 0), alpha=0.5)
    _, edges = cv2.threshold(magnitude, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    side = max(3, round(min(small.shape) * 0.015)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    blocks = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, kernel)
    blocks = cv2.morphologyEx(blocks, cv2.MORPH_OPEN, kernel)
    contours, _ = cv2.findContours(blocks, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[float, np.ndarray]] = []
    min_area = 0.004 * small.shape[0] * small.shape[1]
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < min_area:
            continue
        (_, _), (rw, rh), _ = rect = cv2.minAreaRect(contour)
        if min(rw, rh) < 8:
            continue
        aspect = max(rw, rh) / min(rw, rh)
        fill = area / (rw * rh)
        if not (1.3 <= aspect <= 12 and fill >= 0.55):
            continue
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
        quad = approx.reshape(-1, 2).astype(np.float32) if len(approx) == 4 else cv2.boxPoints(rect)
        found.append((area * fill, _order_corners(quad / factor)))
    found.sort(key=lambda item: -item[0])
    return [quad for _, quad in found[:MAX_CANDIDATES]]


def _rectify(grey: np.ndarray, quad: np.ndarray, margin: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """Warp the quadrilateral (grown by ``margin`` for the quiet zone) to an upright
    rectangle at least CROP_MIN_WIDTH wide. Returns the crop and its homography to ``grey``."""
    centre = quad.mean(axis=0)
    grown = centre + (quad - centre) * (1 + 2 * margin)
    width = max(np.linalg.norm(grown[1] - grown[0]), np.linalg.norm(grown[2] - grown[3]))
    height = max(np.linalg.norm(grown[3] - grown[0]), np.linalg.norm(grown[2] - grown[1]))
    factor = max(1.0, CROP_MIN_WIDTH / max(width, 1.0))
    out_w, out_h = int(round(width * factor)), int(round(height * factor))
    out_w, out_h = min(out_w, 2 * MAX_WORK_SIDE), max(8, min(out_h, 2 * MAX_WORK_SIDE))
    target = np.float32([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]])
    forward = cv2.getPerspectiveTransform(grown.astype(np.float32), target)
    crop = cv2.warpPerspective(grey, forward, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return crop, np.linalg.inv(forward)


# ---- the variants, cheapest and most often useful first ------------------------------------

def _stretched(grey: np.ndarray) -> np.ndarray:
    """Local contrast equalisation: lifts a symbol under uneven light or a glare gradient."""
    return cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(grey)


def _sharpened(grey: np.ndarray) -> np.ndarray:
    """Unsharp mask: restores some module edges of a slightly out-of-focus symbol."""
    return cv2.addWeighted(grey, 2.5, cv2.GaussianBlur(grey, (0, 0), 5), -1.5, 0)


def _refined_quad(crop: np.ndarray, crop_to_work: np.ndarray) -> Optional[np.ndarray]:
    """The symbol's outline found again inside a first rectified crop, in work pixels.

    The first outline comes from a coarse, closed edge map of the whole frame and can be off
    by a few degrees; zxing's PDF417 sampler tolerates only ~3° of skew. Inside the crop the
    symbol fills the frame and its outline is found more precisely."""
    blocks = _dense_blocks(crop)
    if not blocks:
        return None
    points = np.hstack([blocks[0], np.ones((4, 1), np.float32)]) @ crop_to_work.T
    return _order_corners((points[:, :2] / points[:, 2:]).astype(np.float32))


def _variants(work: np.ndarray, to_input: np.ndarray, error_quads: list[np.ndarray]) -> Iterator[tuple[_Variant, zxingcpp.Binarizer]]:
    local, global_ = zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram
    quads = list(error_quads) + _dense_blocks(work)
    for i, quad in enumerate(quads, start=1):
        crop, crop_to_work = _rectify(work, quad)
        name, to_crop = f"rectified-{i}", to_input @ crop_to_work
        yield _Variant(name, crop, to_crop), local
        yield _Variant(name + "+global", crop, to_crop), global_
        refined = _refined_quad(crop, crop_to_work)
        if refined is not None:
            crop, crop_to_work = _rectify(work, refined, margin=0.05)
            name, to_crop = f"refined-{i}", to_input @ crop_to_work
            yield _Variant(name, crop, to_crop), local
            yield _Variant(name + "+global", crop, to_crop), global_
        yield _Variant(name + "+sharpened", _sharpened(crop), to_crop), local
        yield _Variant(name + "+clahe", _stretched(crop), to_crop), local
    yield _Variant("global", work, to_input), global_
    yield _Variant("clahe", _stretched(work), to_input), local
    if max(work.shape) < MAX_WORK_SIDE:
        factor = min(2.0, MAX_WORK_SIDE / max(work.shape))
        upscaled = cv2.resize(work, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        yield _Variant(f"upscaled-{factor:.1f}x", upscaled, to_input @ _scale_matrix(1 / factor)), local


def read_pdf417(image: np.ndarray, *, budget_s: float = DEFAULT_BUDGET_S,
                clock: Callable[[], float] = time.perf_counter) -> Optional[Pdf417Result]:
    """Find and decode the PDF417 symbol in a BGR (or greyscale) image; None when there is none
    that decodes. The plain attempt always runs; fallbacks stop once ``budget_s`` is spent."""
    grey = _as_grey(image)
    if grey.size == 0 or grey.shape[0] * grey.shape[1] > MAX_INPUT_PIXELS:
        raise BarcodeInputRejected(f"image of {grey.shape[1]}x{grey.shape[0]} pixels is outside the limits")
    started, cpu_started = clock(), time.process_time()
    factor = min(1.0, MAX_WORK_SIDE / max(grey.shape))
    work = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    to_input = _scale_matrix(1 / factor)

    attempts = 0

    def result(barcode, variant: _Variant) -> Optional[Pdf417Result]:
        raw = bytes(barcode.bytes)
        if not raw or len(raw) > MAX_PAYLOAD_BYTES:
            return None
        return Pdf417Result(raw=raw, text=raw.decode("latin-1"), quad=_quad_of(barcode, variant.to_input),
                            variant=variant.name, attempts=attempts, seconds=clock() - started,
                            cpu_seconds=time.process_time() - cpu_started)

    original = _Variant("original", work, to_input)
    attempts += 1
    # Asking for failed symbols too costs nothing extra and tells where a symbol sits.
    first = _decode(original, zxingcpp.Binarizer.LocalAverage, with_errors=True)
    for barcode in first:
        if barcode.valid and (found := result(barcode, original)):
            return found
    error_quads = [_order_corners(np.float32([[pt.x, pt.y] for pt in (b.position.top_left, b.position.top_right,
                                                                         b.position.bottom_right, b.position.bottom_left)]))
                   for b in first if not b.valid and _plausible_quad(b)]
    for variant, binarizer in _variants(work, to_input, error_quads):
        if clock() - started > budget_s:
            break
        attempts += 1
        for barcode in _decode(variant, binarizer):
            if found := result(barcode, variant):
                return found
    return None


def _plausible_quad(barcode) -> bool:
    """zxing reports a position for a symbol it failed to decode; some are degenerate."""
    p = barcode.position
    points = np.float32([[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)])
    return cv2.contourArea(points) > 400 and len({(float(x), float(y)) for x, y in points}) == 4
