"""ASGI middleware: request ids, one log line per request, and draining unread bodies.

Draining: a plain HTTP client sends its whole body before it reads the answer,
so answering an oversized or unauthenticated request without reading the body would make
the client see "connection reset" instead of our error. Before the response starts, the
rest of the body is read and thrown away (bounded), as a lingering close would do.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.http.errors import unexpected_error_response
from openidv.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("openidv.http")

DRAIN_LIMIT_BYTES = 256 * 1024 * 1024  # past this we stop reading and close the connection


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        body_done = False
        begun = time.perf_counter()
        status = 500
        started = False

        async def tracking_receive() -> Message:
            nonlocal body_done
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_done = True
            return message

        async def draining_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                # A body that timed out is not drained (it would drip on): close instead.
                abandon = scope.get("state", {}).get("abandon_body", False)
                close = not body_done and (abandon or not await _drain(tracking_receive))
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if close:
                    headers.append((b"connection", b"close"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            try:
                await self.app(scope, tracking_receive, draining_send)
            except Exception as exc:  # noqa: BLE001 - answered here, so no server prints a trace
                if started:
                    log.error("error after the response started", exc_info=exc, extra={"request_id": request_id})
                    return
                await unexpected_error_response(exc, request_id)(scope, tracking_receive, draining_send)
        finally:
            elapsed = time.perf_counter() - begun
            # The route template, not the path: paths carry tokens (/flow/<token>, /files/<signed>).
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope.get("method", ""), route, str(status)).inc()
            HTTP_LATENCY.labels(route).observe(elapsed)
            log.info(
                "request",
                extra={"request_id": request_id, "method": scope.get("method"), "route": route,
                       "status": status, "ms": round(elapsed * 1000, 1)},
            )


async def _drain(receive: Receive) -> bool:
    """Read and discard the rest of the body. False if it was too long to finish."""
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return True
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
        if seen > DRAIN_LIMIT_BYTES:
            return False
