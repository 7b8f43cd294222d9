"""Face policy: what a selfie's faces, their quality, liveness and the distance to the
document portrait mean for a verification (one face vocabulary code with its evidence).

The primitives (detect, embed, distance) are in ``face.py``; the portrait's face is found by
``document.portrait``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from openidv.core.vocab import FaceCode, Liveness
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import SECOND_FACE_MIN_WIDTH_RATIO, DetectedFace, detect_faces, embed_face
from openidv.pipeline.face_match import MATCH_MODEL, match_distance, match_embedding
from openidv.pipeline.liveness import LivenessResult, check_liveness
from openidv.pipeline.results import FaceResult, PortraitFace

# --------------------------------------------------------------------------------------
# Thresholds — the only place the face decision numbers live. Distances are cosine distances
# of SFace embeddings (face_match.py). Measured by `python benchmarks/faces.py match`
# (docs/benchmarks-faces.md): every pair of the 77 photos of shared/data/faces (19 people
# from two source repositories: deepface 13, face_recognition 6), as published and under 9
# capture conditions (250 px news-like photos with 48–160 px faces, JPEG q25–q75, blur σ
# 1.2/2 px) — 20 pair sets, selfie↔selfie and portrait↔selfie (the portrait printed 100 px
# wide on a synthetic TD1 card and found again).
# --------------------------------------------------------------------------------------
# At or below: FACE_MATCH. Chosen on the deepface source alone, the one with look-alike
# people: just under its closest different pair over all 20 sets (the look-alike actors
# img35/img30, 0.503 with a JPEG q25 selfie). Scored on the other source (face_recognition,
# closest different pair 0.68): no different pair accepted, 97 % of genuine pairs matched
# (dlib at its 0.49: 89–91 %). The rest go to a reviewer as FACE_UNCERTAIN: a false
# accept costs more than a review.
FACE_MATCH_MAX_DISTANCE = 0.50
# At or above: FACE_MISMATCH (→ DENIED) for a face that is not soft; between the two
# FACE_UNCERTAIN (→ a reviewer). Set with room above the farthest genuine pair with a sharp
# selfie in the 20 sets (0.639): denying a genuine user is the worst error, an impostor in the
# band (about 1 % of different pairs with sharp faces) only costs a review.
FACE_MISMATCH_MIN_DISTANCE = 0.68
# Similarity shown to reviewers: a logistic of the distance, 0.5 at the middle of the
# uncertain band; SCALE chosen so a typical same pair (0.29) reads ≈0.98 and a typical
# different pair (0.88) ≈0.03.
SIMILARITY_CENTER_DISTANCE = (FACE_MATCH_MAX_DISTANCE + FACE_MISMATCH_MIN_DISTANCE) / 2
SIMILARITY_SCALE = 0.08

# A selfie face is "soft" below either floor. Sharpness = variance of the Laplacian of the
# face resized to 128×128 grey (face.face_sharpness). dev: shared face photos min 63 (median
# 538); live NUAA webcam crops min 31; the 250 px news photos blurred σ 2 px give 6–31
# (median 12). A soft or small face is still compared: it spreads genuine distances upwards
# (up to 0.642 below sharpness 12) but does not bring different people closer (closest
# different pair 0.541 below sharpness 20, 0.503 above; 0.526–0.572 with faces under 80 px),
# so a soft face that passes FACE_MATCH_MAX_DISTANCE is a match; one that does not is
# FACE_TOO_BLURRY (review, retake), never FACE_MISMATCH.
FACE_MIN_SHARPNESS = 20.0
FACE_MIN_WIDTH_PX = 60  # below this a face is soft: too little detail to trust a non-match
# A second face counts as "clear" (→ TOO_MANY_FACES) when it is at least
# SECOND_FACE_MIN_WIDTH_RATIO of the main face's width and itself passes the sharpness floor
# above. Background people are smaller or out of focus (dev: no second face counts on any of
# the 77 shared photos); two people side by side in one selfie are ≈ 1.0.


@dataclass(frozen=True)
class FaceComparison:
    """Two faces compared: cosine distance of SFace embeddings, similarity 0..1, and a face code."""

    similarity: Optional[float]
    distance: Optional[float]
    result: str


def distance_to_similarity(distance: float) -> float:
    """Monotone map of embedding distance to 0..1: a logistic, 0.5 in the uncertain band's middle."""
    return 1.0 / (1.0 + math.exp((distance - SIMILARITY_CENTER_DISTANCE) / SIMILARITY_SCALE))


