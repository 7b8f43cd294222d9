"""The hosted capture flow (SPEC 9): the pages a partner sends its customer to.

`/flow/<authToken>` (or `/flow/<handle>` after entering an 8-digit code at `/flow`) walks the
end user through choosing the document, photographing it and their face with the browser
camera (file upload as fallback), and submits through the same path as `POST /process`.
A waiting page then polls `/flow/<key>/status` and sends the user to the partner's
successUrl / unverifiedUrl / errorUrl once the automatic decision is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gettext
import json
import re
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, quote, urlsplit

import pycountry
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from openidv.api import schemas
from openidv.api.auth import PartnerContext
from openidv.api.errors import ApiError, BadValue, RequestTooLarge
from openidv.api.images import decode_upload
from openidv.api.partner import ImageSubmission, accept_images, required_steps
from openidv.api.photo_validation import validate_photos
from openidv.api.request_body import read_json_object
from openidv.config import get_settings
from openidv.pipeline.run import additional_step_names
from openidv.store.crypto import derive_key
from openidv.store.db import session_scope
from openidv.store.models import Partner, Verification, utcnow
from openidv.store.verifications import TokenProblem, expire_if_due, token_hash, usable_token

WEB_DIR = Path(__file__).resolve().parent
LOCALE_DIR = WEB_DIR / "locales"
STATIC_PREFIX = "/flow-assets"  # not under /flow/: that space belongs to the tokens

DEFAULT_LANGUAGE = "en"
DIGIT_STRING_RE = re.compile(r"^\d{8}$")
# authTokens are token_urlsafe (no dot); handles from the digit-string entry are
# itsdangerous strings (with dots). Anything else is refused before touching the database.
KEY_RE = re.compile(r"^[A-Za-z0-9_\-.]{10,200}$")
HANDLE_TTL_SECONDS = 4 * 3600  # longer than the longest session (3600 s) plus processing
DEFAULT_SESSION_SECONDS = 600  # SPEC 3.1 default sessionLength
# Guessing 8-digit codes: 10 wrong entries per address per 15 minutes (per API process).
DIGIT_ATTEMPTS_PER_WINDOW = 10
DIGIT_WINDOW_SECONDS = 15 * 60
# Each instant check runs a detector (~0.1 s); a session needs a handful of them.
CHECKS_PER_VERIFICATION = 60
MAX_FORM_BYTES = 1024  # the digit-string form: one short field
MOBILE_UA_RE = re.compile(r"Mobi|Android|iPhone|iPad|iPod|Windows Phone", re.I)
CSP_SOURCE_RE = re.compile(r"^(?:'self'|'none'|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)$")

# Steps photographed with the rear camera vs. the front (selfie) camera.
SELFIE_STEPS = ("FACE",)
TWO_SIDED = schemas.TWO_SIDED_TYPES

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- translations and templates


def _load_locales() -> dict[str, dict[str, str]]:
    locales = {}
    for path in sorted(LOCALE_DIR.glob("*.json")):
        locales[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return locales


LOCALES = _load_locales()


@dataclass(frozen=True)
class Translator:
    """Strings of one language, falling back to English for a key it lacks."""

    language: str

    def __call__(self, key: str, **values: Any) -> str:
        text = LOCALES.get(self.language, {}).get(key) or LOCALES[DEFAULT_LANGUAGE].get(key, key)
        return text.format(**values) if values else text

    def strings(self, prefix: str) -> dict[str, str]:
        keys = [k for k in LOCALES[DEFAULT_LANGUAGE] if k.startswith(prefix)]
        return {k[len(prefix):]: self(k) for k in keys}


_templates = Environment(
    loader=FileSystemLoader(str(WEB_DIR / "templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def pick_language(requested: Optional[str], token_locale: Optional[str]) -> str:
    """The ?lang= the user chose, else the token's locale, else English (when unknown)."""
    for code in (requested, token_locale):
        if code and code.lower() in LOCALES:
            return code.lower()
    return DEFAULT_LANGUAGE


