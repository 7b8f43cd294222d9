"""Partner authentication (HTTP Basic, constant-time) and the per-partner rate limit."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from dataclasses import dataclass
from typing import Optional

from starlette.requests import Request

from openidv.api.errors import TooManyRequests, Unauthorized
from openidv.config import Settings
from openidv.store import crypto
from openidv.store.db import session_scope
from openidv.store.verifications import authenticate_partner


@dataclass(frozen=True)
class PartnerContext:
    """The authenticated partner, detached from any database session."""

    id: int
    name: str
    callback_url: Optional[str]
    review_policy: str
    minimum_age: Optional[int]
    photo_validation: bool
    max_image_bytes: Optional[int]
    rate_limit_per_hour: Optional[int]
    success_url: Optional[str]
    error_url: Optional[str]
    unverified_url: Optional[str]


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


# Authenticated partners are remembered briefly so that a busy partner's requests do not each
# pay a database round trip; policy changes made with the CLI apply within this time.
PARTNER_CACHE_SECONDS = 10.0
_partner_cache: dict[str, tuple[float, str, "PartnerContext"]] = {}
_partner_cache_lock = threading.Lock()


def authenticate_from_cache(request: Request) -> Optional[PartnerContext]:
    """The partner if its credentials were checked against the database moments ago
    (cheap enough to run on the event loop); None when the database must be asked."""
    key, secret = basic_credentials(request)
    cached = _partner_cache.get(key)
    if cached is None or time.monotonic() - cached[0] >= PARTNER_CACHE_SECONDS:
        return None
    if not crypto.secret_matches(secret, cached[1]):
        raise Unauthorized()
    return cached[2]


def authenticate(request: Request) -> PartnerContext:
    key, secret = basic_credentials(request)
    now = time.monotonic()
    with session_scope() as session:
        partner = authenticate_partner(session, key, secret)
        if partner is None:
            raise Unauthorized()
        context = _context(partner)
        with _partner_cache_lock:
            if len(_partner_cache) > 10_000:
                _partner_cache.clear()
            _partner_cache[key] = (now, partner.api_secret_hash, context)
        return context


def _context(partner) -> "PartnerContext":  # noqa: ANN001
    return PartnerContext(
        id=partner.id,
        name=partner.name,
        callback_url=partner.callback_url,
        review_policy=partner.review_policy,
        minimum_age=partner.minimum_age,
        photo_validation=partner.photo_validation,
        max_image_bytes=partner.max_image_bytes,
        rate_limit_per_hour=partner.rate_limit_per_hour,
        success_url=partner.success_url,
        error_url=partner.error_url,
        unverified_url=partner.unverified_url,
    )


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
