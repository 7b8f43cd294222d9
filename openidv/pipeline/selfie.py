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
from openidv.pipeline.face import (
    EMBEDDING_MODEL,
    SECOND_FACE_MIN_WIDTH_RATIO,
    DetectedFace,
    detect_faces,
    embed_face,
    embedding_distance,
    main_face_embedding,
)
from openidv.pipeline.liveness import LivenessResult, check_liveness
from openidv.pipeline.results import FaceResult, PortraitFace

# --------------------------------------------------------------------------------------
# Thresholds — the only place the face decision numbers live.
# Measured by `python benchmarks/faces.py` on shared/data/faces (77 photos, 19 people,
# 158 same + 158 different pairs) and on portraits made from them: the face 100 px wide on
# a synthetic TD1 card (tilt ±4°, blur 0.7, noise, JPEG q55), found again by the portrait
# search; see docs/benchmarks-faces.md. Distances (mirror-averaged embeddings):
#   selfie↔selfie   same 0.370 ± 0.071 (max 0.580)  different 0.873 ± 0.089 (min 0.533, next 0.680)
#   portrait↔selfie same 0.418 ± 0.070 (max 0.617)  different 0.874 ± 0.091 (min 0.587, next 0.673)
#   (portrait face 70 px: same max 0.624, different min 0.577)
# The one close different pair (0.533 as selfies) is two look-alike actors; all others ≥ 0.65.
# --------------------------------------------------------------------------------------
# At or below: FACE_MATCH. dev: selfie↔selfie TAR 96.8 % / FAR 0.0 %; portrait↔selfie
# TAR 88.6 % / FAR 0.0 % (simple card: 94.9 %). Set below the look-alike pair on purpose:
# a false accept is the costly error in KYC, an uncertain genuine pair only costs a review.
FACE_MATCH_MAX_DISTANCE = 0.52
# At or above: FACE_MISMATCH. Between the two: FACE_UNCERTAIN (goes to a reviewer).
# dev: no same-person pair at or above 0.65 (max 0.624, with 70 px portraits); the
# look-alike pair falls in the band.
FACE_MISMATCH_MIN_DISTANCE = 0.65
# Similarity shown to reviewers: a logistic of the distance, 0.5 at the middle of the
# uncertain band (0.585); SCALE chosen so a typical same pair (0.37) reads ≈0.97 and a
# typical different pair (0.87) ≈0.01.
SIMILARITY_CENTER_DISTANCE = (FACE_MATCH_MAX_DISTANCE + FACE_MISMATCH_MIN_DISTANCE) / 2
SIMILARITY_SCALE = 0.06

# Selfie face quality. Sharpness = variance of the Laplacian of the face resized to 128×128
# grey. dev: shared face photos min 62.6 (5th percentile 235); live NUAA webcam crops min 31
# (5th pct 45); the photos blurred with Gaussian σ = 2 px at that 128 px scale give 8–31
# (median 14), σ = 4 give ≤ 8.6. 20 refuses heavy blur and keeps every real capture seen.
FACE_MIN_SHARPNESS = 20.0
FACE_MIN_WIDTH_PX = 60  # below this a selfie face has too little detail to compare (dlib chip 150 px)
# A second face counts as "clear" (→ TOO_MANY_FACES) when it is at least
# SECOND_FACE_MIN_WIDTH_RATIO of the main face's width and itself passes the sharpness floor
# above. Background people are smaller or out of focus (dev: no second face counts on any of
# the 77 shared photos); two people side by side in one selfie are ≈ 1.0.


@dataclass(frozen=True)
class FaceComparison:
    """Two faces compared: Euclidean distance of embeddings, similarity 0..1, and a face code."""

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
    distance = embedding_distance(a, b)
    return FaceComparison(
        similarity=round(distance_to_similarity(distance), 4),
        distance=round(distance, 4),
        result=match_code(distance),
    )


def compare_faces(engines: Engines, a: np.ndarray, b: np.ndarray) -> FaceComparison:
    """Compare the largest faces of two BGR images (`openidv compare-faces A B`).

    A side without a face gives result NO_FACE_FOUND and no similarity.
    """
    emb_a, emb_b = main_face_embedding(engines, a), main_face_embedding(engines, b)
    if emb_a is None or emb_b is None:
        return FaceComparison(similarity=None, distance=None, result=FaceCode.NO_FACE_FOUND)
    return compare_embeddings(emb_a, emb_b)


