"""Start-up warm-up: every model a job or a photo validation uses is built before the first one."""

from __future__ import annotations

from openidv.pipeline import document, face, ocr, warmup


def test_load_all_models_builds_every_detector_a_job_uses(monkeypatch) -> None:
    # As in a fresh process (earlier tests may have built them on first use).
    monkeypatch.setattr(document, "_face_detector", None)
    monkeypatch.setattr(face, "_validation_detector_instance", None)
    warmup.load_all_models()
    assert ocr._rapid is not None and ocr._tess is not None
    assert face._models is not None
    # Each dlib HOG detector takes ≈0.25 s to build: the first job must not pay for them.
    assert document._face_detector is not None
    assert face._validation_detector_instance is not None


def test_the_api_process_loads_photo_validation_models_in_the_background(monkeypatch) -> None:
    monkeypatch.setattr(face, "_validation_detector_instance", None)
    thread = warmup.load_all_models_in_background(warmup.load_validation_models)
    thread.join(120)
    assert not thread.is_alive()
    assert ocr._rapid is not None and face._validation_detector_instance is not None
