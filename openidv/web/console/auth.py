"""Console sign-in: sessions, CSRF, login and logout, and the ``current_user`` dependency.

* The session is a cookie signed with a key derived from the data key (every API process of
  a deployment shares it), HttpOnly, SameSite=Strict, Secure behind https; it carries the
  reviewer's session generation (checked against the database on every request: logout, a
  new password and `openidv reviewer disable` raise it, ending every session) and a
  fingerprint of the password hash.
* Every POST form carries a CSRF token compared in constant time (the login form uses a
  signed double-submit cookie, later forms the token inside the session).
* Login failures are counted per client address and per (address, e-mail), in every API
  process together (web/console/throttle.py): a growing wait for the address that keeps
  failing, no account lock. A failure costs a delay that holds no thread, logins run in a
  small pool of their own, and an unknown e-mail costs the same argon2 verification.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from typing import Optional

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from openidv.config import Settings
from openidv.core.errors import ApiError
from openidv.http.body import read_form as read_form_body
from openidv.store.audit import audit
from openidv.store.crypto import signing_keys
from openidv.store.db import session_scope
from openidv.store.models import Reviewer
from openidv.store.reviewers import end_sessions, reviewer_by_email
from openidv.web.attempts import client_address
from openidv.web.console.errors import ConsoleError, LoginRequired
from openidv.web.console.throttle import (
    DUMMY_PASSWORD_HASH, LoginPoolBusy, LoginThrottle, in_login_pool, password_ok,
)
from openidv.web.templating import render

PREFIX = "/console"
SESSION_COOKIE = "openidv_console"
LOGIN_COOKIE = "openidv_console_login"
SESSION_MAX_AGE = 8 * 3600  # a working day; then log in again
LOGIN_FORM_MAX_AGE = 3600
# A failed login costs this long (awaited: no thread is held), so guessing is slow even
# before the growing wait per address and e-mail starts.
LOGIN_FAILURE_DELAY_SECONDS = 1.0
MAX_FORM_BYTES = 64 * 1024  # the review form is a few hundred bytes

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in reviewer; ``partner_id`` None is an operator (sees every partner)."""

    reviewer_id: int
    email: str
    partner_id: Optional[int]
    csrf: str

    @property
    def id(self) -> int:
        return self.reviewer_id

    @property
    def role(self) -> str:
        return "operator" if self.partner_id is None else "reviewer"


def _settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


@functools.lru_cache(maxsize=4)
def _signer_for(keys: tuple[bytes, ...]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(list(keys), "openidv console sessions v1"), salt="openidv-console")


def _signer(request: Request) -> URLSafeTimedSerializer:
    return _signer_for(tuple(_settings(request).data_keys()))


def _password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or _settings(request).base_url().startswith("https://")


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="strict", secure=_secure_cookies(request))


def session_user(request: Request) -> Optional[ConsoleUser]:
    """The logged-in reviewer, re-read from the database (a deleted reviewer is logged out)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _signer(request).loads(raw, max_age=SESSION_MAX_AGE)
        reviewer_id, csrf, fingerprint = int(data["r"]), str(data["c"]), str(data["h"])
        generation = int(data["g"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    with session_scope() as session:
        reviewer = session.get(Reviewer, reviewer_id)
        if (reviewer is None or reviewer.disabled_at is not None or reviewer.session_generation != generation
                or not hmac.compare_digest(_password_fingerprint(reviewer.password_hash), fingerprint)):
            return None
        return ConsoleUser(reviewer.id, reviewer.email, reviewer.partner_id, csrf)


def current_user(request: Request) -> ConsoleUser:
    """FastAPI dependency of every console page: the signed-in reviewer, or to the login page."""
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


async def read_form(request: Request) -> FormData:
    """The url-encoded body of a console form, bounded in size and time."""
    try:
        pairs = await read_form_body(request, MAX_FORM_BYTES, _settings(request).body_timeout_seconds, max_fields=100)
    except ApiError as error:
        raise ConsoleError(error.status_code if error.status_code >= 400 else 400, "Form not accepted",
                           error.message) from None
    return FormData(pairs)


def check_csrf(expected: str, form: FormData) -> None:
    given = str(form.get("csrf") or "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ConsoleError(403, "Form expired", "The form was not accepted (missing or stale security "
                           "token). Go back, reload the page and try again.")


# ----------------------------------------------------------------------------- login


@router.get("")
@router.get("/")
def console_home(request: Request) -> Response:
    target = "/queue" if session_user(request) else "/login"
    return RedirectResponse(PREFIX + target, status_code=303)


def _login_page(request: Request, error: str = "", email: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render("console/login.html", {"prefix": PREFIX, "csrf": token, "error": error, "email": email,
                                              "user": None}, status_code=status_code)
    _set_cookie(response, request, LOGIN_COOKIE, _signer(request).dumps({"l": token}), LOGIN_FORM_MAX_AGE)
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    # Async: the login page must not take a thread of the shared pool (logins come in floods);
    # only a visitor with a session cookie costs a database read.
    if request.cookies.get(SESSION_COOKIE) and await run_in_threadpool(session_user, request):
        return RedirectResponse(PREFIX + "/queue", status_code=303)
    return _login_page(request)


def _login_cookie_token(request: Request) -> str:
    try:
        return str(_signer(request).loads(request.cookies.get(LOGIN_COOKIE, ""), max_age=LOGIN_FORM_MAX_AGE)["l"])
    except (BadSignature, KeyError, TypeError):
        return ""


@dataclass(frozen=True)
class LoginOutcome:
    """A login attempt's result: the reviewer when it succeeded, else why not."""

    reviewer: Optional[ConsoleUser] = None
    password_hash: str = ""
    session_generation: int = 0
    wait_seconds: float = 0.0  # this address must wait before trying this account again
    address_blocked: bool = False  # too many failures from this address: nothing was checked


