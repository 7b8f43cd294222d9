"""Building the ASGI application: the partner API, the hosted flow and the console over one
runtime (settings, model engines, job queue), with the embedded worker in the same process
unless the deployment runs workers apart."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from openidv import __version__
from openidv.api import docs_page, files_route, openapi_doc, operations, partner
from openidv.api.auth import PartnerCache, RateLimiter
from openidv.api.errors import install_error_handlers
from openidv.config import Settings, get_settings
from openidv.http.middleware import RequestContextMiddleware
from openidv.jobs.tasks import WorkQueue
from openidv.jobs.worker import start_embedded_worker
from openidv.pipeline.engines import Engines
from openidv.services.flow import FlowHandles
from openidv.services.runtime import Runtime
from openidv.store.db import migrate_and_check
from openidv.web import console, flow
from openidv.web.attempts import make_counters

log = logging.getLogger("openidv.api")


def create_app(*, embedded_worker: bool = False, run_migrations: bool = True,
               settings: Optional[Settings] = None) -> FastAPI:
    settings = settings or get_settings()
    engines = Engines()
    queue = WorkQueue(settings, engines)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            migrate_and_check(settings)
        stop_worker = None
        if embedded_worker:
            stop_worker = start_embedded_worker(queue, settings.worker_concurrency)
        else:
            engines.load_in_background(validation_only=True)  # photo validation's models
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
        docs_url=None,  # served by api/docs_page.py from local files
        redoc_url=None,
    )
    app.state.ready = False
    app.state.runtime = Runtime(settings, engines, queue)
    app.state.partner_cache = PartnerCache()
    app.state.rate_limiter = RateLimiter(settings)
    app.state.flow_handles = FlowHandles(settings)
    for module in (partner, files_route, operations):
        app.include_router(module.router)
    docs_page.install(app)
    openapi_doc.install(app)
    counters = make_counters(settings)
    console.install(app, counters)
    flow.install(app, counters)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, body_timeout=settings.body_timeout_seconds)
    if settings.trusted_proxy_list:
        # Outermost: everything inside sees the client the proxy names, and only when the
        # connection comes from one of these proxies (a client cannot choose its address).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app
