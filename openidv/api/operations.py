"""Operational endpoints: readiness for load balancers and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from openidv.api.deps import runtime
from openidv.api.errors import ErrorBody
from openidv.core.errors import Forbidden, Unauthorized
from openidv.metrics import render_metrics
from openidv.services.health import readiness_problems

router = APIRouter(tags=["Operations"])


@router.get("/healthz", summary="Readiness: 200 when the database and the queue are reachable")
async def healthz(request: Request) -> JSONResponse:
    if not request.app.state.ready:
        return JSONResponse({"status": "starting"}, status_code=503, headers={"Retry-After": "2"})
    problems = await run_in_threadpool(readiness_problems, runtime(request))
    if problems:
        return JSONResponse({"status": "unavailable", "unreachable": problems}, status_code=503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok"})


@router.get("/livez", summary="Liveness: 200 while the process answers at all")
async def livez() -> JSONResponse:
    return JSONResponse({"status": "alive"})


@router.get("/metrics", summary="Prometheus metrics (Bearer $OPENIDV_METRICS_TOKEN)", response_class=Response,
            responses={200: {"description": "Prometheus text format", "content": {"text/plain": {}}},
                       401: {"model": ErrorBody, "description": "Missing or wrong metrics token"},
                       403: {"model": ErrorBody, "description": "Metrics are disabled (no OPENIDV_METRICS_TOKEN)"}},
            openapi_extra={"security": [{"metricsBearer": []}]})
async def metrics(request: Request) -> Response:
    expected = runtime(request).settings.metrics_token
    if not expected:
        raise Forbidden("Metrics are disabled: set OPENIDV_METRICS_TOKEN")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Invalid or missing metrics token", scheme='Bearer realm="metrics"')
    body, content_type = await run_in_threadpool(render_metrics)
    return Response(body, media_type=content_type)
