"""What the use cases need from the job queue, so they do not depend on how it is built."""

from __future__ import annotations

from typing import Protocol


class JobQueue(Protocol):
    """Hands work to the workers. Both calls are best effort: the sweep re-queues a committed
    job or webhook that did not reach the queue."""

    def submit_verification(self, verification_id: int) -> None:
        """Queue the analysis of a verification whose images are committed."""

    def submit_webhook(self, delivery_id: int) -> None:
        """Queue the delivery of a committed outbox row."""

    def ping(self) -> None:
        """Raise when the queue's server cannot be reached."""