# ---------------------------------------------------------------- security headers


def frame_ancestors(partner_setting: Optional[str]) -> str:
    """The CSP frame-ancestors sources allowed for a partner; 'self' when unset or invalid.

    Only plain source expressions pass: a `;` or a quote could otherwise inject directives.
    """
    sources = [s for s in (partner_setting or "").split() if CSP_SOURCE_RE.match(s)]
    return " ".join(sources) if sources else "'self'"


def content_security_policy(ancestors: str) -> str:
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        f"frame-ancestors {ancestors}",
    ])


def _secure(response: Response, ancestors: str = "'self'") -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(ancestors)
    # The token is in the URL: no Referer may carry it to the partner's pages.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(name: str, t: Translator, status: int = 200, ancestors: str = "'self'", **context: Any) -> HTMLResponse:
    html = _templates.get_template(f"flow/{name}.html").render(
        t=t, lang=t.language, languages=sorted(LOCALES), static=STATIC_PREFIX,
        language_names={code: LOCALES[code].get("language_name", code) for code in LOCALES},
        **context,
    )
    return _secure(HTMLResponse(html, status_code=status), ancestors)


def _message(t: Translator, key: str, status: int, ancestors: str = "'self'", **context: Any) -> HTMLResponse:
    """A page that only explains something (unusable link, expired session, finished)."""
    return _page("message", t, status, ancestors, title=t(f"{key}_title"), text=t(f"{key}_text"), **context)


# ---------------------------------------------------------------- flow state


class _Handles:
    """Signed stand-ins for the token after a digit-string entry (the token itself is
    stored only as a hash, so the flow cannot put it back into the URL)."""

    def __init__(self) -> None:
        key = derive_key(get_settings().data_keys()[0], "openidv flow handles v1")
        self._serializer = URLSafeTimedSerializer(key, salt="openidv-flow")

    def make(self, verification_id: int) -> str:
        return self._serializer.dumps(verification_id)

    def verification_id(self, handle: str) -> Optional[int]:
        try:
            value = self._serializer.loads(handle, max_age=HANDLE_TTL_SECONDS)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        return value if isinstance(value, int) else None


_handles: Optional[_Handles] = None


def _handle_signer() -> _Handles:
    global _handles
    if _handles is None:
        _handles = _Handles()
    return _handles


@dataclass(frozen=True)
class FlowState:
    """What the pages need to know about one flow, read in one transaction."""

    verification_id: int
    partner: PartnerContext
    ancestors: str
    token_type: str
    token_request: dict[str, Any]
    status: str
    platform: Optional[str]
    # None when the user may go on; else why not: used, expired, unavailable,
    # session_expired, or submitted (handed in through this flow: show the outcome).
    problem: Optional[str]

    @property
    def documents(self) -> list[str]:
        return list(self.token_request.get("documents") or schemas.DOCUMENT_TYPES)

    @property
    def locale(self) -> Optional[str]:
        return self.token_request.get("locale")


def _partner_context(partner: Partner) -> PartnerContext:
    return PartnerContext(**{f.name: getattr(partner, f.name) for f in dataclasses.fields(PartnerContext)})


def _find(session: Session, key: str) -> Optional[Verification]:
    if not KEY_RE.match(key):
        return None
    if "." in key:
        verification_id = _handle_signer().verification_id(key)
        return session.get(Verification, verification_id) if verification_id is not None else None
    return session.scalar(select(Verification).where(Verification.auth_token_hash == token_hash(key)))


def session_ends_at(verification: Verification) -> Optional[dt.datetime]:
    if verification.flow_started_at is None:
        return None
    length = (verification.token_request or {}).get("sessionLength") or DEFAULT_SESSION_SECONDS
    return verification.flow_started_at + dt.timedelta(seconds=int(length))


