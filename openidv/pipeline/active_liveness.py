"""Active liveness for the hosted flow: did a real, three-dimensional face come closer to the
camera as asked, and is it the face of the selfie?

A head has depth: the nose is some 8 cm nearer the camera than the cheek contour. When a
real face comes closer, its near parts grow faster than its outline (perspective), so the
eyes, mouth and nose spread out more than the face's width grows. A photo or a screen is
flat: moved closer, tilted or waved, all of its points grow together (a homography), and
the face on it keeps its proportions. The check measures that difference with the face
mesh (``landmarks.py``) between the farthest frame and the nearer ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Optional, Sequence

import numpy as np

from openidv.core.vocab import FaceCode, Liveness
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import (
    DLIB_OTHER_PERSON_MIN_DISTANCE, DLIB_SAME_PERSON_MAX_DISTANCE, DetectedFace, detect_faces, embed_face,
    embedding_distance,
)
from openidv.pipeline.landmarks import FaceLandmarks, face_landmarks, landmarks_box
from openidv.pipeline.results import FaceResult
from openidv.pipeline.selfie import match_code

MIN_FRAMES = 2
MAX_FRAMES = 8
# The frames are stored as files of the verification under these step names, in order.
FRAME_STEP_PREFIX = "FACE_CHALLENGE_"
FRAME_MAX_SIDE = 640  # frames are sent at 480 px; larger ones are scaled down first
MIN_PRESENCE = 0.5  # the mesh model's own face-presence probability
MIN_FACE_WIDTH_PX = 50  # cheek to cheek, in the farthest frame

# Mesh points: the outer cheek contour (deepest visible points, ≈8 cm behind the nose tip)
# and the eye corners, eyelids and mouth (≈2–3 cm behind it).
CHEEK_CONTOUR = (234, 127, 93, 132, 454, 356, 323, 361)
EYES_AND_MOUTH = (33, 133, 362, 263, 159, 145, 386, 374, 61, 291, 0, 17, 13, 14)
# The whole face outline and the nose (a second, partly independent view of the same cue).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
NOSE = (1, 2, 4, 5, 6, 19, 94, 195, 197, 98, 327, 168, 45, 275, 129, 358, 64, 294)

# --------------------------------------------------------------------------------------
# Thresholds. "Depth gain" = how much faster the inner features grew than the outline, per
# unit of approach: (growth of inner / growth of outline − 1) / (face width ratio − 1),
# fitted over every nearer frame. Flat bounds are above what flat pictures gave here:
# 308 stills from shared/data/faces rendered far and 1.25–1.8× nearer as a print would be
# (tilted up to ±25° about both axes, rotated up to ±12°, a quarter of them bent like a
# curled page), JPEG q80 (benchmarks/active_liveness.py). See docs/liveness.md.
# --------------------------------------------------------------------------------------
# The face must grow at least this much between the farthest and the nearest frame, else
# the person did not come closer (INCONCLUSIVE: the depth effect would be too small to see).
MIN_APPROACH = 1.2
# A FAILED (flat) verdict needs a clear approach, where a real face's effect is well above
# the measurement noise.
MIN_APPROACH_TO_FAIL = 1.3
EYES_MOUTH_GAIN_FLAT = 0.035
NOSE_GAIN_FLAT = 0.030
EYES_MOUTH_GAIN_PASS = 0.055
NOSE_GAIN_PASS = 0.040


class Challenge(StrEnum):
    """What the person is asked to do in front of the camera."""

    MOVE_CLOSER = "MOVE_CLOSER"


class ActiveOutcome(StrEnum):
    PASSED = "PASSED"  # a 3-D face came closer, the same face throughout and as on the selfie
    FAILED = "FAILED"  # confidently not: a flat picture moved, or another face
    INCONCLUSIVE = "INCONCLUSIVE"  # could not tell: a person looks
    NOT_PERFORMED = "NOT_PERFORMED"  # the partner allows selfies without the challenge, and this one had none


@dataclass(frozen=True)
class ActiveLivenessResult:
    challenge: str
    outcome: ActiveOutcome
    why: str  # a short code: DEPTH_SEEN, FLAT_IMAGE, NOT_CLOSER, FACE_CHANGED, ...
    detail: str  # one sentence for a reviewer
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Frame:
    index: int
    mesh: FaceLandmarks
    detected: Optional[DetectedFace]
    image: np.ndarray


def frame_step(number: int) -> str:
    """The stored step name of challenge frame ``number`` (1-based)."""
    return f"{FRAME_STEP_PREFIX}{number}"


def frame_steps_in_order(steps: Sequence[str]) -> list[str]:
    """The challenge-frame steps among ``steps``, in capture order."""
    found = [s for s in steps if s.startswith(FRAME_STEP_PREFIX) and s[len(FRAME_STEP_PREFIX):].isdigit()]
    return sorted(found, key=lambda s: int(s[len(FRAME_STEP_PREFIX):]))


def _result(outcome: ActiveOutcome, why: str, detail: str, scores: dict[str, float]) -> ActiveLivenessResult:
    return ActiveLivenessResult(Challenge.MOVE_CLOSER, outcome, why, detail,
                                {k: round(float(v), 4) for k, v in scores.items()})


def _scaled(frame: np.ndarray) -> np.ndarray:
    import cv2

    side = max(frame.shape[:2])
    if side <= FRAME_MAX_SIDE:
        return frame
    factor = FRAME_MAX_SIDE / side
    return cv2.resize(frame, (round(frame.shape[1] * factor), round(frame.shape[0] * factor)),
                      interpolation=cv2.INTER_AREA)


def _track_faces(engines: Engines, frames: Sequence[np.ndarray]) -> list[_Frame]:
    """The main face's mesh in each frame where the model sees one: found by the detector, or
    followed from the previous frame's mesh when the detector loses it (too close, cut off)."""
    tracked: list[_Frame] = []
    previous: Optional[FaceLandmarks] = None
    for index, frame in enumerate(frames):
        image = _scaled(frame)
        faces = detect_faces(engines, image)
        main = faces[0] if faces else None
        box = main.box if main is not None else landmarks_box(previous)
        if box is None:
            continue
        mesh = face_landmarks(engines, image, box)
        if mesh.presence < MIN_PRESENCE:
            continue
        tracked.append(_Frame(index, mesh, main, image))
        previous = mesh
    return tracked


