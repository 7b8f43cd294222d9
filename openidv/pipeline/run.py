"""The whole pipeline as pure functions: decoded images in, typed analysis out.

`analyse_images` runs the document and face stages; `conclude` adds the tags and takes the
decision. The worker runs the checks across verifications between the two
(services/processing.py); `openidv verify` calls both directly (services/local.py).
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import Future, wait
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

import numpy as np

from openidv.core.vocab import DocumentCode, FaceCode, FraudTag, Liveness, Step, SuspicionReason, TokenType
from openidv.pipeline.active_liveness import (
    ActiveLivenessResult, apply_to_face, challenge_not_performed, check_challenge, missing_challenge,
)
from openidv.pipeline.decision import Decision, Reason, decide
from openidv.pipeline.document import analyse_document, has_document
from openidv.pipeline.document.portrait import embed_document_portrait
from openidv.pipeline.engines import Engines
from openidv.pipeline.mismatch import mismatch_tags
from openidv.pipeline.results import Box, DocumentResult, FaceResult, PortraitFace
from openidv.pipeline.selfie import SelfieAnalysis, analyse_selfie, decide_face
from openidv.pipeline.threads import helper_thread


@dataclass(frozen=True)
class ImageAnalysis:
    """What the images alone say, before any comparison with other data."""

    document: DocumentResult
    face: FaceResult
    document_data: dict[str, Optional[str]]  # doc_* and mrz_* keys of full-status
    detected_type: Optional[str]
    additional_steps: Optional[dict[str, str]]  # step -> "Additional step is valid" ...
    seconds: dict[str, float] = field(default_factory=dict)  # time per stage, for metrics
    # The hosted flow's challenge ("move closer"), when one was asked for.
    active_liveness: Optional[ActiveLivenessResult] = None


@dataclass(frozen=True)
class Analysis:
    """Everything the automatic pipeline concluded about one verification."""

    images: ImageAnalysis
    decision: Decision
    fraud_tags: tuple[str, ...]
    mismatch_tags: tuple[str, ...]
    suspicion_reasons: tuple[str, ...]

    @property
    def document(self) -> DocumentResult:
        return self.images.document

    @property
    def face(self) -> FaceResult:
        return self.images.face


def analyse_face_images(
    engines: Engines, images: Mapping[str, np.ndarray], document: DocumentResult, *, face_required: bool,
    selfie: Optional[SelfieAnalysis] = None, portrait_faces: Optional[Mapping[Box, PortraitFace]] = None,
) -> FaceResult:
    """The face stage: the selfie against the document's portrait.

    ``selfie``: the selfie's analysis when done already; ``portrait_faces``: the front
    portrait's face, already searched for in these boxes.
    """
    if not face_required:
        return FaceResult(result=FaceCode.FACE_NOT_ANALYSED, method="DOCUMENT token: no face step")
    if images.get(Step.FACE) is None:
        return FaceResult(result=FaceCode.FACE_NOT_ANALYSED, method="no selfie")
    selfie = selfie or analyse_selfie(engines, images[Step.FACE])
    if selfie.problem is not None:
        return decide_face(selfie, None)
    side = document.portrait_image or Step.FRONT
    box = document.portrait_box if document.portrait_image else None
    portrait = (portrait_faces or {}).get(box) if side == Step.FRONT and box is not None else None
    portrait = portrait or embed_document_portrait(engines, images[side], box)
    return decide_face(selfie, portrait)


def check_additional_steps(
    engines: Engines, images: Mapping[str, np.ndarray], steps: tuple[str, ...]
) -> Optional[dict[str, str]]:
    """iDenfy's wording: valid when the upload shows a document, invalid when it does not,
    not found when nothing was uploaded for the step."""
    if not steps:
        return None
    out: dict[str, str] = {}
    for step in steps:
        image = images.get(step)
        if image is None:
            out[step] = "Additional step was not found"
        elif has_document(engines, image):
            out[step] = "Additional step is valid"
        else:
            out[step] = "Additional step is invalid"
    return out


def document_fields(document: DocumentResult) -> dict[str, Optional[str]]:
    """The doc_* / mrz_* keys of full-status from the document result."""
    out: dict[str, Optional[str]] = {}
    mrz = document.mrz
    if mrz is not None:
        out.update(
            mrz_name=mrz.given_names or None,
            mrz_surname=mrz.surname or None,
            mrz_date_of_birth=mrz.date_of_birth,
            mrz_expiry_date=mrz.date_of_expiry,
            mrz_personal_code=mrz.personal_number or None,
            mrz_document_number=mrz.document_number or None,
            mrz_sex={"M": "MALE", "F": "FEMALE"}.get(mrz.sex, "UNDEFINED"),
            mrz_nationality=mrz.nationality,
            mrz_country=mrz.issuing_country,
            mrz_document_type=mrz.document_type,
            mrz_document_subtype=mrz.document_code.replace("<", "")[1:] or None,
            mrz_optional_data=mrz.optional_data or None,
            mrz_string=mrz.mrz_string,
            mrz_date_of_issue=None,  # ICAO MRZs carry no issue date
        )
    visual = document.visual
    if visual is not None:
        out.update(
            doc_name=visual.given_names,
            doc_surname=visual.surname,
            doc_document_number=visual.document_number,
            doc_date_of_birth=visual.date_of_birth,
            doc_expiry_date=visual.date_of_expiry,
            doc_date_of_issue=visual.date_of_issue,
        )
    # What the visual zone did not give, the MRZ of the same document does.
    if mrz is not None:
        for key in ("name", "surname", "date_of_birth", "expiry_date", "personal_code",
                    "document_number", "sex", "nationality", "country"):
            if not out.get(f"doc_{key}"):
                out[f"doc_{key}"] = out.get(f"mrz_{key}")
    barcode = document.barcode
    if barcode is not None:
        given = " ".join(x for x in (barcode.first_name, barcode.middle_name) if x)
        from_barcode = {
            "name": given or None, "surname": barcode.last_name, "document_number": barcode.document_number,
            "date_of_birth": barcode.date_of_birth.isoformat(),
            "expiry_date": barcode.date_of_expiry.isoformat() if barcode.date_of_expiry else None,
            "date_of_issue": barcode.date_of_issue.isoformat() if barcode.date_of_issue else None,
            "sex": {"M": "MALE", "F": "FEMALE"}.get(barcode.sex.value if barcode.sex else "", None),
            "country": barcode.country, "license_categories": ",".join(barcode.categories) or None,
        }
        for key, value in from_barcode.items():
            if not out.get(f"doc_{key}"):
                out[f"doc_{key}"] = value
    out["doc_document_type"] = document.document_type
    if document.issuing_country and not out.get("doc_country"):
        out["doc_country"] = document.issuing_country
    return out


@dataclass(frozen=True)
class ChallengeInput:
    """What the hosted flow asked the person to do, and the frames it captured meanwhile."""

    challenge: str
    frames: tuple[np.ndarray, ...]
    # False where the partner lets a selfie come without the challenge (uploaded): no
    # frames then mean "not performed" rather than "inconclusive".
    required: bool = True


@dataclass(frozen=True)
class _SelfieWork:
    selfie: SelfieAnalysis
    active: Optional[ActiveLivenessResult]
    seconds: dict[str, float]


def _selfie_and_challenge(engines: Engines, selfie_image: np.ndarray,
                          challenge: Optional[ChallengeInput]) -> _SelfieWork:
    """The selfie's analysis, then the challenge frames against its face."""
    started = time.perf_counter()
    selfie = analyse_selfie(engines, selfie_image)
    seconds = {"selfie": time.perf_counter() - started}
    if challenge is None:
        return _SelfieWork(selfie, None, seconds)
    started = time.perf_counter()
    if challenge.frames:
        active = check_challenge(engines, challenge.challenge, challenge.frames, selfie.embedding)
    else:
        active = missing_challenge() if challenge.required else challenge_not_performed()
    seconds["active_liveness"] = time.perf_counter() - started
    return _SelfieWork(selfie, active, seconds)


