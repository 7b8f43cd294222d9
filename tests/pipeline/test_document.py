"""Document analysis on the real specimens of shared/data and on synthetic degraded documents."""


from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest

from openidv.pipeline import document
from openidv.pipeline.document import checks, geometry, mrz_zone, visual_zone
from tests.support import synthetic
from openidv.pipeline.images import read_image_file

TODAY = dt.date(2026, 11, 25)
VALID_UNTIL = dt.date(2031, 5, 17)  # synthetic documents that are not expired


@pytest.fixture(scope="session")
def specimen_readings(documents_manifest, test_data_dir: Path, ocr_engines):
    """read_mrz on every real specimen, once per session: file -> (manifest item, result)."""
    out = {}
    for item in documents_manifest["items"]:
        image = read_image_file(str(test_data_dir / "documents" / item["file"]))
        out[item["file"]] = (item, document.read_mrz(ocr_engines, image, today=TODAY))
    return out


# Manifest check-digit names -> ours.
MANIFEST_CHECK_NAMES = {"number": "document_number", "dob": "date_of_birth", "expiry": "date_of_expiry",
                        "personal": "personal_number", "composite": "composite"}


def _accepted(read: document.MrzReadResult) -> bool:
    """Our reader would accept the reading without review."""
    d = read.data
    return d is not None and d.all_check_digits_valid and not d.unconfirmed_fields and not d.unprotected_fields


# --- real specimens ---------------------------------------------------------------------


@pytest.mark.slow
def test_real_specimens_are_read_exactly(specimen_readings):
    exact = [f for f, (item, r) in specimen_readings.items()
             if r.data is not None and list(r.data.lines) == item["mrz_lines"]]
    rate = len(exact) / len(specimen_readings)
    missed = sorted(set(specimen_readings) - set(exact))
    # Measured 51–53 of 54 (docs/benchmarks-mrz.md); the ESP specimen prints 'Ñ' in its MRZ.
    assert rate >= 0.92, f"exact {rate:.1%}, missed {missed}"


@pytest.mark.slow
def test_no_wrong_reading_is_accepted(specimen_readings):
    wrong = [f for f, (item, r) in specimen_readings.items()
             if _accepted(r) and list(r.data.lines) != item["mrz_lines"]]
    assert wrong == []


@pytest.mark.slow
def test_specimens_printing_invalid_check_digits_are_reported(specimen_readings):
    invalid = [(item, r) for item, r in specimen_readings.values() if not item["check_digits_all_valid"]]
    assert len(invalid) == 4
    for item, r in invalid:
        assert r.data is not None, item["file"]
        assert not r.data.all_check_digits_valid, item["file"]
        assert not _accepted(r)
        if list(r.data.lines) == item["mrz_lines"]:
            for theirs, ours in MANIFEST_CHECK_NAMES.items():
                if item["check_digits"].get(theirs) is not None and ours in r.data.check_digits:
                    assert r.data.check_digits[ours] == item["check_digits"][theirs], (item["file"], ours)


@pytest.mark.slow
def test_specimen_fields_match_ground_truth(specimen_readings):
    from openidv.pipeline import mrz

    for item, r in specimen_readings.values():
        if r.data is None or list(r.data.lines) != item["mrz_lines"] or "Ñ" in "".join(item["mrz_lines"]):
            continue
        truth = mrz.parse_mrz(item["mrz_lines"], today=TODAY)
        assert r.data.format == item["mrz_format"].replace("-", "")
        assert (r.data.surname, r.data.document_number, r.data.date_of_birth) == (
            truth.surname, truth.document_number, truth.date_of_birth)


@pytest.mark.slow
def test_page_turned_90_degrees_is_read(specimen_readings):
    item, r = specimen_readings["passporteye/0_pass-lva.jpg"]
    assert item["rotation_deg"] == 90
    assert r.data is not None and list(r.data.lines) == item["mrz_lines"]
    assert r.location.work.rotation in (1, 3)


@pytest.mark.slow
def test_real_passport_analysis(test_data_dir, ocr_engines):
    image = read_image_file(str(test_data_dir / "documents" / "passporteye/100_pass-cze.jpg"))
    result = document.analyse_document(ocr_engines, image, declared_country="CZ", declared_type="PASSPORT",
                                       today=TODAY)
    assert result.validity == "DOC_EXPIRED"  # the specimen expired in 2012
    assert result.document_type == "PASSPORT" and result.issuing_country == "CZ"
    assert result.mrz.surname == "SPECIMEN"
    assert result.portrait_image == "FRONT" and result.portrait_box is not None
    x = result.portrait_box[0]
    assert x < image.shape[1] / 2  # the portrait is on the left of the data page
    # Same passport, checked on a day before it expired: nothing else is wrong.
    before = document.analyse_document(ocr_engines, image, declared_country="CZ", today=dt.date(2010, 1, 1))
    assert before.validity == "DOC_VALIDATED", before


