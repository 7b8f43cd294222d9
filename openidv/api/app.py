"""The ASGI application: routers, the one error handler, start-up and the embedded worker."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

import hmac

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from openidv import __version__
from openidv.api import files_route, partner
from openidv.api.auth import RateLimiter
from openidv.api.errors import (
    ApiError,
    BadValue,
    ErrorBody,
    Forbidden,
    Unauthorized,
    InternalError,
    MethodNotAllowed,
    NotFound,
    error_response,
)
from openidv.api.middleware import RequestContextMiddleware
from openidv.config import get_settings
from openidv.metrics import render_metrics
from openidv.web import console, flow

log = logging.getLogger("openidv.api")


def create_app(*, embedded_worker: bool = False, run_migrations: bool = True) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            from openidv.store.db import migrate

            migrate(settings)
        stop_worker = None
        if embedded_worker:
            stop_worker = start_embedded_worker(settings.worker_concurrency, settings.sweep_interval_seconds)
        else:
            from openidv.pipeline.warmup import load_all_models_in_background, load_validation_models

            load_all_models_in_background(load_validation_models)  # photo validation's models
        app.state.ready = True
        try:
            yield
        finally:
            if stop_worker is not None:
                stop_worker()

    app = FastAPI(
        title="openidv",
        version=__version__,
        description="Self-hostable identity verification, compatible with the iDenfy v2 API.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ready = False
    app.state.rate_limiter = RateLimiter(settings)
    app.state.log = log
    app.include_router(partner.router)
    app.include_router(files_route.router)
    console.install(app)
    flow.install(app)

    @app.get("/healthz", summary="Readiness")
    async def healthz() -> JSONResponse:
        if not app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", summary="Prometheus metrics (Bearer $OPENIDV_METRICS_TOKEN)",
             responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
    async def metrics(request: Request) -> Response:
        expected = settings.metrics_token
        if not expected:
            raise Forbidden("Metrics are disabled: set OPENIDV_METRICS_TOKEN")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
            error = Unauthorized("Invalid or missing metrics token")
            error.headers = {"WWW-Authenticate": 'Bearer realm="metrics"'}
            raise error
        body, content_type = await run_in_threadpool(render_metrics)
        return Response(body, media_type=content_type)

    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    return app


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            error = MethodNotAllowed(f"Method {request.method} is not allowed here")
            error.headers = dict(exc.headers or {})  # Starlette lists the allowed ones in Allow
            return error_response(error)
        if exc.status_code == 404:
            return error_response(NotFound(f"No such endpoint: {request.url.path}"))
        error = ApiError(str(exc.detail))
        error.status_code = exc.status_code
        error.identifier = "BAD_VALUE" if exc.status_code < 500 else "INTERNAL_ERROR"
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return error_response(BadValue(f"Bad value for field '{field or 'request'}'"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id", "-")
        log.exception("unhandled error", extra={"request_id": request_id})
        return error_response(InternalError(f"Internal error; request id {request_id}"))


def start_embedded_worker(concurrency: int, sweep_interval: float):  # noqa: ANN201
    """Run the queue consumer inside this process (the embedded mode's single command).

    Returns a function that stops it gracefully."""
    from openidv.jobs.queue import EmbeddedConsumer, huey
    from openidv.jobs.tasks import Sweeper

    from openidv.pipeline.warmup import load_all_models_in_background

    load_all_models_in_background()
    consumer = EmbeddedConsumer(huey, workers=concurrency, worker_type="thread", periodic=False)
    consumer.start()
    sweeper = Sweeper(sweep_interval)
    sweeper.start()

    def stop() -> None:
        sweeper.stop()
        consumer.stop(graceful=True)

    return stop
