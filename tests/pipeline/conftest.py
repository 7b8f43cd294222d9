"""Fixtures of the pipeline tests: OCR engines loaded once per session, the OCR-B font, a
portrait face."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def ocr_engines(engines):
    """The session's engines with RapidOCR and Tesseract's MRZ model loaded."""
    from openidv.pipeline.engines import ModelUnavailable

    try:
        engines.rapidocr()
        engines.tesseract_mrz.ensure_one()
    except (ImportError, ModelUnavailable) as exc:
        pytest.skip(f"OCR engines unavailable: {exc}")
    return engines


@pytest.fixture(scope="session")
def ocr_b_font():
    """The OCR-B font path; tests that draw documents skip without fonts-ocr-b."""
    from tests.support import synthetic

    try:
        return synthetic.ocr_b_font_path()
    except synthetic.FontUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def portrait_face(test_data_dir: Path) -> np.ndarray:
    """A real face photo from the shared data, pasted as the document portrait."""
    image = cv2.imread(str(test_data_dir / "faces" / "deepface" / "img1.jpg"))
    if image is None:
        pytest.skip("shared face photo deepface/img1.jpg not readable")
    return image
