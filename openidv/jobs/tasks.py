"""The queue's tasks. Each is idempotent: running one twice (after a crash) changes nothing.

A Huey task is removed from the queue when a worker takes it, so a worker killed mid-job
would lose it; the sweep (a thread beside every consumer) is what makes a job "acknowledged only after its results
are committed": any started verification without results after the lease is queued again,
and so is any webhook still pending past its next attempt time.
"""

from __future__ import annotations

import datetime as dt
import logging

import threading
import time

from sqlalchemy import and_, or_, select, update

from openidv.config import get_settings
from openidv.jobs.processing import process_verification_job
from openidv.jobs.queue import huey
from openidv.metrics import WEBHOOKS
from openidv.store.db import session_scope
from openidv.store.file_urls import FileUrlSigner
from openidv.store.models import Partner, Verification, WebhookAttempt, WebhookDelivery, utcnow
from openidv.store.verifications import expire_unused_tokens, live_files, webhook_secret
from openidv.webhooks.delivery import (
    RETRY_DELAYS,
    RETRY_WINDOW_SECONDS,
    encode_payload,
    post_webhook,
)

log = logging.getLogger("openidv.jobs")

CLAIM_SECONDS = 60  # one attempt (10 s timeout) fits well inside


@huey.task(retries=3, retry_delay=5)
def process_verification(verification_id: int) -> None:
    delivery_id = process_verification_job(verification_id)
    if delivery_id is not None:
        deliver_webhook(delivery_id)


@huey.task(retries=2, retry_delay=5)
def deliver_webhook(delivery_id: int) -> None:
    next_delay = send_webhook_attempt(delivery_id)
    if next_delay is not None:
        deliver_webhook.schedule((delivery_id,), delay=next_delay)


def send_webhook_attempt(delivery_id: int) -> int | None:
    """One attempt. Returns the delay before the next one, or None when done."""
    settings = get_settings()
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.state == "pending",
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        verification = session.get(Verification, delivery.verification_id)
        partner = session.get(Partner, verification.partner_id)
        secret = webhook_secret(partner, settings.data_keys())
        signer = FileUrlSigner(settings)
        payload = dict(delivery.payload)
        if verification.status != "DELETED":
            payload["fileUrls"] = {f.step: signer.url(f.id) for f in live_files(session, verification.id)}
        url = delivery.url

    result = post_webhook(
        url,
        encode_payload(payload),
        secret,
        timeout=settings.webhook_timeout,
        allow_private=settings.allow_private_callbacks,
    )

    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                status_code=result.status_code,
                error=result.error,
                duration_ms=result.duration_ms,
            )
        )
        delivery.attempts += 1
        delivery.claimed_until = None
        if result.ok:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
            WEBHOOKS.labels("delivered").inc()
            return None
        age = (utcnow() - delivery.created_at).total_seconds()
        if result.permanent or age >= RETRY_WINDOW_SECONDS:
            delivery.state = "failed"
            WEBHOOKS.labels("refused" if result.permanent else "given_up").inc()
            log.warning("webhook given up", extra={"delivery_id": delivery_id, "error": result.error})
            return None
        WEBHOOKS.labels("failed_attempt").inc()
        delay = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
        delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
        return delay


class Sweeper(threading.Thread):
    """Runs `run_sweep` every OPENIDV_SWEEP_INTERVAL_SECONDS beside each queue consumer.

    Every worker runs one; the sweep is idempotent (conditional updates, claimed webhooks),
    so several at once only cost a few queries.
    """

    def __init__(self, interval: float) -> None:
        super().__init__(name="openidv-sweeper", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    PURGE_EVERY_SECONDS = 3600

    def run(self) -> None:
        last_purge = 0.0
        while not self.stopped.wait(self.interval):
            try:
                run_sweep()
                if time.monotonic() - last_purge >= self.PURGE_EVERY_SECONDS:
                    last_purge = time.monotonic()
                    run_retention_purge()
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
                log.exception("sweep failed")

    def stop(self) -> None:
        self.stopped.set()


ORPHAN_MIN_AGE_SECONDS = 3600


def run_retention_purge() -> None:
    from openidv.store.files import LocalFileStore, make_file_store
    from openidv.store.models import StoredFile
    from openidv.store.retention import purge

    files = make_file_store(get_settings())
    with session_scope() as session:
        plan = purge(session, files, dry_run=False)
    if plan.images or plan.personal_data:
        log.info("retention purge", extra={"images": len(plan.images), "personal_data": len(plan.personal_data)})
    if isinstance(files.store, LocalFileStore):
        with session_scope() as session:
            known = set(session.scalars(select(StoredFile.storage_key).where(StoredFile.deleted_at.is_(None))))
        removed = files.store.remove_orphans(known, ORPHAN_MIN_AGE_SECONDS)
        if removed:
            log.info("orphaned files removed", extra={"count": removed})


def run_sweep() -> dict[str, int]:
    """Expire unused tokens, re-queue lost jobs and overdue webhooks. Safe to run anywhere."""
    settings = get_settings()
    now = utcnow()
    lease = dt.timedelta(seconds=settings.job_lease_seconds)
    with session_scope() as session:
        expired = expire_unused_tokens(session, now)
        expired_hooks = [h for h in expired if h]
    with session_scope() as session:
        lost_jobs = list(
            session.scalars(
                select(Verification.id).where(
                    Verification.status == "ACTIVE",
                    Verification.token_used.is_(True),
                    Verification.finish_time.is_(None),
                    or_(
                        and_(Verification.processing_since.is_(None), Verification.start_time < now - lease),
                        Verification.processing_since < now - lease,
                    ),
                ).limit(1000)
            )
        )
        overdue_hooks = list(
            session.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.state == "pending",
                    WebhookDelivery.next_attempt_at < now - dt.timedelta(seconds=60),
                    or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
                ).limit(1000)
            )
        )
    for vid in lost_jobs:
        process_verification(vid)
    for hook in expired_hooks + overdue_hooks:
        deliver_webhook(hook)
    if lost_jobs or overdue_hooks or expired:
        log.info("sweep: expired=%d requeued_jobs=%d requeued_webhooks=%d",
                 len(expired), len(lost_jobs), len(overdue_hooks))
    return {"expired": len(expired), "jobs": len(lost_jobs), "webhooks": len(overdue_hooks)}
