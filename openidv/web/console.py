"""The review console (/console, SPEC 9, issue 6): server-rendered pages for reviewers.

Log in, see the queue of REVIEWING verifications, open one (images, portrait vs selfie,
MRZ with check digits, printed vs MRZ vs partner data, automatic results, webhooks, audit
log), set manual results, search, and a dashboard. The database work is in
openidv/store/reviews.py; this module is HTTP only.

Security choices:
* the session is a cookie signed with a key derived from the data key (every API process
  of a deployment shares it), HttpOnly, SameSite=Strict, Secure behind https; it carries a
  fingerprint of the reviewer's password hash, so a new password ends old sessions;
* every POST form carries a CSRF token compared in constant time (the login form uses a
  signed double-submit cookie, later forms the token inside the session);
* login failures are counted per e-mail in the audit log (shared by all processes), a
  failure costs a delay, and an unknown e-mail costs the same argon2 verification;
* every query is scoped to the reviewer's partner in openidv.store.reviews (another
  partner's verification answers 404, like a missing one);
* every page or image showing personal data writes an audit entry first;
* Jinja2 autoescaping is on; a strict Content-Security-Policy on /console responses only.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openidv.config import get_settings
from openidv.store import reviews
from openidv.store.crypto import derive_key
from openidv.store.db import session_scope
from openidv.store.models import Reviewer, StoredFile, Verification

log = logging.getLogger("openidv.console")

PREFIX = "/console"
HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static" / "console"

SESSION_COOKIE = "openidv_console"
LOGIN_COOKIE = "openidv_console_login"
SESSION_MAX_AGE = 8 * 3600  # a working day; then log in again
LOGIN_FORM_MAX_AGE = 3600
# A failed login costs this long, so guessing is slow even below the lockout count.
LOGIN_FAILURE_DELAY_SECONDS = 1.0
STEP_ORDER = ("FRONT", "BACK", "FACE", "PASSPORT_COVER", "UTILITY_BILL", "SECOND_UTILITY_BILL")

_PASSWORDS = PasswordHasher()
# Verified when the e-mail is unknown, so both cases take one argon2 verification.
_DUMMY_PASSWORD_HASH = _PASSWORDS.hash(secrets.token_urlsafe(16))

router = APIRouter(prefix=PREFIX, include_in_schema=False)


# ----------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=1)
def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _format_when
    env.filters["duration"] = _format_duration
    return env


def _format_when(value: Optional[dt.datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _format_duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = _templates().get_template(name).render(prefix=PREFIX, **context)
    return HTMLResponse(html, status_code=status_code)


class ConsoleError(Exception):
    """An error shown as a console page (never the JSON API error shape, never a trace)."""

    def __init__(self, status_code: int, title: str, message: str, user: Optional["ConsoleUser"] = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message
        self.user = user


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


def not_found(user: Optional["ConsoleUser"] = None) -> ConsoleError:
    return ConsoleError(404, "Not found", "There is no such verification, or it is not yours to see.", user)


# ----------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class ConsoleUser:
    reviewer_id: int
    email: str
    partner_id: Optional[int]
    csrf: str

    @property
    def role(self) -> str:
        return "operator" if self.partner_id is None else "reviewer"


@functools.lru_cache(maxsize=1)
def _signer() -> URLSafeTimedSerializer:
    key = derive_key(get_settings().data_keys()[0], "openidv console sessions v1")
    return URLSafeTimedSerializer(key, salt="openidv-console")


def _password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _secure_cookies(request: Request) -> bool:
    public = get_settings().base_url()
    return request.url.scheme == "https" or public.startswith("https://")


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="strict", secure=_secure_cookies(request))


def _session_user(request: Request) -> Optional[ConsoleUser]:
    """The logged-in reviewer, re-read from the database (a deleted reviewer is logged out)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _signer().loads(raw, max_age=SESSION_MAX_AGE)
        reviewer_id, csrf, fingerprint = int(data["r"]), str(data["c"]), str(data["h"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    with session_scope() as session:
        reviewer = session.get(Reviewer, reviewer_id)
        if reviewer is None or not hmac.compare_digest(_password_fingerprint(reviewer.password_hash), fingerprint):
            return None
        return ConsoleUser(reviewer.id, reviewer.email, reviewer.partner_id, csrf)


def require_user(request: Request) -> ConsoleUser:
    user = _session_user(request)
    if user is None:
        raise LoginRequired()
    return user


MAX_FORM_BYTES = 64 * 1024  # the review form is a few hundred bytes


async def read_form(request: Request) -> FormData:
    """The urlencoded body of a console form (our forms have no file uploads; parsing them
    here avoids depending on python-multipart, and bounds the size)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ConsoleError(413, "Form too large", "The form is larger than any console form.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return FormData([])
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise ConsoleError(400, "Bad form", "The form could not be read.") from None
    return FormData(pairs)


def check_csrf(expected: str, form: FormData) -> None:
    given = str(form.get("csrf") or "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ConsoleError(403, "Form expired", "The form was not accepted (missing or stale security "
                           "token). Go back, reload the page and try again.")


def _reviewer(session: Any, user: ConsoleUser) -> Reviewer:
    reviewer = session.get(Reviewer, user.reviewer_id)
    if reviewer is None:
        raise LoginRequired()
    return reviewer


# ----------------------------------------------------------------------------- login


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def console_home(request: Request) -> Response:
    target = "/queue" if _session_user(request) else "/login"
    return RedirectResponse(PREFIX + target, status_code=303)


def _login_page(request: Request, error: str = "", email: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render("console/login.html", {"csrf": token, "error": error, "email": email, "user": None},
                      status_code=status_code)
    _set_cookie(response, request, LOGIN_COOKIE, _signer().dumps({"l": token}), LOGIN_FORM_MAX_AGE)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if _session_user(request):
        return RedirectResponse(PREFIX + "/queue", status_code=303)
    return _login_page(request)


def _login_cookie_token(request: Request) -> str:
    try:
        return str(_signer().loads(request.cookies.get(LOGIN_COOKIE, ""), max_age=LOGIN_FORM_MAX_AGE)["l"])
    except (BadSignature, KeyError, TypeError):
        return ""


def _password_ok(password: str, stored_hash: str) -> bool:
    try:
        return _PASSWORDS.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    reviewer: Optional[Reviewer]
    locked: bool


def _attempt_login(email: str, password: str, client: str) -> LoginResult:
    with session_scope() as session:
        locked = reviews.login_locked(session, email)
        reviewer = reviews.reviewer_by_email(session, email)
        # Always one argon2 verification, whether or not the e-mail exists or is locked.
        ok = _password_ok(password, reviewer.password_hash if reviewer else _DUMMY_PASSWORD_HASH)
        if ok and reviewer is not None and not locked:
            reviews.audit(session, reviewer.email, "login", None, {"client": client})
            return LoginResult(reviewer, False)
        reviews.audit(session, email or "(empty)", "login_failed", None,
                      {"client": client, "locked": locked})
    # Slow down guessing (the wait happens outside the transaction).
    time.sleep(LOGIN_FAILURE_DELAY_SECONDS)
    return LoginResult(None, locked)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email") or "").strip().lower()[:254]
    password = str(form.get("password") or "")[:1024]
    check_csrf(_login_cookie_token(request), form)
    client = request.client.host if request.client else "-"
    result = await run_in_threadpool(_attempt_login, email, password, client)
    if result.reviewer is None:
        message = ("Too many failed attempts for this account; wait 15 minutes and try again."
                   if result.locked else "Wrong e-mail or password.")
        return _login_page(request, message, email, status_code=429 if result.locked else 401)
    reviewer = result.reviewer
    session_data = {"r": reviewer.id, "c": secrets.token_urlsafe(32), "h": _password_fingerprint(reviewer.password_hash)}
    response = RedirectResponse(PREFIX + "/queue", status_code=303)
    _set_cookie(response, request, SESSION_COOKIE, _signer().dumps(session_data), SESSION_MAX_AGE)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = require_user(request)
    check_csrf(user.csrf, await read_form(request))
    with session_scope() as session:
        reviews.audit(session, user.email, "logout")
    response = RedirectResponse(PREFIX + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# ----------------------------------------------------------------------------- queue, search, dashboard


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request) -> Response:
    user = require_user(request)
    with session_scope() as session:
        reviewer = _reviewer(session, user)
        page = reviews.review_queue(session, reviewer)
        partners = reviews.partner_names(session, reviewer)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        rows = [
            {"v": v, "partner": partners.get(v.partner_id, ""),
             "waiting": (now - (v.finish_time or v.start_time or v.created_at)).total_seconds()}
            for v in page.items
        ]
        return render("console/queue.html", {"user": user, "page": page, "rows": rows, "active": "queue"})


def _parse_date(text: str) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    user = require_user(request)
    q = request.query_params
    status = q.get("status", "")
    filters = reviews.SearchFilters(
        scan_ref=q.get("scanRef", "")[:36],
        client_id=q.get("clientId", "")[:100],
        name=q.get("name", "")[:200],
        document_number=q.get("documentNumber", "")[:100],
        status=status if status in reviews.STATUSES else "",
        date_from=_parse_date(q.get("from", "")),
        date_to=_parse_date(q.get("to", "")),
    )
    results: list[Verification] = []
    with session_scope() as session:
        reviewer = _reviewer(session, user)
        partners = reviews.partner_names(session, reviewer)
        if not filters.is_empty():
            results = reviews.search_verifications(session, reviewer, filters)
            # A search by name or number reveals who is in the database: audited.
            reviews.audit(session, user.email, "search", None, {
                "filters": {k: str(v) for k, v in vars(filters).items() if v}, "results": len(results)})
        return render("console/search.html", {
            "user": user, "filters": filters, "results": results, "partners": partners,
            "statuses": reviews.STATUSES, "searched": not filters.is_empty(), "active": "search",
        })


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    user = require_user(request)
    with session_scope() as session:
        reviewer = _reviewer(session, user)
        board = reviews.dashboard(session, reviewer)
    return render("console/dashboard.html", {
        "user": user, "board": board, "status_chart": status_chart(board.per_status),
        "day_chart": day_chart(board.per_day), "median_chart": median_chart(board.per_day),
        "active": "dashboard",
    })


# Charts are plain SVG geometry computed here; the template only draws rectangles and text.
CHART_WIDTH = 640
STATUS_COLOURS = {"APPROVED": "#2e7d32", "DENIED": "#c62828", "SUSPECTED": "#ef6c00",
                  "REVIEWING": "#1565c0", "ACTIVE": "#6d6d6d", "EXPIRED": "#8d6e63", "DELETED": "#424242"}


def status_chart(per_status: dict[str, int]) -> dict[str, Any]:
    row_h, label_w, value_w = 26, 110, 60
    top = max(per_status.values(), default=0) or 1
    bars = []
    for i, (status, count) in enumerate(per_status.items()):
        width = (CHART_WIDTH - label_w - value_w) * count / top
        bars.append({"label": status, "count": count, "x": label_w, "y": i * row_h + 4,
                     "w": round(width, 1), "h": row_h - 8, "colour": STATUS_COLOURS.get(status, "#555"),
                     "text_y": i * row_h + row_h / 2 + 5, "value_x": label_w + width + 6})
    return {"width": CHART_WIDTH, "height": len(bars) * row_h, "bars": bars}


def day_chart(per_day: list[reviews.DayCount]) -> dict[str, Any]:
    height, bottom, left = 200, 24, 30
    top = max([max(d.created, d.decided) for d in per_day] + [1])
    slot = (CHART_WIDTH - left) / max(len(per_day), 1)
    bar_w = slot * 0.38
    bars, labels = [], []
    for i, d in enumerate(per_day):
        x = left + i * slot + slot * 0.1
        for j, (kind, value) in enumerate((("created", d.created), ("decided", d.decided))):
            h = (height - bottom - 10) * value / top
            bars.append({"x": round(x + j * bar_w, 1), "y": round(height - bottom - h, 1), "w": round(bar_w, 1),
                         "h": round(h, 1), "kind": kind, "title": f"{d.day.isoformat()}: {value} {kind}"})
        labels.append({"x": round(x + bar_w, 1), "text": d.day.strftime("%d.%m")})
    return {"width": CHART_WIDTH, "height": height, "base": height - bottom, "left": left, "top": top,
            "bars": bars, "labels": labels}


def median_chart(per_day: list[reviews.DayCount]) -> dict[str, Any]:
    height, bottom, left = 160, 24, 30
    values = [d.median_seconds for d in per_day]
    top = max([v for v in values if v is not None] + [1.0])
    slot = (CHART_WIDTH - left) / max(len(per_day), 1)
    bars, labels = [], []
    for i, d in enumerate(per_day):
        x = left + i * slot + slot * 0.15
        labels.append({"x": round(x + slot * 0.35, 1), "text": d.day.strftime("%d.%m")})
        if d.median_seconds is None:
            continue
        h = (height - bottom - 10) * d.median_seconds / top
        bars.append({"x": round(x, 1), "y": round(height - bottom - h, 1), "w": round(slot * 0.7, 1),
                     "h": round(h, 1), "title": f"{d.day.isoformat()}: median {_format_duration(d.median_seconds)}"})
    return {"width": CHART_WIDTH, "height": height, "base": height - bottom, "bars": bars, "labels": labels,
            "top_label": _format_duration(top)}


# ----------------------------------------------------------------------------- verification page


def _load(session: Any, user: ConsoleUser, scan_ref: str) -> tuple[Reviewer, Verification]:
    reviewer = _reviewer(session, user)
    verification = reviews.verification_for(session, reviewer, scan_ref[:36])
    if verification is None:
        raise not_found(user)
    return reviewer, verification


def _ordered_files(files: list[StoredFile]) -> list[StoredFile]:
    rank = {step: i for i, step in enumerate(STEP_ORDER)}
    return sorted(files, key=lambda f: (rank.get(f.step, len(rank)), f.step, f.id))


def _reviewer_email(session: Any, reviewer_id: Optional[int]) -> Optional[str]:
    reviewer = session.get(Reviewer, reviewer_id) if reviewer_id else None
    return reviewer.email if reviewer else None


def _page_context(session: Any, user: ConsoleUser, v: Verification) -> dict[str, Any]:
    from openidv.store.verifications import live_files

    files = _ordered_files(live_files(session, v.id))
    mrz_format, mrz_cells = reviews.mark_check_digits(reviews.mrz_lines((v.document_data or {}).get("mrz_string")))
    deliveries = reviews.webhook_deliveries(session, v.id)
    return {
        "user": user, "v": v, "files": files,
        "has_front": any(f.step == "FRONT" for f in files),
        "selfie": next((f for f in files if f.step == "FACE"), None),
        "comparison": reviews.compare_fields(v),
        "mrz_format": mrz_format, "mrz_cells": mrz_cells,
        "deliveries": [{"d": d, "attempts": list(d.attempt_log)} for d in deliveries],
        "audit": reviews.audit_trail(session, v.id),
        "partner": reviews.partner_names(session, _reviewer(session, user)).get(v.partner_id, ""),
        "reviewed_by": _reviewer_email(session, v.reviewer_id),
        "document_results": reviews.DOCUMENT_RESULTS, "face_results": reviews.FACE_RESULTS,
        "manual_fields": reviews.MANUAL_FIELDS, "document_types": reviews.DOCUMENT_TYPES,
        "reviewable": v.status in reviews.REVIEWABLE_STATUSES,
        "similarity_pct": None if v.face_similarity is None else round(v.face_similarity * 100, 1),
        "active": "",
    }


@router.get("/v/{scan_ref}", response_class=HTMLResponse)
def verification_page(request: Request, scan_ref: str) -> Response:
    user = require_user(request)
    with session_scope() as session:
        _, v = _load(session, user, scan_ref)
        reviews.audit(session, user.email, "view", v.id, {"page": "verification"})
        session.flush()
        context = _page_context(session, user, v)
        context["notice"] = "Review saved." if request.query_params.get("reviewed") == "1" else ""
        return render("console/verification.html", context)


def _file_of(session: Any, v: Verification, file_id: int) -> StoredFile:
    stored = session.get(StoredFile, file_id)
    if stored is None or stored.verification_id != v.id or stored.deleted_at is not None:
        raise ConsoleError(404, "Not found", "This image does not exist or was deleted.")
    return stored


def _image_response(data: bytes, content_type: str) -> Response:
    # Personal data: never cached by the browser or a proxy, never sniffed as another type.
    return Response(data, media_type=content_type, headers={
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


@router.get("/v/{scan_ref}/files/{file_id}")
def image(request: Request, scan_ref: str, file_id: int) -> Response:
    """One stored image, decrypted for an authorised reviewer, with an audit entry."""
    from openidv.store.files import make_file_store

    user = require_user(request)
    with session_scope() as session:
        _, v = _load(session, user, scan_ref)
        stored = _file_of(session, v, file_id)
        data = make_file_store(get_settings()).get(session, stored.storage_key)
        if data is None:
            raise ConsoleError(404, "Not found", "The image is missing from the file store.")
        reviews.audit(session, user.email, "view_image", v.id, {"step": stored.step, "file": stored.id})
        content_type = stored.content_type if stored.content_type in ("image/jpeg", "image/png") else "application/octet-stream"
        return _image_response(data, content_type)


def crop_portrait(front: bytes) -> Optional[bytes]:
    """The document portrait as a JPEG, found with the pipeline's own portrait search."""
    try:
        # Imported lazily: the face models are only loaded when a reviewer asks for this.
        from PIL import Image

        from openidv.pipeline import MODELS_LOCK
        from openidv.pipeline.face import find_document_face
        from openidv.pipeline.images import decode_image

        document = decode_image(front, max_side=1600)
        with MODELS_LOCK:
            found = find_document_face(document, None)
        if found is None:
            return None
        x, y, w, h = found.box
        pad_w, pad_h = int(w * 0.35), int(h * 0.5)
        region = found.image[max(0, y - pad_h): y + h + pad_h, max(0, x - pad_w): x + w + pad_w]
        if region.size == 0:
            return None
        out = io.BytesIO()
        Image.fromarray(region[:, :, ::-1].copy()).save(out, "JPEG", quality=90)
        return out.getvalue()
    except Exception:  # noqa: BLE001 - a missing portrait must not break the review page
        log.exception("portrait crop failed")
        return None


@router.get("/v/{scan_ref}/portrait")
def portrait(request: Request, scan_ref: str) -> Response:
    from openidv.store.files import make_file_store

    user = require_user(request)
    with session_scope() as session:
        _, v = _load(session, user, scan_ref)
        stored = next((f for f in _live(session, v) if f.step == "FRONT"), None)
        data = make_file_store(get_settings()).get(session, stored.storage_key) if stored else None
        if data is None:
            raise ConsoleError(404, "Not found", "There is no document image.")
        reviews.audit(session, user.email, "view_image", v.id, {"step": "PORTRAIT", "file": stored.id})
    cropped = crop_portrait(data)
    if cropped is None:
        raise ConsoleError(404, "Not found", "No portrait was found on the document.")
    return _image_response(cropped, "image/jpeg")


def _live(session: Any, v: Verification) -> list[StoredFile]:
    from openidv.store.verifications import live_files

    return live_files(session, v.id)


# ----------------------------------------------------------------------------- review


def _form_text(form: FormData, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return str(value)[:limit] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Submitted:
    outcome: Optional[reviews.ReviewOutcome] = None
    conflict: bool = False
    invalid: str = ""


def _submit_review(user: ConsoleUser, scan_ref: str, form: FormData) -> Submitted:
    try:
        version = int(_form_text(form, "version", 20))
    except ValueError:
        return Submitted(invalid="The form is missing its version; reload the page.")
    try:
        review = reviews.validate_review(
            _form_text(form, "manual_document", 40), _form_text(form, "manual_face", 40),
            {key: _form_text(form, key, 300) for key in reviews.MANUAL_FIELDS},
            _form_text(form, "note"),
        )
    except reviews.ReviewInvalid as exc:
        return Submitted(invalid=str(exc))
    try:
        with session_scope() as session:
            reviewer, v = _load(session, user, scan_ref)
            outcome = reviews.apply_review(session, reviewer, v, version, review)
    except reviews.ReviewConflict:
        return Submitted(conflict=True)
    except reviews.ReviewNotAllowed as exc:
        return Submitted(invalid=str(exc))
    return Submitted(outcome=outcome)


def _send_webhook(delivery_id: int) -> None:
    """Enqueue the final webhook (after the commit: the worker must see the row). If the
    queue is unreachable, the worker's sweep still finds the pending delivery."""
    try:
        from openidv.jobs.tasks import deliver_webhook

        deliver_webhook(delivery_id)
    except Exception:  # noqa: BLE001
        log.exception("could not enqueue webhook %s; the sweep will send it", delivery_id)


@router.post("/v/{scan_ref}/review", response_class=HTMLResponse)
async def review_submit(request: Request, scan_ref: str) -> Response:
    user = require_user(request)
    form = await read_form(request)
    check_csrf(user.csrf, form)
    result = await run_in_threadpool(_submit_review, user, scan_ref, form)
    if result.conflict:
        return render("console/error.html", {
            "user": user, "title": "Someone else reviewed this",
            "message": "This verification changed after you opened it (another reviewer submitted a "
                       "review, or processing finished). Your review was not saved. Open it again to "
                       "see the current state.",
            "link": f"{PREFIX}/v/{scan_ref}", "link_text": "Open the current version", "active": ""},
            status_code=409)
    if result.invalid:
        raise ConsoleError(400, "Review not saved", result.invalid, user)
    assert result.outcome is not None
    if result.outcome.delivery_id:
        await run_in_threadpool(_send_webhook, result.outcome.delivery_id)
    return RedirectResponse(f"{PREFIX}/v/{scan_ref}?reviewed=1", status_code=303)


# ----------------------------------------------------------------------------- install


class ConsoleHeadersMiddleware:
    """Strict browser security headers on /console responses only (the JSON API is untouched)."""

    HEADERS = [
        (b"content-security-policy",
         b"default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
         b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-content-type-options", b"nosniff"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        is_static = path.startswith(PREFIX + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control" or is_static]
                headers += self.HEADERS
                if not is_static:
                    headers.append((b"cache-control", b"no-store, private"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _error_page(request: Request, exc: ConsoleError) -> Response:
    user = exc.user or _session_user(request)
    return render("console/error.html", {"user": user, "title": exc.title, "message": exc.message,
                                         "link": PREFIX + ("/queue" if user else "/login"),
                                         "link_text": "Back to the console", "active": ""},
                  status_code=exc.status_code)


async def _console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    return await run_in_threadpool(_error_page, request, exc)


async def _login_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse(PREFIX + "/login", status_code=303)


def install(app: FastAPI) -> None:
    """Add the console's routes, static files, error pages and security headers."""
    app.include_router(router)
    app.mount(PREFIX + "/static", StaticFiles(directory=str(STATIC_DIR)), name="console-static")
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_middleware(ConsoleHeadersMiddleware)
