"""Running the pipeline for one verification and committing its results (exactly once)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import and_, or_, select, update

from openidv.config import get_settings
from openidv.pipeline.decision import Decision, Reason
from openidv.pipeline.images import ImageRejected, decode_image
from openidv.pipeline.run import Analysis, analyse
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.models import Partner, Verification, utcnow
from openidv.store.verifications import add_webhook, live_files

log = logging.getLogger("openidv.jobs")

MAX_PROCESSING_RUNS = 5  # a job that keeps crashing the worker goes to a human instead


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


def process_verification_job(verification_id: int) -> Optional[int]:
    """Analyse, decide, commit, and return the id of the webhook to send (if any)."""
    settings = get_settings()
    if not claim_job(verification_id, settings.job_lease_seconds):
        return None
    files = make_file_store(settings)
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        partner = session.get(Partner, verification.partner_id)
        runs = verification.processing_runs
        stored = [(f.step, f.storage_key) for f in live_files(session, verification_id)]
        raw = {step: files.get(session, key) for step, key in stored}
        token_type = verification.token_type
        country, declared_type = verification.country, verification.document_type
        policy = partner.review_policy

    if runs > MAX_PROCESSING_RUNS:
        analysis = None
        failure = f"processing failed {runs - 1} times; sent to manual review"
    else:
        analysis, failure = _run_pipeline(raw, token_type, country, declared_type, policy)
    return _commit_results(verification_id, analysis, failure)


def _run_pipeline(raw, token_type, country, declared_type, policy):  # noqa: ANN001, ANN202
    try:
        images = {step: decode_image(data) for step, data in raw.items() if data is not None}
        analysis = analyse(
            images,
            token_type=token_type,
            declared_country=country,
            declared_type=declared_type,
            review_policy=policy,
        )
        return analysis, None
    except ImageRejected as exc:
        return None, f"stored image could not be decoded: {exc}"
    except Exception as exc:  # noqa: BLE001 - an analyser bug must not lose the verification
        log.exception("pipeline failed for verification %s", raw.keys())
        return None, f"pipeline error: {type(exc).__name__}"


def _commit_results(verification_id: int, analysis: Optional[Analysis], failure: Optional[str]) -> Optional[int]:
    now = utcnow()
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        if analysis is None:
            values = dict(
                status="REVIEWING",
                auto_document="DOC_ERROR",
                auto_face="FACE_ERROR" if verification.token_type == "IDENTIFICATION" else "FACE_NOT_ANALYSED",
                decision_reasons=[Reason("pipeline", "REVIEWING", failure or "").as_dict()],
            )
            final = False
        else:
            decision: Decision = analysis.decision
            values = dict(
                status=decision.status,
                auto_document=analysis.document.validity,
                auto_face=analysis.face.result,
                face_similarity=analysis.face.similarity,
                document_data=analysis.document_data,
                document_type=verification.document_type or analysis.detected_type,
                fraud_tags=list(analysis.fraud_tags),
                mismatch_tags=list(analysis.mismatch_tags),
                suspicion_reasons=list(analysis.suspicion_reasons),
                decision_reasons=[r.as_dict() for r in decision.reasons],
            )
            final = decision.final
        result = session.execute(
            update(Verification)
            .where(and_(Verification.id == verification_id, Verification.finish_time.is_(None),
                        Verification.status == "ACTIVE"))
            .values(finish_time=now, version=Verification.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None  # another run finished it first: results are written exactly once
        session.refresh(verification)
        return add_webhook(session, verification, verification.partner, "automatic", final=final)
