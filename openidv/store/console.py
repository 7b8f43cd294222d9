"""The review console's reads: the queue, search and dashboard figures, each scoped to what
the reviewer may see.

Tenant isolation lives here, in one place: every query that returns verifications goes
through `scoped`, which limits a partner's reviewer to that partner's rows (an operator,
a reviewer without partner, sees all)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import String, Select, cast, func, or_, select
from sqlalchemy.orm import Session

from openidv.core.vocab import Status
from openidv.store.models import Partner, Reviewer, Verification, WebhookDelivery, utcnow


SEARCH_PAGE_SIZE = 100
# Name and document-number search match inside JSON columns; the SQL pre-filter is coarse,
# so rows are confirmed in Python and at most this many candidates are looked at.
SEARCH_SCAN_LIMIT = 20000


def scoped(stmt: Select, reviewer: Reviewer) -> Select:
    if reviewer.partner_id is None:
        return stmt
    return stmt.where(Verification.partner_id == reviewer.partner_id)


def verification_for(session: Session, reviewer: Reviewer, scan_ref: str) -> Optional[Verification]:
    """A verification the reviewer may see; another partner's is as absent as a missing one."""
    return session.scalar(scoped(select(Verification).where(Verification.scan_ref == scan_ref), reviewer))


def partner_names(session: Session, reviewer: Reviewer) -> dict[int, str]:
    stmt = select(Partner.id, Partner.name)
    if reviewer.partner_id is not None:
        stmt = stmt.where(Partner.id == reviewer.partner_id)
    return {pid: name for pid, name in session.execute(stmt)}


def webhook_deliveries(session: Session, verification_id: int) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.verification_id == verification_id)
            .order_by(WebhookDelivery.id)
        )
    )


