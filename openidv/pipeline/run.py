"""The whole pipeline as pure functions: decoded images in, typed analysis out.

`analyse_images` runs the document and face steps (SPEC 5.1, 5.2); `conclude` adds the
tags and takes the decision (SPEC 6). The worker (jobs/processing.py) runs the checks
across verifications between the two; `openidv verify` calls both directly.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import Future, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

import numpy as np

from openidv.pipeline import MODELS_LOCK
from openidv.pipeline.decision import Decision, Reason, decide
from openidv.pipeline.mismatch import mismatch_tags
from openidv.pipeline.results import Box, DocumentResult, FaceResult
from openidv.pipeline.threads import helper_thread

if TYPE_CHECKING:
    from openidv.pipeline.face import PortraitFace, SelfieAnalysis

DOCUMENT_STEPS = ("FRONT", "BACK")


@dataclass(frozen=True)
class ImageAnalysis:
    """What the images alone say, before any comparison with other data."""

    document: DocumentResult
    face: FaceResult
    document_data: dict[str, Optional[str]]  # doc_* and mrz_* keys of full-status
    detected_type: Optional[str]
    additional_steps: Optional[dict[str, str]]  # step -> "Additional step is valid" ...
    seconds: dict[str, float] = field(default_factory=dict)  # time per stage, for metrics


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


def analyse_document_images(
    images: Mapping[str, np.ndarray],
    *,
    declared_country: Optional[str],
    declared_type: Optional[str],
    today: Optional[dt.date] = None,
    on_front_portrait: Optional[Callable[[Box], object]] = None,
) -> DocumentResult:
    from openidv.pipeline.document import analyse_document

    return analyse_document(
        images["FRONT"], images.get("BACK"),
        declared_country=declared_country, declared_type=declared_type, today=today,
        on_front_portrait=on_front_portrait,
    )


def analyse_face_images(
    images: Mapping[str, np.ndarray], document: DocumentResult, *, face_required: bool,
    selfie: Optional[SelfieAnalysis] = None, portrait_faces: Optional[Mapping[Box, PortraitFace]] = None,
) -> FaceResult:
    """``portrait_faces``: the front portrait's face, already searched for in these boxes."""
    if not face_required:
        return FaceResult(result="FACE_NOT_ANALYSED", method="DOCUMENT token: no face step")
    from openidv.pipeline.face import analyse_face

    side = document.portrait_image or "FRONT"
    box = document.portrait_box if document.portrait_image else None
    early = (portrait_faces or {}).get(box) if side == "FRONT" and box is not None else None
    return analyse_face(images[side], box, images.get("FACE"), selfie, early)


def check_additional_steps(
    images: Mapping[str, np.ndarray], steps: tuple[str, ...]
) -> Optional[dict[str, str]]:
    """Seed 004 wording: valid when the upload shows a document, invalid when it does not,
    not found when nothing was uploaded for the step."""
    if not steps:
        return None
    from openidv.pipeline.document import has_document

    out: dict[str, str] = {}
    for step in steps:
        image = images.get(step)
        if image is None:
            out[step] = "Additional step was not found"
        elif has_document(image):
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
    out["doc_document_type"] = document.document_type
    if document.issuing_country and not out.get("doc_country"):
        out["doc_country"] = document.issuing_country
    return out


def _embed_document_portrait(document_image: np.ndarray, box: Box) -> PortraitFace:
    from openidv.pipeline import face  # imported on use: it loads dlib

    return face.embed_document_portrait(document_image, box)


def _timed_selfie_analysis(selfie: np.ndarray) -> tuple[SelfieAnalysis, float]:
    from openidv.pipeline.face import analyse_selfie

    started = time.perf_counter()
    return analyse_selfie(selfie), time.perf_counter() - started


