"""Reading a located MRZ with independent engines (RapidOCR, Tesseract's MRZ model, RapidOCR
on other pixels) and combining the readings into one verified result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openidv.core.vocab import DocumentCode

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline import mrz_repair
from openidv.pipeline import ocr
from openidv.pipeline.document.geometry import Page, WorkImage, _apply, line_geometry, warp_line
from openidv.pipeline.document import mrz_vote
from openidv.pipeline.document.mrz_zone import MrzLine, MrzLocation, locate_mrz
from openidv.pipeline.document.quality import line_sharpness
from openidv.pipeline.document.visual_zone import VizLine, read_visual_zone
from openidv.pipeline.engines import Engines
from openidv.pipeline.results import MrzData
from openidv.pipeline.threads import helper_thread

# Secondary reading: line crops are scaled to this height before Tesseract. On the dev set,
# zone 40 px / Tesseract 48 px read 53/54 MRZs exactly; 32 / 36 px read 51/54 for no
# measurable time saved. (Cutting the crop to the line's own glyph rows, as mrz_vote does,
# makes Tesseract read the names line far better, but then it agrees with RapidOCR on
# look-alike misreads that nothing else guards: 7 wrong reads accepted in 1000 stress
# samples. Left out until those fields are guarded.)
TESSERACT_LINE_HEIGHT_PX = 48


def secondary_reading(engines: Engines, work: WorkImage, zone: Sequence[MrzLine]) -> tuple[str, ...]:
    """Tesseract (MRZ model) on each straightened line: the independent second reading."""
    out = []
    for ln in zone:
        crop = warp_line(work.image, ln.geom.quad, pad=0.15)
        grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        scale = TESSERACT_LINE_HEIGHT_PX / grey.shape[0]
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        grey = cv2.copyMakeBorder(grey, 10, 10, 10, 10, cv2.BORDER_REPLICATE)
        text, _ = ocr.tesseract_read_line(engines, grey)
        out.append(text)
    return tuple(out)


def _format_from_readings(primary: Sequence[str], secondary: Sequence[str], hint: str | None) -> str | None:
    """Format from the number of lines and the lengths both readings agree best with."""
    n = len(primary)
    lengths = [len(mrz_repair.clean_line(t)) for t in primary] + [len(t) for t in secondary if t]
    if not lengths:
        return hint
    first = (mrz_repair.clean_line(primary[0])[:1] if primary else "") or (secondary[0][:1] if secondary else "")
    visa = first == "V"
    best, best_err = None, 1e9
    candidates = [f for f, (n_lines, _) in mrzlib.FORMAT_SHAPES.items()
                  if n_lines == n and f.startswith("MRV") == visa
                  and (first != "P" or f == "TD3")]  # ICAO 9303: passport books are TD3
    if len(candidates) == 1:
        return candidates[0]
    for fmt in candidates:
        length = mrzlib.FORMAT_SHAPES[fmt][1]
        err = float(np.median([abs(x - length) for x in lengths]))
        if err < best_err:
            best, best_err = fmt, err
    return best if best is not None and best_err <= 4 else hint


@dataclass(frozen=True)
class MrzReadResult:
    """The MRZ reading plus where it was found (for quality checks and straightening)."""

    data: MrzData | None
    location: MrzLocation | None
    primary: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()
    error: str | None = None  # why no data: MRZ_NOT_FOUND or MRZ_OCR_READING_ERROR
    sharpness: float | None = None
    visual_zone: tuple[VizLine, ...] | None = None  # with with_visual_zone=True and a zone found


def visual_zone_of(engines: Engines, location: MrzLocation) -> list[VizLine]:
    """The visual-zone lines of the page that carries this MRZ (the MRZ lines left out)."""
    to_page = location.work.matrix @ np.linalg.inv(location.zone_work.matrix)
    mrz_on_page = [line_geometry(_apply(to_page, ln.geom.quad)) for ln in location.lines]
    return read_visual_zone(engines, location.work, location.all_lines, mrz_on_page)


def read_mrz(
    engines: Engines,
    image: np.ndarray, *, today: dt.date | None = None, with_visual_zone: bool = False, page: Page | None = None
) -> MrzReadResult:
    """Locate and read the MRZ of a BGR image with two independent readings.

    ``with_visual_zone``: also recognise the page's other lines, while Tesseract reads the
    zone in a second thread (both release the GIL, so the two engines share the cores
    instead of taking turns). Measured: ≈ −50 ms per verification on 2 cores (docs/benchmarks.md).
    """
    location = locate_mrz(engines, image, page)
    if location is None or not location.lines:
        return MrzReadResult(None, location, error=DocumentCode.MRZ_NOT_FOUND)
    primary = tuple(ln.text for ln in location.lines)
    sharp = line_sharpness(location.zone_work.image, [ln.geom for ln in location.lines])
    if len(primary) < 2:
        return MrzReadResult(None, location, primary, error=DocumentCode.MRZ_OCR_READING_ERROR, sharpness=sharp)
    reading = helper_thread("tesseract").submit(secondary_reading, engines, location.zone_work, location.lines)
    try:
        visual = tuple(visual_zone_of(engines, location)) if with_visual_zone else None
    finally:
        secondary = reading.result()
    fmt = _format_from_readings(primary, secondary, location.fmt)
    if fmt is None:
        return MrzReadResult(None, location, primary, secondary, DocumentCode.MRZ_OCR_READING_ERROR, sharp)
    try:
        data = mrz_repair.combine_readings(
            primary, secondary, fmt, today=today,
            method=f"rapidocr+tesseract-mrz, rotation {location.work.rotation * 90}°",
        )
    except mrzlib.MrzFormatError:
        return MrzReadResult(None, location, primary, secondary, DocumentCode.MRZ_OCR_READING_ERROR, sharp)
    if data.unconfirmed_fields or not data.all_check_digits_valid:
        tertiary = third_reading(engines, location.zone_work, location.lines)
        data = _settle_with_third_reading(data, tertiary, location, secondary, fmt, today)
        if data.unconfirmed_fields or not data.all_check_digits_valid:
            data = _settle_by_vote(engines, data, location, (primary, tertiary), secondary, fmt, today)
    return MrzReadResult(data, location, primary, secondary, None, sharp, visual)


def third_reading(engines: Engines, zone_work: WorkImage, zone: Sequence[MrzLine]) -> tuple[str, ...]:
    """RapidOCR on the lines again, from a grey, contrast-stretched crop (other pixels)."""
    crops = []
    for ln in zone:
        grey = cv2.cvtColor(warp_line(zone_work.image, ln.geom.quad, pad=0.2), cv2.COLOR_BGR2GRAY)
        lo, hi = np.percentile(grey, (2, 98))
        stretched = np.clip((grey.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255)
        crops.append(cv2.cvtColor(stretched.astype(np.uint8), cv2.COLOR_GRAY2BGR))
    return tuple(t for t, _ in ocr.recognize_lines(engines, crops))


def _settle_with_third_reading(
    data: MrzData, tertiary: Sequence[str], location: MrzLocation, secondary: Sequence[str], fmt: str,
    today: dt.date | None,
) -> MrzData:
    """When the two readings disagree, read the zone a third time and pair it with Tesseract.

    The result replaces the first only if it leaves strictly fewer fields unconfirmed and
    no more failing check digits: two engines (RapidOCR on other pixels, Tesseract) then
    agree on what the first pairing could not settle.
    """
    try:
        other = mrz_repair.combine_readings(
            tertiary, secondary, fmt, today=today,
            method=f"rapidocr(stretched)+tesseract-mrz, rotation {location.work.rotation * 90}°",
        )
    except mrzlib.MrzFormatError:
        return data
    return other if _settles_more(other, data) else data


def _settles_more(other: MrzData, data: MrzData) -> bool:
    """Whether ``other`` leaves strictly fewer fields unconfirmed (or fewer failing check
    digits with no more unconfirmed fields) and no more failing check digits than ``data``."""
    failing = sum(not ok for ok in data.check_digits.values())
    other_failing = sum(not ok for ok in other.check_digits.values())
    return other_failing <= failing and set(other.unconfirmed_fields) < set(data.unconfirmed_fields) | (
        {"__checks__"} if other_failing < failing else set())


def _settle_by_vote(
    engines: Engines, data: MrzData, location: MrzLocation, rapid: Sequence[Sequence[str]],
    secondary: Sequence[str], fmt: str, today: dt.date | None,
) -> MrzData:
    """Still unsettled: read every line again from other pixels with both engines, vote per
    engine and column, and pair the two votes like two readings (mrz_vote).

    The votes are first held to what extra readings of shared pixels can prove
    (:func:`mrz_vote.guarded`), then replace the current result on the same terms as the
    third reading's.
    """
    more_rapid, more_tess = mrz_vote.extra_readings(engines, location.zone_work, location.lines)
    rapid_all = mrz_vote.EngineReadings("rapidocr", tuple(tuple(r) for r in rapid) + more_rapid.readings)
    tess_all = mrz_vote.EngineReadings("tesseract-mrz", (tuple(secondary),) + more_tess.readings)
    try:
        other = mrz_repair.combine_readings(
            mrz_vote.vote_reading(rapid_all, fmt), mrz_vote.vote_reading(tess_all, fmt), fmt, today=today,
            method=f"rapidocr vote of {len(rapid_all.readings)} + tesseract-mrz vote of {len(tess_all.readings)}, "
                   f"rotation {location.work.rotation * 90}°",
        )
    except mrzlib.MrzFormatError:
        return data
    checked = mrz_vote.guarded(other, data, (*rapid, secondary), fmt, today)
    return checked if checked is not None and _settles_more(checked, data) else data