def _attempt_login(throttle: LoginThrottle, email: str, password: str, client: str) -> LoginOutcome:
    """One login attempt, in the login pool: limits, the account, argon2, the audit entry."""
    wait = throttle.wait_seconds(client, email)
    if wait > 0:
        return LoginOutcome(wait_seconds=wait)  # nothing checked, nothing counted
    if not throttle.reserve(client):
        return LoginOutcome(address_blocked=True)
    with session_scope() as session:
        reviewer = reviewer_by_email(session, email)
        stored_hash = reviewer.password_hash if reviewer else DUMMY_PASSWORD_HASH
        usable = reviewer is not None and reviewer.disabled_at is None
    # Always one argon2 verification, whether or not the e-mail exists (outside the
    # transaction: it takes a while).
    ok = password_ok(password, stored_hash)
    if ok and usable:
        throttle.succeeded(client, email)
        with session_scope() as session:
            audit(session, reviewer.email, "login", None, {"client": client})
        return LoginOutcome(ConsoleUser(reviewer.id, reviewer.email, reviewer.partner_id, ""), stored_hash,
                            reviewer.session_generation)
    failures = throttle.failed(client, email)
    if throttle.audit_failure(failures, known_account=reviewer is not None):
        with session_scope() as session:
            audit(session, email or "(empty)", "login_failed", None, {"client": client, "failures": failures})
    return LoginOutcome(wait_seconds=0.0)


def _throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email") or "").strip().lower()[:254]
    password = str(form.get("password") or "")[:1024]
    check_csrf(_login_cookie_token(request), form)
    try:
        outcome = await in_login_pool(_attempt_login, _throttle(request), email, password, client_address(request))
    except LoginPoolBusy:
        return _login_page(request, "Many logins are being checked right now; try again in a minute.", email,
                           status_code=503)
    if outcome.address_blocked:
        return _login_page(request, "Too many failed logins from your address; wait a few minutes and try again.",
                           email, status_code=429)
    if outcome.wait_seconds > 0:
        return _login_page(request, f"Too many failed attempts; wait {math.ceil(outcome.wait_seconds)} seconds "
                           "and try again.", email, status_code=429)
    if outcome.reviewer is None:
        await asyncio.sleep(LOGIN_FAILURE_DELAY_SECONDS)  # slows guessing; holds no thread
        return _login_page(request, "Wrong e-mail or password.", email, status_code=401)
    session_data = {"r": outcome.reviewer.reviewer_id, "c": secrets.token_urlsafe(32),
                    "h": _password_fingerprint(outcome.password_hash), "g": outcome.session_generation}
    response = RedirectResponse(PREFIX + "/queue", status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, _signer(request).dumps(session_data), SESSION_MAX_AGE)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


def _end_sessions_at_logout(user: ConsoleUser) -> None:
    with session_scope() as session:
        # Deleting the cookie is not enough: a copy of it (another tab, a stolen one) would
        # still work until it expires. Every session of the reviewer ends.
        end_sessions(session, user.reviewer_id)
        audit(session, user.email, "logout")


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    check_csrf(user.csrf, await read_form(request))
    await run_in_threadpool(_end_sessions_at_logout, user)
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
