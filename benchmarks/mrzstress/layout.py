"""A flat document page: guilloche background, header, portrait box, labelled printed
fields (names in their own script), signature, and the MRZ in OCR-B at ICAO pitch.

Fonts come from Debian packages: ``fonts-ocr-b`` (MRZ), ``fonts-dejavu-core`` (Latin,
Cyrillic, Greek), ``fonts-hosny-amiri`` (Arabic), ``fonts-wqy-microhei`` (CJK).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.mrzstress import icao
from benchmarks.mrzstress.truth import Truth

PX_PER_MM = 10.0
MRZ_PITCH_MM = 2.54  # OCR-B at ten characters per inch (ICAO 9303 part 3)
OCRB_ADVANCE_EM = 0.723  # advance width of every OCR-B glyph, in ems (measured on the font)

FONT_FILES = {
    "ocrb": ("/usr/share/fonts/opentype/ocr-b/OCRB.otf", "fonts-ocr-b"),
    "sans": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core"),
    "sans_bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "serif": ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "fonts-dejavu-core"),
    "serif_bold": ("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", "fonts-dejavu-core"),
    "condensed": ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", "fonts-dejavu-core"),
    "arabic": ("/usr/share/fonts/opentype/fonts-hosny-amiri/Amiri-Regular.ttf", "fonts-hosny-amiri"),
    "cjk": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS_FR = ("JANV", "FÉVR", "MARS", "AVR", "MAI", "JUIN", "JUIL", "AOÛT", "SEPT", "OCT", "NOV", "DÉC")
CITIES = ("LISBOA", "KRAKÓW", "MÜNCHEN", "SEVILLA", "LYON", "OSLO", "ZAGREB", "NAIROBI", "LAGOS",
          "TORONTO", "MUMBAI", "HANOI", "ISTANBUL", "BOGOTÁ", "CAIRO", "SEOUL", "ATHENS", "KYIV")
TITLES = {"TD3": "PASSPORT / PASSEPORT", "TD2": "IDENTITY CARD / CARTE D'IDENTITÉ",
          "TD1": "IDENTITY CARD", "MRVA": "VISA", "MRVB": "VISA"}


class FontMissing(RuntimeError):
    """A Debian font package the stress set needs is not installed."""


@lru_cache(maxsize=256)
def font(kind: str, size_px: int) -> ImageFont.FreeTypeFont:
    path, package = FONT_FILES[kind]
    if not Path(path).is_file():
        raise FontMissing(f"{path} not found: apt-get install {package}")
    return ImageFont.truetype(path, size_px, layout_engine=ImageFont.Layout.RAQM)


def check_fonts() -> None:
    """Raise FontMissing naming the Debian package when a font file is absent."""
    for kind in FONT_FILES:
        font(kind, 12)


@dataclass(frozen=True)
class Page:
    image: np.ndarray  # RGB uint8
    mrz_quad: np.ndarray  # 4×2 corners (TL, TR, BR, BL) of the MRZ characters, page px
    mrz_pitch_px: float
    layout: str


def _mm(value: float) -> int:
    return int(round(value * PX_PER_MM))


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Pastel ground with guilloche line families and a rosette (security printing)."""
    hue = rng.uniform(0, 180)
    base = cv2.cvtColor(np.uint8([[[hue, rng.uniform(15, 60), rng.uniform(225, 250)]]]), cv2.COLOR_HSV2RGB)[0, 0]
    img = np.ones((h, w, 3), np.float32) * base.astype(np.float32)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(2, 4))):
        period, amp, wave = rng.uniform(8, 22), rng.uniform(10, 60), rng.uniform(80, 300)
        angle = rng.uniform(0, np.pi)
        u = x * np.cos(angle) + y * np.sin(angle)
        v = -x * np.sin(angle) + y * np.cos(angle)
        phase = (u + amp * np.sin(v / wave * 2 * np.pi + rng.uniform(0, 6.3))) / period
        line = np.clip(1 - np.abs(phase - np.round(phase)) * 6, 0, 1)[..., None]
        colour = cv2.cvtColor(np.uint8([[[(hue + rng.uniform(-40, 40)) % 180, rng.uniform(60, 160),
                                          rng.uniform(150, 220)]]]), cv2.COLOR_HSV2RGB)[0, 0]
        img = img * (1 - 0.35 * line) + colour * 0.35 * line
    cx, cy = rng.uniform(0.3, 0.9) * w, rng.uniform(0.2, 0.8) * h
    r = np.hypot(x - cx, y - cy)
    theta = np.arctan2(y - cy, x - cx)
    ring = np.clip(1 - np.abs(np.sin(r / rng.uniform(4, 9) + 3 * np.sin(theta * int(rng.integers(6, 14))))) * 5, 0, 1)
    ring *= (r < min(w, h) * rng.uniform(0.2, 0.45))
    img = img * (1 - 0.2 * ring[..., None]) + 120 * 0.2 * ring[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def _portrait(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """A drawn head-and-shoulders silhouette (no real face is needed to read an MRZ)."""
    bg = tuple(int(c) for c in rng.integers(190, 245, 3))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    skin = tuple(int(c) for c in np.array([rng.uniform(90, 235), rng.uniform(60, 190), rng.uniform(40, 160)]))
    cloth = tuple(int(c) for c in rng.integers(20, 160, 3))
    hair = tuple(int(c) for c in rng.integers(10, 120, 3))
    d.ellipse([w * 0.05, h * 0.72, w * 0.95, h * 1.4], fill=cloth)
    d.rectangle([w * 0.42, h * 0.55, w * 0.58, h * 0.78], fill=skin)
    d.ellipse([w * 0.25, h * 0.12, w * 0.75, h * 0.68], fill=skin)
    d.chord([w * 0.23, h * 0.08, w * 0.77, h * 0.5], 180, 360, fill=hair)
    for ex in (0.4, 0.6):
        d.ellipse([w * ex - 4, h * 0.38 - 3, w * ex + 4, h * 0.38 + 3], fill=(30, 30, 30))
    d.line([w * 0.44, h * 0.55, w * 0.56, h * 0.55], fill=(120, 50, 50), width=3)
    return img


def _date_text(rng_choice: int, date) -> str:  # noqa: ANN001  a datetime.date
    if rng_choice == 0:
        return f"{date.day:02d} {MONTHS[date.month - 1]} {date.year}"
    if rng_choice == 1:
        return f"{date.day:02d} {MONTHS[date.month - 1]}/{MONTHS_FR[date.month - 1]} {date.year % 100:02d}"
    if rng_choice == 2:
        return f"{date.day:02d}.{date.month:02d}.{date.year}"
    return f"{date.day:02d}/{date.month:02d}/{date.year}"


def _name_font(script: str) -> str:
    return {"arabic": "arabic", "cjk": "cjk"}.get(script, "sans_bold")


class _Printer:
    """Labels and values at millimetre positions on a page."""

    def __init__(self, img: Image.Image, rng: np.random.Generator) -> None:
        self.draw = ImageDraw.Draw(img)
        self.rng = rng
        self.label_mm = rng.uniform(1.5, 2.0)
        self.value_mm = rng.uniform(2.4, 3.1)
        self.value_font = "sans_bold" if rng.random() < 0.6 else "serif_bold"
        self.ink = tuple(int(c) for c in rng.integers(0, 60, 3))
        self.label_ink = tuple(int(c) for c in rng.integers(60, 140, 3))

    def text(self, x_mm: float, y_mm: float, text: str, kind: str, size_mm: float, fill) -> float:  # noqa: ANN001
        f = font(kind, max(8, _mm(size_mm)))
        direction = "rtl" if kind == "arabic" else None
        self.draw.text((_mm(x_mm), _mm(y_mm)), text, font=f, fill=fill, direction=direction)
        return f.getlength(text, direction=direction) / PX_PER_MM

    def field(self, x_mm: float, y_mm: float, label: str, value: str, kind: str | None = None) -> None:
        self.text(x_mm, y_mm, label, "sans", self.label_mm, self.label_ink)
        self.text(x_mm, y_mm + self.label_mm * 1.25, value, kind or self.value_font, self.value_mm, self.ink)


def _signature(draw: ImageDraw.ImageDraw, rng: np.random.Generator, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = (_mm(v) for v in box)
    t = np.linspace(0, 1, 80)
    xs = x0 + (x1 - x0) * t
    ys = (y0 + y1) / 2 + (y1 - y0) * 0.35 * np.sin(t * rng.uniform(8, 20)) * np.cos(t * rng.uniform(2, 6))
    draw.line(list(zip(xs.tolist(), ys.tolist())), fill=(20, 20, 90), width=2)


def _holder_fields(p: _Printer, truth: Truth, x: float, y: float, col_w: float, rng: np.random.Generator) -> None:
    """Names (native script, then Latin when the script is not Latin), number, dates."""
    z = truth.zone
    style = int(rng.integers(4))
    step = p.label_mm * 1.25 + p.value_mm * 1.45
    name_kind = _name_font(truth.script)
    p.field(x, y, "Surname / Nom", truth.printed_surname, name_kind)
    y += step
    if truth.script not in ("latin", "latin-diacritics") and rng.random() < 0.6:
        p.text(x + col_w * 0.9, y - step + p.label_mm * 1.25, z.primary_identifier.replace("<", " "),
               p.value_font, p.value_mm * 0.8, p.ink)
    p.field(x, y, "Given names / Prénoms", truth.printed_given or "-", name_kind)
    y += step
    p.field(x, y, "Nationality / Nationalité", z.nationality.replace("<", "") + " " + truth.state_name.split()[-1].upper()[:14])
    p.field(x + col_w, y, "Document No.", z.document_number)
    y += step
    p.field(x, y, "Date of birth / Date de naissance", _date_text(style, truth.birth_date))
    p.field(x + col_w, y, "Sex / Sexe", z.sex.replace("<", "-"))
    y += step
    p.field(x, y, "Place of birth / Lieu de naissance", CITIES[int(rng.integers(len(CITIES)))])
    p.field(x + col_w, y, "Date of issue", _date_text(style, truth.issue_date))
    y += step
    p.field(x, y, "Authority / Autorité", "MINISTRY OF INTERIOR " + str(int(rng.integers(1, 99))))
    p.field(x + col_w, y, "Date of expiry / Date d'expiration", _date_text(style, truth.expiry_date))


def _draw_mrz(img: Image.Image, truth: Truth, rng: np.random.Generator, bottom_mm: float) -> tuple[np.ndarray, float]:
    n_lines, length = icao.SHAPES[truth.zone.fmt]
    page_w = img.width / PX_PER_MM
    pitch = MRZ_PITCH_MM * rng.uniform(0.97, 1.03) * PX_PER_MM
    line_pitch = rng.uniform(4.0, 4.6) * PX_PER_MM
    f = font("ocrb", int(round(pitch / OCRB_ADVANCE_EM)))
    x0 = (page_w * PX_PER_MM - pitch * length) / 2 + rng.uniform(-1, 1) * PX_PER_MM
    ascent, descent = f.getmetrics()
    cap = f.getbbox("A")
    top_first = bottom_mm * PX_PER_MM - (n_lines - 1) * line_pitch - cap[3]
    draw = ImageDraw.Draw(img)
    ink = tuple(int(c) for c in rng.integers(0, 45, 3))
    for i, line in enumerate(truth.lines):
        y = top_first + i * line_pitch
        for j, ch in enumerate(line):
            draw.text((x0 + j * pitch, y), ch, font=f, fill=ink)
    y_top = top_first + cap[1]
    y_bottom = top_first + (n_lines - 1) * line_pitch + cap[3]
    x_end = x0 + pitch * length
    quad = np.array([[x0, y_top], [x_end, y_top], [x_end, y_bottom], [x0, y_bottom]], np.float32)
    return quad, pitch


def render_page(truth: Truth, rng: np.random.Generator) -> Page:
    """The side of the document that carries the MRZ, flat, at PX_PER_MM."""
    fmt = truth.zone.fmt
    w_mm, h_mm = icao.PAGE_MM[fmt]
    w, h = _mm(w_mm), _mm(h_mm)
    ground = _background(rng, w, h)
    mrz_band_mm = (icao.SHAPES[fmt][0] * 4.4 + 4.5)
    if rng.random() < 0.5:  # a clear zone behind the MRZ; otherwise the pattern runs under it
        ground[h - _mm(mrz_band_mm) :] = (ground[h - _mm(mrz_band_mm) :] * 0.3 + 255 * 0.7).astype(np.uint8)
    img = Image.fromarray(ground)
    p = _Printer(img, rng)
    state_kind = ("cjk" if any("\u3000" <= c <= "\uffff" for c in truth.state_name)
                  else "arabic" if any("\u0600" <= c <= "\u06ff" for c in truth.state_name) else "sans_bold")
    p.text(4, 2.5, truth.state_name.upper() if state_kind == "sans_bold" else truth.state_name,
           state_kind, 3.0 if fmt != "TD1" else 2.4, p.ink)
    p.text(w_mm * 0.55, 2.8, TITLES[fmt], "sans", 2.0, p.label_ink)
    top = 9.0
    if fmt == "TD1":
        layout = "card-back"
        p.field(5, top, "Address / Adresse", f"{int(rng.integers(1, 300))} {CITIES[int(rng.integers(len(CITIES)))]} STREET")
        p.field(5, top + 8, "Height / Taille", f"1{int(rng.integers(50, 99))} cm")
        p.field(35, top + 8, "Authority", "CITY OF " + CITIES[int(rng.integers(len(CITIES)))])
        if rng.random() < 0.6:  # a small ghost image of the holder
            img.paste(_portrait(rng, _mm(14), _mm(17)).convert("L").convert("RGB"), (_mm(w_mm - 19), _mm(top)))
        bars = rng.integers(0, 2, 90)
        draw = ImageDraw.Draw(img)
        for i, bar in enumerate(bars):
            if bar:
                draw.rectangle([_mm(5) + i * 4, _mm(top + 16), _mm(5) + i * 4 + 2, _mm(top + 21)], fill=(40, 40, 40))
    else:
        layout = "visa" if fmt.startswith("MRV") else "data-page"
        portrait_w = 0.26 * w_mm
        img.paste(_portrait(rng, _mm(portrait_w), _mm(portrait_w * 1.28)), (_mm(4), _mm(top)))
        _signature(ImageDraw.Draw(img), rng, (5, top + portrait_w * 1.3 + 1, 4 + portrait_w, top + portrait_w * 1.3 + 7))
        x = 8 + portrait_w
        col_w = (w_mm - x) / 2
        if layout == "visa":
            p.field(x, top, "Valid for / Valable pour", "SCHENGEN STATES" if rng.random() < 0.5 else f"TERRITORY OF {truth.zone.issuing_state}")
            p.field(x + col_w, top, "Type / Type", "C" if rng.random() < 0.7 else "D")
            p.field(x, top + 7, "From / Du", _date_text(2, truth.issue_date))
            p.field(x + col_w, top + 7, "Until / Au", _date_text(2, truth.expiry_date))
            p.field(x, top + 14, "Number of entries", "MULT")
            p.field(x + col_w, top + 14, "Duration of stay", f"{int(rng.integers(10, 91))} DAYS")
            p.field(x, top + 21, "Surname, Name / Nom, Prénom",
                    f"{truth.printed_surname}, {truth.printed_given}", _name_font(truth.script))
            p.field(x, top + 28, "Passport number", truth.zone.document_number[::-1])
            if rng.random() < 0.7:  # the visa number printed vertically in red at the edge
                number = Image.new("RGBA", (_mm(30), _mm(4)), (0, 0, 0, 0))
                ImageDraw.Draw(number).text((0, 0), f"{truth.zone.issuing_state}{int(rng.integers(10**6, 10**7))}",
                                            font=font("sans_bold", _mm(3)), fill=(190, 30, 30, 255))
                number = number.rotate(90, expand=True)
                img.paste(number, (_mm(w_mm - 5), _mm(top)), number)
        else:
            _holder_fields(p, truth, x, top, col_w, rng)
    quad, pitch = _draw_mrz(img, truth, rng, h_mm - rng.uniform(3.0, 5.0))
    return Page(np.asarray(img), quad, pitch, layout)
