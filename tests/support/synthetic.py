"""Synthetic identity documents for tests and benchmarks: an OCR-B MRZ from our own encoder,
a pasted portrait, printed visual-zone text, and photo degradations.

Nothing is stored: documents are generated at test time from a seed. The OCR-B font comes
from Debian's ``fonts-ocr-b`` package (``apt-get install fonts-ocr-b``); without it
:func:`ocr_b_font_path` raises :class:`FontUnavailable` and tests skip.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline.results import Box


# ---------------------------------------------------------------------------------------
# MRZ encoding (the inverse of openidv.pipeline.mrz.parse_mrz, for making test documents)


def _fit(text: str, length: int) -> str:
    clean = "".join(ch if ch in mrzlib.ALPHABET else mrzlib.FILLER for ch in text.upper().replace(" ", mrzlib.FILLER))
    return clean[:length].ljust(length, mrzlib.FILLER)


def _yymmdd_of(date: dt.date | None) -> str:
    return date.strftime("%y%m%d") if date else mrzlib.FILLER * 6


def encode_names(surname: str, given_names: str, length: int) -> str:
    """The name field: SURNAME<<GIVEN<NAMES, truncated and padded to ``length``."""
    return _fit(f"{surname}<<{given_names}" if given_names else surname, length)


def encode_mrz(
    fmt: str,
    *,
    document_code: str,
    issuing_code: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality_code: str,
    date_of_birth: dt.date | None,
    sex: str,
    date_of_expiry: dt.date | None,
    personal_number: str = "",
    optional_data: str = "",
) -> tuple[str, ...]:
    """MRZ lines of format ``fmt`` for the given fields, with correct check digits.

    Document numbers longer than 9 characters are supported for TD1 (ICAO long-number rule).
    """
    if fmt not in mrzlib.FORMAT_SHAPES:
        raise mrzlib.MrzFormatError(f"unknown MRZ format {fmt!r}")
    _, length = mrzlib.FORMAT_SHAPES[fmt]
    code, issuer, nat = _fit(document_code, 2), _fit(issuing_code, 3), _fit(nationality_code, 3)
    dob, doe = _yymmdd_of(date_of_birth), _yymmdd_of(date_of_expiry)
    sex_char = sex if sex in ("M", "F", "X") else mrzlib.FILLER
    if fmt == "TD1":
        if len(document_number) > 9:
            number_field = document_number[:9]
            rest = document_number[9:] + str(mrzlib.check_digit(_fit(document_number, len(document_number))))
            line1 = code + issuer + number_field + mrzlib.FILLER + _fit(rest + mrzlib.FILLER + optional_data, 15)
        else:
            number = _fit(document_number, 9)
            line1 = code + issuer + number + str(mrzlib.check_digit(number)) + _fit(optional_data, 15)
        line2 = (dob + str(mrzlib.check_digit(dob)) + sex_char + doe + str(mrzlib.check_digit(doe)) + nat
                 + _fit(personal_number, 11))
        line2 += str(mrzlib.check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]))
        return line1, line2, encode_names(surname, given_names, 30)
    line1 = code + issuer + encode_names(surname, given_names, length - 5)
    number = _fit(document_number, 9)
    head = number + str(mrzlib.check_digit(number)) + nat + dob + str(mrzlib.check_digit(dob)) + sex_char
    head += doe + str(mrzlib.check_digit(doe))
    if fmt == "TD3":
        personal = _fit(personal_number, 14)
        personal_check = mrzlib.FILLER if set(personal) == {mrzlib.FILLER} else str(mrzlib.check_digit(personal))
        body = head + personal + personal_check
        line2 = body + str(mrzlib.check_digit(body[0:10] + body[13:20] + body[21:43]))
    elif fmt == "TD2":
        body = head + _fit(optional_data or personal_number, 7)
        line2 = body + str(mrzlib.check_digit(body[0:10] + body[13:20] + body[21:35]))
    else:  # MRV-A / MRV-B: no composite check digit
        line2 = head + _fit(optional_data or personal_number, length - 28)
    return line1, line2

OCR_B_CANDIDATES = (
    "/usr/share/fonts/opentype/ocr-b/OCRB.otf",
    "/usr/share/fonts/truetype/ocr-b/OCRB.ttf",
)

# Page sizes in millimetres (ICAO 9303 parts 4–6) and rendering resolution (px per mm).
PAGE_MM = {"TD1": (85.6, 54.0), "TD2": (105.0, 74.0), "TD3": (125.0, 88.0),
           "MRVA": (125.0, 88.0), "MRVB": (105.0, 74.0)}
PX_PER_MM = 8.0
MRZ_PITCH_MM = 2.54  # OCR-B size 1: 10 characters per inch
MRZ_LINE_SPACING_MM = 4.2
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

SURNAMES = ("ERIKSSON", "MUSTERMANN", "KOWALSKA", "NOWAK", "JANSEN", "ROSSI", "DUBOIS",
            "PETERSEN", "NOVAK", "SILVA", "HORVAT", "VIRTANEN", "OBRIEN", "KARLSSON")
GIVEN = ("ANNA MARIA", "ERIKA", "JAN", "LUCIA", "PIETER", "MARCO", "CLAIRE", "OLE",
         "PETRA", "JOAO", "IVAN", "MAIJA", "SEAN", "KARIN LOUISE")
ISSUERS = ("UTO", "D", "POL", "NLD", "ITA", "FRA", "CZE", "FIN", "HRV", "SWE", "ESP", "AUT")
DOCUMENT_CODES = {"TD1": "ID", "TD2": "I", "TD3": "P", "MRVA": "V", "MRVB": "V"}


class FontUnavailable(RuntimeError):
    """The OCR-B font (Debian package fonts-ocr-b) is not installed."""


def ocr_b_font_path() -> Path:
    """Path of the OCR-B font ($OPENIDV_OCRB_FONT or the fonts-ocr-b location)."""
    candidates = [os.environ.get("OPENIDV_OCRB_FONT", "")] + list(OCR_B_CANDIDATES)
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise FontUnavailable("OCR-B font not found: install Debian's fonts-ocr-b "
                          "(apt-get install fonts-ocr-b) or set OPENIDV_OCRB_FONT")


@dataclass(frozen=True)
class DocumentFields:
    """What the synthetic document says (MRZ and visual zone print the same unless overridden)."""

    kind: str = "TD3"
    document_code: str = "P"
    issuing_code: str = "UTO"
    surname: str = "ERIKSSON"
    given_names: str = "ANNA MARIA"
    document_number: str = "L898902C3"
    nationality_code: str = "UTO"
    date_of_birth: dt.date = dt.date(1974, 8, 12)
    sex: str = "F"
    date_of_expiry: dt.date = dt.date(2032, 4, 15)
    personal_number: str = ""
    optional_data: str = ""

    def mrz_lines(self) -> tuple[str, ...]:
        return encode_mrz(
            self.kind, document_code=self.document_code, issuing_code=self.issuing_code,
            surname=self.surname, given_names=self.given_names,
            document_number=self.document_number, nationality_code=self.nationality_code,
            date_of_birth=self.date_of_birth, sex=self.sex, date_of_expiry=self.date_of_expiry,
            personal_number=self.personal_number, optional_data=self.optional_data,
        )


@dataclass(frozen=True)
class Degradation:
    """How the photo of the document is spoiled. All zero/False = a flat, clean scan."""

    rotation_deg: float = 0.0  # in-plane tilt
    quarter_turns: int = 0  # extra 90° turns (counter-clockwise) of the whole photo
    perspective: float = 0.0  # corner jitter as a share of the page size (0.05 = strong)
    blur_sigma: float = 0.0  # Gaussian blur, pixels
    jpeg_quality: int = 0  # 0 = no JPEG round trip
    noise_sigma: float = 0.0  # Gaussian sensor noise, grey levels
    uneven_light: float = 0.0  # 0..1 depth of a light gradient across the photo
    glare_on_portrait: float = 0.0  # 0..1 strength of a specular spot over the portrait
    cut_off: float = 0.0  # share of the page width cut off at the right edge
    scale: float = 1.0  # output size relative to the 8 px/mm rendering


@dataclass(frozen=True)
class GroundTruth:
    fields: DocumentFields
    mrz_lines: tuple[str, ...]
    portrait_box: Box | None  # in the returned image's pixels
    page_quad: tuple[tuple[float, float], ...]  # the page corners in the returned image
    degradation: Degradation = field(default_factory=Degradation)


def random_fields(kind: str = "TD3", seed: int = 0, today: dt.date | None = None) -> DocumentFields:
    """Plausible random fields for a document of ``kind`` (valid, not expired by default)."""
    rng = np.random.default_rng(seed)
    today = today or dt.date.today()
    issuer = str(rng.choice(ISSUERS))
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    number = "".join(str(rng.choice(list(letters))) for _ in range(2)) + "".join(
        str(rng.integers(0, 10)) for _ in range(7))
    dob = dt.date(int(rng.integers(1950, 2004)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    doe = dt.date(today.year + int(rng.integers(1, 9)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    personal = "".join(str(rng.integers(0, 10)) for _ in range(int(rng.integers(0, 2)) * 11))
    return DocumentFields(
        kind=kind, document_code=DOCUMENT_CODES[kind], issuing_code=issuer,
        surname=str(rng.choice(SURNAMES)), given_names=str(rng.choice(GIVEN)),
        document_number=number, nationality_code=issuer, date_of_birth=dob,
        sex=str(rng.choice(["M", "F"])), date_of_expiry=doe, personal_number=personal,
    )


def _printed_date(d: dt.date) -> str:
    return f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}"


def _background(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A pale security-print background: tint gradient plus fine guilloche waves."""
    base = np.array(rng.integers(200, 246, size=3), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    page = np.ones((h, w, 3), np.float32) * base
    page += (xx / w - 0.5)[..., None] * rng.uniform(-15, 15, size=3)
    for k in range(3):
        freq = rng.uniform(0.02, 0.06)
        wave = np.sin(xx * freq + 8 * np.sin(yy * freq * 0.7 + k)) * rng.uniform(3, 8)
        page[:, :, k] += wave
    return np.clip(page, 0, 255).astype(np.uint8)


def render_page(
    fields: DocumentFields,
    portrait: np.ndarray | None = None,
    *,
    seed: int = 0,
    visual_overrides: dict[str, str] | None = None,
) -> tuple[np.ndarray, Box | None]:
    """A flat, upright page (BGR) and the portrait box on it."""
    rng = np.random.default_rng(seed)
    font_path = str(ocr_b_font_path())
    w_mm, h_mm = PAGE_MM[fields.kind]
    w, h = int(w_mm * PX_PER_MM), int(h_mm * PX_PER_MM)
    page = _background(w, h, rng)
    img = Image.fromarray(page[:, :, ::-1].copy())
    draw = ImageDraw.Draw(img)
    # MRZ: size the font so one character advances exactly the ICAO pitch.
    pitch = MRZ_PITCH_MM * PX_PER_MM
    probe = ImageFont.truetype(font_path, 100)
    mrz_font = ImageFont.truetype(font_path, int(round(100 * pitch / probe.getlength("<"))))
    lines = fields.mrz_lines()
    line_gap = MRZ_LINE_SPACING_MM * PX_PER_MM
    left = (w - pitch * len(lines[0])) / 2
    bottom = h - 3.5 * PX_PER_MM
    for i, line in enumerate(lines):
        y = bottom - (len(lines) - i) * line_gap
        draw.text((left, y), line, font=mrz_font, fill=(20, 20, 20))
    mrz_top = bottom - len(lines) * line_gap
    # Portrait: left, 3:4, above the MRZ.
    margin = 5 * PX_PER_MM
    p_h = int(min(mrz_top - margin - 7 * PX_PER_MM, h * 0.62))
    p_w = int(p_h * 0.78)
    p_x, p_y = int(margin), int(margin + 6 * PX_PER_MM)
    box: Box | None = None
    if portrait is not None:
        face = _fit_portrait(portrait, p_w, p_h)
        img.paste(Image.fromarray(face[:, :, ::-1]), (p_x, p_y))
        box = (p_x, p_y, p_w, p_h)
    # Header and visual zone.
    card = fields.kind == "TD1"
    small = ImageFont.truetype(font_path, int((1.6 if card else 2.0) * PX_PER_MM))
    value_font = ImageFont.truetype(font_path, int((2.4 if card else 3.0) * PX_PER_MM))
    title = {"P": "PASSPORT", "I": "IDENTITY CARD", "V": "VISA"}.get(fields.document_code[:1], "DOCUMENT")
    draw.text((margin, 1.5 * PX_PER_MM), f"{title}  {fields.issuing_code}", font=value_font, fill=(60, 40, 90))
    values = {
        "Surname": fields.surname,
        "Given names": fields.given_names,
        "Date of birth": _printed_date(fields.date_of_birth),
        "Sex": fields.sex,
        "Date of expiry": _printed_date(fields.date_of_expiry),
        "Document No.": fields.document_number,
    }
    values.update(visual_overrides or {})
    # Small cards print the fields in two columns, passports in one.
    columns = 2 if fields.kind == "TD1" else 1
    rows = -(-len(values) // columns)
    x0 = p_x + p_w + 4 * PX_PER_MM
    col_w = (w - x0 - margin) / columns
    step = (mrz_top - p_y - 2 * PX_PER_MM) / rows
    for i, (label, value) in enumerate(values.items()):
        x, y = x0 + (i // rows) * col_w, p_y + (i % rows) * step
        draw.text((x, y), label, font=small, fill=(90, 70, 110))
        draw.text((x, y + (2.0 if card else 2.4) * PX_PER_MM), value, font=value_font, fill=(15, 15, 15))
    return np.asarray(img)[:, :, ::-1].copy(), box


def _fit_portrait(face: np.ndarray, w: int, h: int) -> np.ndarray:
    """Centre-crop a face photo to w:h and resize it."""
    fh, fw = face.shape[:2]
    target = w / h
    if fw / fh > target:
        nw = int(fh * target)
        x0 = (fw - nw) // 2
        face = face[:, x0 : x0 + nw]
    else:
        nh = int(fw / target)
        y0 = max(0, (fh - nh) // 3)
        face = face[y0 : y0 + nh]
    return cv2.resize(face, (w, h), interpolation=cv2.INTER_AREA)


def _transform_box(matrix: np.ndarray, box: Box) -> Box:
    x, y, w, h = box
    pts = np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], dtype=np.float64)
    out = pts @ matrix.T
    out = out[:, :2] / out[:, 2:3]
    x0, y0 = out.min(axis=0)
    x1, y1 = out.max(axis=0)
    return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))


