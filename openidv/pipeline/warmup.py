"""Loading every model of the pipeline ahead of the first job (a worker calls this once)."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("openidv.pipeline")


def load_all_models() -> float:
    """Load OCR, MRZ and face models into this process; returns the seconds it took."""
    from openidv.pipeline import ocr
    from openidv.pipeline.face import load_models

    started = time.perf_counter()
    ocr.rapidocr_engine()
    ocr.tesseract_mrz_api()
    load_models()
    return time.perf_counter() - started


def load_all_models_in_background() -> threading.Thread:
    """Start loading without delaying readiness; a job arriving first simply waits on the
    models' own locks."""

    def run() -> None:
        try:
            log.info("models loaded", extra={"seconds": round(load_all_models(), 2)})
        except Exception:  # noqa: BLE001 - the first job will raise the real error
            log.exception("loading models failed")

    thread = threading.Thread(target=run, name="openidv-model-warmup", daemon=True)
    thread.start()
    return thread
