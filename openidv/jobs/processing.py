"""Running the pipeline for one verification and committing its results (exactly once)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import and_, or_, update

from openidv.config import get_settings
from openidv.metrics import STAGE_SECONDS, VERIFICATIONS
from openidv.pipeline.decision import Reason
from openidv.pipeline.images import ANALYSIS_MAX_SIDE, ImageRejected, decode_image
from openidv.pipeline.run import Analysis, ImageAnalysis, additional_step_names, analyse_images, conclude
from openidv.store import fraud
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.models import Partner, Verification, utcnow
from openidv.store.verifications import add_webhook, live_files

log = logging.getLogger("openidv.jobs")

MAX_PROCESSING_RUNS = 5  # a job that keeps crashing the worker goes to a human instead


@dataclass(frozen=True)
class JobInput:
    """What the job read from the store before the (slow) analysis, outside any transaction."""

    images: dict[str, bytes]
    token_type: str
    token_request: dict[str, Any]
    country: Optional[str]
    declared_type: Optional[str]
    review_policy: str
    minimum_age: Optional[int]
    runs: int


def claim_job(verification_id: int, lease_seconds: int) -> bool:
    """Take the job unless another worker holds a fresh lease or it is already finished."""
    now = utcnow()
    with session_scope() as session:
        result = session.execute(
            update(Verification)
            .where(
                Verification.id == verification_id,
                Verification.status == "ACTIVE",
                Verification.token_used.is_(True),
                Verification.finish_time.is_(None),
                or_(
                    Verification.processing_since.is_(None),
                    Verification.processing_since < now - dt.timedelta(seconds=lease_seconds),
                ),
            )
            .values(processing_since=now, processing_runs=Verification.processing_runs + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def load_job_input(verification_id: int) -> JobInput:
    files = make_file_store(get_settings())
    with session_scope() as session:
        v = session.get(Verification, verification_id)
        partner = session.get(Partner, v.partner_id)
        stored = [(f.step, f.storage_key) for f in live_files(session, verification_id)]
        return JobInput(
            images={step: files.get(session, key) for step, key in stored},
            token_type=v.token_type,
            token_request=dict(v.token_request or {}),
            country=v.country,
            declared_type=v.document_type,
            review_policy=partner.review_policy,
            minimum_age=partner.minimum_age,
            runs=v.processing_runs,
        )


def process_verification_job(verification_id: int) -> Optional[int]:
    """Analyse, decide, commit, and return the id of the webhook to send (if any)."""
    if not claim_job(verification_id, get_settings().job_lease_seconds):
        return None
    job = load_job_input(verification_id)
    if job.runs > MAX_PROCESSING_RUNS:
        return _commit_failure(verification_id, f"processing failed {job.runs - 1} times")
    try:
        started = time.perf_counter()
        images = {step: decode_image(data, max_side=ANALYSIS_MAX_SIDE)
                  for step, data in job.images.items() if data is not None}
        STAGE_SECONDS.labels("decode").observe(time.perf_counter() - started)
        analysed = analyse_images(
            images,
            token_type=job.token_type,
            declared_country=job.country,
            declared_type=job.declared_type,
            additional_steps=additional_step_names(
                job.token_request.get("additionalSteps"), job.country, job.declared_type),
        )
    except ImageRejected as exc:
        return _commit_failure(verification_id, f"stored image could not be decoded: {exc}")
    except Exception as exc:  # noqa: BLE001 - an analyser bug must not lose the verification
        log.exception("pipeline failed for verification %s", verification_id)
        return _commit_failure(verification_id, f"pipeline error: {type(exc).__name__}")
    for stage, seconds in analysed.seconds.items():
        STAGE_SECONDS.labels(stage).observe(seconds)
    started = time.perf_counter()
    hook = _commit_results(verification_id, job, analysed)
    STAGE_SECONDS.labels("decision_and_commit").observe(time.perf_counter() - started)
    return hook


def _cross_checks(session, verification: Verification, analysed: ImageAnalysis):  # noqa: ANN001, ANN202
    """Fraud tags from the partner's other verifications (SPEC 5.3)."""
    from openidv.pipeline.face import FACE_MATCH_MAX_DISTANCE

    tags: list[str] = []
    reasons: list[Reason] = []
    key = fraud.document_number_key(analysed.document_data.get("doc_document_number"))
    if fraud.same_document_elsewhere(session, verification, key):
        tags.append("DUPLICATE_PERSONAL_DATA")
        reasons.append(Reason("duplicates", "DUPLICATE_PERSONAL_DATA",
                              "same document number under another clientId"))
    if fraud.is_blocked(session, verification.partner_id, key):
        tags.append("DATA_IN_BLACKLIST")
        reasons.append(Reason("blocklist", "DATA_IN_BLACKLIST", "document number is on the partner's blocklist"))
    face = analysed.face
    for kind, tag, vector in (("selfie", "DUPLICATE_FACE", face.selfie_embedding),
                              ("document", "DUPLICATE_DOC_FACE", face.document_embedding)):
        if vector is None:
            continue
        hits = fraud.face_index.search(session, verification.partner_id, vector,
                                       max_distance=FACE_MATCH_MAX_DISTANCE,
                                       exclude_client=verification.client_id)
        if hits:
            best = min(hits, key=lambda h: h.distance)
            tags.append(tag)
            reasons.append(Reason("duplicates", tag, f"{kind} face matches another clientId's {best.kind} face",
                                  {"distance": round(best.distance, 4), "matches": float(len(hits))}))
    return tuple(dict.fromkeys(tags)), tuple(reasons), key


