"""The score guide agrees with the thresholds the pipeline decides with."""

from __future__ import annotations

import pytest

from openidv.core.vocab import FaceCode
from openidv.pipeline.document.quality import PORTRAIT_GLARE_MAX_FRACTION, SHARPNESS_MIN
from openidv.pipeline.engines import Engines
from openidv.pipeline.score_guide import read_score, score_guides
from openidv.pipeline.selfie import distance_to_similarity, match_code


@pytest.mark.parametrize("distance", [0.30, 0.52, 0.53, 0.585, 0.64, 0.66, 0.9])
def test_similarity_verdict_follows_the_face_thresholds(distance):
    level = read_score("similarity", distance_to_similarity(distance)).level
    expected = {FaceCode.FACE_MATCH: "ok", FaceCode.FACE_UNCERTAIN: "warn", FaceCode.FACE_MISMATCH: "bad"}
    assert level == expected[match_code(distance)]


def test_liveness_verdict_uses_the_packaged_model():
    model = Engines().liveness_model()
    assert read_score("liveness_score", model.live_from).level == "ok"
    assert read_score("liveness_score", (model.live_from + model.fake_below) / 2).level == "warn"
    assert read_score("liveness_score", model.fake_below - 0.01).level == "bad"


def test_quality_verdicts_and_plain_words():
    sharp = read_score("mrz_sharpness", 0.1349)
    assert (sharp.label, sharp.value, sharp.threshold, sharp.level) == ("MRZ sharpness", "0.135", "≥ 0.05", "ok")
    assert read_score("mrz_sharpness", SHARPNESS_MIN - 0.001).level == "bad"
    assert read_score("portrait_glare", PORTRAIT_GLARE_MAX_FRACTION + 0.01).verdict.startswith("glare hides")
    assert read_score("distance", 0.37).verdict == "the same person (duplicate)"
    assert read_score("unknown_score", 3).label == "unknown_score"  # shown as it is, never an error


def test_every_guide_explains_itself():
    for guide in score_guides().values():
        assert guide.label and guide.explanation, guide.key
