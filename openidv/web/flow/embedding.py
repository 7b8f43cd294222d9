"""iDenfy's embedding address, ``<ui-host>/?authToken=TOKEN`` (their iframe and redirect
form): the same as ``/api/v2/redirect?authToken=``, on to the hosted flow."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from openidv.core.errors import NotFound
from openidv.web.flow import pages

router = APIRouter(include_in_schema=False)


@router.get("/")
async def embedded_entry(request: Request) -> Response:
    if "authToken" not in request.query_params:
        raise NotFound("Not found")
    return await pages.redirect(request)
