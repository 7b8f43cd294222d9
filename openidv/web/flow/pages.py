"""The hosted capture flow: the pages a partner sends its customer to.

`/flow/<authToken>` (or `/flow/<handle>` after entering an 8-digit code at `/flow`) walks the
person through choosing the document, photographing it and their face with the browser
camera (file upload as fallback), and hands the images in through the same use case as
`POST /process`. A waiting page then polls `/flow/<key>/status` and sends the person to the
partner's successUrl / unverifiedUrl / errorUrl once the automatic decision is stored.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import quote

import pycountry
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from openidv.core.errors import BadValue, RequestTooLarge
from openidv.core.steps import capture_steps
from openidv.core.vocab import Platform, Status, Step, TokenType
from openidv.http.body import read_form
from openidv.pipeline.active_liveness import FRAME_STEP_PREFIX
from openidv.services import flow as flow_sessions
from openidv.services.flow import FlowHandles, FlowState
from openidv.services.runtime import Runtime
from openidv.web.attempts import client_address
from openidv.web.flow.guards import CodeGuard, same_origin
from openidv.web.flow.i18n import LOCALES, Translator, country_options, language_names, pick_language
from openidv.web.security import PagePolicy, frame_ancestors, secure
from openidv.web.templating import render

STATIC_PREFIX = "/flow-assets"  # not under /flow/: that space belongs to the tokens
DIGIT_STRING_RE = re.compile(r"^\d{8}$")
# authTokens are token_urlsafe (no dot); handles from the digit-string entry are
# itsdangerous strings (with dots). Anything else is refused before touching the database.
KEY_RE = re.compile(r"^[A-Za-z0-9_\-.]{10,200}$")
# Each instant check runs a detector (~0.1 s); a session needs a handful of them.
CHECKS_PER_VERIFICATION = 60
MAX_FORM_BYTES = 1024  # the digit-string form: one short field
MOBILE_UA_RE = re.compile(r"Mobi|Android|iPhone|iPad|iPod|Windows Phone", re.I)
SELFIE_STEPS = (Step.FACE,)
# The selfie's "move closer" challenge: how many frames the page captures over how long,
# and their size. The worker's check is what decides; the instant check only lets a person
# try again, a few times, before handing in.
CHALLENGE_FRAMES = 6
CHALLENGE_SECONDS = 4.0
CHALLENGE_FRAME_SIDE_PX = 480
CHALLENGE_CHECKS_PER_VERIFICATION = 5

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- helpers


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _handles(request: Request) -> FlowHandles:
    return request.app.state.flow_handles


def _policy(ancestors: str = "'self'") -> PagePolicy:
    return PagePolicy(frame_ancestors=ancestors, media=True, cache_control="no-store")


def _ancestors(state: FlowState) -> str:
    return frame_ancestors(state.partner.frame_ancestors)


def _page(name: str, t: Translator, status: int = 200, ancestors: str = "'self'", **context: Any) -> Response:
    response = render(f"flow/{name}.html", dict(
        t=t, lang=t.language, languages=sorted(LOCALES), static=STATIC_PREFIX, language_names=language_names(),
        **context), status_code=status)
    return secure(response, _policy(ancestors))


def _message(t: Translator, key: str, status: int, ancestors: str = "'self'", **context: Any) -> Response:
    """A page that only explains something (unusable link, expired session, finished)."""
    return _page("message", t, status, ancestors, title=t(f"{key}_title"), text=t(f"{key}_text"), **context)


def _redirect(url: str, ancestors: str = "'self'") -> Response:
    return secure(RedirectResponse(url, status_code=303), _policy(ancestors))


def _json(body: dict[str, Any], status: int = 200, ancestors: str = "'self'") -> Response:
    return secure(JSONResponse(body, status_code=status), _policy(ancestors))


def _flow_url(key: str, path: str = "", **query: Optional[str]) -> str:
    params = "&".join(f"{k}={quote(v)}" for k, v in query.items() if v)
    return f"/flow/{quote(key)}{path}" + (f"?{params}" if params else "")


def _lang_path(path: str, lang: Optional[str]) -> str:
    return f"{path}?lang={quote(lang)}" if lang and lang in LOCALES else path


def _load(request: Request, key: str, *, start_session: bool = False):  # noqa: ANN202
    return run_in_threadpool(flow_sessions.load_flow, key, _handles(request), _runtime(request).queue,
                             start_session=start_session)


def _seconds_left(state: FlowState) -> Optional[int]:
    if state.session_ends_at is None or state.now is None:
        return None
    return max(0, int((state.session_ends_at - state.now).total_seconds()))


def outcome_of(status: str) -> Optional[str]:
    """How the automatic decision maps onto the partner's pages; None while processing.

    REVIEWING goes to successUrl: the person has done their part and a person decides now
    (the partner hears the final result by webhook).
    """
    return {
        Status.ACTIVE: None,
        Status.APPROVED: "success",
        Status.REVIEWING: "review",
        Status.DENIED: "unverified",
        Status.SUSPECTED: "unverified",
    }.get(status, "error")


def outcome_url(state: FlowState, outcome: str) -> Optional[str]:
    if outcome in ("success", "review"):
        return state.token.success_url or state.partner.success_url
    if outcome == "unverified":
        return state.token.unverified_url or state.partner.unverified_url
    return state.token.error_url or state.partner.error_url


def platform_of(user_agent: str) -> str:
    return Platform.MOBILE if MOBILE_UA_RE.search(user_agent or "") else Platform.PC


def _choices(state: FlowState) -> tuple[Optional[str], Optional[str]]:
    """The document type and country fixed by the token (None where the person chooses)."""
    documents = state.token.documents
    return (documents[0] if len(documents) == 1 else None), state.token.country


def flow_steps(state: FlowState, document: str, country: str) -> list[dict[str, Any]]:
    """The capture steps for this choice: the /process required ones, then extra uploads."""
    names, extra = capture_steps(state.token.token_type, document, country, state.token.additional_steps)
    return [{
        "name": name,
        "facing": "user" if name in SELFIE_STEPS else "environment",
        "guide": "face" if name in SELFIE_STEPS else "document",
        "additional": name in extra,
        # The selfie is taken during the challenge; an upload only where the partner allows it.
        "challenge": name in SELFIE_STEPS,
        "upload": name not in SELFIE_STEPS or not state.partner.selfie_camera_only,
    } for name in names + extra]


# ---------------------------------------------------------------- entry


@router.get("/api/v2/redirect")
async def redirect(request: Request) -> Response:
    """The redirectUrl of POST /token: on to the flow (or to the code entry page)."""
    token = request.query_params.get("authToken") or ""
    lang = request.query_params.get("lang")
    if DIGIT_STRING_RE.match(token) or not KEY_RE.match(token):
        return _redirect(_lang_path("/flow", lang))
    return _redirect(_flow_url(token, lang=lang))


@router.get("/flow")
async def entry(request: Request) -> Response:
    t = Translator(pick_language(request.query_params.get("lang"), None))
    return _page("entry", t, error=None, digits="", form_action=_entry_action(request))


def _code_guard(request: Request) -> CodeGuard:
    return request.app.state.code_guard


def _look_up_code(guard: CodeGuard, address: str, digits: str) -> int | str | None:
    """The verification behind a code, "blocked" when a limit refuses the attempt, None for
    a wrong code. The attempt is counted before the lookup and given back when it is right."""
    if not DIGIT_STRING_RE.match(digits):
        return None  # not a code: nothing is looked up, nothing to guess
    if not guard.reserve(address, digits):
        return "blocked"
    found = flow_sessions.flow_by_digits(digits)
    if found is not None:
        guard.was_right(address, digits)
    return found


def _entry_action(request: Request) -> str:
    # Only a language the person chose is carried on: otherwise the token's locale applies.
    return _lang_path("/flow", request.query_params.get("lang"))


@router.post("/flow")
async def enter_digits(request: Request) -> Response:
    t = Translator(pick_language(request.query_params.get("lang"), None))
    settings = _runtime(request).settings
    if not same_origin(request, settings.public_url):
        return _message(t, "forbidden", 403)
    try:
        form = dict(await read_form(request, MAX_FORM_BYTES, settings.body_timeout_seconds, max_fields=5))
    except (RequestTooLarge, BadValue):
        return _page("entry", t, 413, error=t("entry_invalid"), digits="", form_action=_entry_action(request))
    digits = re.sub(r"\s", "", form.get("digitString") or "")
    outcome = await run_in_threadpool(_look_up_code, _code_guard(request), client_address(request), digits)
    if outcome == "blocked":
        return _page("entry", t, 429, error=t("entry_too_many"), digits="", form_action=_entry_action(request))
    if not isinstance(outcome, int):
        return _page("entry", t, 400, error=t("entry_invalid"), digits=digits[:8] if digits.isdigit() else "",
                     form_action=_entry_action(request))
    verification_id = outcome
    handle = _handles(request).make(verification_id)
    return _redirect(_flow_url(handle, lang=request.query_params.get("lang")))


# ---------------------------------------------------------------- pages


async def _state_or_page(request: Request, key: str, *, start_session: bool
                         ) -> tuple[Optional[FlowState], Translator, Optional[Response]]:
    """The flow state, or the page to show instead (unknown link, used, expired...)."""
    state = await _load(request, key, start_session=start_session) if KEY_RE.match(key) else None
    requested = request.query_params.get("lang")
    if state is None:
        t = Translator(pick_language(requested, None))
        return None, t, _message(t, "unknown", 404)
    t = Translator(pick_language(requested, state.token.locale))
    if state.problem == "submitted":
        return state, t, _redirect(_flow_url(key, "/wait", lang=requested))
    if state.problem is not None:
        status = 410 if state.problem in ("used", "expired", "session_expired") else 403
        if state.problem in ("expired", "session_expired"):  # nothing can be handed in any more
            await run_in_threadpool(flow_sessions.forget_flow_photos, state.verification_id,
                                    _runtime(request).settings)
        return state, t, _message(t, state.problem, status, _ancestors(state), **_way_back(state, "error"),
                                  **brand_of(state))
    return state, t, None


@router.get("/flow/{key}")
async def start(request: Request, key: str) -> Response:
    state, t, other = await _state_or_page(request, key, start_session=True)
    if other is not None:
        return other
    document, country = _choices(state)
    lang = request.query_params.get("lang")
    if document and country and not state.token.show_instructions:
        return _redirect(_flow_url(key, "/capture" if state.consent_given else "/consent", document=document,
                                   country=country, lang=lang), _ancestors(state))
    return _page(
        "start", t, ancestors=_ancestors(state),
        show_instructions=state.token.show_instructions, selfie=state.token.token_type == TokenType.IDENTIFICATION,
        document=document, country=country, documents=list(state.token.documents),
        countries=[c for c in country_options(t.language) if state.token.allows_country(c[0])],
        capture_url=_flow_url(key, "/capture" if state.consent_given else "/consent"), **brand_of(state),
    )


@router.get("/flow/{key}/capture")
async def capture(request: Request, key: str) -> Response:
    state, t, other = await _state_or_page(request, key, start_session=True)
    if other is not None:
        return other
    fixed_document, fixed_country = _choices(state)
    document = fixed_document or request.query_params.get("document", "")
    country = (fixed_country or request.query_params.get("country", "")).upper()
    lang = request.query_params.get("lang")
    if document not in state.token.documents or len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        return _redirect(_flow_url(key, lang=lang), _ancestors(state))
    if not state.consent_given:  # nothing is photographed before the person agreed
        return _redirect(_flow_url(key, "/consent", document=document, country=country, lang=lang),
                         _ancestors(state))
    settings = _runtime(request).settings
    saved = await run_in_threadpool(flow_sessions.saved_flow_steps, state.verification_id, document)
    config = {
        "checkUrl": _flow_url(key, "/check", lang=lang),
        "startUrl": _flow_url(key, lang=lang),
        "handoffUrl": _flow_url(key, "/handoff"),
        "statusUrl": _flow_url(key, "/status"),
        "waitUrl": _flow_url(key, "/wait", lang=lang),
        "saved": {step: _flow_url(key, f"/photo/{step}") for step in saved if not step.startswith(FRAME_STEP_PREFIX)},
        "savedFrames": any(step.startswith(FRAME_STEP_PREFIX) for step in saved),
        "sessionSeconds": _seconds_left(state),
        "submitUrl": _flow_url(key, "/submit", lang=lang),
        "country": country,
        "documentType": document,
        "maxImageBytes": state.partner.max_image_bytes or settings.max_image_bytes,
        "challenge": {"frames": CHALLENGE_FRAMES, "seconds": CHALLENGE_SECONDS,
                      "frameSide": CHALLENGE_FRAME_SIDE_PX},
        "strings": t.strings("js_"),
    }
    return _page("capture", t, ancestors=_ancestors(state), steps=flow_steps(state, document, country),
                 document=document, config=config, keep_query={"document": document, "country": country},
                 **brand_of(state))


@router.get("/flow/{key}/wait")
async def wait(request: Request, key: str) -> Response:
    state = await _load(request, key) if KEY_RE.match(key) else None
    lang = request.query_params.get("lang")
    if state is None:
        return _message(Translator(pick_language(lang, None)), "unknown", 404)
    t = Translator(pick_language(lang, state.token.locale))
    if state.problem != "submitted":
        return _redirect(_flow_url(key, lang=lang), _ancestors(state))
    return _page("wait", t, ancestors=_ancestors(state), status_url=_flow_url(key, "/status"),
                 finish_url=_flow_url(key, "/finish", lang=lang), **brand_of(state))


@router.get("/flow/{key}/status")
async def status(request: Request, key: str) -> Response:
    """Small poll for the waiting page: processing, or where to send the person."""
    state = await _load(request, key) if KEY_RE.match(key) else None
    if state is None or state.problem != "submitted":
        return _json({"done": False, "submitted": False}, 404 if state is None else 409)
    outcome = outcome_of(state.status)
    if outcome is None:
        return _json({"done": False, "submitted": True}, ancestors=_ancestors(state))
    return _json({"done": True, "submitted": True, "outcome": outcome, "redirect": outcome_url(state, outcome)},
                 ancestors=_ancestors(state))


@router.get("/flow/{key}/finish")
async def finish(request: Request, key: str) -> Response:
    """Where the person goes when done (the link for browsers without JavaScript too)."""
    state = await _load(request, key) if KEY_RE.match(key) else None
    lang = request.query_params.get("lang")
    if state is None:
        return _message(Translator(pick_language(lang, None)), "unknown", 404)
    t = Translator(pick_language(lang, state.token.locale))
    outcome = outcome_of(state.status) if state.problem == "submitted" else None
    if outcome is None:
        return _redirect(_flow_url(key, "/wait", lang=lang), _ancestors(state))
    url = outcome_url(state, outcome)
    if url:
        return _redirect(url, _ancestors(state))
    return _message(t, f"done_{outcome}", 200, _ancestors(state), **_way_back(state, outcome), **brand_of(state))


def brand_of(state: Optional[FlowState]) -> dict[str, Any]:
    """What the page template needs to show the partner's colour, logo and name."""
    if state is None:
        return {}
    partner = state.partner
    return {
        "brand_css": f"/flow-brand/colour-{partner.brand_color[1:]}.css" if partner.brand_color else None,
        "logo_url": f"/flow-brand/logo-{partner.logo_sha256}.png" if partner.logo_sha256 else None,
        "partner_name": partner.name,
    }


def _way_back(state: FlowState, outcome: str) -> dict[str, Any]:
    """The partner's page to go back to (a not-verified person may land on errorUrl when
    there is no unverifiedUrl) and the verification's reference for their support.

    The reference is the scanRef: it is not a credential (reading a verification needs the
    partner's API key and secret, or a console login), and it is what the partner's support
    and the console search by."""
    url = outcome_url(state, outcome)
    if url is None and outcome == "unverified":
        url = outcome_url(state, "error")
    return {"back_url": url, "reference": state.scan_ref}

