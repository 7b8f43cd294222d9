"""A document's analysis from start to finish: MRZ, visual zone, cross-checks, portrait and
quality, decided into one ``document_validity`` code (precedence in ``checks``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, wait

import numpy as np

from openidv.core.vocab import DOCUMENT_TYPES, DocumentCode
from openidv.pipeline.document.barcode_side import (
    BarcodeAsReference, BarcodeRead, barcode_expected, barcode_review_reasons, mismatch_codes_with_mrz, read_barcode,
)
from openidv.pipeline.document.checks import choose_validity, declared_type_matches
from openidv.pipeline.document.geometry import Page, _box_in_original, read_page, to_working_image
from openidv.pipeline.document.mrz_read import MrzReadResult, read_mrz, visual_zone_of
from openidv.pipeline.document.portrait import find_portrait
from openidv.pipeline.document.quality import (
    MAX_FAILING_CHECK_SHARE, PORTRAIT_GLARE_MAX_FRACTION, SHARPNESS_MIN, fast_text_stats, has_document,
    line_sharpness, mrz_cut_off, portrait_glare_fraction,
)
from openidv.pipeline.document.visual_zone import cross_check, read_visual_zone
from openidv.pipeline.aamva import AamvaData
from openidv.pipeline.engines import Engines
from openidv.pipeline.results import Box, DocumentResult, MrzData
from openidv.pipeline.threads import helper_thread



def analyse_document(
    engines: Engines,
    front: np.ndarray,
    back: np.ndarray | None = None,
    *,
    declared_country: str | None = None,
    declared_type: str | None = None,
    today: dt.date | None = None,
    on_front_portrait: Callable[[Box], object] | None = None,
) -> DocumentResult:
    """Analyse FRONT (and BACK) of a document.

    1. the MRZ, on the front, else on the back (ID cards carry it on the back), read by
       independent engines (``mrz_read``);
    2. the visual zone of the side that carries the MRZ (and the front of an ID card),
       cross-checked with the MRZ; expiry, declared country and type;
    3. the portrait (front first), its glare; photo quality throughout.

    ``on_front_portrait`` is called, from a helper thread, with the portrait's box as soon
    as it is found on the front page as photographed — usually well before this returns, and
    usually the box the result will give (not when the page had to be turned).
    """
    if declared_type is not None and declared_type not in DOCUMENT_TYPES:
        raise ValueError(f"declared_type must be one of {', '.join(DOCUMENT_TYPES)} or None")
    front_page = read_page(engines, front)
    # The portrait is looked for on the upright front page while its MRZ is read: dlib's
    # single-threaded detector fills a core the OCR leaves idle. Used in step 3 unless the
    # MRZ showed the page needs turning.
    front_portrait = helper_thread("portrait").submit(_find_front_portrait, engines, front, front_page,
                                                      on_front_portrait)
    try:
        return _analyse(engines, front, back, front_page, front_portrait, declared_country=declared_country,
                        declared_type=declared_type, today=today or dt.date.today())
    finally:
        wait([front_portrait])  # nothing of this call runs on after it


def _find_front_portrait(
    engines: Engines, front: np.ndarray, page: Page, on_found: Callable[[Box], object] | None
) -> tuple[Box, float] | None:
    found = find_portrait(engines, page.work)
    if found is not None and on_found is not None:
        on_found(_box_in_original(front, found[0]))
    return found


def _mrz_review_reasons(data: MrzData) -> list[str]:
    reasons = [f"check digit fails after repair: {name}" for name, ok in data.check_digits.items() if not ok]
    if data.unconfirmed_fields:
        reasons.append("MRZ readings disagree on: " + ", ".join(data.unconfirmed_fields))
    if data.unprotected_fields:
        reasons.append("MRZ field without check digit holds look-alike characters (O/0, I/1 …): "
                       + ", ".join(data.unprotected_fields))
    if data.date_of_birth is None:
        reasons.append("date of birth unreadable")
    if data.date_of_expiry is None:
        reasons.append("date of expiry unreadable")
    return reasons


def _read_sides(engines: Engines, sides: list[tuple[str, np.ndarray]], pages: dict[str, Page],
                today: dt.date) -> tuple[dict[str, MrzReadResult], str | None]:
    """Read the MRZ side by side until one reads; (readings by side, the side that read)."""
    reads: dict[str, MrzReadResult] = {}
    for name, img in sides:
        pages[name] = pages.get(name) or read_page(engines, img)
        reads[name] = read_mrz(engines, img, today=today, with_visual_zone=True, page=pages[name])
        if reads[name].data is not None:
            return reads, name
    return reads, None


def _mrz_quality_codes(read: MrzReadResult, front_read: MrzReadResult, scores: dict[str, float]) -> set[str]:
    """MRZ_* and DOC_TOO_BLURRY from how the zone read and how sharp its lines are."""
    found: set[str] = set()
    data = read.data
    if data is None:
        found.add(read.error or DocumentCode.MRZ_NOT_FOUND)
        sharp = read.sharpness
        if sharp is None and front_read.location is not None:
            sharp = line_sharpness(front_read.location.work.image, front_read.location.all_lines[:20])
        if sharp is not None:
            scores["text_sharpness"] = round(sharp, 4)
            if sharp < SHARPNESS_MIN:
                found.add(DocumentCode.DOC_TOO_BLURRY)
        return found
    total = len(data.check_digits)
    failing = sum(not ok for ok in data.check_digits.values())
    if total and failing / total > MAX_FAILING_CHECK_SHARE:
        found.add(DocumentCode.MRZ_OCR_READING_ERROR)
    # Below this sharpness a reading may pass its check digits and still be wrong.
    if read.sharpness is not None and read.sharpness < SHARPNESS_MIN:
        found.add(DocumentCode.DOC_TOO_BLURRY)
    return found


def _data_codes(data: MrzData, declared_country: str | None, declared_type: str | None, today: dt.date,
                notes: list[str]) -> set[str]:
    """DOC_EXPIRED, COUNTRY_MISMATCH and DOC_TYPE_MISMATCH from what the MRZ says."""
    found: set[str] = set()
    if data.date_of_expiry and data.date_of_expiry < today.isoformat():
        found.add(DocumentCode.DOC_EXPIRED)
    country = data.issuing_country
    if declared_country and country and declared_country.upper() != country:
        found.add(DocumentCode.COUNTRY_MISMATCH)
    if declared_country and data.issuing_code and country is None:
        notes.append(f"issuing code {data.issuing_code} has no ISO alpha-2 code")
    if declared_type and data.document_type and not declared_type_matches(declared_type, data.document_type):
        found.add(DocumentCode.DOC_TYPE_MISMATCH)
    return found


def _barcode_codes(bar: AamvaData, declared_country: str | None, declared_type: str | None,
                   today: dt.date) -> set[str]:
    """DOC_EXPIRED, COUNTRY_MISMATCH and DOC_TYPE_MISMATCH from what the barcode says."""
    found: set[str] = set()
    if bar.date_of_expiry and bar.date_of_expiry < today:
        found.add(DocumentCode.DOC_EXPIRED)
    if declared_country and declared_country.upper() != bar.country:
        found.add(DocumentCode.COUNTRY_MISMATCH)
    if declared_type and not declared_type_matches(declared_type, str(bar.document_type.value)):
        found.add(DocumentCode.DOC_TYPE_MISMATCH)
    return found


def _locate_portrait(engines: Engines, sides: list[tuple[str, np.ndarray]], reads: dict[str, MrzReadResult],
                     pages: dict[str, Page], front_portrait: Future
                     ) -> tuple[str, Box, float] | None:
    """(side, box in that image, detector score) of the portrait: front first, else back."""
    for name, img in sides:
        read = reads.get(name)
        work = read.location.work if read and read.location else (
            pages[name].work if name in pages else to_working_image(img))
        found = front_portrait.result() if work is pages["FRONT"].work else find_portrait(engines, work)
        if found:
            return name, _box_in_original(img, found[0]), found[1]
    return None


def _analyse(
    engines: Engines,
    front: np.ndarray,
    back: np.ndarray | None,
    front_page: Page,
    front_portrait: Future,
    *,
    declared_country: str | None,
    declared_type: str | None,
    today: dt.date,
) -> DocumentResult:
    found: set[str] = set()
    scores: dict[str, float] = {}
    notes: list[str] = []
    sides = [("FRONT", front)] + ([("BACK", back)] if back is not None else [])
    pages: dict[str, Page] = {"FRONT": front_page}

    reads, mrz_side = _read_sides(engines, sides, pages, today)
    best_read = reads[mrz_side] if mrz_side else max(
        reads.values(), key=lambda r: len(r.location.lines) if r.location else -1)
    # North American licences carry their data in a PDF417 barcode on the back instead.
    barcode = BarcodeRead(None)
    if back is not None and (mrz_side is None or barcode_expected(declared_type, declared_country)):
        barcode = read_barcode(back)
    document_found = mrz_side is not None or barcode.found_symbol \
        or any(r.location is not None for r in reads.values()) or has_document(engines, front)
    if not document_found:
        return DocumentResult(validity=DocumentCode.DOC_NOT_FOUND, method="no text lines found",
                              scores={"text_lines": float(fast_text_stats(engines, front)[0])})

    data = best_read.data
    if best_read.sharpness is not None:
        scores["mrz_sharpness"] = round(best_read.sharpness, 4)
    if any(mrz_cut_off(reads[name].location, reads[name].data.format if reads[name].data else None, img)
           for name, img in sides if name in reads):
        found.add(DocumentCode.DOC_NOT_FULLY_VISIBLE)
    bar = barcode.data
    quality = _mrz_quality_codes(best_read, reads["FRONT"], scores)
    if data is None and bar is not None:  # the barcode is the machine-readable zone here
        quality -= {DocumentCode.MRZ_NOT_FOUND, DocumentCode.MRZ_OCR_READING_ERROR}
    found |= quality
    if data is None and bar is None and barcode_expected(declared_type, declared_country) \
            and not barcode.found_symbol:
        found.add(DocumentCode.DOC_NOT_FULLY_VISIBLE)  # the back, with its barcode, is not in view

    review: list[str] = barcode_review_reasons(barcode)
    visual = None
    field_errors: list[str] = []
    if data is not None and bar is not None:
        found |= mismatch_codes_with_mrz(bar, data)
    if data is None and bar is not None:
        front_page = pages["FRONT"]
        visual, field_errors = cross_check(BarcodeAsReference.of(bar),
                                           [read_visual_zone(engines, front_page.work, front_page.lines, [])], today)
        found |= set(field_errors)
        found |= _barcode_codes(bar, declared_country, declared_type, today)
    if data is not None:
        review += _mrz_review_reasons(data)
        assert best_read.location is not None
        viz_lines = list(best_read.visual_zone) if best_read.visual_zone is not None \
            else visual_zone_of(engines, best_read.location)
        if mrz_side == "BACK":
            # ID cards print the holder's data on the front and the MRZ on the back.
            front_page = pages["FRONT"]  # its lines were detected when looking for an MRZ there
            viz_groups = [read_visual_zone(engines, front_page.work, front_page.lines, []), viz_lines]
        else:
            viz_groups = [viz_lines]
        visual, field_errors = cross_check(data, viz_groups, today)
        found |= set(field_errors)
        found |= _data_codes(data, declared_country, declared_type, today, notes)

    portrait = _locate_portrait(engines, sides, reads, pages, front_portrait)
    if portrait is not None:
        side, box, score = portrait
        scores["portrait_score"] = round(score, 3)
        glare = portrait_glare_fraction(dict(sides)[side], box)
        scores["portrait_glare"] = round(glare, 4)
        if glare > PORTRAIT_GLARE_MAX_FRACTION:
            found.add(DocumentCode.DOC_FACE_GLARED)

    validity = choose_validity(found)
    if validity in (DocumentCode.MRZ_OCR_READING_ERROR, DocumentCode.MRZ_NOT_FOUND) and data is None:
        review.append("MRZ could not be read")
    if field_errors:
        review.append("printed data differs from the MRZ: " + ", ".join(field_errors))
    method_parts = [data.method if data else "no MRZ read"]
    if mrz_side:
        method_parts.append(f"MRZ on {mrz_side}")
    if bar is not None:
        method_parts.append(f"PDF417 (AAMVA v{bar.version}, {bar.issuing_jurisdiction}) on BACK")
    method_parts += notes
    return DocumentResult(
        validity=validity,
        document_type=data.document_type if data else (str(bar.document_type.value) if bar else None),
        issuing_country=data.issuing_country if data else (bar.country if bar else None),
        mrz=data,
        barcode=bar,
        visual=visual,
        portrait_image=portrait[0] if portrait else None,
        portrait_box=portrait[1] if portrait else None,
        needs_review=bool(review),
        review_reasons=tuple(review),
        method="; ".join(method_parts),
        scores=scores,
    )
