"""The Huey instance: SQLite-backed in the embedded mode, Redis when OPENIDV_QUEUE_URL says so."""

from __future__ import annotations

import threading
import time

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from openidv.config import Settings, get_settings


def make_huey(settings: Settings) -> Huey:
    url = settings.queue_url
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(settings.queue_name, url=url, results=False, utc=True)
    if url and not url.startswith("sqlite"):
        raise ValueError(f"OPENIDV_QUEUE_URL={url!r}: use redis://… or leave unset for SQLite")
    path = url.removeprefix("sqlite:///") if url else str(settings.home / "queue.db")
    settings.home.mkdir(parents=True, exist_ok=True)
    return WakeableSqliteHuey(settings.queue_name, filename=path, results=False, utc=True)


class WakeableSqliteStorage(SqliteStorage):
    """Huey's SQLite queue, with waiting workers woken by an enqueue in the same process.

    Huey's consumer polls a non-blocking queue with a growing sleep (0.1 s × 1.15 per empty
    poll, up to 10 s), so in the embedded mode a job arriving after a quiet minute waited up
    to 10 s before any work began. Here the API and the worker share the process, so
    ``enqueue`` wakes the waiting workers at once; an enqueue from another process is still
    seen within ``wait_seconds`` (Huey's Redis queue behaves the same way with BRPOP).
    """

    blocking = True  # the consumer then calls dequeue again instead of sleeping

    def __init__(self, *args, wait_seconds: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wait_seconds = wait_seconds
        self._arrived = threading.Condition()
        self._pending = 0  # enqueues since a waiting worker last looked

    def enqueue(self, data, priority=None) -> None:  # noqa: ANN001 - Huey's signature
        super().enqueue(data, priority=priority)
        with self._arrived:
            self._pending += 1
            self._arrived.notify_all()

    def dequeue(self):  # noqa: ANN201 - Huey's signature
        deadline = time.monotonic() + self.wait_seconds
        while True:
            data = super().dequeue()
            if data is not None:
                return data
            with self._arrived:
                if not self._pending:  # nothing arrived since the empty read above
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._arrived.wait(remaining)
                self._pending = 0


class WakeableSqliteHuey(SqliteHuey):
    storage_class = WakeableSqliteStorage


huey = make_huey(get_settings())


class EmbeddedConsumer(Consumer):
    """A consumer that runs inside `openidv serve`: uvicorn owns the process signals."""

    def _set_signal_handlers(self) -> None:
        pass
