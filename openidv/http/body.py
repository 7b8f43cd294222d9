"""Reading a request body within a byte cap and a deadline, before anything is held in memory.

Every body read goes through ``read_body``: JSON for the API and the hosted flow's uploads,
url-encoded forms for the flow's code entry and the console. The deadline stops slow-drip
uploads from holding a connection (and its memory) open.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from openidv.core.errors import BadValue, JsonError, RequestTimeout, RequestTooLarge


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, at most ``limit`` bytes, received within ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(_read_limited(request, limit), timeout)
    except asyncio.TimeoutError:
        # The middleware closes the connection instead of draining a body that drips on.
        request.scope.setdefault("state", {})["abandon_body"] = True
        raise RequestTimeout(f"The request body was not received within {timeout:g} seconds") from None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            declared_size = int(declared)
        except ValueError:
            raise BadValue("Bad value for header 'Content-Length'") from None
        if declared_size > limit:
            raise RequestTooLarge(f"Request body is over the {_size(limit)} limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            # The middleware reads and discards the rest before answering.
            raise RequestTooLarge(f"Request body is over the {_size(limit)} limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


async def read_json_object(request: Request, limit: int, timeout: float) -> dict[str, Any]:
    """The body as a JSON object (JSON_ERROR when it is not one)."""
    body = await read_body(request, limit, timeout)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise JsonError("Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise JsonError("Request body must be a JSON object")
    return data


async def read_form(request: Request, limit: int, timeout: float, max_fields: int) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body as (name, value) pairs; other content types
    give no fields (none of openidv's forms uploads files)."""
    body = await read_body(request, limit, timeout)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return []
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        raise BadValue("The form could not be read") from None