def _spread(points: np.ndarray) -> float:
    centred = points - points.mean(axis=0)
    return float(np.sqrt((centred ** 2).sum()))


def _growth(far: FaceLandmarks, near: FaceLandmarks, group: Sequence[int]) -> float:
    return _spread(near.xy[list(group)]) / _spread(far.xy[list(group)])


def depth_gains(far: FaceLandmarks, nearer: Sequence[FaceLandmarks]) -> tuple[float, float, float]:
    """(approach, eyes-and-mouth gain, nose gain) of the nearer frames against the farthest.

    Each gain is the least-squares slope, through the origin, of (inner growth / outline
    growth − 1) against (face width ratio − 1) over the nearer frames: 0 for a flat picture,
    positive for a real face. Approach is the largest width ratio.
    """
    steps, eyes_mouth, nose = [], [], []
    for near in nearer:
        steps.append(near.width / far.width - 1.0)
        eyes_mouth.append(_growth(far, near, EYES_AND_MOUTH) / _growth(far, near, CHEEK_CONTOUR) - 1.0)
        nose.append(_growth(far, near, NOSE) / _growth(far, near, FACE_OVAL) - 1.0)
    x = np.array(steps)
    denominator = float((x * x).sum()) or 1e-9
    return (1.0 + float(x.max()), float((x * np.array(eyes_mouth)).sum()) / denominator,
            float((x * np.array(nose)).sum()) / denominator)


