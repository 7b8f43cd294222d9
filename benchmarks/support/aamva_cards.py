"""Synthetic backs of North American driver licences and ID cards, for tests and benchmarks.

AAMVA payloads are written here from the standard's description, by hand and independently
of ``openidv.pipeline.aamva`` (no code is shared, so a misreading of the standard in one does
not hide the same misreading in the other), encoded as PDF417 with ``pdf417gen``, printed on
a card back with PIL and turned into photographed-looking images. Nothing is stored: every
card is generated from a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np
import pdf417gen
from PIL import Image, ImageDraw, ImageFont

# Jurisdiction code -> (IIN, country as written in DCG, name). A few of each country, from the
# AAMVA issuer identification number list.
JURISDICTIONS = {
    "VA": ("636000", "USA", "VIRGINIA"),
    "NY": ("636001", "USA", "NEW YORK"),
    "FL": ("636010", "USA", "FLORIDA"),
    "CA": ("636014", "USA", "CALIFORNIA"),
    "TX": ("636015", "USA", "TEXAS"),
    "PA": ("636025", "USA", "PENNSYLVANIA"),
    "WA": ("636045", "USA", "WASHINGTON"),
    "ON": ("636012", "CAN", "ONTARIO"),
    "NS": ("636013", "CAN", "NOVA SCOTIA"),
    "BC": ("636028", "CAN", "BRITISH COLUMBIA"),
    "QC": ("604428", "CAN", "QUEBEC"),
    "AB": ("604432", "CAN", "ALBERTA"),
}
US_CODES = [code for code, (_, country, _) in JURISDICTIONS.items() if country == "USA"]
CA_CODES = [code for code, (_, country, _) in JURISDICTIONS.items() if country == "CAN"]
CITIES = {
    "VA": "RICHMOND", "NY": "ALBANY", "FL": "TALLAHASSEE", "CA": "SACRAMENTO", "TX": "AUSTIN",
    "PA": "HARRISBURG", "WA": "OLYMPIA", "ON": "TORONTO", "NS": "HALIFAX", "BC": "VICTORIA",
    "QC": "QUEBEC", "AB": "EDMONTON",
}
FIRST_NAMES = ("MICHAEL", "JENNIFER", "DAVID", "SARAH", "OLIVIA", "LIAM", "NOAH", "EMMA", "LUCAS",
               "CHLOE", "WILLIAM", "AVA", "BENJAMIN", "MIA", "ETHAN", "ZOE", "GABRIEL", "NORA")
MIDDLE_NAMES = ("JOHN", "MARIE", "LEE", "ANNE", "JAMES", "ROSE", "PAUL", "GRACE", "A", "J")
LAST_NAMES = ("SAMPLE", "JOHNSON", "TREMBLAY", "NGUYEN", "GARCIA", "O'BRIEN", "SMITH-JONES",
              "ROY", "WILLIAMS", "MACDONALD", "LEE", "GAGNON", "PATEL", "KOWALSKI")
STREETS = ("MAIN ST", "WEST BROAD STREET", "MAPLE AVE", "RUE SAINT-JEAN", "KING ST W",
           "OAK DRIVE", "1ST AVE NW", "LAKESHORE BLVD")
CLASSES = {"USA": ("D", "C", "CM", "A", "B", "M"), "CAN": ("G", "G2", "5", "7", "A", "5,6")}

VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
# Conditions of the photographed variants, in the order the benchmark reports them.
CONDITIONS = ("flat", "perspective", "rotation", "blur", "jpeg", "uneven_light", "glare",
              "small", "combined")
CARD_MM = (85.6, 54.0)  # ISO/IEC 7810 ID-1


@dataclass(frozen=True)
class CardHolder:
    """Ground truth of one generated card: what a correct parser must return."""

    version: int
    jurisdiction: str
    iin: str
    country: str  # "US" or "CA"
    document: str  # subfile type: "DL" or "ID"
    first_name: str
    middle_name: Optional[str]
    last_name: str
    date_of_birth: dt.date
    date_of_issue: dt.date
    date_of_expiry: dt.date
    number: str
    sex: str  # "M", "F" or "X"
    street: str
    city: str
    postal_code: str  # as the card holder would write it: "23269", "K1A 0B1"
    classes: Optional[str]  # DL only
    z_subfile: Optional[tuple[str, tuple[tuple[str, str], ...]]] = None
    # Deviations from the standard that some issuers' barcodes show (see aamva_payload).
    quirks: tuple[str, ...] = field(default_factory=tuple)


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def random_holder(
    rng: random.Random,
    *,
    version: Optional[int] = None,
    jurisdiction: Optional[str] = None,
    document: Optional[str] = None,
    middle_name: Optional[bool] = None,
    z_subfile: Optional[bool] = None,
    quirks: Optional[tuple[str, ...]] = None,
) -> CardHolder:
    """A card holder with plausible data; any argument left None is drawn from ``rng``."""
    version = version or rng.choice(VERSIONS)
    if jurisdiction is None:
        # The 2000 standard (version 1) predates Canadian participation in our sample.
        jurisdiction = rng.choice(US_CODES if version == 1 else US_CODES + CA_CODES)
    iin, country, _ = JURISDICTIONS[jurisdiction]
    document = document or rng.choice(("DL", "DL", "DL", "ID"))
    has_middle = rng.random() < 0.6 if middle_name is None else middle_name
    dob = _random_date(rng, dt.date(1940, 1, 1), dt.date(2006, 12, 31))
    issue = _random_date(rng, max(dob + dt.timedelta(days=16 * 366), dt.date(2015, 1, 1)),
                         dt.date(2025, 6, 30))
    expiry = issue.replace(year=issue.year + rng.choice((4, 5, 8)), day=min(issue.day, 28))
    if country == "USA":
        number = rng.choice(("T", "S", "A", "")) + "".join(rng.choice("0123456789") for _ in range(8))
        postal = "".join(rng.choice("0123456789") for _ in range(5))
    else:
        number = rng.choice("ABCDEFGHJKLMNPRSTW") + "".join(rng.choice("0123456789") for _ in range(14))
        postal = (rng.choice("ABCEGHJKLMNPRSTVXY") + rng.choice("0123456789") + rng.choice("ABCEGHJKLMNPRSTVWXYZ")
                  + " " + rng.choice("0123456789") + rng.choice("ABCEGHJKLMNPRSTVWXYZ") + rng.choice("0123456789"))
    sexes = ("M", "F", "X") if version >= 9 else ("M", "F")
    if z_subfile is None:
        z_subfile = rng.random() < 0.5
    z = None
    if z_subfile:
        letter = jurisdiction[0]
        z = (f"Z{letter}", ((f"Z{letter}A", rng.choice(("01", "N", "CLASS D"))),
                            (f"Z{letter}B", str(rng.randrange(1000, 9999)))))
    if quirks is None:
        quirks = tuple(q for q in ("offset_off_by_one", "padded_values") if rng.random() < 0.15)
    return CardHolder(
        version=version, jurisdiction=jurisdiction, iin=iin, country="US" if country == "USA" else "CA",
        document=document, first_name=rng.choice(FIRST_NAMES),
        middle_name=rng.choice(MIDDLE_NAMES) if has_middle else None,
        last_name=rng.choice(LAST_NAMES), date_of_birth=dob, date_of_issue=issue, date_of_expiry=expiry,
        number=number, sex=rng.choice(sexes),
        street=f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}", city=CITIES[jurisdiction],
        postal_code=postal, classes=rng.choice(CLASSES[country]) if document == "DL" else None,
        z_subfile=z, quirks=quirks,
    )


# ---- the AAMVA payload -------------------------------------------------------------------

def _date_text(day: dt.date, version: int, country: str) -> str:
    # 2000 standard: CCYYMMDD everywhere; 2003: MMDDCCYY everywhere; 2005 on: MMDDCCYY in the
    # USA and CCYYMMDD in Canada.
    if version == 1 or (version >= 3 and country == "CA"):
        return day.strftime("%Y%m%d")
    return day.strftime("%m%d%Y")


def _sex_code(sex: str, version: int, rng: random.Random) -> str:
    if version == 1 and sex in "MF" and rng.random() < 0.5:
        return sex  # some 2000-era issuers wrote M/F instead of 1/2
    return {"M": "1", "F": "2", "X": "9"}[sex]


def _postal_text(holder: CardHolder) -> str:
    if holder.country == "US":
        return holder.postal_code + "0000"  # ZIP+4 with the unknown extension zero-filled
    return holder.postal_code.replace(" ", "") + "   "  # Canadian codes are padded to 11


def _document_elements(holder: CardHolder, rng: random.Random) -> list[tuple[str, str]]:
    v, c = holder.version, holder.country
    date = lambda d: _date_text(d, v, c)  # noqa: E731
    elements: list[tuple[str, str]] = []
    if v == 1:
        elements.append(("DAQ", holder.number))
        if rng.random() < 0.5:
            parts = [holder.last_name, holder.first_name] + ([holder.middle_name] if holder.middle_name else [])
            elements.append(("DAA", ",".join(parts)))
        else:
            elements += [("DAB", holder.last_name), ("DAC", holder.first_name)]
            if holder.middle_name:
                elements.append(("DAD", holder.middle_name))
        elements += [("DAG", holder.street), ("DAI", holder.city), ("DAJ", holder.jurisdiction),
                     ("DAK", _postal_text(holder))]
        if holder.classes:
            elements += [("DAR", holder.classes), ("DAS", "NONE"), ("DAT", "NONE")]
        elements += [("DBA", date(holder.date_of_expiry)), ("DBB", date(holder.date_of_birth)),
                     ("DBC", _sex_code(holder.sex, v, rng)), ("DBD", date(holder.date_of_issue)),
                     ("DAU", "509"), ("DAY", "BRO")]
        return elements
    if holder.classes:
        elements += [("DCA", holder.classes), ("DCB", "NONE"), ("DCD", "NONE")]
    elements += [("DBA", date(holder.date_of_expiry)), ("DCS", holder.last_name)]
    if v in (2, 3):
        given = holder.first_name
        if holder.middle_name:
            given += rng.choice((",", " ")) + holder.middle_name
        elements.append(("DCT", given))
    else:
        elements.append(("DAC", holder.first_name))
        if holder.middle_name:
            elements.append(("DAD", holder.middle_name))
        elif rng.random() < 0.7:
            elements.append(("DAD", "NONE"))  # the standard's filler for a mandatory element
    elements += [("DBD", date(holder.date_of_issue)), ("DBB", date(holder.date_of_birth)),
                 ("DBC", _sex_code(holder.sex, v, rng)), ("DAY", rng.choice(("BRO", "BLU", "GRN"))),
                 ("DAU", rng.choice(("068 in", "172 cm")) if v >= 3 else "068 in"),
                 ("DAG", holder.street), ("DAI", holder.city), ("DAJ", holder.jurisdiction),
                 ("DAK", _postal_text(holder)), ("DAQ", holder.number),
                 ("DCF", "".join(rng.choice("0123456789ABCDEF") for _ in range(16))),
                 ("DCG", "USA" if c == "US" else "CAN")]
    if v in (2, 3):
        elements.append(("DCH", "NONE"))
    if v >= 4:
        elements += [("DDE", "N"), ("DDF", "N"), ("DDG", "N")]
    if v >= 5:
        elements += [("DDA", rng.choice(("F", "N"))), ("DDB", date(dt.date(2016, 1, 1)))]
    if v >= 8 and rng.random() < 0.5:
        elements.append(("DDK", "1"))
    return elements


def aamva_payload(holder: CardHolder, rng: Optional[random.Random] = None) -> str:
    """The barcode text of ``holder``'s card, laid out as the AAMVA version says.

    Header: ``@`` LF RS CR, file type ``ANSI ``, IIN (6), version (2), jurisdiction version (2,
    not in version 1), number of entries (2); then one 10-byte designator per subfile (type,
    offset, length) and the subfiles, each its type, elements separated by LF, ended by CR.
    Quirks: ``offset_off_by_one`` writes the offsets one byte late (seen on real cards);
    ``padded_values`` pads some values with trailing spaces.
    """
    rng = rng or random.Random(holder.number)
    elements = _document_elements(holder, rng)
    if "padded_values" in holder.quirks:
        elements = [(k, v + "  " if k in ("DAG", "DAI", "DCS") else v) for k, v in elements]
    subfiles = [(holder.document, holder.document + "\n".join(k + v for k, v in elements) + "\r")]
    if holder.z_subfile:
        ztype, zelements = holder.z_subfile
        subfiles.append((ztype, ztype + "\n".join(k + v for k, v in zelements) + "\r"))
    header = "@\n\x1e\rANSI " + holder.iin + f"{holder.version:02d}"
    if holder.version >= 2:
        header += f"{rng.randrange(0, 10):02d}"
    header += f"{len(subfiles):02d}"
    offset = len(header) + 10 * len(subfiles)
    designators = ""
    for kind, body in subfiles:
        shown = offset + (1 if "offset_off_by_one" in holder.quirks else 0)
        designators += f"{kind}{shown:04d}{len(body):04d}"
        offset += len(body)
    return header + designators + "".join(body for _, body in subfiles)


# ---- printing the card -------------------------------------------------------------------

def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def pdf417_symbol(payload: str, width_px: int, rng: random.Random) -> Image.Image:
    """The PDF417 symbol of ``payload``, ``width_px`` wide: error correction level 5 as AAMVA
    recommends, rows three modules high, column count chosen like issuers do (10–17)."""
    columns = rng.randrange(10, 18)
    codes = pdf417gen.encode(payload.encode("latin-1"), columns=columns, security_level=5)
    symbol = pdf417gen.render_image(codes, scale=4, ratio=3, padding=0)
    height = round(symbol.height * width_px / symbol.width)
    # Area resampling gives fractional module widths, as printing at 300 dpi does.
    return symbol.convert("L").resize((width_px, max(1, height)), Image.Resampling.BOX)


def _card_canvas(rng: random.Random, px_per_mm: float) -> Image.Image:
    w, h = round(CARD_MM[0] * px_per_mm), round(CARD_MM[1] * px_per_mm)
    base = np.array([rng.randrange(200, 245) for _ in range(3)], dtype=np.float32)
    tint = np.array([rng.randrange(150, 230) for _ in range(3)], dtype=np.float32)
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    canvas = base * (1 - 0.35 * x) + tint * 0.35 * x
    canvas = np.repeat(canvas, h, axis=0)
    image = Image.fromarray(canvas.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    # Guilloche-like security pattern: families of thin sine curves.
    line = tuple(int(v) for v in (tint * 0.8))
    for k in range(rng.randrange(10, 22)):
        phase, amp, freq = rng.random() * 6.28, rng.uniform(0.03, 0.12) * h, rng.uniform(1.5, 5.0)
        offset = h * k / 20
        points = [(xx, offset + amp * np.sin(freq * 6.28 * xx / w + phase)) for xx in range(0, w, 4)]
        draw.line(points, fill=line, width=1)
    return image


def card_back(holder: CardHolder, payload: Optional[str] = None, *, px_per_mm: float = 12.0,
              rng: Optional[random.Random] = None) -> np.ndarray:
    """The back of ``holder``'s card as a flat BGR image (a scan), with the PDF417 symbol
    about 70 mm wide in its lower part, as on real North American cards."""
    rng = rng or random.Random(0)
    payload = payload if payload is not None else aamva_payload(holder, rng)
    image = _card_canvas(rng, px_per_mm)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    small, medium = _font(max(8, round(2.0 * px_per_mm))), _font(max(8, round(2.6 * px_per_mm)))
    _, _, name = JURISDICTIONS[holder.jurisdiction]
    draw.text((0.05 * w, 0.05 * h), f"{name}  {'DRIVER LICENSE' if holder.document == 'DL' else 'IDENTIFICATION CARD'}",
              font=medium, fill=(40, 40, 60))
    lines = [f"CLASS {holder.classes or '-'}   END NONE   REST NONE",
             "THIS CARD IS THE PROPERTY OF THE ISSUING JURISDICTION",
             f"DD {''.join(rng.choice('0123456789') for _ in range(12))}"]
    for i, text in enumerate(lines):
        draw.text((0.05 * w, (0.15 + 0.07 * i) * h), text, font=small, fill=(60, 60, 70))
    bar_w = round(rng.uniform(64.0, 74.0) * px_per_mm)
    symbol = pdf417_symbol(payload, bar_w, rng)
    if symbol.height > 0.55 * h:  # long payloads: keep the symbol on the card
        symbol = symbol.resize((round(symbol.width * 0.55 * h / symbol.height), round(0.55 * h)), Image.Resampling.BOX)
    quiet = round(1.5 * px_per_mm)
    x0, y0 = (w - symbol.width) // 2, h - symbol.height - round(3 * px_per_mm)
    draw.rectangle((x0 - quiet, y0 - quiet, x0 + symbol.width + quiet, y0 + symbol.height + quiet), fill=(250, 250, 248))
    ink = Image.new("RGB", symbol.size, (20, 20, 25))
    image.paste(ink, (x0, y0), Image.eval(symbol, lambda v: 255 - v))
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


def card_front(holder: CardHolder, *, px_per_mm: float = 12.0, rng: Optional[random.Random] = None) -> np.ndarray:
    """A card front without any barcode: portrait placeholder and printed fields."""
    rng = rng or random.Random(0)
    image = _card_canvas(rng, px_per_mm)
    draw = ImageDraw.Draw(image)
    w, h = image.size
    draw.rectangle((0.04 * w, 0.2 * h, 0.32 * w, 0.85 * h), fill=(150, 140, 130))
    font = _font(max(8, round(2.6 * px_per_mm)))
    rows = [f"DL {holder.number}", f"EXP {holder.date_of_expiry:%m/%d/%Y}", holder.last_name,
            f"{holder.first_name} {holder.middle_name or ''}", holder.street,
            f"{holder.city}, {holder.jurisdiction} {holder.postal_code}", f"DOB {holder.date_of_birth:%m/%d/%Y}"]
    for i, text in enumerate(rows):
        draw.text((0.36 * w, (0.18 + 0.1 * i) * h), text, font=font, fill=(30, 30, 40))
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)


# ---- photographing it ---------------------------------------------------------------------

def _scene(rng: random.Random, width: int, height: int) -> np.ndarray:
    colour = np.array([rng.randrange(40, 200) for _ in range(3)], dtype=np.float32)
    grain = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 18, (height, width)).astype(np.float32)
    return np.clip(colour + cv2.GaussianBlur(grain, (0, 0), 3)[..., None], 0, 255)


def photograph(card: np.ndarray, condition: str, rng: random.Random) -> np.ndarray:
    """A photographed-looking BGR image of a flat ``card`` under one named condition.

    ``flat``: the card alone, as scanned. Every other condition puts the card on a textured
    surface in a 800–1600 px photo (``small``: 600–800 px) and adds its degradation:
    ``perspective`` (corners moved by up to 10 % of the card), ``rotation`` (any angle),
    ``blur`` (Gaussian, sigma 0.8–1.6 px), ``jpeg`` (quality 30–60), ``uneven_light`` (a
    light gradient down to 45 %), ``glare`` (a bright spot next to or over the barcode);
    ``combined`` has mild amounts of each.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    if condition == "flat":
        return card.copy()
    combined = condition == "combined"
    long_side = rng.randrange(600, 800) if condition == "small" else rng.randrange(800, 1601)
    width, height = (long_side, round(long_side * 0.75)) if rng.random() < 0.7 else (round(long_side * 0.75), long_side)
    ch, cw = card.shape[:2]
    fill = rng.uniform(0.6, 0.85)
    scale = min(width * fill / cw, height * fill / ch) if condition != "rotation" else min(width, height) * fill / np.hypot(cw, ch)
    angle = rng.uniform(-180, 180) if condition == "rotation" else (rng.uniform(-8, 8) if combined else rng.uniform(-3, 3))
    centre = np.array([width / 2 + rng.uniform(-0.05, 0.05) * width, height / 2 + rng.uniform(-0.05, 0.05) * height])
    corners = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], dtype=np.float64) - [cw / 2, ch / 2]
    theta = np.deg2rad(angle)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    target = corners @ rot.T * scale + centre
    if condition in ("perspective", "combined"):
        jitter = (0.10 if condition == "perspective" else 0.05) * scale * np.array([cw, ch])
        target += np.array([[rng.uniform(-1, 1) * jitter[0], rng.uniform(-1, 1) * jitter[1]] for _ in range(4)])
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]]), np.float32(target))
    warped = cv2.warpPerspective(card, matrix, (width, height), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    mask = np.zeros((ch, cw), np.uint8)
    cv2.rectangle(mask, (0, 0), (cw - 1, ch - 1), 255, -1)
    mask = cv2.warpPerspective(mask, matrix, (width, height))[..., None].astype(np.float32) / 255
    image = _scene(rng, width, height) * (1 - mask) + warped.astype(np.float32) * mask
    if condition in ("uneven_light", "combined"):
        low = rng.uniform(0.45, 0.7) if condition == "uneven_light" else rng.uniform(0.7, 0.85)
        direction = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        ramp = (np.cos(direction) * xx / width + np.sin(direction) * yy / height)
        ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
        image *= (low + (1.05 - low) * ramp)[..., None]
    if condition in ("glare", "combined"):
        bar_centre = np.array([cw / 2, ch * 0.7, 1.0]) @ matrix.T
        gx, gy = bar_centre[:2] / bar_centre[2] + np.array([rng.uniform(-0.3, 0.3) * cw, rng.uniform(-0.2, 0.2) * ch]) * scale
        radius = rng.uniform(0.06, 0.15) * cw * scale
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        spot = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2))
        strength = rng.uniform(120, 230) if condition == "glare" else rng.uniform(60, 120)
        image += strength * spot[..., None]
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 2.5, image.shape)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    if condition in ("blur", "combined"):
        sigma = rng.uniform(0.8, 1.6) if condition == "blur" else rng.uniform(0.5, 0.9)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    quality = rng.randrange(30, 61) if condition in ("jpeg", "combined") else 92
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


def expected_fields(holder: CardHolder) -> dict[str, str]:
    """What a correct parse of ``holder``'s barcode holds, as plain strings (dates ISO)."""
    return {
        "first_name": holder.first_name,
        "middle_name": holder.middle_name or "",
        "last_name": holder.last_name,
        "date_of_birth": holder.date_of_birth.isoformat(),
        "date_of_issue": holder.date_of_issue.isoformat(),
        "date_of_expiry": holder.date_of_expiry.isoformat(),
        "document_number": holder.number,
        "sex": holder.sex,
        "street": holder.street,
        "city": holder.city,
        "jurisdiction": holder.jurisdiction,
        "postal_code": holder.postal_code,
        "country": holder.country,
        "issuing_jurisdiction": holder.jurisdiction,
        "document_type": "DRIVER_LICENSE" if holder.document == "DL" else "ID_CARD",
        "version": str(holder.version),
        "categories": holder.classes or "",
    }