# --- has_document ---------------------------------------------------------------------


def test_has_document_true_for_specimens(documents_manifest, test_data_dir, ocr_engines):
    items = documents_manifest["items"][::6]
    for item in items:
        image = read_image_file(str(test_data_dir / "documents" / item["file"]))
        assert document.has_document(ocr_engines, image), item["file"]


def test_has_document_false_for_selfie_blank_and_landscape(portrait_face, ocr_engines):
    rng = np.random.default_rng(0)
    blank = np.full((900, 1200, 3), 235, np.uint8)
    yy, xx = np.mgrid[0:900, 0:1200]
    landscape = np.dstack([(xx / 1200 * 120 + 60), (180 - yy / 900 * 100), (yy / 900 * 200)]).astype(np.uint8)
    landscape = np.clip(landscape + rng.normal(0, 8, landscape.shape), 0, 255).astype(np.uint8)
    for name, image in (("selfie", portrait_face), ("blank", blank), ("landscape", landscape)):
        assert not document.has_document(ocr_engines, image), name


def test_has_document_is_fast(documents_manifest, test_data_dir, ocr_engines):
    image = read_image_file(str(test_data_dir / "documents" / "passporteye/100_pass-lux.jpg"))
    document.has_document(ocr_engines, image)
    cpu = []
    for _ in range(5):
        start = time.process_time()
        document.has_document(ocr_engines, image)
        cpu.append(time.process_time() - start)
    # CPU time, not wall time: other jobs on a shared CI machine must not fail this test.
    # Both cores busy for 0.3 s = 0.6 CPU-s; measured 0.39 CPU-s (1600x1200 photo).
    assert float(np.median(cpu)) < 0.6


# --- synthetic degraded documents ------------------------------------------------------

