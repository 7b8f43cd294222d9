"""Text primitives on top of the engines: RapidOCR's line detector and recogniser, and
Tesseract's MRZ-only model for single MRZ lines (the second, independent reading)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from openidv.pipeline.engines import Engines
from openidv.pipeline.mrz import ALPHABET as MRZ_ALPHABET


@dataclass(frozen=True)
class DetectedLine:
    """A text line found by the detector: its 4 corner points (x, y), clockwise from top-left."""

    quad: np.ndarray  # float32 (4, 2) in the coordinates of the image given to the detector
    score: float


def detect_text_lines(engines: Engines, image: np.ndarray) -> list[DetectedLine]:
    """Text-line quadrilaterals in a BGR image (RapidOCR's DB detector)."""
    out = engines.rapidocr()._load_det_model()(image)
    if out.boxes is None:
        return []
    scores = out.scores if out.scores is not None else [1.0] * len(out.boxes)
    return [DetectedLine(np.asarray(b, dtype=np.float32), float(s)) for b, s in zip(out.boxes, scores)]


def recognize_lines(engines: Engines, crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognise the text of straightened single-line BGR crops with RapidOCR: (text, score)."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    out = engines.rapidocr()._load_rec_model()(TextRecInput(img=list(crops)))
    txts = out.txts or ("",) * len(crops)
    scores = out.scores or (0.0,) * len(crops)
    return [(str(t), float(s)) for t, s in zip(txts, scores)]


def tesseract_read_line(engines: Engines, crop: np.ndarray) -> tuple[str, float]:
    """Read one straightened MRZ line crop (BGR or grey) with Tesseract: (text, mean confidence 0..1)."""
    grey = crop if crop.ndim == 2 else np.ascontiguousarray(crop[:, :, ::-1])
    pil = Image.fromarray(grey)
    with engines.tesseract_mrz.borrow() as api:
        api.SetImage(pil)
        text = api.GetUTF8Text()
        conf = api.MeanTextConf()
    cleaned = "".join(ch for ch in text.upper() if ch in MRZ_ALPHABET)
    return cleaned, max(0.0, conf) / 100.0