def _identity(engines: Engines, frames: Sequence[_Frame], selfie_embedding: Optional[np.ndarray]) -> Optional[float]:
    """The largest embedding distance between the frames' faces and the selfie's (or, with no
    selfie, between the first frame's face and the others); None when no frame face was
    detected well enough to embed."""
    embeddings = [embed_face(engines, f.image, f.detected.box) for f in frames if f.detected is not None]
    if not embeddings:
        return None
    reference = selfie_embedding if selfie_embedding is not None else embeddings[0]
    return max(embedding_distance(reference, e) for e in embeddings)


def _verdict(approach: float, eyes_mouth: float, nose: float, scores: dict[str, float]) -> ActiveLivenessResult:
    if approach < MIN_APPROACH:
        return _result(ActiveOutcome.INCONCLUSIVE, "NOT_CLOSER",
                       f"the face grew only {approach:.2f}× (at least {MIN_APPROACH}× needed)", scores)
    if eyes_mouth >= EYES_MOUTH_GAIN_PASS and nose >= NOSE_GAIN_PASS:
        return _result(ActiveOutcome.PASSED, "DEPTH_SEEN",
                       f"the face came {approach:.2f}× closer with the perspective of a real head", scores)
    if approach >= MIN_APPROACH_TO_FAIL and eyes_mouth < EYES_MOUTH_GAIN_FLAT and nose < NOSE_GAIN_FLAT:
        return _result(ActiveOutcome.FAILED, "FLAT_IMAGE",
                       f"the face came {approach:.2f}× closer but kept its proportions, as a photo or screen does",
                       scores)
    return _result(ActiveOutcome.INCONCLUSIVE, "DEPTH_UNCLEAR",
                   f"the face came {approach:.2f}× closer; its depth effect is too weak to decide", scores)


def check_move_closer(
    engines: Engines, frames: Sequence[np.ndarray], selfie_embedding: Optional[np.ndarray] = None
) -> ActiveLivenessResult:
    """The "move closer" challenge on frames in capture order (the first ones far, the last
    ones near), against the selfie's face embedding when there is one."""
    scores: dict[str, float] = {"frames": float(len(frames))}
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        return _result(ActiveOutcome.INCONCLUSIVE, "FRAME_COUNT",
                       f"{len(frames)} challenge frames ({MIN_FRAMES}–{MAX_FRAMES} expected)", scores)
    tracked = _track_faces(engines, frames)
    scores["frames_with_face"] = float(len(tracked))
    if len(tracked) < MIN_FRAMES:
        return _result(ActiveOutcome.INCONCLUSIVE, "FACE_NOT_FOUND",
                       f"a face was found in {len(tracked)} of {len(frames)} challenge frames", scores)
    far_at = min(range(len(tracked)), key=lambda i: tracked[i].mesh.width)
    far = tracked[far_at]
    nearer = [f.mesh for f in tracked[far_at + 1:]]
    scores["far_face_width"] = far.mesh.width
    if far.mesh.width < MIN_FACE_WIDTH_PX or not nearer:
        return _result(ActiveOutcome.INCONCLUSIVE, "NOT_CLOSER" if not nearer else "FACE_TOO_SMALL",
                       "no frame after the farthest one" if not nearer
                       else f"the face is {far.mesh.width:.0f} px wide in the farthest frame", scores)
    distance = _identity(engines, tracked, selfie_embedding)
    if distance is not None:
        scores["identity_distance"] = distance
        if distance >= DLIB_OTHER_PERSON_MIN_DISTANCE:
            return _result(ActiveOutcome.FAILED, "FACE_CHANGED",
                           "a different face appears in the challenge frames than on the selfie", scores)
    approach, eyes_mouth, nose = depth_gains(far.mesh, nearer)
    scores.update(approach=approach, depth_gain_eyes_mouth=eyes_mouth, depth_gain_nose=nose)
    verdict = _verdict(approach, eyes_mouth, nose, scores)
    if verdict.outcome == ActiveOutcome.PASSED and (distance is None or distance > DLIB_SAME_PERSON_MAX_DISTANCE):
        return _result(ActiveOutcome.INCONCLUSIVE, "FACE_UNCLEAR",
                       "the challenge frames' face could not be matched to the selfie with confidence", scores)
    return verdict