def analyse_images(
    images: Mapping[str, np.ndarray],
    *,
    token_type: str,
    declared_country: Optional[str],
    declared_type: Optional[str],
    additional_steps: tuple[str, ...] = (),
    today: Optional[dt.date] = None,
) -> ImageAnalysis:
    seconds: dict[str, float] = {}
    selfie_to_analyse = token_type == "IDENTIFICATION" and images.get("FACE") is not None
    with MODELS_LOCK:
        # Face work needs little from the document, so it runs in a helper thread while
        # the document is read: first the selfie, then — as soon as the document step has
        # found the portrait on the front — the portrait's face. dlib's single-threaded
        # detector and embedding then fill the gaps ONNX Runtime's OCR leaves on the cores
        # (docs/benchmarks.md: passport + selfie 541 → 502 ms for the selfie alone). One
        # thread runs both in order, so the worker's face models are never used by two at
        # once, and it is always drained before MODELS_LOCK is released.
        selfie_job = (helper_thread("face").submit(_timed_selfie_analysis, images["FACE"])
                      if selfie_to_analyse else None)
        portrait_jobs: dict[Box, Future] = {}

        def start_portrait_face(box: Box) -> None:
            portrait_jobs[box] = helper_thread("face").submit(_embed_document_portrait, images["FRONT"], box)

        started = time.perf_counter()
        try:
            document = analyse_document_images(
                images, declared_country=declared_country, declared_type=declared_type, today=today,
                on_front_portrait=start_portrait_face if selfie_to_analyse else None,
            )
        finally:
            # analyse_document has returned, so no more portrait jobs can be started.
            wait([job for job in (selfie_job, *portrait_jobs.values()) if job is not None])
        seconds["document"] = time.perf_counter() - started
        started = time.perf_counter()
        selfie = None
        if selfie_job is not None:
            selfie, seconds["selfie"] = selfie_job.result()
        face = analyse_face_images(images, document, face_required=token_type == "IDENTIFICATION",
                                   selfie=selfie,
                                   portrait_faces={box: job.result() for box, job in portrait_jobs.items()})
        seconds["face"] = time.perf_counter() - started
        started = time.perf_counter()
        steps = check_additional_steps(images, additional_steps)
        seconds["additional_steps"] = time.perf_counter() - started
    return ImageAnalysis(
        document=document,
        face=face,
        document_data=document_fields(document),
        detected_type=document.document_type or declared_type,
        additional_steps=steps,
        seconds=seconds,
    )


def conclude(
    images: ImageAnalysis,
    *,
    token_type: str,
    token_request: Mapping[str, Any],
    review_policy: str = "automatic",
    minimum_age: Optional[int] = None,
    fraud_tags: tuple[str, ...] = (),
    fraud_reasons: tuple[Reason, ...] = (),
    today: Optional[dt.date] = None,
) -> Analysis:
    """Tags and the decision (SPEC 6) from the image analysis and the cross-checks."""
    document, face = images.document, images.face
    if face.document_face_found is False and document.validity == "DOC_VALIDATED":
        # The face step looked for the document portrait and found none.
        document = replace(document, validity="DOC_FACE_NOT_FOUND")
        images = replace(images, document=document)
    tags = list(fraud_tags)
    suspicion: list[str] = []
    if face.result == "FAKE_FACE" or face.liveness == "FAKE_FACE":
        tags.append("FAKE_PHOTO")
        suspicion.append("FAKE_PHOTO")
    tags = list(dict.fromkeys(tags))
    mismatches = mismatch_tags(token_request, images.document_data, minimum_age=minimum_age, today=today)
    decision = decide(
        document.validity,
        face.result,
        face_required=token_type == "IDENTIFICATION",
        fraud_tags=tuple(tags),
        mismatch_tags=mismatches,
        needs_review=document.review_reasons,
        review_policy=review_policy,
    )
    face_scores = {**face.scores, "similarity": face.similarity, "liveness": face.liveness_score}
    evidence = (
        Reason("document", document.validity, document.method, dict(document.scores)),
        Reason("face", face.result, face.method, {k: v for k, v in face_scores.items() if v is not None}),
        *fraud_reasons,
    )
    return Analysis(
        images=images,
        decision=replace(decision, reasons=evidence + decision.reasons),
        fraud_tags=tuple(tags),
        mismatch_tags=mismatches,
        suspicion_reasons=tuple(suspicion),
    )


def additional_step_names(
    config: Optional[Mapping[str, Any]], country: Optional[str], document_type: Optional[str]
) -> tuple[str, ...]:
    """The UPLOAD steps a token asks for, for this country and document type.

    ``{COUNTRY or "ALL": {DOC_TYPE or "ALL": {STEP: {"type": "UPLOAD"}}}}``; the most
    specific entry wins. With no declared type, the steps of every type are asked for.
    """
    if not config:
        return ()
    by_type = config.get(country or "") or config.get("ALL") or {}
    if document_type:
        steps = by_type.get(document_type) or by_type.get("ALL") or {}
        return tuple(steps)
    names: dict[str, None] = {}
    for steps in by_type.values():
        names.update(dict.fromkeys(steps))
    return tuple(names)
