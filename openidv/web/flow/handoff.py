"""Continuing the hosted flow on a phone: an 8-digit code (made on demand when the token has
none) and a QR code of a link to this flow, drawn server-side as SVG and served from
openidv's own origin."""

from __future__ import annotations

import io

import segno
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from openidv.services import flow as flow_sessions
from openidv.web.flow.guards import json_only, same_origin
from openidv.web.flow.pages import KEY_RE, _ancestors, _flow_url, _handles, _json, _load, _policy, _runtime, router
from openidv.web.security import secure


def _public_base(request: Request) -> str:
    configured = _runtime(request).settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


@router.post("/flow/{key}/handoff")
async def handoff(request: Request, key: str) -> Response:
    """The code to type at /flow on the phone, and where the QR code is."""
    if not same_origin(request, _runtime(request).settings.public_url) or not json_only(request):
        return _json({"ok": False, "message": "Forbidden"}, 403)
    state = await _load(request, key) if KEY_RE.match(key) else None
    if state is None or state.problem is not None:
        return _json({"ok": False, "reason": "unusable"}, 410)
    code = await run_in_threadpool(flow_sessions.handoff_code, state.verification_id)
    if code is None:
        return _json({"ok": False, "reason": "unusable"}, 410)
    seconds = None
    if code.expires_at is not None and state.now is not None:
        seconds = max(0, int((code.expires_at - state.now).total_seconds()))
    return _json({"ok": True, "code": code.digits, "expiresIn": seconds, "entryUrl": f"{_public_base(request)}/flow",
                  "qr": _flow_url(key, "/handoff.svg")}, ancestors=_ancestors(state))


@router.get("/flow/{key}/handoff.svg")
async def handoff_qr(request: Request, key: str) -> Response:
    """A QR code of a link that opens this flow on the phone. The link carries a signed
    handle (as after typing the code), not the partner's token."""
    state = await _load(request, key) if KEY_RE.match(key) else None
    if state is None or state.problem is not None:
        return secure(Response(status_code=404), _policy())
    link = f"{_public_base(request)}/flow/{_handles(request).make(state.verification_id)}"
    out = io.BytesIO()
    segno.make_qr(link, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False, svgns=True, omitsize=True,
                                        title="QR code", dark="#000", light="#fff")
    return secure(Response(out.getvalue(), media_type="image/svg+xml"), _policy(_ancestors(state)))
