"""The whole pipeline as one pure function: decoded images in, typed analysis out.

Used by the worker (jobs/processing.py) and by `openidv verify`. No database, no HTTP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from openidv.pipeline.decision import Decision, Reason, decide
from openidv.pipeline.results import DocumentResult, FaceResult


@dataclass(frozen=True)
class Analysis:
    """Everything the automatic pipeline concluded about one verification."""

    document: DocumentResult
    face: FaceResult
    document_data: dict[str, Optional[str]]  # doc_* and mrz_* keys of full-status
    detected_type: Optional[str]
    decision: Decision
    fraud_tags: tuple[str, ...] = ()
    mismatch_tags: tuple[str, ...] = ()
    suspicion_reasons: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def analyse_document_images(
    images: dict[str, np.ndarray],
    *,
    declared_country: Optional[str],
    declared_type: Optional[str],
    today: Optional[dt.date] = None,
) -> DocumentResult:
    """The document step (SPEC 5.1). Not built yet: says so honestly."""
    return DocumentResult(validity="DOC_NOT_ANALYSED", method="no document analyser installed")


def analyse_face_images(
    images: dict[str, np.ndarray], document: DocumentResult, *, face_required: bool
) -> FaceResult:
    """The face step (SPEC 5.2). Not built yet: says so honestly."""
    if not face_required:
        return FaceResult(result="FACE_NOT_ANALYSED", method="DOCUMENT token: no face step")
    return FaceResult(result="FACE_NOT_ANALYSED", method="no face analyser installed")


def document_fields(document: DocumentResult) -> dict[str, Optional[str]]:
    """The doc_* / mrz_* keys of full-status from the document result."""
    out: dict[str, Optional[str]] = {}
    mrz = document.mrz
    if mrz is not None:
        sex = {"M": "MALE", "F": "FEMALE"}.get(mrz.sex, "UNDEFINED")
        out.update(
            mrz_name=mrz.given_names or None,
            mrz_surname=mrz.surname or None,
            mrz_date_of_birth=mrz.date_of_birth,
            mrz_expiry_date=mrz.date_of_expiry,
            mrz_personal_code=mrz.personal_number or None,
            mrz_document_number=mrz.document_number or None,
            mrz_sex=sex,
            mrz_nationality=mrz.nationality,
            mrz_country=mrz.issuing_country,
            mrz_document_type=mrz.document_type,
            mrz_document_subtype=mrz.document_code.rstrip("<")[1:] or None,
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
    # Fields printed only in the MRZ are the document's data too.
    if mrz is not None:
        fallbacks = {
            "doc_name": "mrz_name", "doc_surname": "mrz_surname",
            "doc_date_of_birth": "mrz_date_of_birth", "doc_expiry_date": "mrz_expiry_date",
            "doc_personal_code": "mrz_personal_code", "doc_document_number": "mrz_document_number",
            "doc_sex": "mrz_sex", "doc_nationality": "mrz_nationality", "doc_country": "mrz_country",
        }
        for doc_key, mrz_key in fallbacks.items():
            if not out.get(doc_key):
                out[doc_key] = out.get(mrz_key)
    out["doc_document_type"] = document.document_type
    if document.issuing_country and not out.get("doc_country"):
        out["doc_country"] = document.issuing_country
    return out


def analyse(
    images: dict[str, np.ndarray],
    *,
    token_type: str,
    declared_country: Optional[str],
    declared_type: Optional[str],
    review_policy: str = "automatic",
    today: Optional[dt.date] = None,
) -> Analysis:
    face_required = token_type == "IDENTIFICATION"
    document = analyse_document_images(
        images, declared_country=declared_country, declared_type=declared_type, today=today
    )
    face = analyse_face_images(images, document, face_required=face_required)
    decision = decide(
        document.validity,
        face.result,
        face_required=face_required,
        needs_review=document.review_reasons,
        review_policy=review_policy,
    )
    return Analysis(
        document=document,
        face=face,
        document_data=document_fields(document),
        detected_type=document.document_type or declared_type,
        decision=decision,
        reasons=decision.reasons,
    )
