"""Request guards of the flow: same-origin POSTs only, JSON-only endpoints, and the limit on
guessing 8-digit codes."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Optional
from urllib.parse import urlsplit

from starlette.requests import Request


def same_origin(request: Request, public_url: Optional[str]) -> bool:
    """Refuse cross-site POSTs (a page elsewhere submitting into someone's flow)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # non-browser clients send no Origin; sandboxed frames send "null"
    ours = {_origin(str(request.base_url))}
    if public_url:
        ours.add(_origin(public_url))
    return _origin(origin) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def json_only(request: Request) -> bool:
    # A cross-site HTML form cannot send application/json without a CORS preflight.
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


class AttemptLimiter:
    """Sliding-window count of wrong digit-string entries per client address."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, who: str) -> bool:
        with self._lock:
            times = self._seen.get(who)
            if not times:
                return False
            while times and times[0] < time.monotonic() - self.window:
                times.popleft()
            return len(times) >= self.limit

    def failed(self, who: str) -> None:
        with self._lock:
            if len(self._seen) > 100_000:  # bound memory under a spray of addresses
                self._seen.clear()
            self._seen.setdefault(who, deque()).append(time.monotonic())
