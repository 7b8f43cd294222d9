"""Reading a JSON body within the size cap, before anything is held in memory."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request

from openidv.config import get_settings
from openidv.api.errors import BadValue, JsonError, RequestTimeout, RequestTooLarge


async def read_json_object(request: Request, limit: int, timeout: float | None = None) -> dict[str, Any]:
    """The body as a JSON object, read within `limit` bytes and `timeout` seconds in all
    (default OPENIDV_BODY_TIMEOUT_SECONDS).

    The deadline stops slow-drip uploads from holding a connection (and its memory) open.
    """
    timeout = timeout or get_settings().body_timeout_seconds
    try:
        return await asyncio.wait_for(_read_json_object(request, limit), timeout)
    except asyncio.TimeoutError:
        request.scope.setdefault("state", {})["abandon_body"] = True
        raise RequestTimeout(f"The request body was not received within {timeout:g} seconds") from None


async def _read_json_object(request: Request, limit: int) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise BadValue("Bad value for header 'Content-Length'") from None
        if declared_size > limit:
            raise RequestTooLarge(f"Request body is over the {limit // (1024 * 1024)} MB limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            # The middleware reads and discards the rest before answering.
            raise RequestTooLarge(f"Request body is over the {limit // (1024 * 1024)} MB limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise JsonError("Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise JsonError("Request body must be a JSON object")
    return data
