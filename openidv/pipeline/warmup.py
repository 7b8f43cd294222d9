"""Loading every model of the pipeline ahead of the first job (a worker calls this once)."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("openidv.pipeline")


def load_validation_models() -> float:
    """Load what /process photo validation uses (RapidOCR's text detector, the validation
    face detector); returns the seconds it took. Each dlib HOG detector takes ≈0.25 s to
    build, which the first request would otherwise pay."""
    from openidv.pipeline import ocr
    from openidv.pipeline.face import load_validation_detector

    started = time.perf_counter()
    ocr.rapidocr_engine()
    load_validation_detector()
    return time.perf_counter() - started


def load_all_models() -> float:
    """Load OCR, MRZ and face models into this process; returns the seconds it took."""
    from openidv.pipeline import ocr
    from openidv.pipeline.document import load_portrait_detector
    from openidv.pipeline.face import load_models

    started = time.perf_counter()
    load_validation_models()
    ocr.tesseract_mrz_api()
    load_models()
    load_portrait_detector()
    return time.perf_counter() - started


def load_all_models_in_background(load=load_all_models) -> threading.Thread:  # noqa: ANN001
    """Start loading without delaying readiness; a job (or request) arriving first simply
    waits on the models' own locks."""

    def run() -> None:
        try:
            log.info("models loaded", extra={"seconds": round(load(), 2)})
        except Exception:  # noqa: BLE001 - the first job will raise the real error
            log.exception("loading models failed")

    thread = threading.Thread(target=run, name="openidv-model-warmup", daemon=True)
    thread.start()
    return thread
