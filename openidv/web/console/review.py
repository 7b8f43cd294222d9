"""Submitting a review from the console: validated, applied if nobody else reviewed the
verification in between, and its final webhook queued."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from openidv.services import review as reviews
from openidv.services.queue import JobQueue
from openidv.store.db import session_scope
from openidv.web.console.auth import PREFIX, ConsoleUser, check_csrf, current_user, read_form
from openidv.web.console.errors import ConsoleError
from openidv.web.console.pages import load_verification, page

log = logging.getLogger("openidv.console")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


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
            _form_text(form, "decision", 20), _form_text(form, "template", 40),
            _form_text(form, "reason", reviews.REASON_MAX_CHARS + 50),
            _form_text(form, "manual_document", 40), _form_text(form, "manual_face", 40),
            {key: _form_text(form, key, 300) for key in reviews.MANUAL_FIELDS},
            _form_text(form, "note"),
        )
    except reviews.ReviewInvalid as exc:
        return Submitted(invalid=str(exc))
    try:
        with session_scope() as session:
            v = load_verification(session, user, scan_ref)
            outcome = reviews.apply_review(session, user, v, version, review)
    except reviews.ReviewConflict:
        return Submitted(conflict=True)
    except (reviews.ReviewNotAllowed, reviews.ReviewInvalid) as exc:
        return Submitted(invalid=str(exc))
    return Submitted(outcome=outcome)


def _send_webhook(queue: JobQueue, delivery_id: int) -> None:
    """Queue the final webhook (after the commit: the worker must see the row). If the queue
    is unreachable, the worker's sweep still finds the pending delivery."""
    try:
        queue.submit_webhook(delivery_id)
    except Exception:  # noqa: BLE001
        log.exception("could not enqueue webhook %s; the sweep will send it", delivery_id)


@router.post("/v/{scan_ref}/review")
async def review_submit(request: Request, scan_ref: str, user: ConsoleUser = Depends(current_user)) -> Response:
    form = await read_form(request)
    check_csrf(user.csrf, form)
    result = await run_in_threadpool(_submit_review, user, scan_ref, form)
    if result.conflict:
        return page("console/error.html", {
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
        await run_in_threadpool(_send_webhook, request.app.state.runtime.queue, result.outcome.delivery_id)
    return RedirectResponse(f"{PREFIX}/v/{scan_ref}?reviewed=1", status_code=303)
