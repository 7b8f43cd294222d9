"""ASGI middleware: request ids, one log line per request, the body deadline, and draining
unread bodies.

Body deadline: every read of a request body, by a route or by the drain below, must finish
within the body timeout counted from the request's start, before any authentication; a
body still dripping then is answered 408 (or, while draining, the connection is closed).

Draining: a plain HTTP client sends its whole body before it reads the answer,
so answering an oversized or unauthenticated request without reading the body would make
the client see "connection reset" instead of our error. Before the response starts, the
rest of the body is read and thrown away (bounded in bytes and by the deadline), as a
lingering close would do.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.core.errors import RequestTimeout
from openidv.http.errors import unexpected_error_response
from openidv.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("openidv.http")

DRAIN_LIMIT_BYTES = 256 * 1024 * 1024  # past this we stop reading and close the connection


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, body_timeout: float = 60.0) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        body_done = False
        begun = time.perf_counter()
        loop_deadline = asyncio.get_running_loop().time() + self.body_timeout
        status = 500
        started = False

        async def tracking_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()  # after the body: waiting for a disconnect is fine
            try:
                # timeout_at, not wait_for: the read stays in this task, so a message that is
                # already there is taken at once (a second task would race the drain for it).
                async with asyncio.timeout_at(loop_deadline):
                    message = await receive()
            except TimeoutError:
                scope["state"]["abandon_body"] = True  # the connection is closed, not drained
                raise RequestTimeout(
                    f"The request body was not received within {self.body_timeout:g} seconds") from None
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
    """Read and discard the rest of the body. False if it was too long to finish or missed
    the body deadline (``receive`` raises RequestTimeout then)."""
    seen = 0
    while True:
        try:
            message = await receive()
        except RequestTimeout:
            return False
        if message["type"] == "http.disconnect":
            return True
        seen += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
        if seen > DRAIN_LIMIT_BYTES:
            return False
