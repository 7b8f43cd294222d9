"""Turning base64 images into checked bytes and pixels, and the fast photo check (a document
on FRONT, a face on FACE) that lets a partner retry with better photos."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from openidv.core.errors import EncodingError, PhotoNotAccepted, RequestTooLarge
from openidv.core.vocab import DocumentCode, FaceCode, Step
from openidv.pipeline.document import has_document
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import has_face
from openidv.pipeline.images import MAX_DECODED_MEGAPIXELS, ImageRejected, decode_image, inspect_image

_DATA_URL_RE = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,", re.I)
_WHITESPACE_RE = re.compile(r"\s+")
PREVIEW_MAX_SIDE = 1600  # photo validation works on this size (JPEGs decoded at reduced DCT scale)


@dataclass(frozen=True)
class UploadedImage:
    step: str
    data: bytes
    content_type: str
    pixels: np.ndarray


def decode_upload(step: str, value: str, *, max_bytes: int, max_megapixels: float,
                  max_decoded_megapixels: float = MAX_DECODED_MEGAPIXELS) -> UploadedImage:
    """Base64 (optionally a data: URL, optionally line-wrapped) → checked JPEG/PNG bytes and
    a preview-size decoding; the API's errors when it is not that."""
    text = _DATA_URL_RE.sub("", value, count=1)
    if len(text) > 64 and _WHITESPACE_RE.search(text[:1024] + text[-1024:]):
        text = _WHITESPACE_RE.sub("", text)  # line-wrapped (MIME) base64 is common
    # 4 base64 characters carry 3 bytes: refuse an oversized image before decoding it.
    if len(text) // 4 * 3 > max_bytes + 3:
        raise RequestTooLarge(f"Image for step '{step}' is over the {max_bytes // (1024 * 1024)} MB limit", step=step)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EncodingError(f"Image for step '{step}' is not valid base64", step=step) from None
    if len(data) > max_bytes:
        raise RequestTooLarge(f"Image for step '{step}' is over the {max_bytes // (1024 * 1024)} MB limit", step=step)
    try:
        info = inspect_image(data, max_megapixels)
    except ImageRejected as exc:
        if exc.too_large:
            raise RequestTooLarge(f"Image for step '{step}': {exc}", step=step) from None
        raise EncodingError(f"Image for step '{step}' is not a decodable JPEG or PNG image", step=step) from None
    try:
        pixels = decode_image(data, max_megapixels, max_side=PREVIEW_MAX_SIDE,
                              max_decoded_megapixels=max_decoded_megapixels)
    except ImageRejected as exc:
        if exc.too_large:
            raise RequestTooLarge(f"Image for step '{step}': {exc}", step=step) from None
        raise EncodingError(f"Image for step '{step}' is truncated or corrupt", step=step) from None
    content_type = "image/png" if info.format == "PNG" else "image/jpeg"
    return UploadedImage(step, data, content_type, pixels)


def validate_photos(engines: Engines, uploads: Mapping[str, UploadedImage]) -> None:
    """Raise PhotoNotAccepted when FRONT shows no document or FACE no face."""
    front, face = uploads.get(Step.FRONT), uploads.get(Step.FACE)
    if front is not None and not has_document(engines, front.pixels):
        raise PhotoNotAccepted(DocumentCode.DOC_NOT_FOUND, "No document was found on the FRONT image", step=Step.FRONT)
    if face is not None and not has_face(engines, face.pixels):
        raise PhotoNotAccepted(FaceCode.NO_FACE_FOUND, "No face was found on the FACE image", step=Step.FACE)