def _is_clear_second_face(main: DetectedFace, other: DetectedFace) -> bool:
    """A background face does not count unless it is nearly as large as the main one and sharp."""
    return (
        other.width >= SECOND_FACE_MIN_WIDTH_RATIO * main.width
        and other.sharpness >= FACE_MIN_SHARPNESS
    )


def selfie_face_problem(faces: Sequence[DetectedFace]) -> Optional[str]:
    """The face code that stops a selfie before matching, or None when its main face is usable.

    faces: detect_faces output (largest first). NO_FACE_FOUND, TOO_MANY_FACES (a second face
    nearly as large and sharp), FACE_TOO_BLURRY (main face too small or too soft).
    """
    if not faces:
        return FaceCode.NO_FACE_FOUND
    main = faces[0]
    if any(_is_clear_second_face(main, other) for other in faces[1:]):
        return FaceCode.TOO_MANY_FACES
    if main.width < FACE_MIN_WIDTH_PX or main.sharpness < FACE_MIN_SHARPNESS:
        return FaceCode.FACE_TOO_BLURRY
    return None


@dataclass(frozen=True)
class SelfieAnalysis:
    """What the selfie alone says: its faces, the code that stops it (if any), the main face's
    embedding and liveness (nothing here depends on the document)."""

    scores: dict[str, float]
    problem: Optional[str] = None  # NO_FACE_FOUND / TOO_MANY_FACES / FACE_TOO_BLURRY
    embedding: Optional[np.ndarray] = None
    liveness: Optional[LivenessResult] = None


def analyse_selfie(engines: Engines, selfie: np.ndarray) -> SelfieAnalysis:
    """Detect the selfie's faces, check there is one usable face, embed it, check liveness."""
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
    return SelfieAnalysis(scores=scores, embedding=embed_face(engines, selfie, main.box), liveness=liveness)


def decide_face(selfie: SelfieAnalysis, portrait: Optional[PortraitFace]) -> FaceResult:
    """Selfie vs the document portrait → one face vocabulary code with its evidence.

    Order of checks: selfie face present → exactly one clear face → sharp and large enough →
    portrait on the document (else document_face_found=False, AUTO_UNVERIFIABLE; the decision
    maps it to DOC_FACE_NOT_FOUND) → liveness (FAKE_FACE; uncertain liveness caps a match at
    FACE_UNCERTAIN) → distance thresholds.
    """
    scores = dict(selfie.scores)
    if selfie.problem is not None:
        return FaceResult(result=selfie.problem, method="dlib-hog", scores=scores)
    assert selfie.embedding is not None and selfie.liveness is not None
    liveness = selfie.liveness
    selfie_embedding = tuple(float(v) for v in selfie.embedding)
    if portrait is None or portrait.face is None or portrait.embedding is None:
        return FaceResult(
            result=FaceCode.AUTO_UNVERIFIABLE,
            liveness=liveness.result,
            liveness_score=liveness.score,
            document_face_found=False,
            selfie_embedding=selfie_embedding,
            method=f"dlib-hog+{EMBEDDING_MODEL}",
            scores=scores,
        )
    scores["portrait_face_width"] = round(portrait.face.width_in_document_px, 1)
    comparison = compare_embeddings(portrait.embedding, selfie_embedding)
    result = comparison.result
    if liveness.result == Liveness.FAKE_FACE:
        result = FaceCode.FAKE_FACE
    elif liveness.result == Liveness.FACE_UNCERTAIN and result == FaceCode.FACE_MATCH:
        # An unsure liveness check must not let a match through automatically.
        result = FaceCode.FACE_UNCERTAIN
    return FaceResult(
        result=result,
        similarity=comparison.similarity,
        distance=comparison.distance,
        liveness=liveness.result,
        liveness_score=liveness.score,
        document_face_found=True,
        selfie_embedding=selfie_embedding,
        document_embedding=tuple(float(v) for v in portrait.embedding),
        method=f"dlib-hog+{EMBEDDING_MODEL}; portrait via {portrait.face.method}",
        scores=scores,
    )
