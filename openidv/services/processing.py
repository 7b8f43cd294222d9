"""Processing one verification: claim the job, run the pipeline, add the checks across the
partner's verifications, decide, and commit the result with its webhook (exactly once)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from openidv.config import Settings
from openidv.core.steps import additional_step_names
from openidv.core.token import TokenOptions
from openidv.core.vocab import DocumentCode, FaceCode, FraudTag, Status, TokenType, WebhookEvent, analysed_type
from openidv.metrics import STAGE_SECONDS, VERIFICATIONS
from openidv.pipeline.active_liveness import Challenge, frame_steps_in_order
from openidv.pipeline.decision import Match, Reason, decide
from openidv.pipeline.engines import Engines
from openidv.pipeline.images import ANALYSIS_MAX_SIDE, ImageRejected, decode_image
from openidv.pipeline.run import Analysis, ChallengeInput, ImageAnalysis, analyse_images, conclude
from openidv.pipeline.face import DLIB_SAME_PERSON_MAX_DISTANCE
from openidv.services.aml_screening import (
    ScreeningOutcome,
    record_not_screened,
    screen_verification,
    screening_requested,
)
from openidv.services.flow import FLOW_PLATFORMS
from openidv.services.queue import JobQueue
from openidv.store import fraud
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.jobs import JobInput, claim_job, load_job_input, release_claim, write_result
from openidv.store.models import Verification
from openidv.webhooks.outbox import add_webhook

log = logging.getLogger("openidv.jobs")

MAX_PROCESSING_RUNS = 5  # a job that keeps crashing the worker goes to a human instead


def process_verification(verification_id: int, *, engines: Engines, settings: Settings, queue: JobQueue) -> None:
    """The worker's job for one verification; its webhook is queued once the result is committed."""
    delivery_id = analyse_and_commit(verification_id, engines=engines, settings=settings)
    if delivery_id is not None:
        queue.submit_webhook(delivery_id)


# Claims this process could not give back because the database was unreachable then: given
# back as soon as it answers again (the next job or sweep of this process), so the job runs
# again within seconds of the database's return instead of after the whole lease.
_unreleased_claims: set[int] = set()
_unreleased_lock = threading.Lock()


def release_pending_claims() -> int:
    """Give back the claims a failed run could not release; how many were given back."""
    with _unreleased_lock:
        pending = sorted(_unreleased_claims)
    released = 0
    for verification_id in pending:
        try:
            release_claim(verification_id)
        except Exception:  # noqa: BLE001 - still unreachable: try again next time
            return released
        with _unreleased_lock:
            _unreleased_claims.discard(verification_id)
        released += 1
    return released


def analyse_and_commit(verification_id: int, *, engines: Engines, settings: Settings) -> Optional[int]:
    """Analyse, decide, commit, and return the id of the webhook to send (if any)."""
    release_pending_claims()  # a retry of this very job may find its own claim still held
    if not claim_job(verification_id, settings.job_lease_seconds):
        return None
    try:
        return _run_claimed(verification_id, engines, settings)
    except Exception:
        # Most likely the database went away: give the claim back so that the queue's retry
        # runs the job as soon as it can, not after the whole lease.
        try:
            release_claim(verification_id)
        except Exception:  # noqa: BLE001 - kept, and given back when the database answers again
            log.warning("could not release the claim of verification %s yet", verification_id)
            with _unreleased_lock:
                _unreleased_claims.add(verification_id)
        raise


def _run_claimed(verification_id: int, engines: Engines, settings: Settings) -> Optional[int]:
    job = load_job_input(verification_id, make_file_store(settings))
    log.info("job started", extra={"scanRef": job.scan_ref, "run": job.runs})
    if job.runs > MAX_PROCESSING_RUNS:
        return _commit_failure(verification_id, f"processing failed {job.runs - 1} times")
    if job.declared_type and analysed_type(job.declared_type) is None:
        return _commit_not_supported(verification_id, job)
    try:
        started = time.perf_counter()
        images = {step: decode_image(data, max_side=ANALYSIS_MAX_SIDE,
                                     max_decoded_megapixels=settings.max_decoded_megapixels)
                  for step, data in job.images.items() if data is not None}
        challenge = _challenge_of(job, images)
        STAGE_SECONDS.labels("decode").observe(time.perf_counter() - started)
        analysed = analyse_images(
            engines,
            images,
            token_type=job.token_type,
            declared_country=job.country,
            declared_type=analysed_type(job.declared_type),
            additional_steps=additional_step_names(
                job.token_request.get("additionalSteps"), job.country, job.declared_type),
            challenge=challenge,
        )
    except ImageRejected as exc:
        return _commit_failure(verification_id, f"stored image could not be decoded: {exc}")
    except Exception as exc:  # noqa: BLE001 - an analyser bug must not lose the verification
        log.exception("pipeline failed", extra={"scanRef": job.scan_ref})
        return _commit_failure(verification_id, f"pipeline error: {type(exc).__name__}")
    for stage, seconds in analysed.seconds.items():
        STAGE_SECONDS.labels(stage).observe(seconds)
    started = time.perf_counter()
    hook, status = _commit_results(verification_id, job, analysed)
    STAGE_SECONDS.labels("decision_and_commit").observe(time.perf_counter() - started)
    log.info("job finished", extra={"scanRef": job.scan_ref, "status": status,
                                    "seconds": round(sum(analysed.seconds.values()), 3)})
    return hook


