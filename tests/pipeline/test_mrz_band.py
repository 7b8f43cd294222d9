"""The morphological MRZ locator (mrz_band): it finds the zone on a dark, soft photo of a
small document, where the text detector outlines nothing but the page."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from openidv.pipeline.document import geometry, mrz_band, mrz_zone
from tests.support import synthetic


def _dark_small_passport() -> tuple[np.ndarray, np.ndarray]:
    """A TD3 page filling a third of a dim, slightly defocused photo (a phone in a dark
    room), and the page's corners in it (TL, TR, BR, BL)."""
    img, truth = synthetic.make_document("TD3", degradation=synthetic.Degradation(rotation_deg=-10, scale=0.6), seed=3)
    h, w = img.shape[:2]
    top, left = h // 2, int(w * 0.3)
    canvas = np.full((int(h * 1.8), int(w * 1.6), 3), 60, np.uint8)
    canvas[top:top + h, left:left + w] = img
    dim = cv2.GaussianBlur(canvas.astype(np.float32), (0, 0), 1.2) * 0.25
    _, jpeg = cv2.imencode(".jpg", np.clip(dim, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR), np.array(truth.page_quad) + [left, top]


def test_band_blocks_find_a_zone_at_any_angle():
    page = np.full((400, 600), 235, np.uint8)
    for i in range(2):  # two rows of 44 dark "characters", 8 px tall, 10 px pitch
        for j in range(44):
            cv2.rectangle(page, (60 + 10 * j, 300 + 14 * i), (66 + 10 * j, 308 + 14 * i), 30, -1)
    turned = cv2.warpAffine(page, cv2.getRotationMatrix2D((300, 200), 20, 1.0), (600, 400), borderValue=235)
    blocks = mrz_band.find_blocks(cv2.cvtColor(turned, cv2.COLOR_GRAY2BGR))
    assert blocks, "no block found"
    best = blocks[0]
    assert best.lines == 2
    assert abs(best.angle - (-20)) < 3  # OpenCV turns counter-clockwise on screen
    assert 420 < best.length < 470


@pytest.mark.slow
def test_zone_missed_by_the_text_detector_is_found_by_morphology(ocr_engines, ocr_b_font):
    image, page_quad = _dark_small_passport()
    page = geometry.read_page(ocr_engines, image)
    assert mrz_zone._locate_by_text(ocr_engines, page) is None  # the case this locator is for
    location = mrz_zone.locate_mrz(ocr_engines, image, page)
    assert location is not None and len(location.lines) == 2
    # Both lines lie across the bottom of the page, where a TD3 zone is printed: their
    # centres, in the photo, sit 80–97 % of the way down the page and span most of its width.
    to_photo = np.linalg.inv(location.zone_work.matrix)
    tl, tr, _, bl = page_quad
    down, across = bl - tl, tr - tl
    for line in location.lines:
        ends = geometry._apply(to_photo, line.geom.quad)
        centre = ends.mean(axis=0)
        assert 0.8 < float((centre - tl) @ down) / float(down @ down) < 0.97
        assert float((ends[1] - ends[0]) @ across) / float(across @ across) > 0.75


def test_one_line_zone_is_completed_by_the_lines_shaped_like_it(monkeypatch):
    """A names line whose filler run the recogniser read as C/E (no '<' left) still joins
    the number line below it: same length and angle, one line pitch above."""
    def quad(y: float, x0: float = 40, x1: float = 1240, h: float = 40) -> np.ndarray:
        return np.array([[x0, y], [x1, y], [x1, y + h], [x0, y + h]], dtype=np.float32)

    names, number, caption = (geometry.line_geometry(quad(60)), geometry.line_geometry(quad(130)),
                              geometry.line_geometry(quad(-40, 40, 400)))
    band = geometry.WorkImage(np.full((240, 1280, 3), 200, np.uint8), np.eye(3))
    monkeypatch.setattr(mrz_zone.ocr, "recognize_lines",
                        lambda engines, crops: [("PCKORKINKCJINDHAEUNCCCCCECCCCCCCSCCCCCECCCCE", 0.6)] * len(crops))
    anchor = mrz_zone.MrzLine(number, "AA89664515K081105289M2502117NV551007RL0<<<00", 0.9)
    assert mrz_zone.mrz_text_score("PCKORKINKCJINDHAEUNCCCCCECCCCCCCSCCCCCECCCCE") == 0
    zone = mrz_zone._complete_by_shape(None, band, [caption, names, number], anchor)
    assert [ln.geom for ln in zone] == [names, number]