DEGRADED = [
    ("TD3", synthetic.Degradation(rotation_deg=17, perspective=0.03, jpeg_quality=45, noise_sigma=5)),
    ("TD1", synthetic.Degradation(rotation_deg=-12, uneven_light=0.5, blur_sigma=1.0)),
    ("TD2", synthetic.Degradation(quarter_turns=2, rotation_deg=5, jpeg_quality=60)),
    ("TD3", synthetic.Degradation(quarter_turns=1, perspective=0.04, uneven_light=0.4)),
    ("MRVB", synthetic.Degradation(quarter_turns=3, rotation_deg=-8, scale=0.7)),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind, degradation", DEGRADED)
def test_degraded_synthetic_documents_are_read(kind, degradation, ocr_engines, ocr_b_font, portrait_face):
    image, truth = synthetic.make_document(kind, portrait=portrait_face, degradation=degradation,
                                           seed=21, date_of_expiry=VALID_UNTIL)
    read = document.read_mrz(ocr_engines, image, today=TODAY)
    assert read.data is not None, read.error
    assert read.data.lines == truth.mrz_lines
    assert read.data.all_check_digits_valid


@pytest.mark.slow
def test_synthetic_document_is_validated_with_portrait_located(ocr_engines, ocr_b_font, portrait_face):
    image, truth = synthetic.make_document(
        "TD3", portrait=portrait_face, seed=8, date_of_expiry=VALID_UNTIL, issuing_code="POL",
        nationality_code="POL", degradation=synthetic.Degradation(rotation_deg=8, jpeg_quality=70))
    result = document.analyse_document(ocr_engines, image, declared_country="PL", declared_type="PASSPORT", today=TODAY)
    assert result.validity == "DOC_VALIDATED", (result.validity, result.review_reasons)
    assert result.issuing_country == "PL" and result.document_type == "PASSPORT"
    assert result.portrait_image == "FRONT"
    fx, fy, fw, fh = result.portrait_box
    px, py, pw, ph = truth.portrait_box
    cx, cy = fx + fw / 2, fy + fh / 2
    assert px <= cx <= px + pw and py <= cy <= py + ph
    assert result.visual.surname == truth.fields.surname


@pytest.mark.slow
def test_portrait_is_located_on_a_page_photographed_sideways(ocr_engines, ocr_b_font, portrait_face):
    # The front's portrait is first looked for on the page as photographed, beside the MRZ
    # reading; on a turned page that search must give way to one on the page turned upright.
    image, truth = synthetic.make_document(
        "TD3", portrait=portrait_face, seed=8, date_of_expiry=VALID_UNTIL,
        degradation=synthetic.Degradation(quarter_turns=1))
    result = document.analyse_document(ocr_engines, image, today=TODAY)
    assert result.mrz is not None and result.portrait_image == "FRONT"
    fx, fy, fw, fh = result.portrait_box
    px, py, pw, ph = truth.portrait_box
    assert px <= fx + fw / 2 <= px + pw and py <= fy + fh / 2 <= py + ph


@pytest.mark.slow
def test_expired_document(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=9, date_of_expiry=dt.date(2024, 3, 1))
    result = document.analyse_document(ocr_engines, image, today=TODAY)
    assert result.validity == "DOC_EXPIRED"
    assert result.mrz.date_of_expiry == "2024-03-01"


@pytest.mark.slow
def test_country_and_type_mismatch(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=10, issuing_code="D", nationality_code="D",
                                       date_of_expiry=VALID_UNTIL)
    assert document.analyse_document(ocr_engines, image, declared_country="FR", today=TODAY).validity == "COUNTRY_MISMATCH"
    assert document.analyse_document(ocr_engines, image, declared_country="DE", declared_type="ID_CARD",
                                     today=TODAY).validity == "DOC_TYPE_MISMATCH"
    detected = document.analyse_document(ocr_engines, image, declared_country="DE", today=TODAY)
    assert detected.document_type == "PASSPORT" and detected.validity == "DOC_VALIDATED"


@pytest.mark.slow
def test_printed_surname_differing_from_mrz(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=12, surname="NOWAK", date_of_expiry=VALID_UNTIL,
                                       visual_overrides={"Surname": "KOWALCZYK"})
    result = document.analyse_document(ocr_engines, image, today=TODAY)
    assert result.validity == "DOC_SURNAME_ERROR"
    assert result.needs_review


@pytest.mark.slow
def test_cut_off_document_is_not_fully_visible(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=13, date_of_expiry=VALID_UNTIL,
                                       degradation=synthetic.Degradation(cut_off=0.2))
    assert document.analyse_document(ocr_engines, image, today=TODAY).validity == "DOC_NOT_FULLY_VISIBLE"


@pytest.mark.slow
def test_glare_on_portrait(ocr_engines, ocr_b_font, portrait_face):
    image, _ = synthetic.make_document("TD3", seed=14, portrait=portrait_face, date_of_expiry=VALID_UNTIL,
                                       degradation=synthetic.Degradation(glare_on_portrait=0.3))
    result = document.analyse_document(ocr_engines, image, today=TODAY)
    assert result.validity == "DOC_FACE_GLARED", result.scores


@pytest.mark.slow
def test_heavily_blurred_document(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=15, date_of_expiry=VALID_UNTIL,
                                       degradation=synthetic.Degradation(blur_sigma=5, scale=0.6))
    result = document.analyse_document(ocr_engines, image, today=TODAY)
    assert result.validity == "DOC_TOO_BLURRY", result.scores


def test_no_document_in_blank_photo(ocr_engines):
    result = document.analyse_document(ocr_engines, np.full((600, 800, 3), 200, np.uint8), today=TODAY)
    assert result.validity == "DOC_NOT_FOUND"
    assert result.mrz is None


@pytest.mark.slow
def test_document_without_mrz(ocr_engines, ocr_b_font):
    image, _ = synthetic.make_document("TD3", seed=16)
    h = image.shape[0]
    no_mrz = image[: int(h * 0.62)].copy()  # the bottom of the page, with the MRZ, removed
    result = document.analyse_document(ocr_engines, no_mrz, today=TODAY)
    assert result.validity == "MRZ_NOT_FOUND"
    assert result.needs_review


@pytest.mark.slow
def test_mrz_on_back_side(ocr_engines, ocr_b_font, portrait_face):
    back, truth = synthetic.make_document("TD1", seed=17, date_of_expiry=VALID_UNTIL)
    front_full, _ = synthetic.make_document("TD1", seed=17, portrait=portrait_face, date_of_expiry=VALID_UNTIL)
    front = front_full[: int(front_full.shape[0] * 0.6)].copy()
    result = document.analyse_document(ocr_engines, front, back, declared_type="ID_CARD", today=TODAY)
    assert result.mrz is not None and result.mrz.lines == truth.mrz_lines
    assert "MRZ on BACK" in result.method
    assert result.portrait_image == "FRONT"


def test_printed_dates_are_parsed():
    assert visual_zone.parse_printed_date("12 AUG 1974") == dt.date(1974, 8, 12)
    assert visual_zone.parse_printed_date("8 Août/Aug 2006") == dt.date(2006, 8, 8)
    assert visual_zone.parse_printed_date("01.01.1911") == dt.date(1911, 1, 1)
    assert visual_zone.parse_printed_date("07 JUN 84", birth=True, today=TODAY) == dt.date(1984, 6, 7)
    assert visual_zone.parse_printed_date("no date here") is None


def test_validity_precedence():
    assert checks.choose_validity({"DOC_EXPIRED", "COUNTRY_MISMATCH"}) == "DOC_EXPIRED"
    assert checks.choose_validity({"DOC_NOT_FULLY_VISIBLE", "MRZ_OCR_READING_ERROR"}) == "DOC_NOT_FULLY_VISIBLE"
    assert checks.choose_validity({"DOC_DOB_ERROR", "DOC_NAME_ERROR"}) == "DOC_INFO_MISMATCH"
    assert checks.choose_validity({"DOC_DOB_ERROR"}) == "DOC_DOB_ERROR"
    assert checks.choose_validity({"DOC_NOT_FOUND", "DOC_EXPIRED"}) == "DOC_NOT_FOUND"
    assert checks.choose_validity(set()) == "DOC_VALIDATED"


def test_shared_models_are_loaded_once(ocr_engines):
    assert ocr_engines.rapidocr() is ocr_engines.rapidocr()


def test_both_engines_read_a_clean_ocr_b_line(ocr_engines, ocr_b_font):
    from PIL import Image, ImageDraw, ImageFont

    line = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    font = ImageFont.truetype(str(ocr_b_font), 40)
    canvas = Image.new("RGB", (int(font.getlength(line)) + 40, 70), (245, 245, 240))
    ImageDraw.Draw(canvas).text((20, 12), line, font=font, fill=(10, 10, 10))
    crop = np.asarray(canvas)[:, :, ::-1].copy()
    from openidv.pipeline import mrz, mrz_repair, ocr

    text, _ = ocr.tesseract_read_line(ocr_engines, crop)
    assert text == line
    (primary, score), = ocr.recognize_lines(ocr_engines, [crop])
    # RapidOCR confuses O and 0 in OCR-B; the class of each column settles it.
    repaired = mrz_repair.repair_by_class(mrz_repair.clean_line(primary), mrz.position_classes("TD3")[1])
    assert repaired == line and score > 0.8


def test_a_td1_zone_is_recognised_once_in_its_band(ocr_engines, ocr_b_font, monkeypatch) -> None:
    """The shape-only zone finder keeps the last two lines of a three-line (TD1) zone. Those
    two alone read as no format, so reading them before the band only cost a recognition
    pass: the band, which holds all three lines, is read straight away."""
    from openidv.pipeline import ocr

    image, truth = synthetic.make_document("TD1", seed=31, date_of_expiry=VALID_UNTIL)
    page = geometry.read_page(ocr_engines, image)
    shaped = mrz_zone.geometric_zone(page.lines)
    assert len(shaped) == 2 and mrz_zone._third_line_above(page.lines, shaped)

    batches: list[int] = []
    recognise = ocr.recognize_lines
    monkeypatch.setattr(ocr, "recognize_lines",
                        lambda engines, crops: batches.append(len(crops)) or recognise(engines, crops))
    location = document.locate_mrz(ocr_engines, image, page)
    assert location is not None and location.fmt == "TD1"
    assert batches == [3], f"recognition batches {batches}: the zone was read more than once"
    # The primary reading alone (RapidOCR; read_mrz then checks it against Tesseract).
    assert len(location.lines) == 3 and location.lines[0].text[:5] == truth.mrz_lines[0][:5]


def test_a_two_line_zone_alone_is_not_taken_for_td1(ocr_engines, ocr_b_font) -> None:
    image, _ = synthetic.make_document("TD3", seed=32, date_of_expiry=VALID_UNTIL)
    page = geometry.read_page(ocr_engines, image)
    shaped = mrz_zone.geometric_zone(page.lines)
    assert len(shaped) == 2 and not mrz_zone._third_line_above(page.lines, shaped)