def check_challenge(
    engines: Engines, challenge: str, frames: Sequence[np.ndarray], selfie_embedding: Optional[np.ndarray] = None
) -> ActiveLivenessResult:
    """Run the challenge that was asked for (only MOVE_CLOSER exists)."""
    if challenge != Challenge.MOVE_CLOSER:
        return ActiveLivenessResult(str(challenge), ActiveOutcome.INCONCLUSIVE, "UNKNOWN_CHALLENGE",
                                    f"no check for challenge {challenge!r}")
    return check_move_closer(engines, frames, selfie_embedding)


def missing_challenge() -> ActiveLivenessResult:
    """A hosted-flow selfie that came without its challenge frames: never skipped silently."""
    return ActiveLivenessResult(Challenge.MOVE_CLOSER, ActiveOutcome.INCONCLUSIVE, "NO_FRAMES",
                                "the selfie came without the challenge frames")


def challenge_not_performed() -> ActiveLivenessResult:
    """A selfie uploaded where the partner allows that: the passive check alone decides."""
    return ActiveLivenessResult(Challenge.MOVE_CLOSER, ActiveOutcome.NOT_PERFORMED, "NOT_PERFORMED",
                                "the selfie was uploaded (the partner allows selfies without the challenge)")


# Face codes the active check leaves alone: the selfie was unusable, the faces differ, or
# there was no portrait to compare with.
_STANDING_CODES = frozenset({FaceCode.NO_FACE_FOUND, FaceCode.TOO_MANY_FACES, FaceCode.FACE_TOO_BLURRY,
                             FaceCode.FACE_MISMATCH, FaceCode.AUTO_UNVERIFIABLE, FaceCode.FACE_NOT_ANALYSED,
                             FaceCode.FACE_ERROR})


# Standing codes where the selfie's face was usable: a failed challenge still marks it fake.
_COMPARED_CODES = frozenset({FaceCode.FACE_MISMATCH, FaceCode.AUTO_UNVERIFIABLE})


def apply_to_face(face: FaceResult, active: Optional[ActiveLivenessResult]) -> FaceResult:
    """The face result once the active check is known.

    FAILED → FAKE_FACE (denied). INCONCLUSIVE → a match becomes FACE_UNCERTAIN (a person
    looks). PASSED → the passive model's doubt (FACE_UNCERTAIN on a face that matches by
    distance) is overruled to FACE_MATCH; a passive FAKE_FACE against a passed challenge is
    a disagreement and goes to a person (FACE_UNCERTAIN). Codes that do not depend on
    liveness (mismatch, no face, no portrait...) stand; after a failed challenge a usable
    selfie face is still marked fake (the FAKE_PHOTO tag). NOT_PERFORMED changes nothing.
    """
    if active is None or active.outcome == ActiveOutcome.NOT_PERFORMED:
        return face
    if face.result in _STANDING_CODES:
        if active.outcome == ActiveOutcome.FAILED and face.result in _COMPARED_CODES:
            return replace(face, liveness=Liveness.FAKE_FACE)  # still denied as it was, tagged FAKE_PHOTO
        return face
    if active.outcome == ActiveOutcome.FAILED:
        return replace(face, result=FaceCode.FAKE_FACE, liveness=Liveness.FAKE_FACE)
    if active.outcome == ActiveOutcome.INCONCLUSIVE:
        if face.result == FaceCode.FACE_MATCH:
            return replace(face, result=FaceCode.FACE_UNCERTAIN, liveness=Liveness.FACE_UNCERTAIN)
        return face
    by_distance = match_code(face.distance) if face.distance is not None else face.result
    if face.liveness == Liveness.FAKE_FACE:
        result = FaceCode.FACE_MISMATCH if by_distance == FaceCode.FACE_MISMATCH else FaceCode.FACE_UNCERTAIN
        return replace(face, result=result, liveness=Liveness.FACE_UNCERTAIN)
    return replace(face, result=by_distance, liveness=Liveness.LIVE)
