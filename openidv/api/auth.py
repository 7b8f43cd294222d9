"""Partner authentication (HTTP Basic, constant-time, briefly cached) and the per-partner
rate limit."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import threading
import time
from typing import Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from openidv.config import Settings
from openidv.core.errors import TooManyRequests, Unauthorized
from openidv.services.partners import PartnerContext, authenticate
from openidv.store import crypto

log = logging.getLogger("openidv.api")


def basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Unauthorized()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthorized() from None
    key, sep, secret = decoded.partition(":")
    if not sep or not key or len(key) > 200 or len(secret) > 200:
        raise Unauthorized()
    return key, secret


class PartnerCache:
    """Partners whose credentials were checked against the database moments ago, so that a
    busy partner's requests do not each pay a database round trip; policy changes made with
    the command line apply within ``seconds``."""

    def __init__(self, seconds: float = 10.0, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, str, PartnerContext]] = {}
        self._lock = threading.Lock()

    def lookup(self, key: str, secret: str) -> Optional[PartnerContext]:
        """The partner if cached and fresh (cheap enough to run on the event loop); None when
        the database must be asked; Unauthorized when the cached secret does not match."""
        cached = self._entries.get(key)
        if cached is None or time.monotonic() - cached[0] >= self.seconds:
            return None
        if not crypto.secret_matches(secret, cached[1]):
            raise Unauthorized()
        return cached[2]

    def authenticate(self, key: str, secret: str) -> PartnerContext:
        """Check against the database (a worker thread's job) and remember the result."""
        now = time.monotonic()
        found = authenticate(key, secret)
        if found is None:
            raise Unauthorized()
        with self._lock:
            if len(self._entries) > self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, found.secret_hash, found.context)
        return found.context


class RateLimiter:
    """Fixed one-hour windows per partner: in Redis when there is one (shared by every API
    process), else in this process's memory (the embedded mode has one API process).

    Redis is asked off the event loop with a short timeout; when it does not answer, this
    process's own count stands in (and says so in the log), so a queue outage never takes
    the whole partner API down with it.
    """

    REDIS_TIMEOUT_SECONDS = 0.3

    def __init__(self, settings: Settings) -> None:
        self.default_limit = settings.rate_limit_per_hour
        self.namespace = settings.queue_name
        self._redis = None
        if settings.queue_url and settings.queue_url.startswith(("redis://", "rediss://")):
            import redis

            self._redis = redis.Redis.from_url(settings.queue_url, socket_timeout=self.REDIS_TIMEOUT_SECONDS,
                                               socket_connect_timeout=self.REDIS_TIMEOUT_SECONDS)
        self._counts: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()
        self._warned_at = 0.0

    async def hit(self, partner: PartnerContext) -> None:
        limit = partner.rate_limit_per_hour or self.default_limit
        window = int(time.time() // 3600)
        count = None
        if self._redis is not None:
            try:
                count = await asyncio.wait_for(run_in_threadpool(self._redis_count, partner.id, window),
                                               self.REDIS_TIMEOUT_SECONDS * 2)
            except Exception as exc:  # noqa: BLE001 - any Redis trouble: count locally
                self._warn(exc)
        if count is None:
            count = self._local_count(partner.id, window)
        if count > limit:
            raise TooManyRequests(f"Rate limit of {limit} requests per hour exceeded")

    def _redis_count(self, partner_id: int, window: int) -> int:
        key = f"{self.namespace}:rate:{partner_id}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3700)
        return int(pipe.execute()[0])

    def _local_count(self, partner_id: int, window: int) -> int:
        with self._lock:
            count = self._counts.get((partner_id, window), 0) + 1
            self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            self._counts[(partner_id, window)] = count
        return count

    def _warn(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning("rate limit counted in this process: Redis did not answer",
                        extra={"error": f"{type(exc).__name__}: {str(exc)[:200]}"})
