"""Property-based fuzzing (hypothesis) of the two parsers that see untrusted input first:
base64 -> image decoding, and the MRZ parser. Only the documented errors may come out."""

from __future__ import annotations

import base64
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from openidv.core.errors import EncodingError, RequestTooLarge
from openidv.services.uploads import decode_upload
from openidv.pipeline.images import ImageRejected, decode_image


def _valid_image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, fmt)
    return buf.getvalue()


SEEDS = [_valid_image("JPEG"), _valid_image("PNG")]


@st.composite
def mutated_images(draw) -> bytes:  # noqa: ANN001
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) if draw(st.booleans()) else bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_images())
def test_decoding_mutated_images_fails_only_with_image_rejected(data):
    try:
        decoded = decode_image(data)
    except ImageRejected:
        return
    assert decoded.ndim == 3 and decoded.shape[2] == 3


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
                 mutated_images().map(lambda b: "data:image/png;base64," + base64.b64encode(b).decode())))
def test_upload_decoding_fails_only_with_api_errors(value):
    try:
        decode_upload("FRONT", value, max_bytes=6 * 1024 * 1024, max_megapixels=50)
    except (EncodingError, RequestTooLarge):
        pass


MRZ_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<<")


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([(3, 30), (2, 36), (2, 44)]).flatmap(
    lambda shape: st.lists(st.text(MRZ_CHARS, min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0])))
def test_mrz_parser_never_crashes_on_well_formed_noise(lines):
    from openidv.pipeline import mrz

    try:
        result = mrz.parse_mrz(lines)
    except mrz.MrzFormatError:
        return
    assert result is None or set(result.check_digits.values()) <= {True, False}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_mrz_parser_never_crashes_on_arbitrary_text(lines):
    from openidv.pipeline import mrz

    try:
        mrz.parse_mrz(lines)
    except mrz.MrzFormatError:
        pass
