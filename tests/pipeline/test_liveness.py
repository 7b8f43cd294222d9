"""Presentation-attack detection: the packaged model, held-out-subject accuracy, real photos."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from openidv.pipeline import liveness
from openidv.pipeline.engines import LIVENESS_MODEL_RESOURCE
from openidv.pipeline.face import detect_faces
from openidv.pipeline.images import read_image_file

REPO = Path(__file__).resolve().parents[2]


def _training_module():
    """benchmarks/train_liveness.py, imported by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("train_liveness", REPO / "benchmarks" / "train_liveness.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def model(engines) -> liveness.LivenessModel:
    return engines.liveness_model()


@pytest.fixture(scope="session")
def train_liveness():
    return _training_module()


@pytest.fixture(scope="session")
def spoof_features(test_data_dir: Path, train_liveness):
    """Features of all 240 spoof-set samples, computed once (≈10 s)."""
    return train_liveness.load_spoof_set(test_data_dir)


def test_packaged_model_is_small_and_loads_once(engines, model) -> None:
    path = resources.files("openidv.pipeline") / "models" / LIVENESS_MODEL_RESOURCE
    assert len(path.read_bytes()) < 16_000
    assert engines.liveness_model() is model
    assert model.fake_below <= model.live_from


def test_features_are_finite_and_fixed_length(model) -> None:
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (96, 96, 3), dtype=np.uint8), np.full((96, 96, 3), 128, np.uint8)]
    vectors = [liveness.liveness_features(c) for c in crops]
    assert all(v.shape == vectors[0].shape and np.isfinite(v).all() for v in vectors)
    assert vectors[0].shape == model.coef.shape


def test_low_scores_are_uncertain_never_fake(model) -> None:
    """No operating point refuses no live face of another capture set-up: a low passive score
    sends the selfie to review, it does not accuse the user."""
    assert model.decide(1.0) == "LIVE"
    assert model.decide(model.live_from) == "LIVE"
    assert model.decide(model.live_from - 1e-6) == "FACE_UNCERTAIN"
    assert model.decide((model.fake_below + model.live_from) / 2) == "FACE_UNCERTAIN"
    assert model.decide(0.0) == "FACE_UNCERTAIN"


def test_held_out_subjects_are_classified_above_floor(spoof_features, train_liveness) -> None:
    """Leave-one-subject-out with the training recipe: the test subject is never seen."""
    x, y, subjects, _ = spoof_features
    l2 = json.loads((resources.files("openidv.pipeline") / "models" / LIVENESS_MODEL_RESOURCE).read_text())["l2"]
    scores, _ = train_liveness.leave_subjects_out_scores(x, y, subjects, l2=l2)
    rates = train_liveness.rates(scores, y, 0.5, 0.5)
    accuracy = float(((scores >= 0.5) == (y == 1)).mean())
    assert accuracy >= 0.88, rates
    assert rates["APCER"] <= 0.10 and rates["BPCER"] <= 0.12, rates


def check_photo(engines, image: np.ndarray) -> liveness.LivenessResult:  # noqa: ANN001
    """Liveness of the largest face, or of the whole image taken as a face crop."""
    faces = detect_faces(engines, image)
    return liveness.check_liveness(engines.liveness_model(), image, faces[0].box if faces else None)


def test_print_attack_crops_are_rarely_live(engines, test_data_dir: Path, spoof_manifest: dict) -> None:
    attacks = [i for i in spoof_manifest["items"] if i["label"] == "spoof"][::4]
    verdicts = [check_photo(engines, read_image_file(str(test_data_dir / "spoof" / i["file"]))).result
                for i in attacks]
    assert verdicts.count("LIVE") <= 0.1 * len(verdicts), verdicts


def test_live_full_photos_are_not_fake(engines, test_data_dir: Path, faces_manifest: dict) -> None:
    """Production selfies are full photos: the model must crop to the face and accept them."""
    items = faces_manifest["items"][::5]
    results = []
    for item in items:
        with Image.open(test_data_dir / "faces" / item["file"]) as im:
            bgr = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(im).convert("RGB"))[:, :, ::-1])
        results.append(check_photo(engines, bgr))
    codes = [r.result for r in results]
    assert codes.count("LIVE") >= 0.85 * len(codes), codes
    assert all(0.0 <= r.score <= 1.0 for r in results)


def test_a_live_photo_the_model_scores_as_an_attack_is_uncertain_not_fake(engines, test_data_dir: Path) -> None:
    """A film still of a live actor scores ≈0.01: the user goes to review with the score shown."""
    with Image.open(test_data_dir / "faces" / "face_recognition" / "kit_harington" / "johnsnow_test1.jpg") as im:
        bgr = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(im).convert("RGB"))[:, :, ::-1])
    result = check_photo(engines, bgr)
    assert result.score < 0.1
    assert result.result == "FACE_UNCERTAIN"
    assert result.live_from == engines.liveness_model().live_from


@pytest.mark.slow
def test_training_script_reproduces_packaged_model(test_data_dir: Path, train_liveness, tmp_path: Path) -> None:
    out = tmp_path / "liveness.json"
    train_liveness.main(["--data", str(test_data_dir), "--out", str(out)])
    packaged = (resources.files("openidv.pipeline") / "models" / LIVENESS_MODEL_RESOURCE).read_bytes()
    assert out.read_bytes() == packaged
