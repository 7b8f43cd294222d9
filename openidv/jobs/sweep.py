"""The sweep beside every worker: what makes a job "acknowledged only after its results are
committed", and the periodic housekeeping.

A Huey task leaves the queue when a worker takes it, so a worker killed mid-job would lose
it. The sweep re-queues any started verification without a result after its lease, and any
webhook still pending past its next attempt; it also expires unused tokens and, hourly,
erases data past each partner's retention period. Every worker runs one; each step is
idempotent (conditional updates, claimed webhooks), so several at once only cost queries.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import select

from openidv.config import Settings
from openidv.jobs.tasks import WorkQueue
from openidv.services.processing import release_pending_claims
from openidv.services.verifications import expire_unused_tokens
from openidv.store.db import checkpoint_if_owed, session_scope
from openidv.store.drafts import erase_stale_drafts
from openidv.store.fraud import face_index
from openidv.store.files import LocalFileStore, make_file_store
from openidv.store.jobs import lost_jobs, overdue_webhooks, unclaimed_jobs
from openidv.store.models import FlowDraft, StoredFile, utcnow
from openidv.store.retention import purge

log = logging.getLogger("openidv.jobs")

PURGE_EVERY_SECONDS = 3600
ORPHAN_MIN_AGE_SECONDS = 3600


def run_sweep(settings: Settings, queue: WorkQueue) -> dict[str, int]:
    """Expire unused tokens, re-queue lost jobs and overdue webhooks. Safe to run anywhere.

    A job that no worker ever claimed is normally still waiting in the queue. When the queue
    holds fewer jobs than there are unclaimed verifications, some were lost with it (a Redis
    restart without persistence, an enqueue that failed): those are queued again after a
    short grace instead of after the whole lease. A job queued twice is harmless: the
    second run finds it claimed or finished.
    """
    now = utcnow()
    release_pending_claims()  # before looking for unclaimed jobs: these are among them then
    with session_scope() as session:
        expired = expire_unused_tokens(session, now)
    with session_scope() as session:
        erase_stale_drafts(session, make_file_store(settings), now)  # saved flow photos of ended sessions
    with session_scope() as session:
        jobs = lost_jobs(session, now, settings.job_lease_seconds)
        unclaimed = unclaimed_jobs(session, now, settings.unclaimed_job_grace_seconds)
        hooks = overdue_webhooks(session, now)
    if unclaimed and queue.pending_count() < len(unclaimed):
        jobs = list(dict.fromkeys(jobs + unclaimed))
    with session_scope() as session:
        face_index.drop_erased(session)  # erased faces leave this process's memory too
    checkpoint_if_owed()  # erased data leaves SQLite's WAL even if readers held it up before
    for verification_id in jobs:
        queue.submit_verification(verification_id)
    for delivery_id in [h for h in expired if h] + hooks:
        queue.submit_webhook(delivery_id)
    if jobs or hooks or expired:
        log.info("sweep: expired=%d requeued_jobs=%d requeued_webhooks=%d", len(expired), len(jobs), len(hooks))
    return {"expired": len(expired), "jobs": len(jobs), "webhooks": len(hooks)}


def run_retention_purge(settings: Settings) -> None:
    files = make_file_store(settings)
    plan = purge(session_scope, files, dry_run=False)
    if plan.images or plan.personal_data:
        log.info("retention purge", extra={"images": len(plan.images), "personal_data": len(plan.personal_data)})
    if isinstance(files.store, LocalFileStore):
        with session_scope() as session:
            known = set(session.scalars(select(StoredFile.storage_key).where(StoredFile.deleted_at.is_(None))))
            known |= set(session.scalars(select(FlowDraft.storage_key)))
        removed = files.store.remove_orphans(known, ORPHAN_MIN_AGE_SECONDS)
        if removed:
            log.info("orphaned files removed", extra={"count": removed})


class Sweeper(threading.Thread):
    """Runs the sweep every OPENIDV_SWEEP_INTERVAL_SECONDS, and the retention purge hourly."""

    def __init__(self, settings: Settings, queue: WorkQueue) -> None:
        super().__init__(name="openidv-sweeper", daemon=True)
        self.settings = settings
        self.queue = queue
        self.stopped = threading.Event()

    def run(self) -> None:
        last_purge = 0.0
        while not self.stopped.wait(self.settings.sweep_interval_seconds):
            try:
                run_sweep(self.settings, self.queue)
                if time.monotonic() - last_purge >= PURGE_EVERY_SECONDS:
                    last_purge = time.monotonic()
                    run_retention_purge(self.settings)
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
                log.exception("sweep failed")

    def stop(self) -> None:
        self.stopped.set()
