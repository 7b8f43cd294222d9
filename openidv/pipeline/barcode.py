"""Finding and decoding the PDF417 barcode on the back of a North American driver licence or ID
card (AAMVA), with zxing-cpp: the image as given first, fallbacks only when that fails."""

from __future__ import annotations

import time
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
# CPU seconds of the calling thread for the fallbacks (the first, plain attempt always runs).
# Counted in CPU rather than wall time so that a busy machine gets the same answer, only
# later. Reads of generated photos took 0.21 CPU-s at the 95th percentile (docs/barcodes.md).
DEFAULT_BUDGET_S = 1.0
MAX_PAYLOAD_BYTES = 4096  # a PDF417 symbol holds at most 1,850 text characters
MAX_CANDIDATES = 3
# A card's symbol is ≥ ~290 modules wide and does not decode below ~1 px per module, so
# smaller blocks (in work pixels, along the long side) are not worth a look.
MIN_SYMBOL_WIDTH = 200

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
    seconds: float  # wall time of the read
    cpu_seconds: float  # CPU time of the calling thread


@dataclass(frozen=True)
class _Variant:
    name: str
    image: np.ndarray  # greyscale uint8
    to_input: np.ndarray  # 3x3 homography from this image's pixels to the input's


def _as_grey(image: np.ndarray) -> np.ndarray:
    """A contiguous greyscale copy (or view) of an accepted image; refuses anything else
    before converting, so an oversized array costs nothing."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise BarcodeInputRejected("expected a uint8 numpy image")
    channels = image.shape[2] if image.ndim == 3 else 1 if image.ndim == 2 else 0
    if channels not in (1, 3, 4):
        raise BarcodeInputRejected(f"expected a BGR or greyscale image, got shape {image.shape}")
    if image.shape[0] * image.shape[1] == 0 or image.shape[0] * image.shape[1] > MAX_INPUT_PIXELS:
        raise BarcodeInputRejected(f"image of {image.shape[1]}x{image.shape[0]} pixels is outside the limits")
    if channels == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return np.ascontiguousarray(image.reshape(image.shape[:2]))


def _scale_matrix(factor: float) -> np.ndarray:
    return np.diag([factor, factor, 1.0])


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
        if min(rw, rh) < 8 or max(rw, rh) / factor < MIN_SYMBOL_WIDTH:
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


def _rectify(grey: np.ndarray, quad: np.ndarray, margin: float = 0.08) -> tuple[np.ndarray, np.ndarray, float]:
    """Warp the quadrilateral (grown by ``margin`` for the quiet zone) to an upright
    rectangle at least CROP_MIN_WIDTH wide. Returns the crop, its homography to ``grey`` and
    how many crop pixels one pixel of ``grey`` became."""
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
    return crop, np.linalg.inv(forward), out_w / max(width, 1.0)


# ---- the variants, cheapest and most often useful first ------------------------------------

def _stretched(grey: np.ndarray) -> np.ndarray:
    """Local contrast equalisation: lifts a symbol under uneven light or a glare gradient."""
    return cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(grey)


def _sharpened(crop: np.ndarray, source_px: float) -> np.ndarray:
    """Strong unsharp mask at the scale of one source pixel: restores module edges of a
    slightly out-of-focus symbol (recovered about a third of the blurred symbols that
    failed otherwise, on generated photos)."""
    return cv2.addWeighted(crop, 4.0, cv2.GaussianBlur(crop, (0, 0), min(source_px, 6.0)), -3.0, 0)


def _refined_quad(crop: np.ndarray, crop_to_work: np.ndarray) -> Optional[np.ndarray]:
    """The symbol's outline found again inside a first rectified crop, in work pixels.

    The first outline comes from a coarse, closed edge map of the whole frame and can be off
    by a few degrees; zxing's PDF417 sampler tolerates only ~3° of skew. Inside the crop the
    symbol fills the frame and its outline is found more precisely."""
    blocks = _dense_blocks(crop)
    if not blocks:
        return None
    points = np.hstack([blocks[0], np.ones((4, 1), np.float32)]) @ crop_to_work.T
    quad = _order_corners((points[:, :2] / points[:, 2:]).astype(np.float32))
    return quad if np.linalg.norm(quad[1] - quad[0]) >= MIN_SYMBOL_WIDTH else None


class _Search:
    """One read: counts zxing calls, keeps the time budget, and remembers where zxing
    located a symbol it could not decode in the last call."""

    def __init__(self, budget_s: float):
        self.budget_s = budget_s
        self.started, self.cpu_started = time.perf_counter(), time.thread_time()
        self.attempts = 0
        self.located: list = []

    def out_of_time(self) -> bool:
        return time.thread_time() - self.cpu_started > self.budget_s

    def attempt(self, variant: _Variant, binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage) -> Optional[Pdf417Result]:
        self.attempts += 1
        # Asking for undecodable symbols too costs nothing extra and tells where one sits.
        barcodes = zxingcpp.read_barcodes(
            variant.image, formats=_PDF417, binarizer=binarizer, text_mode=zxingcpp.TextMode.Plain,
            try_rotate=True, try_downscale=True, try_invert=False, return_errors=True,
        )
        self.located = [b for b in barcodes if not b.valid and _plausible_quad(b)]
        for barcode in barcodes:
            raw = bytes(barcode.bytes) if barcode.valid else b""
            if raw and len(raw) <= MAX_PAYLOAD_BYTES:
                return Pdf417Result(raw=raw, text=raw.decode("latin-1"), quad=_quad_of(barcode, variant.to_input),
                                    variant=variant.name, attempts=self.attempts, seconds=time.perf_counter() - self.started,
                                    cpu_seconds=time.thread_time() - self.cpu_started)
        return None


def _corners(barcode) -> np.ndarray:
    p = barcode.position
    return np.float32([[pt.x, pt.y] for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)])


def _read_candidate(search: _Search, work: np.ndarray, to_input: np.ndarray, quad: np.ndarray, name: str) -> tuple[Optional[Pdf417Result], bool]:
    """Decode the symbol that may sit in ``quad``: rectified, then outlined again and
    rectified more tightly; more variants only where zxing located a symbol. Returns the
    result and whether a symbol was located."""
    global_ = zxingcpp.Binarizer.GlobalHistogram
    crop, crop_to_work, source_px = _rectify(work, quad)
    rectified = _Variant(f"rectified-{name}", crop, to_input @ crop_to_work)
    if found := search.attempt(rectified):
        return found, True
    located = bool(search.located)
    tighter = rectified
    if (refined_quad := _refined_quad(crop, crop_to_work)) is not None and not search.out_of_time():
        crop, crop_to_work, source_px = _rectify(work, refined_quad, margin=0.05)
        tighter = _Variant(f"refined-{name}", crop, to_input @ crop_to_work)
        if found := search.attempt(tighter):
            return found, True
        located = located or bool(search.located)
    # A blurred symbol is often not even located, yet decodes once sharpened.
    sharpened = _Variant(tighter.name + "+sharpened", _sharpened(crop, source_px), tighter.to_input)
    if not search.out_of_time() and (found := search.attempt(sharpened)):
        return found, True
    located = located or bool(search.located)
    # Where zxing sees no PDF417 at all (printed text, a portrait) further variants of the
    # same crop almost never decode: not worth the time on images without a barcode.
    if not located:
        return None, False
    local = zxingcpp.Binarizer.LocalAverage
    extras = [(rectified, global_)] + ([(tighter, global_)] if tighter is not rectified else [])
    extras.append((_Variant(tighter.name + "+clahe", _stretched(crop), tighter.to_input), local))
    for variant, binarizer in extras:
        if search.out_of_time():
            return None, True
        suffix = "+global" if binarizer is global_ else ""
        if found := search.attempt(_Variant(variant.name + suffix, variant.image, variant.to_input), binarizer):
            return found, True
    return None, True


def read_pdf417(image: np.ndarray, *, budget_s: float = DEFAULT_BUDGET_S) -> Optional[Pdf417Result]:
    """Find and decode the PDF417 symbol in a BGR (or greyscale) image; None when there is none
    that decodes. The plain attempt always runs; fallbacks stop once ``budget_s`` CPU
    seconds of this thread are spent."""
    grey = _as_grey(image)
    search = _Search(budget_s)
    factor = min(1.0, MAX_WORK_SIDE / max(grey.shape))
    work = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else grey
    to_input = _scale_matrix(1 / factor)

    if found := search.attempt(_Variant("original", work, to_input)):
        return found
    candidates = [_order_corners(_corners(b)) for b in search.located]
    located = bool(candidates)
    if search.out_of_time():
        return None
    candidates += _dense_blocks(work)
    for i, quad in enumerate(candidates, start=1):
        if search.out_of_time():
            return None
        found, seen = _read_candidate(search, work, to_input, quad, str(i))
        if found:
            return found
        located = located or seen
    if not located:
        return None
    # A symbol was seen but no crop decoded: the whole frame with other binarisation.
    whole = [(_Variant("global", work, to_input), zxingcpp.Binarizer.GlobalHistogram),
             (_Variant("clahe", _stretched(work), to_input), zxingcpp.Binarizer.LocalAverage)]
    if max(work.shape) < MAX_WORK_SIDE:
        up = min(2.0, MAX_WORK_SIDE / max(work.shape))
        upscaled = cv2.resize(work, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC)
        whole.append((_Variant(f"upscaled-{up:.1f}x", upscaled, to_input @ _scale_matrix(1 / up)),
                      zxingcpp.Binarizer.LocalAverage))
    for variant, binarizer in whole:
        if search.out_of_time():
            return None
        if found := search.attempt(variant, binarizer):
            return found
    return None


def _plausible_quad(barcode) -> bool:
    """zxing reports a position for a symbol it failed to decode; some are degenerate."""
    points = _corners(barcode)
    return cv2.contourArea(points) > 400 and len({(float(x), float(y)) for x, y in points}) == 4
