"""The synthetic document generator: valid MRZ, portrait placement, degradations."""


from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from openidv.pipeline import mrz
from tests.support import synthetic


@pytest.mark.parametrize("kind", ["TD1", "TD2", "TD3", "MRVA", "MRVB"])
def test_generated_mrz_is_valid_for_every_format(kind, ocr_b_font):
    image, truth = synthetic.make_document(kind, seed=3)
    data = mrz.parse_mrz(truth.mrz_lines, today=dt.date(2026, 11, 25))
    assert data.format == kind
    assert data.all_check_digits_valid
    assert data.surname == truth.fields.surname
    assert image.ndim == 3 and image.dtype == np.uint8


def test_same_seed_same_document(ocr_b_font):
    a, ta = synthetic.make_document("TD3", seed=11)
    b, tb = synthetic.make_document("TD3", seed=11)
    _, tc = synthetic.make_document("TD3", seed=12)
    assert np.array_equal(a, b) and ta == tb
    assert tc.mrz_lines != ta.mrz_lines


def test_field_values_override_random_ones(ocr_b_font):
    _, truth = synthetic.make_document("TD1", surname="DOE", given_names="JANE", seed=1)
    assert truth.mrz_lines[2].startswith("DOE<<JANE<")


def test_portrait_box_follows_rotation_and_quarter_turns(ocr_b_font):
    face = np.full((200, 160, 3), 90, np.uint8)
    flat, t_flat = synthetic.make_document("TD3", portrait=face, seed=2)
    turned, t_turned = synthetic.make_document(
        "TD3", portrait=face, seed=2, degradation=synthetic.Degradation(quarter_turns=1))
    assert turned.shape[:2] == flat.shape[:2][::-1]
    x, y, w, h = t_turned.portrait_box
    assert (w, h) == (t_flat.portrait_box[3], t_flat.portrait_box[2])
    # The pasted grey portrait is where the box says.
    assert abs(float(turned[y + h // 2, x + w // 2].mean()) - 90) < 12


def test_degradations_change_the_image(ocr_b_font):
    clean, _ = synthetic.make_document("TD3", seed=4)
    for deg in (synthetic.Degradation(blur_sigma=2), synthetic.Degradation(uneven_light=0.5),
                synthetic.Degradation(jpeg_quality=30), synthetic.Degradation(rotation_deg=10)):
        spoiled, _ = synthetic.make_document("TD3", seed=4, degradation=deg)
        assert spoiled.shape != clean.shape or np.abs(spoiled.astype(int) - clean).mean() > 1


def test_cut_off_removes_part_of_the_page(ocr_b_font):
    full, _ = synthetic.make_document("TD3", seed=5)
    cut, _ = synthetic.make_document("TD3", seed=5, degradation=synthetic.Degradation(cut_off=0.25))
    assert cut.shape[1] < full.shape[1] * 0.85


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(synthetic, "OCR_B_CANDIDATES", (str(tmp_path / "none.otf"),))
    monkeypatch.delenv("OPENIDV_OCRB_FONT", raising=False)
    with pytest.raises(synthetic.FontUnavailable, match="fonts-ocr-b"):
        synthetic.make_document("TD3")
