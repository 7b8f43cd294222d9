"""Sending one webhook: signing the body and posting it to the checked address."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Optional

import httpx

from openidv.webhooks.ssrf import CallbackRefused, CallbackUnresolved, Resolver, resolve_callback, system_resolver

# Growing delays between attempts (seconds); retried for at least 24 h, then given up.
RETRY_DELAYS = (10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 28800)
RETRY_WINDOW_SECONDS = 26 * 3600


def sign(body: bytes, secret: bytes) -> str:
    """Idenfy-Signature: hex HMAC-SHA256 of the raw body with the partner's webhook secret."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def timestamped_signature(body: bytes, secret: bytes, timestamp: int) -> str:
    """Openidv-Signature: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``.

    Sent beside Idenfy-Signature on every webhook: the time is inside the signed text, so a
    receiver that checks it can refuse a recorded webhook replayed later (docs/webhooks.md).
    """
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def encode_payload(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: Optional[int]
    error: Optional[str]
    duration_ms: int
    permanent: bool = False  # True when retrying cannot help (refused target)


def post_webhook(
    url: str,
    body: bytes,
    secret: bytes,
    *,
    timeout: float,
    allow_private: bool,
    resolver: Resolver = system_resolver,
    event_type: Optional[str] = None,
) -> AttemptResult:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve_callback(url, allow_private=allow_private, resolver=resolver)
    except CallbackRefused as exc:  # only a resolved private/special address is final
        return AttemptResult(False, None, f"refused: {exc}", elapsed(), permanent=True)
    except CallbackUnresolved as exc:
        return AttemptResult(False, None, str(exc)[:500], elapsed())
    host_for_url = f"[{target.address}]" if ":" in target.address else target.address
    pinned_url = f"{target.scheme}://{host_for_url}:{target.port}{target.path_and_query}"
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    headers = {
        "Content-Type": "application/json",
        "Idenfy-Signature": sign(body, secret),
        "Openidv-Signature": timestamped_signature(body, secret, int(time.time())),
        "Host": host_header,
        "User-Agent": "openidv-webhooks/1",
    }
    if event_type:
        headers["Idenfy-Event-Type"] = event_type  # iDenfy's event name (core/vocab.py)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        # Redirects are not followed: a redirect could point inside the network.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(pinned_url, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return AttemptResult(False, None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
    ok = 200 <= response.status_code < 300
    error = None if ok else f"HTTP {response.status_code}"
    return AttemptResult(ok, response.status_code, error, elapsed())
