"""`openidv verify`: the pipeline on local images, shaped as the API's full-status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from openidv.core.aml_block import aml_block
from openidv.core.vocab import Step, TokenType
from openidv.core.wire import full_status_view
from openidv.pipeline.engines import Engines
from openidv.pipeline.run import Analysis, analyse_images, conclude
from openidv.services.aml_screening import Screening, ScreeningOutcome, outcome_of, person_of, run_screening


@dataclass
class LocalRecord:
    """A verification that exists only in memory, with what the wire shapes read."""

    status: str
    token_type: str
    country: Optional[str]
    document_type: Optional[str]
    start_time: dt.datetime
    finish_time: dt.datetime
    auto_document: Optional[str]
    auto_face: Optional[str]
    fraud_tags: list[Any]
    mismatch_tags: list[Any]
    suspicion_reasons: list[Any]
    document_data: dict[str, Any]
    decision_reasons: list[Any]
    face_similarity: Optional[float]
    token_request: dict[str, Any] = field(default_factory=dict)
    scan_ref: str = "local"
    client_id: str = "local"
    external_ref: Optional[str] = None
    platform: Optional[str] = None
    attempt_count: int = 1
    manual_document: Optional[str] = None
    manual_face: Optional[str] = None
    manual_data: dict[str, Any] = field(default_factory=dict)
    additional_steps: Optional[dict[str, Any]] = None
    review_time: Optional[dt.datetime] = None
    aml: Optional[Screening] = None


def verdict_line(analysis: Analysis) -> str:
    """One line for a person at a terminal: the status, the reasons behind it, the similarity."""
    decision, face = analysis.decision, analysis.face
    parts = [f"document {analysis.document.validity}", f"face {face.result}"]
    if face.similarity is not None:
        parts[-1] += f" (similarity {face.similarity:.2f})"
    tags = list(analysis.fraud_tags) + list(analysis.mismatch_tags)
    if tags:
        parts.append("tags " + ", ".join(tags))
    why = [r.detail for r in decision.reasons if r.outcome == decision.status and r.detail]
    return f"{decision.status}: " + "; ".join(parts) + (f" — {why[0]}" if why else "")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _screen(document_data: dict[str, Any]) -> Screening:
    """The person read, screened against the lists loaded in the configured database."""
    from openidv.store.db import migrate, session_scope

    migrate()
    with session_scope() as session:
        return run_screening(session, person_of(document_data, None), "local")


def verify_images(
    engines: Engines, images: dict[str, np.ndarray], *, country: Optional[str], document_type: Optional[str],
    screen_aml: bool = False,
) -> tuple[dict[str, Any], Analysis]:
    """The full-status body for local images, and the analysis behind it. With
    ``screen_aml`` the person read is screened too (it decides as in the service) and the
    body gets the AML block."""
    started = _now()
    token_type = TokenType.IDENTIFICATION if Step.FACE in images else TokenType.DOCUMENT
    analysed = analyse_images(engines, images, token_type=token_type, declared_country=country,
                              declared_type=document_type)
    screening = _screen(analysed.document_data) if screen_aml else None
    found = outcome_of(screening) if screening else ScreeningOutcome()
    analysis = conclude(analysed, token_type=token_type, token_request={}, fraud_tags=found.fraud_tags,
                        fraud_reasons=found.reasons, suspicion_reasons=found.suspicion_reasons,
                        review_reasons=found.review_reasons)
    record = LocalRecord(
        status=analysis.decision.status,
        token_type=token_type,
        token_request={"country": country},
        country=country or analysis.document.issuing_country,
        document_type=document_type or analysis.images.detected_type,
        start_time=started,
        finish_time=_now(),
        auto_document=analysis.document.validity,
        auto_face=analysis.face.result,
        fraud_tags=list(analysis.fraud_tags),
        mismatch_tags=list(analysis.mismatch_tags),
        suspicion_reasons=list(analysis.suspicion_reasons),
        document_data=analysis.images.document_data,
        decision_reasons=[r.as_dict() for r in analysis.decision.reasons],
        face_similarity=analysis.face.similarity,
        aml=screening,
    )
    body = full_status_view(record)
    if screen_aml:
        body["AML"] = aml_block(record)
    return body, analysis
