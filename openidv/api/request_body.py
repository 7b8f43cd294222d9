"""Reading a JSON body within the size cap, before anything is held in memory."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from openidv.api.errors import BadValue, JsonError, RequestTooLarge


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
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
