"""The hosted flow's consent notice (shown before any photo is taken, answered and recorded
with the verification) and the partner's branding: its colour as a stylesheet of CSS custom
properties and its logo, both served from openidv's own origin (the strict CSP allows
nothing else)."""

from __future__ import annotations

import re
from typing import Optional

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from openidv.core.errors import BadValue, RequestTooLarge
from openidv.http.body import read_form
from openidv.services import flow as flow_sessions
from openidv.services.branding import HEX_COLOUR_RE, brand_colours
from openidv.services.flow import FlowState
from openidv.web.flow.guards import same_origin
from openidv.web.flow.i18n import Translator
from openidv.web.flow.pages import (
    _ancestors, _flow_url, _message, _page, _redirect, _runtime, _state_or_page, _way_back, brand_of, outcome_url,
    router,
)
from openidv.web.security import PagePolicy, secure

CONSENT_FORM_MAX_BYTES = 2048  # the answer, the document choice and the country
BRAND_CACHE = "public, max-age=31536000, immutable"  # the URLs name the colour / the logo's hash


def consent_text(state: FlowState, t: Translator) -> str:
    """The partner's notice in the page's language, else openidv's default in that language."""
    texts = state.partner.consent_texts or {}
    return texts.get(t.language) or t("consent_default_text", partner=state.partner.name)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def consent_url(key: str, **query: Optional[str]) -> str:
    return _flow_url(key, "/consent", **query)


@router.get("/flow/{key}/consent")
async def consent(request: Request, key: str) -> Response:
    state, t, other = await _state_or_page(request, key, start_session=True)
    if other is not None:
        return other
    query = {k: request.query_params.get(k) for k in ("document", "country", "lang")}
    return _page("consent", t, ancestors=_ancestors(state), paragraphs=paragraphs(consent_text(state, t)),
                 form_action=consent_url(key, **query), document=query["document"] or "",
                 country=query["country"] or "", **brand_of(state))


@router.post("/flow/{key}/consent")
async def answer_consent(request: Request, key: str) -> Response:
    """Record the answer: agreed → on to the photos; declined → a page that says nothing was
    taken, with the way back to the partner."""
    state, t, other = await _state_or_page(request, key, start_session=False)
    if other is not None:
        return other
    settings = _runtime(request).settings
    if not same_origin(request, settings.public_url):
        return _message(t, "forbidden", 403)
    try:
        form = dict(await read_form(request, CONSENT_FORM_MAX_BYTES, settings.body_timeout_seconds, max_fields=6))
    except (RequestTooLarge, BadValue):
        return _message(t, "forbidden", 400)
    given = form.get("decision") == "accept"
    await run_in_threadpool(flow_sessions.record_consent, state.verification_id, given=given, language=t.language,
                            text=consent_text(state, t))
    lang = request.query_params.get("lang")
    if given:
        return _redirect(_flow_url(key, "/capture", document=form.get("document"), country=form.get("country"),
                                   lang=lang), _ancestors(state))
    way_back = _way_back(state, "error")
    if way_back["back_url"] is None:
        way_back["back_url"] = outcome_url(state, "unverified")
    return _message(t, "consent_declined", 200, _ancestors(state), **way_back, **brand_of(state))


# ---------------------------------------------------------------- branding


@router.get("/flow-brand/colour-{hex_value}.css")
async def brand_stylesheet(hex_value: str) -> Response:
    """A partner colour as CSS custom properties (the colour is the whole input: validated)."""
    if not HEX_COLOUR_RE.match(f"#{hex_value}"):
        return secure(Response(status_code=404), PagePolicy())
    response = Response(brand_colours(f"#{hex_value}").css(), media_type="text/css")
    return secure(response, PagePolicy(cache_control=BRAND_CACHE))


@router.get("/flow-brand/logo-{sha256}.png")
async def brand_logo(sha256: str) -> Response:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return secure(Response(status_code=404), PagePolicy())
    png = await run_in_threadpool(flow_sessions.partner_logo, sha256)
    if png is None:
        return secure(Response(status_code=404), PagePolicy())
    return secure(Response(png, media_type="image/png"), PagePolicy(cache_control=BRAND_CACHE))