def analyse_images(
    engines: Engines,
    images: Mapping[str, np.ndarray],
    *,
    token_type: str,
    declared_country: Optional[str],
    declared_type: Optional[str],
    additional_steps: tuple[str, ...] = (),
    today: Optional[dt.date] = None,
    challenge: Optional[ChallengeInput] = None,
) -> ImageAnalysis:
    """The document and face stages; ``challenge``: the hosted flow's active check, run
    right after the selfie in the face thread (it compares its frames with the selfie's face)."""
    seconds: dict[str, float] = {}
    selfie_to_analyse = token_type == TokenType.IDENTIFICATION and images.get(Step.FACE) is not None
    # Face work needs little from the document, so it runs in a helper thread while the
    # document is read: first the selfie, then — as soon as the document stage has found the
    # portrait on the front — the portrait's face. dlib's single-threaded detector and
    # embedding then fill the gaps ONNX Runtime's OCR leaves on the cores. The helper thread
    # is always drained before this returns, so no work of this job outlives it.
    selfie_job = (helper_thread("face").submit(_selfie_and_challenge, engines, images[Step.FACE], challenge)
                  if selfie_to_analyse else None)
    portrait_jobs: dict[Box, Future] = {}

    def start_portrait_face(box: Box) -> None:
        portrait_jobs[box] = helper_thread("face").submit(embed_document_portrait, engines, images[Step.FRONT], box)

    started = time.perf_counter()
    try:
        document = analyse_document(
            engines, images[Step.FRONT], images.get(Step.BACK),
            declared_country=declared_country, declared_type=declared_type, today=today,
            on_front_portrait=start_portrait_face if selfie_to_analyse else None,
        )
    finally:
        # analyse_document has returned, so no more portrait jobs can be started.
        wait([job for job in (selfie_job, *portrait_jobs.values()) if job is not None])
    seconds["document"] = time.perf_counter() - started
    started = time.perf_counter()
    selfie, active = None, None
    if selfie_job is not None:
        work = selfie_job.result()
        selfie, active = work.selfie, work.active
        seconds.update(work.seconds)
    face = analyse_face_images(engines, images, document, face_required=token_type == TokenType.IDENTIFICATION,
                               selfie=selfie,
                               portrait_faces={box: job.result() for box, job in portrait_jobs.items()})
    seconds["face"] = time.perf_counter() - started
    face = apply_to_face(face, active)
    started = time.perf_counter()
    steps = check_additional_steps(engines, images, additional_steps)
    seconds["additional_steps"] = time.perf_counter() - started
    return ImageAnalysis(
        document=document,
        face=face,
        document_data=document_fields(document),
        detected_type=document.document_type or declared_type,
        additional_steps=steps,
        seconds=seconds,
        active_liveness=active,
    )


