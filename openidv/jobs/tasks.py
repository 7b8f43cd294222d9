"""The deployment's work queue: the tasks a worker runs, and submitting them.

Each task is idempotent — running one twice (after a crash) changes nothing — because the
work it calls claims its row first (services/processing.py, webhooks/attempts.py).
"""

from __future__ import annotations

from openidv.config import Settings
from openidv.jobs.queue import make_huey
from openidv.pipeline.engines import Engines
from openidv.services.processing import process_verification
from openidv.webhooks.attempts import send_webhook_attempt


class WorkQueue:
    """Implements the use cases' JobQueue on Huey; a worker process runs what it queues.

    One per process (built by the app or the worker command), with the engines its tasks
    analyse with: an API-only process submits jobs and never runs them.
    """

    def __init__(self, settings: Settings, engines: Engines) -> None:
        self.settings = settings
        self.engines = engines
        self.huey = make_huey(settings)
        self._verification_task = self.huey.task(retries=3, retry_delay=5, name="process_verification")(
            self._run_verification)
        self._webhook_task = self.huey.task(retries=2, retry_delay=5, name="deliver_webhook")(self._run_webhook)
        self._health_client = None

    def ping(self) -> None:
        """Raise when the queue's server cannot be reached (readiness checks), within ~2 s."""
        if self.settings.queue_url and self.settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            if self._health_client is None:
                self._health_client = redis.Redis.from_url(self.settings.queue_url, socket_timeout=2,
                                                           socket_connect_timeout=2)
            self._health_client.ping()
        else:
            self.huey.storage.conn.execute("SELECT 1").fetchone()

    def pending_count(self) -> int:
        """Messages waiting in the queue (jobs and webhook deliveries)."""
        return int(self.huey.pending_count())

    def submit_verification(self, verification_id: int) -> None:
        self._verification_task(verification_id)

    def submit_webhook(self, delivery_id: int) -> None:
        self._webhook_task(delivery_id)

    def _run_verification(self, verification_id: int) -> None:
        process_verification(verification_id, engines=self.engines, settings=self.settings, queue=self)

    def _run_webhook(self, delivery_id: int) -> None:
        next_delay = send_webhook_attempt(self.settings, delivery_id)
        if next_delay is not None:
            self._webhook_task.schedule((delivery_id,), delay=next_delay)
