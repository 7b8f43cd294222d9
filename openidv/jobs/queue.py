"""The job queue: Huey on SQLite (embedded mode) or Redis (scale-out), carrying only signed
plain data.

A queued job is JSON — the task's name, its integer arguments and Huey's bookkeeping — with
an HMAC-SHA256 from a key derived from the data encryption key, which every process of a
deployment shares. A worker verifies the HMAC before it reads anything else; a message that
fails (written by anyone who can reach Redis but has no key, or altered) is logged and
dropped. Nothing is ever unpickled: Huey's default serializer is pickle, and whoever can
write to the queue could otherwise run code on the workers, which hold the encryption key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.registry import Message
from huey.serializer import Serializer
from huey.storage import SqliteStorage

from openidv.config import Settings
from openidv.datadir import private_file
from openidv.store.crypto import derive_key

log = logging.getLogger("openidv.jobs")

JOB_FORMAT = 1
# Huey's message fields that a job may carry; chords, callbacks and keyword arguments are
# not used by openidv and are refused.
_PLAIN_FIELDS = ("id", "name", "retries", "retry_delay", "priority", "timeout", "retry_backoff")


class InvalidJob(ValueError):
    """A queue message that is not a job this deployment signed (or not one it runs)."""


class SignedJsonSerializer(Serializer):
    """Huey messages as signed JSON; only tasks in ``allowed_tasks`` with integer arguments."""

    def __init__(self, keys: list[bytes], allowed_tasks: Callable[[], set[str]]) -> None:
        super().__init__()
        # The first key signs; older ones (key rotation) are still accepted on jobs in flight.
        self._keys = [derive_key(key, "openidv job queue v1") for key in keys]
        self._allowed_tasks = allowed_tasks

    def _serialize(self, message: Message) -> bytes:
        if message.kwargs or message.on_complete or message.on_error or message.chord_config:
            raise InvalidJob("jobs carry positional integer arguments only")
        if any(not isinstance(arg, int) or isinstance(arg, bool) for arg in message.args or ()):
            raise InvalidJob("job arguments must be integers")
        body = {field: getattr(message, field) for field in _PLAIN_FIELDS}
        body.update(v=JOB_FORMAT, args=list(message.args or ()), eta=_time_text(message.eta),
                    expires=_expiry_text(message.expires), expires_resolved=_time_text(message.expires_resolved))
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return payload + b"." + self._signature(payload, self._keys[0]).encode()

    def _deserialize(self, data: bytes) -> Message:
        payload, sep, signature = data.rpartition(b".")
        if not sep or not any(hmac.compare_digest(signature, self._signature(payload, key).encode())
                              for key in self._keys):
            raise InvalidJob("signature does not verify")
        try:
            body = json.loads(payload)
        except ValueError:
            raise InvalidJob("not JSON") from None
        if not isinstance(body, dict) or body.get("v") != JOB_FORMAT:
            raise InvalidJob("unknown job format")
        if body.get("name") not in self._allowed_tasks():
            raise InvalidJob(f"unknown task {str(body.get('name'))[:80]!r}")
        args = body.get("args")
        if not isinstance(args, list) or any(not isinstance(a, int) or isinstance(a, bool) for a in args):
            raise InvalidJob("job arguments must be integers")
        return Message(**{field: body.get(field) for field in _PLAIN_FIELDS}, args=tuple(args), kwargs={},
                       eta=_parse_time(body.get("eta")), expires=_parse_expiry(body.get("expires")),
                       expires_resolved=_parse_time(body.get("expires_resolved")))

    @staticmethod
    def _signature(payload: bytes, key: bytes) -> str:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _time_text(value: Optional[dt.datetime]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _parse_time(value: Any) -> Optional[dt.datetime]:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


def _expiry_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"at": value.isoformat()}
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def _parse_expiry(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("at"), str):
        return dt.datetime.fromisoformat(value["at"])
    return value if isinstance(value, (int, float)) else None


class _DroppingInvalidJobs:
    """Huey mixin: a message that fails verification is logged once and dropped (it has
    already left the queue), instead of Huey's error log with a traceback."""

    def dequeue(self):  # noqa: ANN201 - Huey's signature
        data = self.storage.dequeue()  # type: ignore[attr-defined]
        if data is None:
            return None
        try:
            return self.deserialize_task(data)  # type: ignore[attr-defined]
        except InvalidJob as exc:
            log.warning("dropped a queue message that is not a valid job", extra={"reason": str(exc)})
            return None

    def read_schedule(self, timestamp=None):  # noqa: ANN001, ANN201 - Huey's signature
        if timestamp is None:
            timestamp = self._get_timestamp()  # type: ignore[attr-defined]
        tasks = []
        for data in self.storage.read_schedule(timestamp):  # type: ignore[attr-defined]
            try:
                tasks.append(self.deserialize_task(data))  # type: ignore[attr-defined]
            except InvalidJob as exc:
                log.warning("dropped a scheduled queue message that is not a valid job", extra={"reason": str(exc)})
        return tasks


class WakeableSqliteStorage(SqliteStorage):
    """Huey's SQLite queue, with waiting workers woken by an enqueue in the same process.

    Huey's consumer polls a non-blocking queue with a growing sleep (0.1 s × 1.15 per empty
    poll, up to 10 s), so in the embedded mode a job arriving after a quiet minute waited up
    to 10 s before any work began. Here the API and the worker share the process, so
    ``enqueue`` wakes the waiting workers at once; an enqueue from another process is still
    seen within ``wait_seconds`` (Huey's Redis queue behaves the same way with BRPOP).
    """

    blocking = True  # the consumer then calls dequeue again instead of sleeping

    def __init__(self, *args, wait_seconds: float = 1.0, **kwargs) -> None:  # noqa: ANN002, ANN003
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


class SignedSqliteHuey(_DroppingInvalidJobs, SqliteHuey):
    storage_class = WakeableSqliteStorage


class SignedRedisHuey(_DroppingInvalidJobs, RedisHuey):
    pass


def make_huey(settings: Settings) -> Huey:
    """The Huey instance for the configured queue, with the signed JSON serializer."""
    url = settings.queue_url
    holder: dict[str, Huey] = {}
    serializer = SignedJsonSerializer(settings.data_keys(), lambda: set(holder["huey"]._registry._registry))
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = SignedRedisHuey(settings.queue_name, url=url, results=False, utc=True, serializer=serializer)
    elif url and not url.startswith("sqlite"):
        raise ValueError(f"OPENIDV_QUEUE_URL={url!r}: use redis://… or leave unset for SQLite")
    else:
        path = url.removeprefix("sqlite:///") if url else str(settings.home / "queue.db")
        private_file(Path(path))  # 0600 before SQLite creates it (and its -wal) with the umask
        huey = SignedSqliteHuey(settings.queue_name, filename=path, results=False, utc=True, serializer=serializer)
    holder["huey"] = huey
    return huey


class EmbeddedConsumer(Consumer):
    """A consumer that runs inside `openidv serve`: uvicorn owns the process signals."""

    def _set_signal_handlers(self) -> None:
        pass
