"""Decoding partner-supplied images safely: format sniffing, size limits, EXIF orientation."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_MEGAPIXELS = 50  # larger images are refused
# The pipeline never uses more than this many pixels on a side: the document step works at
# ≤ 1600 px, face detection at ≤ 800 px, and faces are resampled to 150 px for embedding.
# Decoding a 12-megapixel phone photo at half scale (libjpeg DCT scaling) instead of in full
# saves ~100 ms and ~30 MB per image and changes no step's input materially.
ANALYSIS_MAX_SIDE = 2000
ACCEPTED_FORMATS = {"JPEG", "PNG"}
# Pixels actually decoded per image (after JPEG's reduced-scale decoding). A PNG cannot be
# decoded at reduced scale: a 160 KB one-colour PNG of 7000×7000 would take ~150 MB, so PNGs
# over this are refused before decoding. 16 MP covers an A4 scan at 400 dpi and any phone
# screenshot; JPEG photos of any accepted size decode far below it.
MAX_DECODED_MEGAPIXELS = 16
# Decodes above this many pixels take a turn: one at a time in the process (a 15 MP PNG
# peaks at ~90 MB while decoded and scaled down), and the C heap is trimmed after each
# (Pillow's and numpy's large buffers would otherwise stay in glibc's per-thread arenas:
# measured 2.4 GB left after 24 uploads). JPEG photos decode below this at reduced scale.
LARGE_DECODE_PIXELS = 4_000_000
LARGE_DECODES_AT_ONCE = 1
_large_decodes = threading.BoundedSemaphore(LARGE_DECODES_AT_ONCE)
_libc_name = ctypes.util.find_library("c")
_libc = ctypes.CDLL(_libc_name) if _libc_name else None
_malloc_trim = getattr(_libc, "malloc_trim", None)  # glibc only
_M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
HEAP_ARENAS = 4


def limit_heap_arenas(arenas: int = HEAP_ARENAS) -> None:
    """Cap glibc's malloc arenas (default 8 per core) before the process starts threads.

    Each thread that decodes would otherwise get an arena of its own, where freed image
    buffers linger: 24 concurrent decodes of a 15 MP PNG peaked at +203 MB in one process
    with the default, +103 MB with 4 arenas; 2 cores gain nothing from more.
    """
    mallopt = getattr(_libc, "mallopt", None)
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, arenas)

# Pillow's own bomb guard warns at ~89 MP and errors at twice that; we check ourselves first.
Image.MAX_IMAGE_PIXELS = None


class ImageRejected(ValueError):
    """The bytes are not an image we accept: ``too_large`` says whether it is its pixel count
    (the image is fine but over the cap) rather than its format or its data."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def inspect_image(data: bytes, max_megapixels: float = MAX_MEGAPIXELS) -> ImageInfo:
    """Read only the header: format and size. Raises ImageRejected before any pixels are decoded."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format or ""
            width, height = im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("not a decodable JPEG or PNG image") from exc
    if fmt not in ACCEPTED_FORMATS:
        raise ImageRejected(f"image format {fmt or 'unknown'} is not accepted (JPEG or PNG only)")
    if width <= 0 or height <= 0:
        raise ImageRejected("image has no pixels")
    if width * height > max_megapixels * 1_000_000:
        raise ImageRejected(
            f"image is {width * height / 1e6:.1f} megapixels; the limit is {max_megapixels:g}", too_large=True
        )
    return ImageInfo(fmt, width, height)


@contextmanager
def _decode_turn(pixels: int) -> Iterator[None]:
    """Large decodes one after another (LARGE_DECODES_AT_ONCE), the C heap trimmed after."""
    if pixels <= LARGE_DECODE_PIXELS:
        yield
        return
    with _large_decodes:
        try:
            yield
        finally:
            if _malloc_trim is not None:
                _malloc_trim(0)


def decode_image(
    data: bytes, max_megapixels: float = MAX_MEGAPIXELS, max_side: int | None = None,
    max_decoded_megapixels: float | None = MAX_DECODED_MEGAPIXELS,
) -> np.ndarray:
    """Decode JPEG/PNG bytes to an upright BGR uint8 array (EXIF orientation applied).

    With ``max_side`` the image is scaled down so its longer side is at most that; JPEGs
    are then decoded at reduced scale directly (libjpeg DCT scaling), which is several
    times faster and smaller in memory than decoding in full and resizing. An image that
    would still decode to more than ``max_decoded_megapixels`` (a large PNG) is refused
    (``too_large``) before its pixels are decoded; None: no such cap (local files).
    """
    inspect_image(data, max_megapixels)
    try:
        with Image.open(io.BytesIO(data)) as im:
            if max_side and im.format == "JPEG" and max(im.size) > max_side:
                # draft() picks the largest DCT scale leaving *both* sides at least as large
                # as asked, so ask for the aspect-preserving target, not a square.
                factor = max_side / max(im.size)
                im.draft("RGB", (max(1, int(im.size[0] * factor)), max(1, int(im.size[1] * factor))))
            decoded = im.size[0] * im.size[1]
            if max_decoded_megapixels is not None and decoded > max_decoded_megapixels * 1_000_000:
                raise ImageRejected(
                    f"a {im.format} image of {decoded / 1e6:.1f} megapixels is over the "
                    f"{max_decoded_megapixels:g} megapixels decoded per image", too_large=True)
            with _decode_turn(decoded):
                im.load()
                if max_side and max(im.size) > max_side:
                    im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
                upright = ImageOps.exif_transpose(im)
                rgb = upright.convert("RGB")
                # OpenCV swaps the channels ~30× faster than a numpy copy of the reversed
                # view (0.2 vs 6.4 ms for a 2.6-megapixel selfie; decoding it takes ~22 ms).
                return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt pixel data
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected("image data is truncated or corrupt") from exc


def read_image_file(path: str, max_side: int | None = None) -> np.ndarray:
    """Decode an image file from disk (used by the command line and tests; the operator's
    own files: no cap on decoded pixels)."""
    with open(path, "rb") as fh:
        return decode_image(fh.read(), max_side=max_side, max_decoded_megapixels=None)
