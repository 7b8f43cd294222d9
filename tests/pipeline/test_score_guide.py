"""The score guide agrees with the thresholds the pipeline decides with."""

from __future__ import annotations

import pytest

from openidv.core.vocab import FaceCode
from openidv.pipeline.document.quality import PORTRAIT_GLARE_MAX_FRACTION, SHARPNESS_MIN
from openidv.pipeline.engines import Engines
from openidv.pipeline.score_guide import read_score, read_scores, score_guides
from openidv.pipeline.selfie import distance_to_similarity, match_code

LEVEL_OF_CODE = {FaceCode.FACE_MATCH: "ok", FaceCode.FACE_UNCERTAIN: "warn", FaceCode.FACE_MISMATCH: "bad"}


@pytest.mark.parametrize("distance", [0.30, 0.48, 0.53, 0.585, 0.64, 0.66, 0.9])
def test_face_verdicts_follow_the_face_thresholds(distance):
    assert read_score("similarity", distance_to_similarity(distance)).level == LEVEL_OF_CODE[match_code(distance)]
    assert read_score("distance", distance, "face").level == LEVEL_OF_CODE[match_code(distance)]


def test_liveness_verdict_follows_the_packaged_model():
    model = Engines().liveness_model()
    level = {"LIVE": "ok", "FACE_UNCERTAIN": "warn", "FAKE_FACE": "bad"}
    for score in (0.0, model.fake_below - 0.01, (model.fake_below + model.live_from) / 2, model.live_from, 0.99):
        assert read_score("liveness_score", score).level == level[model.decide(score)], score


def test_one_key_two_meanings_and_recorded_thresholds():
    # "distance" of the face check is selfie vs portrait; of the duplicates check, another client.
    assert read_score("distance", 0.37, "face").verdict == "same person"
    assert read_score("distance", 0.37, "duplicates").verdict == "the same person (duplicate)"
    assert read_score("distance", 0.37, "duplicates").level == "bad"
    # The thresholds a check recorded win over today's constants, and are not listed as scores.
    recorded = {"distance": 0.55, "match_max_distance": 0.60, "mismatch_min_distance": 0.70}
    (reading,) = read_scores("face", recorded)
    assert reading.level == "ok" and reading.threshold.startswith("≤ 0.6 ")


def test_quality_verdicts_and_plain_words():
    sharp = read_score("mrz_sharpness", 0.1349)
    assert (sharp.label, sharp.value, sharp.threshold, sharp.level) == ("MRZ sharpness", "0.135", "≥ 0.05", "ok")
    assert read_score("mrz_sharpness", SHARPNESS_MIN - 0.001).level == "bad"
    assert read_score("portrait_glare", PORTRAIT_GLARE_MAX_FRACTION + 0.01).verdict.startswith("glare hides")
    assert read_score("unknown_score", 3).label == "unknown_score"  # shown as it is, never an error
    assert [r.key for r in read_scores("face", {"liveness": 0.7, "liveness_score": 0.7})] == ["liveness_score"]


def test_every_guide_explains_itself():
    for guide in score_guides().values():
        assert guide.label and guide.explanation, guide.key


@pytest.mark.parametrize("approach, eyes_mouth, nose", [
    (1.5, 0.08, 0.06), (1.5, 0.01, 0.01), (1.5, 0.045, 0.035), (1.1, 0.08, 0.06), (1.25, 0.01, 0.01),
])
def test_active_liveness_readings_follow_the_challenge_verdict(approach, eyes_mouth, nose):
    from openidv.pipeline.active_liveness import MIN_APPROACH_TO_FAIL, ActiveOutcome, _verdict

    outcome = _verdict(approach, eyes_mouth, nose, {}).outcome
    scores = {"approach": approach, "depth_gain_eyes_mouth": eyes_mouth, "depth_gain_nose": nose}
    levels = {r.key: r.level for r in read_scores("active_liveness", scores)}
    assert all(r.label != r.key for r in read_scores("active_liveness", scores))  # every score explained
    if outcome == ActiveOutcome.PASSED:
        assert set(levels.values()) == {"ok"}
    elif outcome == ActiveOutcome.FAILED:
        assert levels["approach"] == "ok" and levels["depth_gain_eyes_mouth"] == levels["depth_gain_nose"] == "bad"
    else:  # inconclusive: the readings never show a clear pass, nor a flat face from close enough
        assert set(levels.values()) != {"ok"}
        assert not (approach >= MIN_APPROACH_TO_FAIL and levels["depth_gain_nose"] == "bad"
                    and levels["depth_gain_eyes_mouth"] == "bad")