def photograph(
    page: np.ndarray, portrait_box: Box | None, deg: Degradation, seed: int = 0
) -> tuple[np.ndarray, Box | None, tuple[tuple[float, float], ...]]:
    """Place the page on a table and apply the degradations; returns image, box, page corners."""
    rng = np.random.default_rng(seed + 7919)
    h, w = page.shape[:2]
    canvas_w, canvas_h = int(w * 1.35), int(h * 1.35)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    center = np.array([canvas_w / 2, canvas_h / 2])
    rad = np.radians(deg.rotation_deg)
    rot = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]])
    placed = (corners - [w / 2, h / 2]) @ rot.T + center
    placed += rng.uniform(-1, 1, size=(4, 2)) * deg.perspective * np.array([w, h])
    matrix = cv2.getPerspectiveTransform(corners, placed.astype(np.float32))
    table = np.full((canvas_h, canvas_w, 3), rng.integers(40, 110, size=3), dtype=np.uint8)
    table = cv2.add(table, rng.integers(0, 25, size=(canvas_h, canvas_w, 1), dtype=np.uint8).repeat(3, axis=2))
    warped = cv2.warpPerspective(page, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (canvas_w, canvas_h))
    out = np.where(mask[..., None] > 127, warped, table)
    box = _transform_box(matrix, portrait_box) if portrait_box else None
    img = out.astype(np.float32)
    if deg.uneven_light > 0:
        yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * xx / canvas_w + np.sin(angle) * yy / canvas_h)
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
        img *= (1 - deg.uneven_light * ramp)[..., None]
    if deg.glare_on_portrait > 0 and box is not None:
        bx, by, bw, bh = box
        yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
        cx, cy = bx + bw * 0.5, by + bh * 0.45
        spot = np.exp(-(((xx - cx) / (bw * 0.45)) ** 2 + ((yy - cy) / (bh * 0.4)) ** 2))
        img += deg.glare_on_portrait * 400 * spot[..., None]
    if deg.blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), deg.blur_sigma)
    if deg.noise_sigma > 0:
        img += rng.normal(0, deg.noise_sigma, size=img.shape)
    result = np.clip(img, 0, 255).astype(np.uint8)
    quad = placed
    if deg.cut_off > 0:
        # Keep everything left of a vertical cut through the page.
        x_cut = int(placed[:, 0].min() + (1 - deg.cut_off) * (placed[:, 0].max() - placed[:, 0].min()))
        result = result[:, :x_cut].copy()
        if box is not None:
            bx, by, bw, bh = box
            box = (bx, by, max(0, min(bw, x_cut - bx)), bh)
    if deg.scale != 1.0:
        result = cv2.resize(result, None, fx=deg.scale, fy=deg.scale, interpolation=cv2.INTER_AREA)
        quad = quad * deg.scale
        if box is not None:
            box = tuple(int(round(v * deg.scale)) for v in box)  # type: ignore[assignment]
    if deg.jpeg_quality:
        _, buf = cv2.imencode(".jpg", result, [cv2.IMWRITE_JPEG_QUALITY, int(deg.jpeg_quality)])
        result = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    for _ in range(deg.quarter_turns % 4):
        iw = result.shape[1]
        result = np.ascontiguousarray(np.rot90(result))
        # (x, y) -> (y, W-1-x) for one counter-clockwise turn
        quad = np.stack([quad[:, 1], iw - 1 - quad[:, 0]], axis=1)
        if box is not None:
            bx, by, bw, bh = box
            box = (by, iw - (bx + bw), bh, bw)
    return result, box, tuple((float(x), float(y)) for x, y in quad)


def make_document(
    kind: str = "TD3",
    *,
    fields: DocumentFields | None = None,
    portrait: np.ndarray | None = None,
    degradation: Degradation | None = None,
    seed: int = 0,
    visual_overrides: dict[str, str] | None = None,
    **field_values,
) -> tuple[np.ndarray, GroundTruth]:
    """A synthetic document photo (BGR) and its ground truth.

    ``fields`` (or keyword field values such as ``surname="DOE"``, applied on top of random
    fields for ``kind``) say what is printed; ``portrait`` is a BGR face photo pasted on
    the page; ``degradation`` spoils the photo; ``visual_overrides`` prints visual-zone
    values different from the MRZ (e.g. ``{"Surname": "SMITH"}``) to test cross-checks.
    """
    base = fields or random_fields(kind, seed)
    if field_values:
        base = replace(base, **field_values)
    if base.kind != kind and fields is None:
        base = replace(base, kind=kind)
    page, box = render_page(base, portrait, seed=seed, visual_overrides=visual_overrides)
    deg = degradation or Degradation()
    image, out_box, quad = photograph(page, box, deg, seed)
    return image, GroundTruth(base, base.mrz_lines(), out_box, quad, deg)
