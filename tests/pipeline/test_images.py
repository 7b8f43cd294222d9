"""Decoding untrusted images: formats, EXIF orientation, truncation, pixel bombs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from openidv.pipeline.images import ImageRejected, decode_image, inspect_image


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (200, 100), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    decoded = decode_image(encode(img, "JPEG", exif=exif))
    assert decoded.shape[:2] == (200, 100)


def test_colour_order_is_bgr():
    decoded = decode_image(encode(Image.new("RGB", (10, 10), (255, 0, 0)), "PNG"))
    assert tuple(decoded[0, 0]) == (0, 0, 255)


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n", b"<svg/>", b"GIF89a" + b"\0" * 50])
def test_non_images_are_rejected(data):
    with pytest.raises(ImageRejected):
        decode_image(data)


def test_gif_and_webp_are_not_accepted():
    with pytest.raises(ImageRejected, match="not accepted"):
        decode_image(encode(Image.new("RGB", (10, 10)), "GIF"))


def test_truncated_jpeg_is_rejected():
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(ImageRejected):
        decode_image(data[: len(data) // 2])


def test_pixel_bomb_is_rejected_from_the_header():
    bomb = encode(Image.new("1", (12000, 10000)), "PNG")  # 120 MP, tiny file
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageRejected, match="megapixels"):
        inspect_image(bomb)


def test_reduced_decode_keeps_aspect():
    data = encode(Image.new("RGB", (4000, 3000), (10, 20, 30)), "JPEG")
    assert decode_image(data, max_side=1000).shape == (750, 1000, 3)


def test_reduced_decode_of_a_landscape_photo_uses_dct_scaling(monkeypatch):
    """A 4032×3024 phone photo for ANALYSIS_MAX_SIDE: libjpeg decodes it at half scale.

    (Asking draft() for a square target would leave the short side too small for any
    reduction, and the photo would be decoded in full.)
    """
    from openidv.pipeline.images import ANALYSIS_MAX_SIDE

    data = encode(Image.new("RGB", (4032, 3024), (10, 20, 30)), "JPEG")
    from PIL import JpegImagePlugin

    decoded_sizes = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        decoded_sizes.append(self.size)  # the size libjpeg will decode at
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    decoded = decode_image(data, max_side=ANALYSIS_MAX_SIDE)
    assert decoded_sizes and set(decoded_sizes) == {(2016, 1512)}
    assert decoded.shape == (1500, ANALYSIS_MAX_SIDE, 3)


def test_small_images_are_not_resized_for_analysis():
    from openidv.pipeline.images import ANALYSIS_MAX_SIDE

    data = encode(Image.new("RGB", (900, 600), (10, 20, 30)), "JPEG")
    assert decode_image(data, max_side=ANALYSIS_MAX_SIDE).shape == (600, 900, 3)


def test_truncated_large_jpeg_is_rejected_at_reduced_scale_too():
    """Reduced-scale decoding still reads the whole entropy-coded stream: truncation shows."""
    rng = np.random.default_rng(1)
    data = encode(Image.fromarray(rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8)), "JPEG", quality=80)
    with pytest.raises(ImageRejected):
        decode_image(data[: len(data) * 2 // 3], max_side=1600)


def test_pngs_over_the_decoded_pixel_cap_are_refused_before_decoding_and_jpegs_decode_reduced():
    import io

    from PIL import Image

    from openidv.pipeline.images import MAX_DECODED_MEGAPIXELS, ImageRejected, decode_image

    def encoded(fmt: str, side: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (side, side), (90, 80, 70)).save(buf, fmt)
        return buf.getvalue()

    big_png = encoded("PNG", 7000)  # 49 MP in ~160 KB: under the 50 MP header cap
    assert len(big_png) < 300_000
    with pytest.raises(ImageRejected) as refused:
        decode_image(big_png, max_side=1600)
    assert refused.value.too_large and f"{MAX_DECODED_MEGAPIXELS:g} megapixels" in str(refused.value)
    # The same size as JPEG decodes at 1/4 scale (3 MP), well under the cap.
    assert decode_image(encoded("JPEG", 7000), max_side=1600).shape == (1600, 1600, 3)
    assert decode_image(encoded("PNG", 3900), max_side=1600).shape == (1600, 1600, 3)
