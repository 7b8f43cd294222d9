"""Partner authentication (HTTP Basic, constant-time, briefly cached) and the per-partner
rate limit."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from typing import Optional

from starlette.requests import Request

from openidv.config import Settings
from openidv.core.errors import TooManyRequests, Unauthorized
from openidv.services.partners import PartnerContext, authenticate
from openidv.store import crypto


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
    process), else in this process's memory (the embedded mode has one API process)."""

    def __init__(self, settings: Settings) -> None:
        self.default_limit = settings.rate_limit_per_hour
        self.namespace = settings.queue_name
        self._redis = None
        if settings.queue_url and settings.queue_url.startswith(("redis://", "rediss://")):
            import redis

            self._redis = redis.Redis.from_url(settings.queue_url)
        self._counts: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, partner: PartnerContext) -> None:
        limit = partner.rate_limit_per_hour or self.default_limit
        window = int(time.time() // 3600)
        if self._redis is not None:
            key = f"{self.namespace}:rate:{partner.id}:{window}"
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, 3700)
            count = pipe.execute()[0]
        else:
            with self._lock:
                count = self._counts.get((partner.id, window), 0) + 1
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
                self._counts[(partner.id, window)] = count
        if count > limit:
            raise TooManyRequests(f"Rate limit of {limit} requests per hour exceeded")
