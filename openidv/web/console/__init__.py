"""The review console (/console): server-rendered pages for reviewers — sign-in, the queue,
one verification and its review, search and a dashboard. Database reads are in
store/console.py, the review itself in services/review.py; this package is HTTP only.
Jinja2 autoescaping is on, and a strict Content-Security-Policy applies to /console only."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.web.attempts import Counters
from openidv.web.console import aml, auth, dashboard, pages, queue, review, search
from openidv.web.console.throttle import LoginThrottle
from openidv.web.console.auth import PREFIX, session_user
from openidv.web.console.errors import ConsoleError, LoginRequired
from openidv.web.security import PagePolicy
from openidv.web.templating import WEB_DIR, render

PAGE_POLICY = PagePolicy(frame_ancestors="'none'")
STATIC_POLICY = PagePolicy(frame_ancestors="'none'", cache_control=None)


class ConsoleHeadersMiddleware:
    """The console's security headers on every /console response (the JSON API is untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        policy = STATIC_POLICY if path.startswith(PREFIX + "/static/") else PAGE_POLICY
        ours = [(k.lower().encode(), v.encode()) for k, v in policy.headers().items()]
        replaced = {k for k, _ in ours}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                message = {**message, "headers": headers + ours}
            await send(message)

        await self.app(scope, receive, with_headers)


def _error_page(request: Request, exc: ConsoleError) -> Response:
    user = exc.user or session_user(request)
    return render("console/error.html", {"prefix": PREFIX, "user": user, "title": exc.title, "message": exc.message,
                                         "link": PREFIX + ("/queue" if user else "/login"),
                                         "link_text": "Back to the console", "active": ""},
                  status_code=exc.status_code)


async def _console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    return await run_in_threadpool(_error_page, request, exc)


async def _login_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse(PREFIX + "/login", status_code=303)


def install(app: FastAPI, counters: Counters) -> None:
    """Add the console's routes, static files, error pages and security headers."""
    app.state.login_throttle = LoginThrottle(counters)
    for module in (auth, dashboard, pages, queue, review, search, aml):
        app.include_router(module.router)
    app.mount(PREFIX + "/static", StaticFiles(directory=str(WEB_DIR / "static" / "console")), name="console-static")
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(ConsoleHeadersMiddleware)