def active_liveness_reasons(active: Optional[ActiveLivenessResult]) -> tuple[Reason, ...]:
    """The challenge's outcome as a decision reason (what full-status and the console show)."""
    if active is None:
        return ()
    return (Reason("active_liveness", active.outcome, f"{active.challenge} {active.why}: {active.detail}",
                   dict(active.scores)),)


def conclude(
    images: ImageAnalysis,
    *,
    token_type: str,
    token_request: Mapping[str, Any],
    review_policy: str = "automatic",
    minimum_age: Optional[int] = None,
    maximum_age: Optional[int] = None,
    fraud_tags: tuple[str, ...] = (),
    fraud_reasons: tuple[Reason, ...] = (),
    suspicion_reasons: tuple[str, ...] = (),
    review_reasons: tuple[str, ...] = (),
    today: Optional[dt.date] = None,
) -> Analysis:
    """Tags and the decision from the image analysis and the cross-checks (which may add
    suspicion reasons, and reasons for a person to look, e.g. a weak sanctions-list hit)."""
    document, face = images.document, images.face
    if face.document_face_found is False and document.validity == DocumentCode.DOC_VALIDATED:
        # The face stage looked for the document portrait and found none.
        document = replace(document, validity=DocumentCode.DOC_FACE_NOT_FOUND)
        images = replace(images, document=document)
    tags = list(fraud_tags)
    suspicion: list[str] = list(suspicion_reasons)
    if face.result == FaceCode.FAKE_FACE or face.liveness == Liveness.FAKE_FACE:
        tags.append(FraudTag.FAKE_PHOTO)
        suspicion.append(SuspicionReason.FAKE_PHOTO)
    tags = list(dict.fromkeys(tags))
    mismatches = mismatch_tags(token_request, images.document_data, minimum_age=minimum_age,
                               maximum_age=maximum_age, today=today)
    decision = decide(
        document.validity,
        face.result,
        face_required=token_type == TokenType.IDENTIFICATION,
        fraud_tags=tuple(tags),
        mismatch_tags=mismatches,
        needs_review=tuple(document.review_reasons) + tuple(review_reasons),
        review_policy=review_policy,
    )
    face_scores = {**face.scores, "similarity": face.similarity, "liveness": face.liveness_score}
    evidence = (
        Reason("document", document.validity, document.method, dict(document.scores)),
        Reason("face", face.result, "; ".join((face.method, *face.notes)),
               {k: v for k, v in face_scores.items() if v is not None}),
        *active_liveness_reasons(images.active_liveness),
        *fraud_reasons,
    )
    return Analysis(
        images=images,
        decision=replace(decision, reasons=evidence + decision.reasons),
        fraud_tags=tuple(tags),
        mismatch_tags=mismatches,
        suspicion_reasons=tuple(dict.fromkeys(suspicion)),
    )
