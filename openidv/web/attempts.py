"""Counting attempts (wrong codes, failed logins) per key and time window, shared by every
API process: in Redis when the deployment has one (scale-out), else in this process's memory
(the embedded mode has one API process). Also the client address attempts are counted by.

Counts are raised *before* the guarded work (a lookup, a password check) and given back when
the attempt turns out not to count, so concurrent attempts cannot all slip under a limit.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from typing import Optional, Protocol

from starlette.requests import Request

from openidv.config import Settings

MEMORY_MAX_KEYS = 200_000  # past this the entries that expire first are dropped


def client_address(request: Request) -> str:
    """The address attempts are counted by: the peer, or the address a trusted proxy gave
    (OPENIDV_TRUSTED_PROXIES; the app rewrites the peer then). IPv6 clients are counted by
    their /64, which one subscriber usually holds whole."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "-"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class Counters(Protocol):
    def add(self, key: str, ttl: float) -> int:
        """Raise the count of ``key`` by one and return it; the key expires ``ttl`` seconds
        after this call (so a count lasts as long as attempts keep coming)."""

    def give_back(self, key: str) -> None:
        """Lower the count of ``key`` by one (an attempt that did not count after all)."""

    def hold(self, key: str, seconds: float) -> None:
        """Mark ``key`` as held for ``seconds`` from now."""

    def held_for(self, key: str) -> float:
        """Seconds ``key`` is still held (0 when it is not)."""

    def forget(self, key: str) -> None: ...


class MemoryCounters:
    """Counters in this process's memory, bounded in size."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, expires)
        self._holds: dict[str, float] = {}

    def _live(self, key: str, now: float) -> int:
        count, expires = self._counts.get(key, (0, 0.0))
        return count if expires > now else 0

    def _trim(self, now: float) -> None:
        if len(self._counts) + len(self._holds) <= MEMORY_MAX_KEYS:
            return
        for key in [k for k, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]
        for key in [k for k, until in self._holds.items() if until <= now]:
            del self._holds[key]
        while len(self._counts) > MEMORY_MAX_KEYS // 2:
            self._counts.popitem(last=False)  # the least recently counted

    def add(self, key: str, ttl: float) -> int:
        now = time.monotonic()
        with self._lock:
            count = self._live(key, now) + 1
            self._counts[key] = (count, now + ttl)
            self._counts.move_to_end(key)
            self._trim(now)
            return count

    def give_back(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            count = self._live(key, now)
            if count > 1:
                self._counts[key] = (count - 1, self._counts[key][1])
            else:
                self._counts.pop(key, None)

    def hold(self, key: str, seconds: float) -> None:
        with self._lock:
            self._holds[key] = time.monotonic() + seconds

    def held_for(self, key: str) -> float:
        with self._lock:
            return max(0.0, self._holds.get(key, 0.0) - time.monotonic())

    def forget(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._holds.pop(key, None)


class RedisCounters:
    """Counters in Redis (INCR is atomic across processes), namespaced by the queue name."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self._prefix = f"{namespace}:attempts:"

    def add(self, key: str, ttl: float) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(self._prefix + key)
        pipe.pexpire(self._prefix + key, max(1, int(ttl * 1000)))
        return int(pipe.execute()[0])

    def give_back(self, key: str) -> None:
        # A key that expired meanwhile would come back as -1 without an expiry: drop it.
        if self._redis.decr(self._prefix + key) < 0:
            self._redis.delete(self._prefix + key)

    def hold(self, key: str, seconds: float) -> None:
        self._redis.set(self._prefix + "hold:" + key, b"1", px=max(1, int(seconds * 1000)))

    def held_for(self, key: str) -> float:
        remaining = self._redis.pttl(self._prefix + "hold:" + key)
        return remaining / 1000 if remaining and remaining > 0 else 0.0

    def forget(self, key: str) -> None:
        self._redis.delete(self._prefix + key, self._prefix + "hold:" + key)


def make_counters(settings: Settings) -> Counters:
    url = settings.queue_url
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCounters(url, settings.queue_name)
    return MemoryCounters()


class WindowLimit:
    """At most ``limit`` counted attempts per key within ``window`` seconds of each other."""

    def __init__(self, counters: Counters, scope: str, limit: int, window: float) -> None:
        self.counters, self.scope, self.limit, self.window = counters, scope, limit, window

    def reserve(self, key: str) -> bool:
        """Count one attempt; False (and not counted) when the key is at its limit."""
        if self.counters.add(f"{self.scope}:{key}", self.window) > self.limit:
            self.counters.give_back(f"{self.scope}:{key}")
            return False
        return True

    def give_back(self, key: str) -> None:
        self.counters.give_back(f"{self.scope}:{key}")


def reserve_all(limits: list[tuple[WindowLimit, str]]) -> Optional[WindowLimit]:
    """Reserve one attempt under every (limit, key); on the first refusal give the others
    back and return the limit that refused (None when all were reserved)."""
    taken: list[tuple[WindowLimit, str]] = []
    for limit, key in limits:
        if not limit.reserve(key):
            for done, done_key in taken:
                done.give_back(done_key)
            return limit
        taken.append((limit, key))
    return None
