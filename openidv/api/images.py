"""Turning the base64 images of /process into checked bytes (and pixels for photo validation)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import numpy as np

from openidv.api.errors import EncodingError, RequestTooLarge
from openidv.pipeline.images import ImageRejected, decode_image, inspect_image

_DATA_URL_RE = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,", re.I)
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class UploadedImage:
    step: str
    data: bytes
    content_type: str
    pixels: np.ndarray


PREVIEW_MAX_SIDE = 1600  # photo validation works on this size (JPEGs decoded at reduced DCT scale)


def decode_upload(step: str, value: str, *, max_bytes: int, max_megapixels: float) -> UploadedImage:
    text = _DATA_URL_RE.sub("", value, count=1)
    if len(text) > 64 and _WHITESPACE_RE.search(text[:1024] + text[-1024:]):
        text = _WHITESPACE_RE.sub("", text)  # line-wrapped (MIME) base64 is common
    # 4 base64 characters carry 3 bytes: refuse an oversized image before decoding it.
    if len(text) // 4 * 3 > max_bytes + 3:
        raise RequestTooLarge(f"Image for step '{step}' is over the {max_bytes // (1024 * 1024)} MB limit")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EncodingError(f"Image for step '{step}' is not valid base64") from None
    if len(data) > max_bytes:
        raise RequestTooLarge(f"Image for step '{step}' is over the {max_bytes // (1024 * 1024)} MB limit")
    try:
        info = inspect_image(data, max_megapixels)
    except ImageRejected as exc:
        if "megapixels" in str(exc):
            raise RequestTooLarge(f"Image for step '{step}': {exc}") from None
        raise EncodingError(f"Image for step '{step}' is not a decodable JPEG or PNG image") from None
    try:
        pixels = decode_image(data, max_megapixels, max_side=PREVIEW_MAX_SIDE)
    except ImageRejected:
        raise EncodingError(f"Image for step '{step}' is truncated or corrupt") from None
    content_type = "image/png" if info.format == "PNG" else "image/jpeg"
    return UploadedImage(step, data, content_type, pixels)
