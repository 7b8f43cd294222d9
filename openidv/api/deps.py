"""FastAPI dependencies of the partner API: the authenticated partner (rate-limited), the
process's runtime, and the request body as a validated model."""

from __future__ import annotations

from typing import Any

from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request

from openidv.api import schemas
from openidv.api.auth import basic_credentials
from openidv.http.body import read_json_object
from openidv.services.partners import PartnerContext
from openidv.services.runtime import Runtime


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def current_partner(request: Request) -> PartnerContext:
    key, secret = basic_credentials(request)
    cache = request.app.state.partner_cache
    partner = cache.lookup(key, secret) or await run_in_threadpool(cache.authenticate, key, secret)
    await request.app.state.rate_limiter.hit(partner)
    return partner


async def read_model(request: Request, model: type) -> Any:
    """The JSON body, within the request cap and deadline, validated as ``model``."""
    settings = runtime(request).settings
    data = await read_json_object(request, settings.max_request_bytes, settings.body_timeout_seconds)
    return schemas.parse_model(model, data)
