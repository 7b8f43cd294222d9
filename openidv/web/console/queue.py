"""The review queue: REVIEWING verifications with why each one is there, filters (partner,
reason, country, time waiting, assignment), sorting, "take next", and assigning a case to
oneself. Reads in store/console.py, assignment in services/assignment.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from openidv.services import assignment
from openidv.services.review_reasons import REASON_KINDS, ShortReason, queue_reasons
from openidv.store import console as queries
from openidv.store.db import session_scope
from openidv.store.models import Verification, utcnow
from openidv.web.console.auth import PREFIX, ConsoleUser, check_csrf, current_user, read_form
from openidv.web.console.errors import ConsoleError
from openidv.web.console.pages import load_verification, page

router = APIRouter(prefix=PREFIX, include_in_schema=False)

QUEUE_PAGE_ROWS = 200  # rows shown; the counts cover every match
# Time in the queue, coloured: under the first amber, from it on amber, from the second red.
# Chosen, not measured: an hour is "someone should look", a working day is late.
WAIT_AMBER_SECONDS = 3600
WAIT_RED_SECONDS = 8 * 3600
WAIT_CHOICES = {"": "any time", "1": "over 1 hour", "8": "over 8 hours", "24": "over 1 day", "72": "over 3 days"}


@dataclass(frozen=True)
class QueueQuery:
    """The queue page's query string, checked (unknown values are ignored, not errors)."""

    filters: queries.QueueFilters
    reason: str

    def params(self) -> dict[str, str]:
        f = self.filters
        out = {"partner": str(f.partner_id) if f.partner_id is not None else "", "country": f.country,
               "wait": f"{f.min_wait_hours:g}" if f.min_wait_hours else "", "assigned": f.assigned,
               "sort": f.sort if f.sort != "oldest" else "", "reason": self.reason}
        return {k: v for k, v in out.items() if v}


def parse_queue_query(values: Any, partners: dict[int, str]) -> QueueQuery:
    partner = str(values.get("partner") or "")
    country = str(values.get("country") or "").upper()[:2]
    wait = str(values.get("wait") or "")
    assigned = str(values.get("assigned") or "")
    sort = str(values.get("sort") or "oldest")
    reason = str(values.get("reason") or "")
    return QueueQuery(
        queries.QueueFilters(
            partner_id=int(partner) if partner.isdigit() and int(partner) in partners else None,
            country=country if country.isalpha() and len(country) == 2 else "",
            min_wait_hours=float(wait) if wait in WAIT_CHOICES and wait else None,
            assigned=assigned if assigned in queries.ASSIGNMENT_FILTERS else "",
            sort=sort if sort in queries.QUEUE_SORTS else "oldest",
        ),
        reason if reason in REASON_KINDS else "",
    )


def wait_class(seconds: float) -> str:
    if seconds >= WAIT_RED_SECONDS:
        return "wait-red"
    return "wait-amber" if seconds >= WAIT_AMBER_SECONDS else "wait-green"


def waiting_since(v: Verification) -> dt.datetime:
    return v.finish_time or v.start_time or v.created_at


def _matching(queue: queries.QueuePage, reason: str) -> list[tuple[Verification, list[ShortReason]]]:
    rows = [(v, queue_reasons(v)) for v in queue.items]
    return [(v, reasons) for v, reasons in rows if not reason or any(r.kind == reason for r in reasons)]


@router.get("/queue")
def queue_page(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    with session_scope() as session:
        partners = queries.partner_names(session, user)
        query = parse_queue_query(request.query_params, partners)
        queue = queries.review_queue(session, user, query.filters)
        matching = _matching(queue, query.reason)
        now = utcnow()
        shown = matching[:QUEUE_PAGE_ROWS]
        emails = queries.reviewer_emails(session, {v.assigned_to for v, _ in shown if v.assigned_to})
        rows = []
        for v, reasons in shown:
            waiting = (now - waiting_since(v)).total_seconds()
            rows.append({"v": v, "partner": partners.get(v.partner_id, ""), "reasons": reasons,
                         "waiting": waiting, "wait_class": wait_class(waiting),
                         "assignee": emails.get(v.assigned_to) if v.assigned_to else None,
                         "mine": v.assigned_to == user.id})
        return page("console/queue.html", {
            "user": user, "page": queue, "rows": rows, "matched": len(matching), "query": query,
            "filtered": bool(query.params()), "partners": partners, "countries": queries.queue_countries(session, user),
            "reason_kinds": REASON_KINDS, "sorts": queries.QUEUE_SORTS, "assignments": queries.ASSIGNMENT_FILTERS,
            "waits": WAIT_CHOICES, "notice": _notice(request), "active": "queue",
            "amber_after": WAIT_AMBER_SECONDS, "red_after": WAIT_RED_SECONDS,
        })


def _notice(request: Request) -> str:
    return {"empty": "Nothing left to take with these filters."}.get(request.query_params.get("notice", ""), "")


def _take_next(user: ConsoleUser, form: FormData) -> Optional[str]:
    with session_scope() as session:
        query = parse_queue_query(form, queries.partner_names(session, user))
        queue = queries.review_queue(session, user, query.filters)
        taken = assignment.take_next(session, user, (v for v, _ in _matching(queue, query.reason)))
        return taken.scan_ref if taken else None


@router.post("/queue/next")
async def take_next(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    """Assign the first unassigned case of the filtered queue to the reviewer and open it."""
    form = await read_form(request)
    check_csrf(user.csrf, form)
    scan_ref = await run_in_threadpool(_take_next, user, form)
    if scan_ref is None:
        with session_scope() as session:
            params = parse_queue_query(form, queries.partner_names(session, user)).params()
        return RedirectResponse(f"{PREFIX}/queue?{urlencode({**params, 'notice': 'empty'})}", status_code=303)
    return RedirectResponse(f"{PREFIX}/v/{scan_ref}", status_code=303)


def _change_assignment(user: ConsoleUser, scan_ref: str, action: str) -> None:
    with session_scope() as session:
        v = load_verification(session, user, scan_ref)
        try:
            if action == "release":
                assignment.release(session, user, v)
            else:
                assignment.assign(session, user, v, take_over=action == "take_over")
        except assignment.AssignmentRefused as exc:
            raise ConsoleError(409, "Not assigned", str(exc), user) from None


@router.post("/v/{scan_ref}/assign")
async def change_assignment(request: Request, scan_ref: str, user: ConsoleUser = Depends(current_user)) -> Response:
    """``action``: take (only when nobody has it), take_over (from someone else), release."""
    form = await read_form(request)
    check_csrf(user.csrf, form)
    action = str(form.get("action") or "take")
    if action not in ("take", "take_over", "release"):
        raise ConsoleError(400, "Not assigned", "Unknown action.", user)
    await run_in_threadpool(_change_assignment, user, scan_ref, action)
    return RedirectResponse(f"{PREFIX}/v/{scan_ref}", status_code=303)