def _waiting_since():  # noqa: ANN202 - a SQL expression
    # When the automatic decision was made; older rows may lack finish_time.
    return func.coalesce(Verification.finish_time, Verification.start_time, Verification.created_at)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue page narrows the REVIEWING verifications to (the reason filter is
    applied on the rows, by the page)."""

    partner_id: Optional[int] = None
    country: str = ""
    min_wait_hours: Optional[float] = None
    assigned: str = ""  # "", "mine", "unassigned" or "others"
    sort: str = "oldest"  # a key of QUEUE_SORTS


QUEUE_SORTS = {"oldest": "Longest waiting first", "newest": "Newest first", "partner": "Partner",
               "country": "Country"}
ASSIGNMENT_FILTERS = {"": "anyone's or nobody's", "unassigned": "not assigned", "mine": "assigned to me",
                      "others": "assigned to others"}


@dataclass(frozen=True)
class QueuePage:
    items: list[Verification]
    total: int  # every REVIEWING verification the reviewer may see, unfiltered
    by_partner: dict[str, int]
    oldest: Optional[dt.datetime]
    truncated: bool  # more rows matched the SQL filters than QUEUE_SCAN_LIMIT


# The queue's rows are read up to this many (the reason filter looks at each row's reasons).
QUEUE_SCAN_LIMIT = 5000


def _queue_statement(reviewer: Reviewer, filters: QueueFilters) -> Select:
    stmt = scoped(select(Verification).where(Verification.status == Status.REVIEWING), reviewer)
    if filters.partner_id is not None:
        stmt = stmt.where(Verification.partner_id == filters.partner_id)
    if filters.country:
        stmt = stmt.where(Verification.country == filters.country)
    if filters.min_wait_hours:
        stmt = stmt.where(_waiting_since() <= utcnow() - dt.timedelta(hours=filters.min_wait_hours))
    if filters.assigned == "mine":
        stmt = stmt.where(Verification.assigned_to == reviewer.id)
    elif filters.assigned == "unassigned":
        stmt = stmt.where(Verification.assigned_to.is_(None))
    elif filters.assigned == "others":
        stmt = stmt.where(Verification.assigned_to.is_not(None), Verification.assigned_to != reviewer.id)
    oldest_first = (_waiting_since().asc(), Verification.id.asc())
    if filters.sort == "newest":
        return stmt.order_by(_waiting_since().desc(), Verification.id.desc())
    if filters.sort == "partner":
        return stmt.join(Partner, Partner.id == Verification.partner_id).order_by(Partner.name, *oldest_first)
    if filters.sort == "country":
        return stmt.order_by(Verification.country.is_(None), Verification.country, *oldest_first)
    return stmt.order_by(*oldest_first)


def review_queue(session: Session, reviewer: Reviewer, filters: QueueFilters = QueueFilters(),
                 limit: int = QUEUE_SCAN_LIMIT) -> QueuePage:
    """REVIEWING verifications matching the filters, in the chosen order (oldest first)."""
    items = list(session.scalars(_queue_statement(reviewer, filters).limit(limit + 1)))
    counts = scoped(
        select(Verification.partner_id, func.count(Verification.id)).where(Verification.status == Status.REVIEWING),
        reviewer,
    ).group_by(Verification.partner_id)
    names = partner_names(session, reviewer)
    by_partner = {names.get(pid, f"#{pid}"): int(n) for pid, n in session.execute(counts)}
    oldest = session.scalar(scoped(select(func.min(_waiting_since())).where(Verification.status == Status.REVIEWING), reviewer))
    return QueuePage(items[:limit], sum(by_partner.values()), by_partner, oldest, len(items) > limit)


def queue_countries(session: Session, reviewer: Reviewer) -> list[str]:
    """The countries of the verifications waiting for review (the country filter's choices)."""
    stmt = scoped(select(Verification.country).where(Verification.status == Status.REVIEWING,
                                                      Verification.country.is_not(None)), reviewer)
    return sorted({c for c in session.scalars(stmt.distinct())})


def reviewer_emails(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {rid: email for rid, email in session.execute(select(Reviewer.id, Reviewer.email).where(Reviewer.id.in_(ids)))}


@dataclass(frozen=True)
class SearchFilters:
    scan_ref: str = ""
    client_id: str = ""
    name: str = ""
    document_number: str = ""
    status: str = ""
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None

    def is_empty(self) -> bool:
        return not any((self.scan_ref, self.client_id, self.name, self.document_number, self.status,
                        self.date_from, self.date_to))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def normalise_document_number(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


_NAME_KEYS_REQUEST = ("firstName", "lastName")
_NAME_KEYS_DATA = ("doc_name", "doc_surname", "mrz_name", "mrz_surname")
_NAME_KEYS_MANUAL = ("manual_name", "manual_surname")


def _names_of(v: Verification) -> list[str]:
    values = [(v.token_request or {}).get(k) for k in _NAME_KEYS_REQUEST]
    values += [(v.document_data or {}).get(k) for k in _NAME_KEYS_DATA]
    values += [(v.manual_data or {}).get(k) for k in _NAME_KEYS_MANUAL]
    return [str(x) for x in values if x]


def name_matches(v: Verification, query: str) -> bool:
    """Every word of the query appears in one of the names (given, printed, MRZ, corrected)."""
    names = " ".join(_names_of(v)).upper().replace("<", " ")
    return all(word in names for word in query.upper().split())


def _document_numbers_of(v: Verification) -> list[str]:
    values = [v.document_number_key, (v.token_request or {}).get("documentNumber")]
    values += [(v.document_data or {}).get(k) for k in ("doc_document_number", "mrz_document_number")]
    values.append((v.manual_data or {}).get("manual_document_number"))
    return [normalise_document_number(str(x)) for x in values if x]


@dataclass(frozen=True)
class SearchPage:
    items: list[Verification]
    total: int
    exact: bool  # False: SEARCH_SCAN_LIMIT candidates were looked at, there may be more


def _search_statement(reviewer: Reviewer, filters: SearchFilters) -> Optional[Select]:
    """The SQL part of a search (None when it cannot match anything)."""
    stmt = scoped(select(Verification), reviewer)
    if filters.scan_ref:
        stmt = stmt.where(Verification.scan_ref == filters.scan_ref.strip())
    if filters.client_id:
        stmt = stmt.where(Verification.client_id == filters.client_id.strip())
    if filters.status:
        stmt = stmt.where(Verification.status == filters.status)
    if filters.date_from:
        stmt = stmt.where(Verification.created_at >= dt.datetime.combine(filters.date_from, dt.time.min))
    if filters.date_to:
        stmt = stmt.where(Verification.created_at < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
    for word in filters.name.upper().split():
        pattern = _like(word)
        stmt = stmt.where(
            or_(
                func.upper(cast(Verification.token_request, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.document_data, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.manual_data, String)).like(pattern, escape="\\"),
            )
        )
    number = normalise_document_number(filters.document_number)
    if filters.document_number and not number:
        return None
    if number:
        pattern = _like(number[:4])
        stmt = stmt.where(
            or_(
                Verification.document_number_key == number,
                func.upper(cast(Verification.token_request, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.document_data, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.manual_data, String)).like(pattern, escape="\\"),
            )
        )
    return stmt.order_by(Verification.created_at.desc(), Verification.id.desc())


def _confirmed(v: Verification, filters: SearchFilters) -> bool:
    number = normalise_document_number(filters.document_number)
    if filters.name.split() and not name_matches(v, filters.name):
        return False
    return not number or number in _document_numbers_of(v)


def search_verifications(
    session: Session, reviewer: Reviewer, filters: SearchFilters, offset: int = 0, limit: int = SEARCH_PAGE_SIZE
) -> SearchPage:
    """One page of matches, newest first, and how many there are. Exact fields filter in
    SQL; name and document number are pre-filtered on the JSON text in SQL and confirmed on
    the values in Python (JSON layout differs between SQLite and PostgreSQL, so no JSON
    operators)."""
    stmt = _search_statement(reviewer, filters)
    if stmt is None:
        return SearchPage([], 0, True)
    if not (filters.name.split() or filters.document_number):
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        return SearchPage(list(session.scalars(stmt.offset(offset).limit(limit))), int(total), True)
    found: list[Verification] = []
    matched = scanned = 0
    for v in session.scalars(stmt.limit(SEARCH_SCAN_LIMIT).execution_options(yield_per=500)):
        scanned += 1
        if not _confirmed(v, filters):
            continue
        if offset <= matched < offset + limit:
            found.append(v)
        matched += 1
    return SearchPage(found, matched, scanned < SEARCH_SCAN_LIMIT)
