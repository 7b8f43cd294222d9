"""Processing one verification: claim the job, run the pipeline, add the checks across the
partner's verifications, decide, and commit the result with its webhook (exactly once)."""

from __future__ import annotations

import logging
import time
from typing import Any, Optional

from openidv.config import Settings
from openidv.core.steps import additional_step_names
from openidv.core.vocab import DocumentCode, FaceCode, FraudTag, Status, TokenType, WebhookEvent
from openidv.metrics import STAGE_SECONDS, VERIFICATIONS
from openidv.pipeline.decision import Reason
from openidv.pipeline.engines import Engines
from openidv.pipeline.images import ANALYSIS_MAX_SIDE, ImageRejected, decode_image
from openidv.pipeline.run import Analysis, ImageAnalysis, analyse_images, conclude
from openidv.pipeline.selfie import FACE_MATCH_MAX_DISTANCE
from openidv.services.queue import JobQueue
from openidv.store import fraud
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.jobs import JobInput, claim_job, load_job_input, write_result
from openidv.store.models import Verification
from openidv.webhooks.outbox import add_webhook

log = logging.getLogger("openidv.jobs")

MAX_PROCESSING_RUNS = 5  # a job that keeps crashing the worker goes to a human instead


def process_verification(verification_id: int, *, engines: Engines, settings: Settings, queue: JobQueue) -> None:
    """The worker's job for one verification; its webhook is queued once the result is committed."""
    delivery_id = analyse_and_commit(verification_id, engines=engines, settings=settings)
    if delivery_id is not None:
        queue.submit_webhook(delivery_id)


def analyse_and_commit(verification_id: int, *, engines: Engines, settings: Settings) -> Optional[int]:
    """Analyse, decide, commit, and return the id of the webhook to send (if any)."""
    if not claim_job(verification_id, settings.job_lease_seconds):
        return None
    job = load_job_input(verification_id, make_file_store(settings))
    if job.runs > MAX_PROCESSING_RUNS:
        return _commit_failure(verification_id, f"processing failed {job.runs - 1} times")
    try:
        started = time.perf_counter()
        images = {step: decode_image(data, max_side=ANALYSIS_MAX_SIDE,
                                     max_decoded_megapixels=settings.max_decoded_megapixels)
                  for step, data in job.images.items() if data is not None}
        STAGE_SECONDS.labels("decode").observe(time.perf_counter() - started)
        analysed = analyse_images(
            engines,
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
    """Fraud tags from the partner's other verifications: the same document number or face
    under another clientId, and the partner's blocklist."""
    tags: list[str] = []
    reasons: list[Reason] = []
    key = fraud.document_number_key(analysed.document_data.get("doc_document_number"))
    if fraud.same_document_elsewhere(session, verification, key):
        tags.append(FraudTag.DUPLICATE_PERSONAL_DATA)
        reasons.append(Reason("duplicates", FraudTag.DUPLICATE_PERSONAL_DATA,
                              "same document number under another clientId"))
    if fraud.is_blocked(session, verification.partner_id, key):
        tags.append(FraudTag.DATA_IN_BLACKLIST)
        reasons.append(Reason("blocklist", FraudTag.DATA_IN_BLACKLIST, "document number is on the partner's blocklist"))
    face = analysed.face
    for kind, tag, vector in (("selfie", FraudTag.DUPLICATE_FACE, face.selfie_embedding),
                              ("document", FraudTag.DUPLICATE_DOC_FACE, face.document_embedding)):
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
        values: dict[str, Any] = dict(
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
        if not write_result(session, verification_id, values):
            return None
        VERIFICATIONS.labels(analysis.decision.status, "automatic").inc()
        for kind, vector in (("selfie", analysis.face.selfie_embedding),
                             ("document", analysis.face.document_embedding)):
            if vector is not None:
                fraud.store_face(session, verification, kind, vector)
        session.refresh(verification)
        return add_webhook(session, verification, WebhookEvent.AUTOMATIC, final=analysis.decision.final)


def _commit_failure(verification_id: int, why: str) -> Optional[int]:
    """The pipeline could not run: a human looks (REVIEWING), nothing is lost."""
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        values = dict(
            status=Status.REVIEWING,
            auto_document=DocumentCode.DOC_ERROR,
            auto_face=FaceCode.FACE_ERROR if verification.token_type == TokenType.IDENTIFICATION
            else FaceCode.FACE_NOT_ANALYSED,
            decision_reasons=[Reason("pipeline", Status.REVIEWING, why).as_dict()],
        )
        if not write_result(session, verification_id, values):
            return None
        session.refresh(verification)
        return add_webhook(session, verification, WebhookEvent.AUTOMATIC, final=False)
