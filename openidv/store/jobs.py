"""The database side of processing a verification: claiming the job with a lease, reading
its inputs, writing its automatic result exactly once, and finding jobs that were lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import and_, or_, select

from openidv.core.vocab import Status
from openidv.store.db import session_scope
from openidv.store.files import EncryptedFiles
from openidv.store.leases import update_if
from openidv.store.models import Partner, Verification, WebhookDelivery, utcnow
from openidv.store.verifications import live_files


@dataclass(frozen=True)
class JobInput:
    """What a job reads from the store before the (slow) analysis, outside any transaction."""

    images: dict[str, bytes]
    token_type: str
    token_request: dict[str, Any]
    country: Optional[str]
    declared_type: Optional[str]
    review_policy: str
    minimum_age: Optional[int]
    runs: int
    scan_ref: str
    platform: Optional[str] = None  # OTHER (direct processing), or PC / MOBILE / TABLET for the hosted flow
    selfie_camera_only: bool = True  # the partner's hosted-flow setting (the challenge is required)


def _lease_expired(now: dt.datetime, lease_seconds: int):  # noqa: ANN202 - a SQL expression
    return or_(Verification.processing_since.is_(None),
               Verification.processing_since < now - dt.timedelta(seconds=lease_seconds))


def claim_job(verification_id: int, lease_seconds: int) -> bool:
    """Take the job unless another worker holds a fresh lease or it is already finished."""
    now = utcnow()
    with session_scope() as session:
        return update_if(
            session, Verification,
            Verification.id == verification_id,
            Verification.status == Status.ACTIVE,
            Verification.token_used.is_(True),
            Verification.finish_time.is_(None),
            _lease_expired(now, lease_seconds),
            processing_since=now, processing_runs=Verification.processing_runs + 1,
        )


def load_job_input(verification_id: int, files: EncryptedFiles) -> JobInput:
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
            scan_ref=v.scan_ref,
            platform=v.platform,
            selfie_camera_only=partner.selfie_camera_only is not False,
        )


def release_claim(verification_id: int) -> bool:
    """Give a claimed, unfinished job back (its run failed): a retry may claim it at once
    instead of waiting for the lease to run out."""
    with session_scope() as session:
        return update_if(
            session, Verification,
            Verification.id == verification_id, Verification.finish_time.is_(None),
            Verification.processing_since.is_not(None),
            processing_since=None,
        )


def write_result(session, verification_id: int, values: dict[str, Any]) -> bool:  # noqa: ANN001
    """Write the automatic result once: a second run of the same job changes nothing."""
    return update_if(
        session, Verification,
        Verification.id == verification_id, Verification.finish_time.is_(None),
        Verification.status == Status.ACTIVE,
        finish_time=utcnow(), version=Verification.version + 1, **values,
    )


def lost_jobs(session, now: dt.datetime, lease_seconds: int, limit: int = 1000) -> list[int]:  # noqa: ANN001
    """Started verifications without a result whose lease ran out (or that no worker took)."""
    lease = dt.timedelta(seconds=lease_seconds)
    return list(session.scalars(
        select(Verification.id).where(
            Verification.status == Status.ACTIVE,
            Verification.token_used.is_(True),
            Verification.finish_time.is_(None),
            or_(
                and_(Verification.processing_since.is_(None), Verification.start_time < now - lease),
                Verification.processing_since < now - lease,
            ),
        ).limit(limit)
    ))


def unclaimed_jobs(session, now: dt.datetime, grace_seconds: float, limit: int = 1000) -> list[int]:  # noqa: ANN001
    """Started verifications that no worker has claimed for ``grace_seconds``: still queued
    behind others, or lost with the queue (the caller tells them apart)."""
    return list(session.scalars(
        select(Verification.id).where(
            Verification.status == Status.ACTIVE,
            Verification.token_used.is_(True),
            Verification.finish_time.is_(None),
            Verification.processing_since.is_(None),
            Verification.start_time < now - dt.timedelta(seconds=grace_seconds),
        ).order_by(Verification.start_time).limit(limit)
    ))


def overdue_webhooks(session, now: dt.datetime, limit: int = 1000) -> list[int]:  # noqa: ANN001
    """Pending webhooks past their next attempt by a minute and not claimed by a sender."""
    return list(session.scalars(
        select(WebhookDelivery.id).where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at < now - dt.timedelta(seconds=60),
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        ).limit(limit)
    ))