def _commit_results(verification_id: int, job: JobInput, analysed: ImageAnalysis) -> Optional[int]:
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        tags, reasons, key = _cross_checks(session, verification, analysed)
        analysis: Analysis = conclude(
            analysed,
            token_type=job.token_type,
            token_request=job.token_request,
            review_policy=job.review_policy,
            minimum_age=job.minimum_age,
            fraud_tags=tags,
            fraud_reasons=reasons,
        )
        values = dict(
            status=analysis.decision.status,
            auto_document=analysis.document.validity,
            auto_face=analysis.face.result,
            face_similarity=analysis.face.similarity,
            document_data=analysis.images.document_data,
            document_type=verification.document_type or analysis.images.detected_type,
            document_number_key=key,
            fraud_tags=list(analysis.fraud_tags),
            mismatch_tags=list(analysis.mismatch_tags),
            suspicion_reasons=list(analysis.suspicion_reasons),
            decision_reasons=[r.as_dict() for r in analysis.decision.reasons],
            additional_steps=analysis.images.additional_steps,
        )
        if not _finish(session, verification_id, values):
            return None
        VERIFICATIONS.labels(analysis.decision.status, "automatic").inc()
        for kind, vector in (("selfie", analysis.face.selfie_embedding),
                             ("document", analysis.face.document_embedding)):
            if vector is not None:
                fraud.store_face(session, verification, kind, vector)
        session.refresh(verification)
        return add_webhook(session, verification, verification.partner, "automatic",
                           final=analysis.decision.final)


def _commit_failure(verification_id: int, why: str) -> Optional[int]:
    """The pipeline could not run: a human looks (REVIEWING), nothing is lost."""
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        values = dict(
            status="REVIEWING",
            auto_document="DOC_ERROR",
            auto_face="FACE_ERROR" if verification.token_type == "IDENTIFICATION" else "FACE_NOT_ANALYSED",
            decision_reasons=[Reason("pipeline", "REVIEWING", why).as_dict()],
        )
        if not _finish(session, verification_id, values):
            return None
        session.refresh(verification)
        return add_webhook(session, verification, verification.partner, "automatic", final=False)


def _finish(session, verification_id: int, values: dict[str, Any]) -> bool:  # noqa: ANN001
    """Write the automatic result once: a second run of the same job changes nothing."""
    result = session.execute(
        update(Verification)
        .where(and_(Verification.id == verification_id, Verification.finish_time.is_(None),
                    Verification.status == "ACTIVE"))
        .values(finish_time=utcnow(), version=Verification.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
