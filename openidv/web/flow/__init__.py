"""The hosted capture flow (/flow): pages, their languages and their request guards."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from openidv.web.attempts import Counters
from openidv.web.flow import consent, handoff, photos  # noqa: F401 - they add their routes to the flow's router
from openidv.web.flow import embedding
from openidv.web.flow.guards import CodeGuard
from openidv.web.flow.pages import STATIC_PREFIX, router
from openidv.web.templating import WEB_DIR


class _FlowStatic(StaticFiles):
    """The flow's CSS and JS, with nosniff (they are served to end users' browsers)."""

    async def get_response(self, path: str, scope) -> Response:  # noqa: ANN001
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI, counters: Counters) -> None:
    """Add the flow's pages (and iDenfy's ``/?authToken=`` entry) and its static files to the
    app (outside the OpenAPI schema)."""
    app.state.code_guard = CodeGuard(counters)
    app.include_router(router)
    app.include_router(embedding.router)
    app.mount(STATIC_PREFIX, _FlowStatic(directory=str(WEB_DIR / "static" / "flow")), name="flow-assets")