def match_code(distance: float) -> str:
    """FACE_MATCH / FACE_UNCERTAIN / FACE_MISMATCH for an embedding distance."""
    if distance <= FACE_MATCH_MAX_DISTANCE:
        return FaceCode.FACE_MATCH
    if distance >= FACE_MISMATCH_MIN_DISTANCE:
        return FaceCode.FACE_MISMATCH
    return FaceCode.FACE_UNCERTAIN


def compare_embeddings(a: Sequence[float], b: Sequence[float]) -> FaceComparison:
    """Two SFace embeddings compared under the thresholds above."""
    distance = match_distance(a, b)
    return FaceComparison(
        similarity=round(distance_to_similarity(distance), 4),
        distance=round(distance, 4),
        result=match_code(distance),
    )


def compare_faces(engines: Engines, a: np.ndarray, b: np.ndarray) -> FaceComparison:
    """Compare the largest faces of two BGR images (`openidv compare-faces A B`).

    A side without a face (or whose face SFace's landmark model cannot place) gives result
    NO_FACE_FOUND and no similarity.
    """
    emb_a, emb_b = _main_face_match_embedding(engines, a), _main_face_match_embedding(engines, b)
    if emb_a is None or emb_b is None:
        return FaceComparison(similarity=None, distance=None, result=FaceCode.NO_FACE_FOUND)
    return compare_embeddings(emb_a, emb_b)


def _main_face_match_embedding(engines: Engines, image: np.ndarray) -> Optional[np.ndarray]:
    faces = detect_faces(engines, image)
    return match_embedding(engines, image, faces[0].box) if faces else None


def _is_clear_second_face(main: DetectedFace, other: DetectedFace) -> bool:
    """A background face does not count unless it is nearly as large as the main one and sharp."""
    return (
        other.width >= SECOND_FACE_MIN_WIDTH_RATIO * main.width
        and other.sharpness >= FACE_MIN_SHARPNESS
    )


def selfie_face_problem(faces: Sequence[DetectedFace]) -> Optional[str]:
    """The face code that stops a selfie before any comparison, or None when its main face can
    be compared: NO_FACE_FOUND, or TOO_MANY_FACES (a second face nearly as large and sharp).
    A small or soft face is compared all the same (``is_soft_face``)."""
    if not faces:
        return FaceCode.NO_FACE_FOUND
    main = faces[0]
    if any(_is_clear_second_face(main, other) for other in faces[1:]):
        return FaceCode.TOO_MANY_FACES
    return None


def is_soft_face(main: DetectedFace) -> bool:
    """Too small or too blurred for a non-match to mean anything (FACE_TOO_BLURRY unless it matches)."""
    return main.width < FACE_MIN_WIDTH_PX or main.sharpness < FACE_MIN_SHARPNESS


@dataclass(frozen=True)
class SelfieAnalysis:
    """What the selfie alone says: its faces, the code that stops it (if any), whether the main
    face is soft, its embeddings (dlib for the duplicate index and the challenge frames, SFace
    for the match) and liveness (nothing here depends on the document)."""

    scores: dict[str, float]
    problem: Optional[str] = None  # NO_FACE_FOUND / TOO_MANY_FACES
    soft: bool = False
    embedding: Optional[np.ndarray] = None
    liveness: Optional[LivenessResult] = None
    match_embedding: Optional[np.ndarray] = None  # None: SFace's landmark model found no face


def analyse_selfie(engines: Engines, selfie: np.ndarray) -> SelfieAnalysis:
    """Detect the selfie's faces, check there is one face to compare, embed it, score liveness."""
    faces = detect_faces(engines, selfie)
    scores: dict[str, float] = {"selfie_faces": float(len(faces))}
    if faces:
        scores["selfie_face_width"] = float(faces[0].width)
        scores["selfie_sharpness"] = round(faces[0].sharpness, 2)
        scores["selfie_detect_score"] = round(faces[0].score, 3)
    problem = selfie_face_problem(faces)
    if problem is not None:
        return SelfieAnalysis(scores=scores, problem=problem)
    main = faces[0]
    liveness = check_liveness(engines.liveness_model(), selfie, main.box)
    scores["liveness_score"] = round(liveness.score, 4)
    return SelfieAnalysis(scores=scores, soft=is_soft_face(main), embedding=embed_face(engines, selfie, main.box),
                          liveness=liveness, match_embedding=match_embedding(engines, selfie, main.box))


def face_code(distance_code: str, liveness: str, soft: bool) -> str:
    """The face result from the comparison, the liveness verdict and the selfie's quality.

    The comparison comes first and a non-match stands whatever liveness says: an impostor is
    FACE_MISMATCH, not a presentation attack. Liveness only keeps a match from passing on its
    own (LIVE or the match becomes FACE_UNCERTAIN, a reviewer's call). A soft face that does
    not match is FACE_TOO_BLURRY (review, retake), never FACE_MISMATCH: soft genuine faces
    reach distances past the mismatch threshold.
    """
    if distance_code == FaceCode.FACE_MATCH:
        return FaceCode.FACE_MATCH if liveness == Liveness.LIVE else FaceCode.FACE_UNCERTAIN
    if soft:
        return FaceCode.FACE_TOO_BLURRY
    return distance_code