def _challenge_of(job: JobInput, images: dict) -> Optional[ChallengeInput]:  # noqa: ANN001
    """The hosted flow's "move closer" frames, taken out of ``images``. Every selfie handed in
    through the flow gets the active check; one without frames is checked as such (an
    inconclusive result), never skipped — unless the partner allows uploaded selfies, when
    it is recorded as not performed."""
    frames = tuple(images.pop(step) for step in frame_steps_in_order(list(images)))
    if job.platform not in FLOW_PLATFORMS or job.token_type != TokenType.IDENTIFICATION:
        return None
    return ChallengeInput(Challenge.MOVE_CLOSER, frames, required=job.selfie_camera_only)


# At most this many scanRefs of matching faces are kept per verification (closest first):
# enough to investigate, bounded for a face that matches a large part of a partner's base.
MAX_DUPLICATE_SCAN_REFS = 100


@dataclass(frozen=True)
class CrossChecks:
    """What the partner's other verifications say about this one."""

    tags: tuple[str, ...]
    reasons: tuple[Reason, ...]
    document_number_key: Optional[str]
    duplicate_faces: Optional[list[str]]  # scanRefs; None when the check did not run
    duplicate_doc_faces: Optional[list[str]]


# Matched verifications recorded with a duplicate finding (the closest first), for the reviewer.
MAX_RECORDED_MATCHES = 5


def _face_matches(session, hits: list[fraud.FaceHit]) -> tuple[Match, ...]:  # noqa: ANN001
    closest: dict[int, fraud.FaceHit] = {}
    for hit in sorted(hits, key=lambda h: h.distance):
        closest.setdefault(hit.verification_id, hit)
    chosen = list(closest.values())[:MAX_RECORDED_MATCHES]
    refs = fraud.scan_refs(session, [h.verification_id for h in chosen])
    return tuple(Match(refs[h.verification_id], h.client_id, h.kind, round(h.distance, 4))
                 for h in chosen if h.verification_id in refs)


def _cross_checks(session, verification: Verification, analysed: ImageAnalysis, token: TokenOptions) -> CrossChecks:  # noqa: ANN001
    """Fraud tags from the partner's other verifications: the same document number or face
    under another clientId, and the partner's blocklist (each as the session allows). The
    reasons name the verifications matched, so the reviewer can open them."""
    tags: list[str] = []
    reasons: list[Reason] = []
    key = fraud.document_number_key(analysed.document_data.get("doc_document_number"))
    same_document = (fraud.same_document_elsewhere(session, verification, key, MAX_RECORDED_MATCHES)
                     if token.check_duplicate_personal_data else [])
    if same_document:
        tags.append(FraudTag.DUPLICATE_PERSONAL_DATA)
        reasons.append(Reason("duplicates", FraudTag.DUPLICATE_PERSONAL_DATA,
                              "same document number under another clientId",
                              matches=tuple(Match(ref, client) for ref, client in same_document)))
    if token.check_person_blacklist and fraud.is_blocked(session, verification.partner_id, key):
        tags.append(FraudTag.DATA_IN_BLACKLIST)
        reasons.append(Reason("blocklist", FraudTag.DATA_IN_BLACKLIST, "document number is on the partner's blocklist"))
    face = analysed.face
    matches: dict[str, Optional[list[str]]] = {"selfie": None, "document": None}
    for kind, tag, vector, wanted in (
            ("selfie", FraudTag.DUPLICATE_FACE, face.selfie_embedding, token.check_duplicate_faces),
            ("document", FraudTag.DUPLICATE_DOC_FACE, face.document_embedding, token.check_duplicate_doc_faces)):
        if vector is None or not wanted:
            continue
        hits = sorted(fraud.face_index.search(session, verification.partner_id, vector,
                                              max_distance=DLIB_SAME_PERSON_MAX_DISTANCE,
                                              exclude_client=verification.client_id), key=lambda h: h.distance)
        ids = list(dict.fromkeys(h.verification_id for h in hits if h.verification_id != verification.id))
        matches[kind] = fraud.scan_refs_of(session, ids[:MAX_DUPLICATE_SCAN_REFS])
        if hits:
            best = hits[0]
            tags.append(tag)
            reasons.append(Reason("duplicates", tag, f"{kind} face matches another clientId's {best.kind} face",
                                  {"distance": round(best.distance, 4), "matches": float(len(hits))},
                                  matches=_face_matches(session, hits)))
    return CrossChecks(tuple(dict.fromkeys(tags)), tuple(reasons), key, matches["selfie"], matches["document"])


