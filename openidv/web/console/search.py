"""Search: by scanRef, clientId, name, document number, status and creation date, with the
name, country, document number and reason of each result, pages of 100, and a CSV export
of a search. Every search and export is audited (they reveal who is in the database)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from openidv.core.vocab import STATUSES
from openidv.core.wire import data_view
from openidv.services.review_reasons import reasons_for
from openidv.store import console as queries
from openidv.store.audit import audit, search_term_digest
from openidv.store.db import session_scope
from openidv.store.models import Verification, utcnow
from openidv.web.console.auth import PREFIX, ConsoleUser, current_user
from openidv.web.console.errors import ConsoleError
from openidv.web.console.pages import page

router = APIRouter(prefix=PREFIX, include_in_schema=False)

EXPORT_LIMIT = 10000  # rows in one CSV export; narrow the search for more
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Search filters that are personal data: kept in the audit log only as keyed digests.
PERSONAL_SEARCH_FILTERS = ("name", "document_number", "client_id")


def _parse_date(text: str, label: str) -> Optional[dt.date]:
    """A search date; 400 when it is not one (the search adds a day to "to": the last
    representable day is out of range)."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or day >= dt.date.max:
        raise ConsoleError(400, "Bad search", f"The “{label}” date must be a day written YYYY-MM-DD.")
    return day


def search_filters(q: Any) -> queries.SearchFilters:
    status = q.get("status", "")
    return queries.SearchFilters(
        scan_ref=q.get("scanRef", "")[:36],
        client_id=q.get("clientId", "")[:100],
        name=q.get("name", "")[:200],
        document_number=q.get("documentNumber", "")[:100],
        status=status if status in STATUSES else "",
        date_from=_parse_date(q.get("from", ""), "from"),
        date_to=_parse_date(q.get("to", ""), "to"),
    )


def _query_string(filters: queries.SearchFilters, **extra: Any) -> str:
    params = {"scanRef": filters.scan_ref, "clientId": filters.client_id, "name": filters.name,
              "documentNumber": filters.document_number, "status": filters.status,
              "from": filters.date_from.isoformat() if filters.date_from else "",
              "to": filters.date_to.isoformat() if filters.date_to else "", **extra}
    return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _audit_filters(request: Request, filters: queries.SearchFilters) -> dict[str, str]:
    """The criteria for the audit log. Names, numbers and clientIds go in as keyed digests:
    the log must not keep personal data that erasing the verification could not find."""
    data_key = request.app.state.runtime.settings.data_keys()[0]
    return {k: search_term_digest(data_key, v) if k in PERSONAL_SEARCH_FILTERS else str(v)
            for k, v in vars(filters).items() if v}


@dataclass(frozen=True)
class ResultRow:
    """What a search result shows of a verification."""

    v: Verification
    partner: str
    name: str
    name_given_only: bool  # nothing read from a document yet: the name the partner gave
    country: str
    document_type: str
    document_number: str
    reason: str


def result_row(v: Verification, partners: dict[int, str]) -> ResultRow:
    data = data_view(v)
    read = " ".join(x for x in (data["docFirstName"], data["docLastName"]) if x)
    request = v.token_request or {}
    given = " ".join(str(x) for x in (request.get("firstName"), request.get("lastName")) if x)
    return ResultRow(
        v=v, partner=partners.get(v.partner_id, ""), name=read or given, name_given_only=not read and bool(given),
        country=data["docIssuingCountry"] or v.country or "", document_type=data["docType"] or v.document_type or "",
        document_number=data["docNumber"] or "", reason="; ".join(r.text for r in reasons_for(v)),
    )


@router.get("/search")
def search_page(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    filters = search_filters(request.query_params)
    try:
        page_number = max(1, min(int(request.query_params.get("page", "1")), 100000))
    except ValueError:
        page_number = 1
    rows: list[ResultRow] = []
    result = queries.SearchPage([], 0, True)
    with session_scope() as session:
        partners = queries.partner_names(session, user)
        if not filters.is_empty():
            offset = (page_number - 1) * queries.SEARCH_PAGE_SIZE
            result = queries.search_verifications(session, user, filters, offset=offset)
            rows = [result_row(v, partners) for v in result.items]
            audit(session, user.email, "search", None, {
                "filters": _audit_filters(request, filters), "results": result.total, "page": page_number})
        pages = max(1, -(-result.total // queries.SEARCH_PAGE_SIZE))
        return page("console/search.html", {
            "user": user, "filters": filters, "rows": rows, "result": result, "page_number": page_number,
            "pages": pages, "first_shown": (page_number - 1) * queries.SEARCH_PAGE_SIZE + 1,
            "previous": _query_string(filters, page=page_number - 1) if page_number > 1 else "",
            "next": _query_string(filters, page=page_number + 1) if page_number < pages else "",
            "export": _query_string(filters), "export_limit": EXPORT_LIMIT,
            "statuses": STATUSES, "searched": not filters.is_empty(), "active": "search",
        })


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like values get a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


EXPORT_COLUMNS = ("scanRef", "clientId", "partner", "status", "created (UTC)", "decided (UTC)", "name",
                  "country", "documentType", "documentNumber", "autoDocument", "autoFace", "manualDocument",
                  "manualFace", "reviewDecision", "reason")


def _csv_time(value: Optional[dt.datetime]) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _export_row(row: ResultRow) -> list[str]:
    v = row.v
    decided = v.review_time or v.finish_time
    values = (v.scan_ref, v.client_id, row.partner, v.status, _csv_time(v.created_at), _csv_time(decided),
              row.name, row.country, row.document_type,
              row.document_number, v.auto_document, v.auto_face, v.manual_document, v.manual_face,
              v.review_decision, row.reason)
    return [safe_cell(x) for x in values]


@router.get("/search.csv")
def export_search(request: Request, user: ConsoleUser = Depends(current_user)) -> Response:
    """The search's matches as CSV (at most EXPORT_LIMIT rows), audited with the criteria."""
    filters = search_filters(request.query_params)
    if filters.is_empty():
        raise ConsoleError(400, "Nothing to export", "Give at least one search criterion.", user)
    with session_scope() as session:
        partners = queries.partner_names(session, user)
        result = queries.search_verifications(session, user, filters, limit=EXPORT_LIMIT)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for v in result.items:
            writer.writerow(_export_row(result_row(v, partners)))
        audit(session, user.email, "export", None, {
            "filters": _audit_filters(request, filters), "rows": len(result.items), "matches": result.total})
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    # A byte-order mark, so spreadsheet programs read the names as UTF-8.
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="openidv-search-{stamp}.csv"',
        "X-Content-Type-Options": "nosniff"})