def _why(result: str, comparison: FaceComparison, selfie: SelfieAnalysis) -> tuple[str, ...]:
    """One line per rule that shaped the result, with its numbers, for the reviewer."""
    assert comparison.distance is not None and selfie.liveness is not None
    live_from = selfie.liveness.live_from
    band = (f"distance {comparison.distance:.3f}: FACE_MATCH ≤ {FACE_MATCH_MAX_DISTANCE}, "
            f"FACE_MISMATCH ≥ {FACE_MISMATCH_MIN_DISTANCE} → {comparison.result}")
    notes = [band, f"liveness score {selfie.liveness.score:.3f} (LIVE ≥ {live_from}) → {selfie.liveness.result}"]
    if result == FaceCode.FACE_UNCERTAIN and comparison.result == FaceCode.FACE_MATCH:
        notes.append("a match is not accepted automatically without a LIVE liveness score: review")
    if result == FaceCode.FACE_TOO_BLURRY:
        notes.append(f"selfie face soft or small (sharpness {selfie.scores.get('selfie_sharpness')} < "
                     f"{FACE_MIN_SHARPNESS} or width {selfie.scores.get('selfie_face_width')} < "
                     f"{FACE_MIN_WIDTH_PX} px) and not a match: review, retake")
    return tuple(notes)


def decide_face(selfie: SelfieAnalysis, portrait: Optional[PortraitFace]) -> FaceResult:
    """Selfie vs the document portrait → one face vocabulary code with its evidence.

    Order of checks: selfie face present → exactly one clear face → portrait on the document
    (else document_face_found=False, AUTO_UNVERIFIABLE; the decision maps it to
    DOC_FACE_NOT_FOUND) → distance thresholds → liveness and quality (``face_code``). The
    scores record every threshold applied, so a reviewer sees why.
    """
    scores = dict(selfie.scores)
    if selfie.problem is not None:
        return FaceResult(result=selfie.problem, method="dlib-hog", scores=scores)
    assert selfie.embedding is not None and selfie.liveness is not None
    liveness = selfie.liveness
    selfie_embedding = tuple(float(v) for v in selfie.embedding)
    scores.update(liveness_live_from=liveness.live_from, selfie_min_sharpness=FACE_MIN_SHARPNESS,
                  selfie_min_face_width=float(FACE_MIN_WIDTH_PX))
    if portrait is None or portrait.face is None or portrait.embedding is None:
        return FaceResult(
            result=FaceCode.AUTO_UNVERIFIABLE,
            liveness=liveness.result,
            liveness_score=liveness.score,
            document_face_found=False,
            selfie_embedding=selfie_embedding,
            method=f"dlib-hog+{MATCH_MODEL}",
            scores=scores,
        )
    scores["portrait_face_width"] = round(portrait.face.width_in_document_px, 1)
    method = f"dlib-hog+{MATCH_MODEL}; portrait via {portrait.face.method}"
    document_embedding = tuple(float(v) for v in portrait.embedding)
    if selfie.match_embedding is None or portrait.match_embedding is None:
        # Both detectors must place the face before SFace can compare it; without that the
        # comparison is missing, which a reviewer settles.
        missing = "selfie" if selfie.match_embedding is None else "document portrait"
        return FaceResult(result=FaceCode.FACE_UNCERTAIN, liveness=liveness.result, liveness_score=liveness.score,
                          document_face_found=True, selfie_embedding=selfie_embedding,
                          document_embedding=document_embedding, method=method, scores=scores,
                          notes=(f"the matching model found no face landmarks on the {missing}: "
                                 "the faces were not compared, review",))
    comparison = compare_embeddings(portrait.match_embedding, selfie.match_embedding)
    scores.update(distance=comparison.distance, match_max_distance=FACE_MATCH_MAX_DISTANCE,
                  mismatch_min_distance=FACE_MISMATCH_MIN_DISTANCE)
    result = face_code(comparison.result, liveness.result, selfie.soft)
    return FaceResult(
        result=result,
        similarity=comparison.similarity,
        distance=comparison.distance,
        liveness=liveness.result,
        liveness_score=liveness.score,
        document_face_found=True,
        selfie_embedding=selfie_embedding,
        document_embedding=document_embedding,
        method=method,
        scores=scores,
        notes=_why(result, comparison, selfie),
    )
