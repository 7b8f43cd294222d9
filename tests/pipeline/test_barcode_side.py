"""A North American driving licence in the document analysis: the AAMVA barcode on the back
is its machine-readable data (type, country, fields, expiry), and a missing one is not a pass."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import numpy as np
import pytest

from benchmarks.support.aamva_cards import aamva_payload, card_back, card_front, random_holder
from openidv.pipeline import document
from openidv.pipeline.run import document_fields

TODAY = dt.date(2026, 11, 25)


def licence(seed: str, **changes):  # noqa: ANN003, ANN201
    rng = random.Random(seed)
    holder = random_holder(rng, version=10, jurisdiction="VA")
    values = {"document": "DL", "classes": holder.classes or "C", "date_of_expiry": dt.date(2030, 5, 17),
              "date_of_issue": dt.date(2022, 5, 17), **changes}
    holder = dataclasses.replace(holder, **values)
    return holder, with_fine_print(card_front(holder, rng=rng)), card_back(holder, aamva_payload(holder, rng), rng=rng)


def with_fine_print(front: np.ndarray) -> np.ndarray:
    """The generated front with the small print a real licence has (its text-line count is
    what the fast document check looks at)."""
    import cv2

    out = front.copy()
    h, w = out.shape[:2]
    for i, text in enumerate(["DRIVER LICENSE", "COMMONWEALTH OF VIRGINIA", "CLASS C", "END NONE",
                              "REST NONE", "DONOR", "HGT 5-09", "EYES BRN"]):
        cv2.putText(out, text, (int(0.36 * w), int((0.05 + 0.035 * i) * h) + 12), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (60, 60, 70), 1, cv2.LINE_AA)
    return out


def test_a_licence_is_read_from_its_barcode(ocr_engines) -> None:
    holder, front, back = licence("licence-1")
    result = document.analyse_document(ocr_engines, front, back, declared_country="US",
                                       declared_type="DRIVER_LICENSE", today=TODAY)
    assert result.barcode is not None and result.mrz is None
    assert (result.document_type, result.issuing_country) == ("DRIVER_LICENSE", "US")
    assert result.validity == "DOC_VALIDATED", result
    assert "PDF417" in result.method
    fields = document_fields(result)
    assert fields["doc_surname"] == holder.last_name and fields["doc_document_number"] == holder.number
    assert fields["doc_date_of_birth"] == holder.date_of_birth.isoformat()
    assert fields["doc_expiry_date"] == "2030-05-17" and fields["doc_country"] == "US"


def test_an_expired_licence_and_a_wrong_declared_country(ocr_engines) -> None:
    _, front, back = licence("licence-2", date_of_expiry=dt.date(2024, 1, 31))
    expired = document.analyse_document(ocr_engines, front, back, declared_type="DRIVER_LICENSE", today=TODAY)
    assert expired.validity == "DOC_EXPIRED"
    _, front, back = licence("licence-3")
    wrong = document.analyse_document(ocr_engines, front, back, declared_country="CA", today=TODAY)
    assert wrong.validity == "COUNTRY_MISMATCH"


def test_a_licence_whose_back_shows_no_barcode_is_not_a_pass(ocr_engines) -> None:
    _, front, _ = licence("licence-4")
    blank_back = np.full((640, 1016, 3), 235, np.uint8)
    result = document.analyse_document(ocr_engines, front, blank_back, declared_country="US",
                                       declared_type="DRIVER_LICENSE", today=TODAY)
    assert result.barcode is None
    assert result.validity == "DOC_NOT_FULLY_VISIBLE"


@pytest.mark.parametrize("payload", ["@\n\x1e\rANSI 636000100002DL00410278ZV03190008DLDAQ"])
def test_a_barcode_that_is_not_a_usable_record_goes_to_review(ocr_engines, payload) -> None:
    from benchmarks.support.aamva_cards import pdf417_symbol

    holder, front, _ = licence("licence-5")
    canvas = np.full((700, 1100, 3), 240, np.uint8)
    symbol = np.asarray(pdf417_symbol(payload, 900, random.Random(1)).convert("RGB"))[:, :, ::-1]
    canvas[100:100 + symbol.shape[0], 100:100 + symbol.shape[1]] = symbol
    result = document.analyse_document(ocr_engines, front, canvas, declared_country="US",
                                       declared_type="DRIVER_LICENSE", today=TODAY)
    assert result.barcode is None and result.validity != "DOC_VALIDATED"
    assert any(reason.startswith("barcode not usable") for reason in result.review_reasons), result.review_reasons