def _commit_results(verification_id: int, job: JobInput, analysed: ImageAnalysis) -> tuple[Optional[int], str]:
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        token = TokenOptions.from_stored(job.token_request)
        checks = _cross_checks(session, verification, analysed, token)
        # Sanctions/PEP screening of the person read from the document, when asked for.
        screening = (screen_verification(session, verification, verification.partner, analysed.document_data, token)
                     if screening_requested(verification.partner, token) else ScreeningOutcome())
        analysis: Analysis = conclude(
            analysed,
            token_type=job.token_type,
            token_request=job.token_request,
            review_policy=token.review_policy(job.review_policy),
            # The session's ageLimit replaces the partner's minimum age.
            minimum_age=token.age_limit if token.age_limit is not None else job.minimum_age,
            maximum_age=token.age_max,
            fraud_tags=checks.tags + screening.fraud_tags,
            fraud_reasons=checks.reasons + screening.reasons,
            suspicion_reasons=screening.suspicion_reasons,
            review_reasons=screening.review_reasons,
        )
        values: dict[str, Any] = dict(
            status=analysis.decision.status,
            auto_document=analysis.document.validity,
            auto_face=analysis.face.result,
            face_similarity=analysis.face.similarity,
            document_data=analysis.images.document_data,
            document_type=verification.document_type or analysis.images.detected_type,
            document_number_key=checks.document_number_key,
            duplicate_faces=checks.duplicate_faces,
            duplicate_doc_faces=checks.duplicate_doc_faces,
            fraud_tags=list(analysis.fraud_tags),
            mismatch_tags=list(analysis.mismatch_tags),
            suspicion_reasons=list(analysis.suspicion_reasons),
            decision_reasons=[r.as_dict() for r in analysis.decision.reasons],
            additional_steps=analysis.images.additional_steps,
        )
        if not write_result(session, verification_id, values):
            session.rollback()  # nor the screening: another run already committed its own
            return None, "already finished"
        VERIFICATIONS.labels(analysis.decision.status, "automatic").inc()
        for kind, vector in (("selfie", analysis.face.selfie_embedding),
                             ("document", analysis.face.document_embedding)):
            if vector is not None:
                fraud.store_face(session, verification, kind, vector)
        session.refresh(verification)
        hook = add_webhook(session, verification, WebhookEvent.AUTOMATIC, final=analysis.decision.final)
        return hook, analysis.decision.status


def _commit_not_supported(verification_id: int, job: JobInput) -> Optional[int]:
    """A document type the partner offered that openidv cannot analyse: DOC_NOT_SUPPORTED,
    decided like any hard document failure (the partner's review policy applies)."""
    token = TokenOptions.from_stored(job.token_request)
    face_required = job.token_type == TokenType.IDENTIFICATION
    decision = decide(DocumentCode.DOC_NOT_SUPPORTED, FaceCode.FACE_NOT_ANALYSED, face_required=face_required,
                      review_policy=token.review_policy(job.review_policy))
    why = Reason("document", DocumentCode.DOC_NOT_SUPPORTED,
                 f"openidv does not analyse {job.declared_type} documents")
    with session_scope() as session:
        screening = record_not_screened(session, session.get(Verification, verification_id),
                                        "the document was not analysed")
        values = dict(
            status=decision.status,
            auto_document=DocumentCode.DOC_NOT_SUPPORTED,
            auto_face=FaceCode.FACE_NOT_ANALYSED,
            fraud_tags=list(screening.fraud_tags),
            suspicion_reasons=list(screening.suspicion_reasons),
            decision_reasons=[r.as_dict() for r in (why, *decision.reasons, *screening.reasons)],
        )
        if not write_result(session, verification_id, values):
            session.rollback()
            return None
        VERIFICATIONS.labels(decision.status, "automatic").inc()
        verification = session.get(Verification, verification_id)
        return add_webhook(session, verification, WebhookEvent.AUTOMATIC, final=decision.final)


def _commit_failure(verification_id: int, why: str) -> Optional[int]:
    """The pipeline could not run: a human looks (REVIEWING), nothing is lost."""
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        screening = record_not_screened(session, verification, "the document was not read: " + why)
        values = dict(
            status=Status.REVIEWING,
            auto_document=DocumentCode.DOC_ERROR,
            auto_face=FaceCode.FACE_ERROR if verification.token_type == TokenType.IDENTIFICATION
            else FaceCode.FACE_NOT_ANALYSED,
            fraud_tags=list(screening.fraud_tags),
            suspicion_reasons=list(screening.suspicion_reasons),
            decision_reasons=[r.as_dict() for r in (Reason("pipeline", Status.REVIEWING, why), *screening.reasons)],
        )
        if not write_result(session, verification_id, values):
            session.rollback()
            return None
        session.refresh(verification)
        return add_webhook(session, verification, WebhookEvent.AUTOMATIC, final=False)
