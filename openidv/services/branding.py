"""A partner's look in the hosted flow: its colour (a validated #rrggbb turned into CSS
custom properties with readable text colours) and its logo (checked, re-encoded as a small
PNG by openidv, served from openidv's own origin), and its consent notice."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from PIL import Image, UnidentifiedImageError

HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_MAX_BYTES = 512 * 1024  # the file given to `partner policy --logo`
LOGO_MAX_SOURCE_PIXELS = 4_000_000  # decoded size, checked before decoding (no pixel bombs)
LOGO_BOX = (480, 160)  # the stored logo fits this box (twice the size it is shown at)
CONSENT_MAX_CHARS = 4000
# WCAG 2.x contrast: body text needs 4.5:1 against its background.
TEXT_CONTRAST_MIN = 4.5
DEFAULT_BRAND = "#0b5cad"
DARK_TEXT = "#1b1f24"


class BrandingRejected(ValueError):
    """A colour, logo or consent text that cannot be used (the message says why)."""


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def normalise_colour(value: str) -> str:
    if not HEX_COLOUR_RE.match(value.strip()):
        raise BrandingRejected("a colour is #rrggbb, e.g. #0a7d4f")
    return value.strip().lower()


@dataclass(frozen=True)
class BrandColours:
    """The custom properties the flow's stylesheet reads."""

    brand: str  # button background
    on_brand: str  # text on the buttons
    brand_text: str  # links and secondary buttons on white

    def css(self) -> str:
        return (f":root {{ --brand: {self.brand}; --on-brand: {self.on_brand}; "
                f"--brand-text: {self.brand_text}; }}\n")


def brand_colours(colour: str) -> BrandColours:
    """Text colours that stay readable on and beside the partner's colour: white or dark text
    on the buttons, whichever contrasts more; the colour itself for links only when it reads
    on white, else openidv's default blue."""
    colour = normalise_colour(colour)
    on_brand = "#ffffff" if contrast_ratio(colour, "#ffffff") >= contrast_ratio(colour, DARK_TEXT) else DARK_TEXT
    text = colour if contrast_ratio(colour, "#ffffff") >= TEXT_CONTRAST_MIN else DEFAULT_BRAND
    return BrandColours(colour, on_brand, text)


def prepare_logo(data: bytes) -> tuple[bytes, str]:
    """A partner's logo file → (PNG bytes, their SHA-256): PNG or JPEG only, size limits
    before decoding, re-encoded (so nothing but pixels of the original is served)."""
    if len(data) > LOGO_MAX_BYTES:
        raise BrandingRejected(f"the logo is over {LOGO_MAX_BYTES // 1024} KB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise BrandingRejected("the logo must be a PNG or JPEG file")
            if probe.width * probe.height > LOGO_MAX_SOURCE_PIXELS:
                raise BrandingRejected("the logo is too large (at most 4 megapixels)")
            probe.load()
            image = probe.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BrandingRejected(f"the logo is not a readable image: {exc}") from None
    image.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    png = out.getvalue()
    return png, hashlib.sha256(png).hexdigest()


def clean_consent_text(text: str) -> Optional[str]:
    """A partner's consent notice as stored: plain text (shown escaped, paragraphs split at
    blank lines), at most CONSENT_MAX_CHARS; empty → None (openidv's default text)."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > CONSENT_MAX_CHARS:
        raise BrandingRejected(f"the consent text is over {CONSENT_MAX_CHARS} characters")
    return text


def apply_branding(partner: Any, brand_color: Optional[str], logo: Optional[str],
                   consent_texts: tuple[tuple[str, str], ...]) -> None:
    """Set a partner's colour, logo (a file path; '' removes it) and consent notices
    ((language, file path) pairs; an empty file removes that language), all checked."""
    try:
        if brand_color is not None:
            partner.brand_color = normalise_colour(brand_color) if brand_color.strip() else None
        if logo is not None:
            if logo.strip():
                path = Path(logo)
                if not path.is_file():
                    raise BrandingRejected(f"{logo}: no such file")
                with path.open("rb") as fh:  # one byte past the limit is enough to refuse it
                    partner.logo_png, partner.logo_sha256 = prepare_logo(fh.read(LOGO_MAX_BYTES + 1))
            else:
                partner.logo_png, partner.logo_sha256 = None, None
        texts = dict(partner.consent_texts or {})
        for language, file in consent_texts:
            if not re.fullmatch(r"[a-z]{2}", language):
                raise BrandingRejected(f"{language!r} is not a two-letter language code")
            text = clean_consent_text(Path(file).read_text(encoding="utf-8"))
            if text is None:
                texts.pop(language, None)
            else:
                texts[language] = text
        if consent_texts:
            partner.consent_texts = texts or None
    except (OSError, UnicodeDecodeError) as exc:
        raise BrandingRejected(str(exc)) from None
