"""The hosted flow's "move closer" check: real far/near phone captures, still photos moved
like a held-up print, identity across frames, and how the outcome changes the face result."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from benchmarks.moving_faces import Pose, approach_poses, bend, biometrics_server_pairs, flat_move
from openidv.core.vocab import FaceCode, Liveness
from openidv.pipeline import active_liveness as al
from openidv.pipeline.face import detect_faces, main_face_embedding
from openidv.pipeline.results import FaceResult


@pytest.fixture(scope="module")
def pairs(test_data_dir):  # noqa: ANN001, ANN201
    found = biometrics_server_pairs(test_data_dir)
    if not found:
        pytest.skip("extra/spoof/biometrics-server not in the test data")
    return found


def run_pair(engines, pair):  # noqa: ANN001, ANN201
    far, near = cv2.imread(str(pair.far)), cv2.imread(str(pair.near))
    return al.check_move_closer(engines, [far, near], main_face_embedding(engines, far))


@pytest.mark.slow
def test_real_captures_live_pass_and_attacks_do_not(engines, pairs):
    outcomes = {pair.name: (pair.live, run_pair(engines, pair).outcome) for pair in pairs}
    live = [o for is_live, o in outcomes.values() if is_live]
    attacks = {name: o for name, (is_live, o) in outcomes.items() if not is_live}
    # Measured: 14 of 16 live pairs pass, 2 inconclusive; no genuine user is failed.
    assert live.count(al.ActiveOutcome.FAILED) == 0
    assert live.count(al.ActiveOutcome.PASSED) >= 13
    # Measured: 18 of 28 attacks fail, 9 inconclusive, 1 passes (fake/test11, a washed-out
    # recapture whose medium could not be told): the known miss, documented in docs/liveness.md.
    passed = sorted(name for name, o in attacks.items() if o == al.ActiveOutcome.PASSED)
    assert passed in ([], ["biometrics-server/fake/test11"]), passed
    assert list(attacks.values()).count(al.ActiveOutcome.FAILED) >= 16


@pytest.fixture(scope="module")
def still(engines, test_data_dir):  # noqa: ANN001, ANN201
    photo = cv2.imread(str(test_data_dir / "faces" / "deepface" / "img1.jpg"))
    return photo, detect_faces(engines, photo)[0].box


@pytest.mark.parametrize("name,poses", [
    ("brought nearer", [Pose(120), Pose(150), Pose(190)]),
    ("nearer and shifted", [Pose(120, shift=(-60, 20)), Pose(160, shift=(10, -10)), Pose(200, shift=(50, 30))]),
    ("nearer and rolled", [Pose(120, roll=-8), Pose(160, roll=3), Pose(200, roll=12)]),
    ("waved: tilted about both axes", [Pose(120, 5, -10), Pose(160, -15, 10), Pose(200, 20, 25)]),
])
def test_a_still_photo_moved_in_2d_fails(engines, still, name, poses):
    photo, box = still
    frames = [flat_move(photo, box, pose) for pose in poses]
    result = al.check_move_closer(engines, frames, main_face_embedding(engines, frames[0]))
    assert result.outcome == al.ActiveOutcome.FAILED, (name, result)
    assert result.why == "FLAT_IMAGE"
    assert result.scores["approach"] > 1.5


def test_a_curled_print_does_not_pass(engines, still):
    photo, box = still
    rng = np.random.default_rng(3)
    frames = [bend(flat_move(photo, box, pose), 0.8) for pose in approach_poses(rng)]
    result = al.check_move_closer(engines, frames, main_face_embedding(engines, frames[0]))
    assert result.outcome != al.ActiveOutcome.PASSED, result


def test_a_still_photo_that_does_not_come_closer_is_inconclusive(engines, still):
    photo, box = still
    frames = [flat_move(photo, box, Pose(150, shift=(dx, 0))) for dx in (-20, 0, 20)]
    result = al.check_move_closer(engines, frames)
    assert (result.outcome, result.why) == (al.ActiveOutcome.INCONCLUSIVE, "NOT_CLOSER")


def test_a_live_approach_by_someone_else_than_the_selfie_fails(engines, pairs, test_data_dir):
    live = next(p for p in pairs if p.live)
    other = main_face_embedding(engines, cv2.imread(str(test_data_dir / "faces" / "deepface" / "img1.jpg")))
    result = al.check_move_closer(engines, [cv2.imread(str(live.far)), cv2.imread(str(live.near))], other)
    assert (result.outcome, result.why) == (al.ActiveOutcome.FAILED, "FACE_CHANGED")
    # ... while against its own selfie the same frames pass.
    assert run_pair(engines, live).outcome == al.ActiveOutcome.PASSED


def test_too_few_or_faceless_frames_are_inconclusive(engines):
    blank = np.full((640, 480, 3), 128, np.uint8)
    assert al.check_move_closer(engines, [blank]).why == "FRAME_COUNT"
    assert al.check_move_closer(engines, [blank] * (al.MAX_FRAMES + 1)).why == "FRAME_COUNT"
    assert al.check_move_closer(engines, [blank, blank]).why == "FACE_NOT_FOUND"
    assert al.check_challenge(engines, "TURN_AROUND", [blank, blank]).outcome == al.ActiveOutcome.INCONCLUSIVE


def test_frame_steps_keep_capture_order():
    steps = ["FACE", al.frame_step(10), "FRONT", al.frame_step(2), al.frame_step(1), "FACE_CHALLENGE_X"]
    assert al.frame_steps_in_order(steps) == ["FACE_CHALLENGE_1", "FACE_CHALLENGE_2", "FACE_CHALLENGE_10"]


# ---------------------------------------------------------------- the face result


def face(result: str, distance: float, liveness: str) -> FaceResult:
    return FaceResult(result=result, distance=distance, liveness=liveness, liveness_score=0.5)


def active(outcome: al.ActiveOutcome) -> al.ActiveLivenessResult:
    return al.ActiveLivenessResult(al.Challenge.MOVE_CLOSER, outcome, "TEST", "test")


@pytest.mark.parametrize("before,outcome,after", [
    # A failed challenge is a fake face, whatever the passive model said.
    (face(FaceCode.FACE_MATCH, 0.40, Liveness.LIVE), al.ActiveOutcome.FAILED, (FaceCode.FAKE_FACE, Liveness.FAKE_FACE)),
    # Inconclusive: a match is not let through automatically.
    (face(FaceCode.FACE_MATCH, 0.40, Liveness.LIVE), al.ActiveOutcome.INCONCLUSIVE,
     (FaceCode.FACE_UNCERTAIN, Liveness.FACE_UNCERTAIN)),
    # Passed: the passive model's doubt on a matching face is overruled...
    (face(FaceCode.FACE_UNCERTAIN, 0.40, Liveness.FACE_UNCERTAIN), al.ActiveOutcome.PASSED,
     (FaceCode.FACE_MATCH, Liveness.LIVE)),
    # ... but not the distance's own doubt,
    (face(FaceCode.FACE_UNCERTAIN, 0.58, Liveness.LIVE), al.ActiveOutcome.PASSED, (FaceCode.FACE_UNCERTAIN, Liveness.LIVE)),
    # and a passive FAKE_FACE against a passed challenge goes to a person.
    (face(FaceCode.FAKE_FACE, 0.40, Liveness.FAKE_FACE), al.ActiveOutcome.PASSED,
     (FaceCode.FACE_UNCERTAIN, Liveness.FACE_UNCERTAIN)),
    (face(FaceCode.FAKE_FACE, 0.80, Liveness.FAKE_FACE), al.ActiveOutcome.PASSED,
     (FaceCode.FACE_MISMATCH, Liveness.FACE_UNCERTAIN)),
    # Codes that do not depend on liveness stand.
    (face(FaceCode.FACE_MISMATCH, 0.80, Liveness.LIVE), al.ActiveOutcome.PASSED, (FaceCode.FACE_MISMATCH, Liveness.LIVE)),
    (face(FaceCode.FACE_MISMATCH, 0.80, Liveness.LIVE), al.ActiveOutcome.FAILED,
     (FaceCode.FACE_MISMATCH, Liveness.FAKE_FACE)),
    (face(FaceCode.NO_FACE_FOUND, None, None), al.ActiveOutcome.FAILED, (FaceCode.NO_FACE_FOUND, None)),
])
def test_the_outcome_changes_the_face_result(before, outcome, after):
    changed = al.apply_to_face(before, active(outcome))
    assert (changed.result, changed.liveness) == after
    assert replace(changed, result=before.result, liveness=before.liveness) == before


def test_no_challenge_leaves_the_face_result_alone():
    before = face(FaceCode.FACE_UNCERTAIN, 0.40, Liveness.FACE_UNCERTAIN)
    assert al.apply_to_face(before, None) is before
    assert al.missing_challenge().outcome == al.ActiveOutcome.INCONCLUSIVE


def test_a_challenge_not_performed_leaves_the_passive_result():
    # The partner allows uploaded selfies: the passive check decides, in both directions.
    for before in (face(FaceCode.FACE_MATCH, 0.40, Liveness.LIVE),
                   face(FaceCode.FACE_UNCERTAIN, 0.40, Liveness.FACE_UNCERTAIN)):
        assert al.apply_to_face(before, al.challenge_not_performed()) is before
    assert al.challenge_not_performed().outcome == al.ActiveOutcome.NOT_PERFORMED