def _problem(verification: Verification, now: dt.datetime) -> Optional[str]:
    if verification.token_used:
        return "submitted" if verification.platform in ("PC", "MOBILE") else "used"
    if verification.status == "EXPIRED" or verification.token_expires_at <= now:
        return "expired"
    if verification.status != "ACTIVE" or (verification.token_request or {}).get("questionnaire") is not None:
        return "unavailable"  # questionnaires are not part of this flow
    ends = session_ends_at(verification)
    if ends is not None and ends <= now:
        return "session_expired"
    return None


def _start_session(session: Session, verification: Verification, now: dt.datetime) -> None:
    """Start the session clock at the first visit; the conditional UPDATE makes two
    concurrent first visits agree on one start time."""
    if verification.flow_started_at is not None:
        return
    session.execute(
        update(Verification)
        .where(Verification.id == verification.id, Verification.flow_started_at.is_(None))
        .values(flow_started_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(verification)


def load_flow(key: str, *, start_session: bool = False) -> Optional[FlowState]:
    """The flow behind a key (token or handle); None when there is none."""
    hook = None
    with session_scope() as session:
        verification = _find(session, key)
        if verification is None:
            return None
        now = utcnow()
        # An unused token past its expiry becomes EXPIRED now (and the partner hears of it).
        hook = expire_if_due(session, verification, now)
        if hook:
            session.refresh(verification)
        if start_session and _problem(verification, now) is None:
            _start_session(session, verification, now)
        partner = session.get(Partner, verification.partner_id)
        state = FlowState(
            verification_id=verification.id,
            partner=_partner_context(partner),
            ancestors=frame_ancestors(getattr(partner, "frame_ancestors", None)),
            token_type=verification.token_type,
            token_request=dict(verification.token_request or {}),
            status=verification.status,
            platform=verification.platform,
            problem=_problem(verification, now),
        )
    if hook:
        from openidv.jobs.tasks import deliver_webhook

        deliver_webhook(hook)
    return state


def _usable_for_flow(key: str, partner_id: int) -> Callable[[Session], Verification]:
    """The TokenFinder for accept_images: the /process token rules, plus the session length."""

    def find(session: Session) -> Verification:
        if "." in key:
            verification = _find(session, key)
            if verification is None or verification.partner_id != partner_id:
                raise TokenProblem("Token does not exist")
        else:
            verification = usable_token(session, partner_id, key)
        problem = _problem(verification, utcnow())
        if problem == "session_expired":
            raise TokenProblem("Session has expired")
        if problem is not None:
            raise TokenProblem(f"Token cannot be used: {problem}")
        return verification

    return find


def _digit_string_flow(digits: str) -> Optional[int]:
    with session_scope() as session:
        return session.scalar(
            select(Verification.id)
            .where(Verification.digit_string == digits, Verification.token_used.is_(False),
                   Verification.status == "ACTIVE")
            .order_by(Verification.id.desc())
            .limit(1)
        )


# ---------------------------------------------------------------- outcome


def outcome_of(status: str) -> Optional[str]:
    """How the automatic decision maps onto the partner's pages; None while processing.

    REVIEWING goes to successUrl: the user has done their part and a person decides now
    (the partner hears the final result by webhook).
    """
    return {
        "ACTIVE": None,
        "APPROVED": "success",
        "REVIEWING": "review",
        "DENIED": "unverified",
        "SUSPECTED": "unverified",
    }.get(status, "error")


def outcome_url(state: FlowState, outcome: str) -> Optional[str]:
    field = {"success": "successUrl", "review": "successUrl", "unverified": "unverifiedUrl"}.get(outcome, "errorUrl")
    fallback = {"successUrl": state.partner.success_url, "unverifiedUrl": state.partner.unverified_url,
                "errorUrl": state.partner.error_url}[field]
    return state.token_request.get(field) or fallback


def platform_of(user_agent: str) -> str:
    return "MOBILE" if MOBILE_UA_RE.search(user_agent or "") else "PC"


# ---------------------------------------------------------------- request guards


class _AttemptLimiter:
    """Sliding-window count of wrong digit-string entries per client address."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, who: str) -> bool:
        with self._lock:
            times = self._seen.get(who)
            if not times:
                return False
            while times and times[0] < time.monotonic() - self.window:
                times.popleft()
            return len(times) >= self.limit

    def failed(self, who: str) -> None:
        with self._lock:
            if len(self._seen) > 100_000:  # bound memory under a spray of addresses
                self._seen.clear()
            self._seen.setdefault(who, deque()).append(time.monotonic())


_digit_attempts = _AttemptLimiter(DIGIT_ATTEMPTS_PER_WINDOW, DIGIT_WINDOW_SECONDS)
_checks_done: dict[int, int] = {}


def _same_origin(request: Request) -> bool:
    """Refuse cross-site POSTs (a page elsewhere submitting into someone's flow)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # non-browser clients send no Origin; sandboxed frames send "null"
    ours = {_origin(str(request.base_url))}
    if get_settings().public_url:
        ours.add(_origin(get_settings().public_url))
    return _origin(origin) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _json_only(request: Request) -> bool:
    # A cross-site HTML form cannot send application/json without a CORS preflight.
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def _json(body: dict[str, Any], status: int = 200, ancestors: str = "'self'") -> JSONResponse:
    return _secure(JSONResponse(body, status_code=status), ancestors)  # type: ignore[return-value]


def _flow_url(key: str, path: str = "", **query: Optional[str]) -> str:
    params = "&".join(f"{k}={quote(v)}" for k, v in query.items() if v)
    return f"/flow/{quote(key)}{path}" + (f"?{params}" if params else "")


# ---------------------------------------------------------------- pages


@router.get("/api/v2/redirect")
async def redirect(request: Request) -> Response:
    """The redirectUrl of POST /token: on to the flow (or to the code entry page)."""
    token = request.query_params.get("authToken") or ""
    lang = request.query_params.get("lang")
    if DIGIT_STRING_RE.match(token) or not KEY_RE.match(token):
        return _secure(RedirectResponse(_lang_path("/flow", lang), status_code=303))
    return _secure(RedirectResponse(_flow_url(token, lang=lang), status_code=303))


def _lang_path(path: str, lang: Optional[str]) -> str:
    return f"{path}?lang={quote(lang)}" if lang and lang in LOCALES else path


@router.get("/flow")
async def entry(request: Request) -> Response:
    t = Translator(pick_language(request.query_params.get("lang"), None))
    return _page("entry", t, error=None, digits="", form_action=_entry_action(request))


def _entry_action(request: Request) -> str:
    # Only a language the user chose is carried on: otherwise the token's locale applies.
    return _lang_path("/flow", request.query_params.get("lang"))


@router.post("/flow")
async def enter_digits(request: Request) -> Response:
    t = Translator(pick_language(request.query_params.get("lang"), None))
    if not _same_origin(request):
        return _message(t, "forbidden", 403)
    who = request.client.host if request.client else "-"
    if _digit_attempts.blocked(who):
        return _page("entry", t, 429, error=t("entry_too_many"), digits="", form_action=_entry_action(request))
    try:
        form = await _read_form(request)
    except RequestTooLarge:
        return _page("entry", t, 413, error=t("entry_invalid"), digits="", form_action=_entry_action(request))
    digits = re.sub(r"\s", "", (form.get("digitString") or [""])[0])
    verification_id = await run_in_threadpool(_digit_string_flow, digits) if DIGIT_STRING_RE.match(digits) else None
    if verification_id is None:
        _digit_attempts.failed(who)
        return _page("entry", t, 400, error=t("entry_invalid"), digits=digits[:8] if digits.isdigit() else "",
                     form_action=_entry_action(request))
    handle = _handle_signer().make(verification_id)
    return _secure(RedirectResponse(_flow_url(handle, lang=request.query_params.get("lang")), status_code=303))


async def _read_form(request: Request) -> dict[str, list[str]]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise RequestTooLarge("Form is too large")
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=5)


async def _state_or_page(request: Request, key: str, *, start_session: bool) -> tuple[Optional[FlowState], Translator, Optional[Response]]:
    """The flow state, or the page to show instead (unknown link, used, expired...)."""
    state = await run_in_threadpool(load_flow, key, start_session=start_session)
    requested = request.query_params.get("lang")
    if state is None:
        t = Translator(pick_language(requested, None))
        return None, t, _message(t, "unknown", 404)
    t = Translator(pick_language(requested, state.locale))
    if state.problem == "submitted":
        return state, t, _secure(RedirectResponse(_flow_url(key, "/wait", lang=requested), status_code=303))
    if state.problem is not None:
        status = 410 if state.problem in ("used", "expired", "session_expired") else 403
        return state, t, _message(t, state.problem, status, state.ancestors)
    return state, t, None


def _choices(state: FlowState) -> tuple[Optional[str], Optional[str]]:
    """The document type and country fixed by the token (None where the user chooses)."""
    documents = state.documents
    country = state.token_request.get("country")
    return (documents[0] if len(documents) == 1 else None), country


@router.get("/flow/{key}")
async def start(request: Request, key: str) -> Response:
    state, t, other = await _state_or_page(request, key, start_session=True)
    if other is not None:
        return other
    document, country = _choices(state)
    show_instructions = state.token_request.get("showInstructions", True) is not False
    lang = request.query_params.get("lang")
    if document and country and not show_instructions:
        return _secure(RedirectResponse(_flow_url(key, "/capture", document=document, country=country, lang=lang),
                                        status_code=303), state.ancestors)
    return _page(
        "start", t, ancestors=state.ancestors,
        show_instructions=show_instructions, selfie=state.token_type == "IDENTIFICATION",
        document=document, country=country, documents=state.documents,
        countries=_country_options(t.language), capture_url=_flow_url(key, "/capture"),
    )


@functools.lru_cache(maxsize=16)
def _country_options(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, named and sorted in the user's language.

    The names come from the ISO 3166 translations that ship inside pycountry."""
    try:
        names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        translate = names.gettext
    except OSError:  # no catalogue for this language (English has none: it is the source)
        translate = str
    options = ((c.alpha_2, translate(c.name)) for c in pycountry.countries)
    return tuple(sorted(options, key=lambda c: locale_sort_key(c[1])))


def locale_sort_key(name: str) -> str:
    # Good enough without ICU: accents sort with their base letter (Ä with A, Č with C).
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def flow_steps(state: FlowState, document: str, country: str) -> list[dict[str, Any]]:
    """The capture steps for this choice: the /process required ones, then extra uploads."""
    names = list(required_steps(state.token_type, document))
    if document in TWO_SIDED and "BACK" not in names:
        names.insert(1, "BACK")
    extra = [s for s in additional_step_names(state.token_request.get("additionalSteps"), country, document)
             if s not in names]
    steps = []
    for name in names + extra:
        steps.append({
            "name": name,
            "facing": "user" if name in SELFIE_STEPS else "environment",
            "guide": "face" if name in SELFIE_STEPS else "document",
            "additional": name in extra,
        })
    return steps


@router.get("/flow/{key}/capture")
async def capture(request: Request, key: str) -> Response:
    state, t, other = await _state_or_page(request, key, start_session=True)
    if other is not None:
        return other
    fixed_document, fixed_country = _choices(state)
    document = fixed_document or request.query_params.get("document", "")
    country = (fixed_country or request.query_params.get("country", "")).upper()
    if document not in state.documents or len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        return _secure(RedirectResponse(_flow_url(key, lang=request.query_params.get("lang")), status_code=303),
                       state.ancestors)
    settings = get_settings()
    steps = flow_steps(state, document, country)
    lang = request.query_params.get("lang")
    config = {
        "checkUrl": _flow_url(key, "/check", lang=lang),
        "submitUrl": _flow_url(key, "/submit", lang=lang),
        "country": country,
        "documentType": document,
        "maxImageBytes": state.partner.max_image_bytes or settings.max_image_bytes,
        "strings": t.strings("js_"),
    }
    return _page("capture", t, ancestors=state.ancestors, steps=steps, document=document, config=config,
                 keep_query={"document": document, "country": country})


@router.post("/flow/{key}/check")
async def check(request: Request, key: str) -> Response:
    """Instant feedback on one photo: the fast photo validation of /process, nothing stored."""
    if not _same_origin(request) or not _json_only(request):
        return _json({"ok": False, "message": "Forbidden"}, 403)
    state = await run_in_threadpool(load_flow, key)
    if state is None or state.problem is not None:
        return _json({"ok": False, "reason": "unusable"}, 410)
    t = Translator(pick_language(request.query_params.get("lang"), state.locale))
    settings = get_settings()
    max_bytes = state.partner.max_image_bytes or settings.max_image_bytes
    done = _checks_done.get(state.verification_id, 0)
    if done >= CHECKS_PER_VERIFICATION:
        return _json({"ok": True, "checked": False}, ancestors=state.ancestors)  # submit still validates
    if len(_checks_done) > 100_000:  # bound memory; the cap is a courtesy limit, not security
        _checks_done.clear()
    _checks_done[state.verification_id] = done + 1
    try:
        # 4/3 base64 overhead plus the JSON around it.
        body = await read_json_object(request, max_bytes * 4 // 3 + 4096)
        step, image = str(body.get("step", "")), body.get("image")
        if step not in schemas.IMAGE_STEPS and not re.fullmatch(r"[A-Z0-9_]{1,40}", step):
            raise BadValue("Bad value for field 'step'")
        if not isinstance(image, str):
            raise BadValue("Bad value for field 'image'")
        upload = await run_in_threadpool(decode_upload, step, image, max_bytes=max_bytes,
                                         max_megapixels=settings.max_megapixels)
        if state.partner.photo_validation and step in ("FRONT", "FACE"):
            await run_in_threadpool(validate_photos, {step: upload})
    except ApiError as error:
        return _json({"ok": False, "identifier": error.identifier, "message": _error_text(t, error)},
                     ancestors=state.ancestors)
    return _json({"ok": True, "checked": True}, ancestors=state.ancestors)


def _error_text(t: Translator, error: ApiError) -> str:
    """The user's words for an API error (its own message is for developers)."""
    known = {"DOC_NOT_FOUND", "NO_FACE_FOUND", "REQUEST_TOO_LARGE", "ENCODING_ERROR", "TOKEN_NOT_VALID",
             "MISSING_VALUE"}
    return t(f"error_{error.identifier}") if error.identifier in known else t("error_GENERIC")


@router.post("/flow/{key}/submit")
async def submit(request: Request, key: str) -> Response:
    """Hand the photos in: the same path as POST /process, with platform PC or MOBILE."""
    if not _same_origin(request) or not _json_only(request):
        return _json({"ok": False, "message": "Forbidden"}, 403)
    state = await run_in_threadpool(load_flow, key)
    if state is None or state.problem is not None:
        return _json({"ok": False, "reason": "unusable", "next": _flow_url(key)}, 410)
    lang = request.query_params.get("lang")
    t = Translator(pick_language(lang, state.locale))
    try:
        body = await read_json_object(request, get_settings().max_request_bytes)
        submission = _submission(state, body)
        await accept_images(request, state.partner, _usable_for_flow(key, state.partner.id), submission,
                            platform=platform_of(request.headers.get("user-agent", "")))
    except ApiError as error:
        return _json({"ok": False, "identifier": error.identifier, "step": _step_named(error),
                      "message": _error_text(t, error)}, ancestors=state.ancestors)
    _checks_done.pop(state.verification_id, None)
    return _json({"ok": True, "next": _flow_url(key, "/wait", lang=lang)}, ancestors=state.ancestors)


def _submission(state: FlowState, body: dict[str, Any]) -> ImageSubmission:
    fixed_document, fixed_country = _choices(state)
    document = fixed_document or body.get("documentType")
    country = fixed_country or body.get("country")
    images = body.get("images")
    if not isinstance(document, str) or document not in state.documents:
        raise BadValue("Bad value for field 'documentType'")
    if not isinstance(country, str) or pycountry.countries.get(alpha_2=country.upper()) is None:
        raise BadValue("Bad value for field 'country'")
    if not isinstance(images, dict) or len(images) > len(schemas.IMAGE_STEPS) + 20 or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in images.items()
    ):
        raise BadValue("Bad value for field 'images'")
    return ImageSubmission(country=country.upper(), document_type=document, images=images)


def _step_named(error: ApiError) -> Optional[str]:
    if error.identifier == "DOC_NOT_FOUND":
        return "FRONT"
    if error.identifier == "NO_FACE_FOUND":
        return "FACE"
    found = re.search(r"step '([A-Z0-9_]+)'", error.message)
    return found.group(1) if found else None


@router.get("/flow/{key}/wait")
async def wait(request: Request, key: str) -> Response:
    state = await run_in_threadpool(load_flow, key)
    lang = request.query_params.get("lang")
    if state is None:
        t = Translator(pick_language(lang, None))
        return _message(t, "unknown", 404)
    t = Translator(pick_language(lang, state.locale))
    if state.problem != "submitted":
        return _secure(RedirectResponse(_flow_url(key, lang=lang), status_code=303), state.ancestors)
    return _page("wait", t, ancestors=state.ancestors, status_url=_flow_url(key, "/status"),
                 finish_url=_flow_url(key, "/finish", lang=lang))


@router.get("/flow/{key}/status")
async def status(request: Request, key: str) -> Response:
    """Small poll for the waiting page: processing, or where to send the user."""
    state = await run_in_threadpool(load_flow, key)
    if state is None or state.problem != "submitted":
        return _json({"done": False, "submitted": False}, 404 if state is None else 409)
    outcome = outcome_of(state.status)
    if outcome is None:
        return _json({"done": False, "submitted": True}, ancestors=state.ancestors)
    return _json({"done": True, "outcome": outcome, "redirect": outcome_url(state, outcome)}, ancestors=state.ancestors)


@router.get("/flow/{key}/finish")
async def finish(request: Request, key: str) -> Response:
    """Where the user goes when done (the link for browsers without JavaScript too)."""
    state = await run_in_threadpool(load_flow, key)
    lang = request.query_params.get("lang")
    if state is None:
        t = Translator(pick_language(lang, None))
        return _message(t, "unknown", 404)
    t = Translator(pick_language(lang, state.locale))
    outcome = outcome_of(state.status) if state.problem == "submitted" else None
    if outcome is None:
        return _secure(RedirectResponse(_flow_url(key, "/wait", lang=lang), status_code=303), state.ancestors)
    url = outcome_url(state, outcome)
    if url:
        return _secure(RedirectResponse(url, status_code=303), state.ancestors)
    return _message(t, f"done_{outcome}", 200, state.ancestors)


# ---------------------------------------------------------------- installation


class _FlowStatic(StaticFiles):
    """The flow's CSS and JS, with nosniff (they are served to end users' browsers)."""

    async def get_response(self, path: str, scope) -> Response:  # noqa: ANN001
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    """Add the flow's pages and its static files to the app (outside the OpenAPI schema)."""
    app.include_router(router)
    app.mount(STATIC_PREFIX, _FlowStatic(directory=str(WEB_DIR / "static" / "flow")), name="flow-assets")
