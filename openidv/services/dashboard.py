"""The dashboard's figures over a window of days: decisions and approval rate per day, time
to decision, decline reasons, per partner, per reviewer, and where end users drop off
between receiving a token and a decision. Computed from the rows store/dashboard.py reads."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Optional

from sqlalchemy.orm import Session

from openidv.core.vocab import DECIDED_STATUSES, STATUSES, Status, TokenType
from openidv.pipeline.decision import (
    DENYING_DOCUMENT_CODES, DENYING_FACE_CODES, PASSING_DOCUMENT_CODES, PASSING_FACE_CODES, ReviewDecision,
)
from openidv.store import dashboard as reads
from openidv.store.console import partner_names, reviewer_emails
from openidv.store.dashboard import DashboardRow
from openidv.store.models import Reviewer, utcnow

WINDOWS = (7, 14, 30, 90)  # days a dashboard may cover
# Time from images handed in to the final decision, in these buckets (upper bounds, seconds).
TIME_BUCKETS = ((60, "under 1 min"), (600, "1–10 min"), (3600, "10–60 min"), (8 * 3600, "1–8 h"),
                (86400, "8–24 h"), (float("inf"), "over 1 day"))


@dataclass(frozen=True)
class DayStats:
    day: dt.date
    created: int
    decided: int
    approved: int
    median_seconds: Optional[float]

    @property
    def approval_rate(self) -> Optional[float]:
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True)
class PartnerStats:
    name: str
    created: int
    decided: int
    approved: int
    suspected: int
    denied: int
    reviewing_now: int
    median_seconds: Optional[float]

    @property
    def approval_rate(self) -> Optional[float]:
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True)
class ReviewerStats:
    email: str
    reviews: int
    by_decision: dict[str, int]  # approve / decline / resubmit / other (reviews before decisions existed)
    median_wait_seconds: Optional[float]  # automatic decision → review


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    lost: int  # how many of the step before did not get here
    lost_label: str


@dataclass(frozen=True)
class Dashboard:
    days: int
    per_status: dict[str, int]  # all time
    per_day: list[DayStats]
    decided_in_window: int
    approval_rate: Optional[float]
    median_decision_seconds: Optional[float]
    median_review_seconds: Optional[float]
    time_buckets: list[tuple[str, int]]
    decline_reasons: list[tuple[str, int]]
    per_partner: list[PartnerStats]
    per_reviewer: list[ReviewerStats]
    funnel: list[FunnelStep]
    started_in_flow: int  # of the tokens started in the window, how many through the hosted flow


def decided_at(row: DashboardRow) -> Optional[dt.datetime]:
    """When the final decision was made: the review, else the automatic decision."""
    return row.review_time or row.finish_time


def _decided_since(row: DashboardRow, since: dt.datetime) -> bool:
    end = decided_at(row)
    return row.status in DECIDED_STATUSES and end is not None and end >= since


def decision_seconds(row: DashboardRow) -> Optional[float]:
    """Seconds from images handed in (start_time) to the final decision."""
    end = decided_at(row)
    if row.start_time is None or end is None or end < row.start_time:
        return None
    return (end - row.start_time).total_seconds()


def denial_codes(row: DashboardRow) -> list[str]:
    """The codes a DENIED verification failed on: the reviewer's when reviewed, else the
    automatic hard failures."""
    face_required = row.token_type == TokenType.IDENTIFICATION
    if row.manual_document or row.manual_face:
        codes = [row.manual_document] if row.manual_document not in PASSING_DOCUMENT_CODES else []
        if face_required and row.manual_face not in PASSING_FACE_CODES:
            codes.append(row.manual_face)
        return [c for c in codes if c] or ["(fraud tags)"]
    codes = [row.auto_document] if row.auto_document in DENYING_DOCUMENT_CODES else []
    if face_required and row.auto_face in DENYING_FACE_CODES:
        codes.append(row.auto_face)
    return [c for c in codes if c] or ["(other)"]


def _median(values: list[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _per_day(rows: list[DashboardRow], first_day: dt.date, days: int) -> list[DayStats]:
    span = [first_day + dt.timedelta(days=i) for i in range(days)]
    created: Counter = Counter(r.created_at.date() for r in rows if r.created_at)
    decided: Counter = Counter()
    approved: Counter = Counter()
    durations: dict[dt.date, list[float]] = {d: [] for d in span}
    for r in rows:
        end = decided_at(r)
        if r.status not in DECIDED_STATUSES or end is None or end.date() not in durations:
            continue
        decided[end.date()] += 1
        approved[end.date()] += r.status == Status.APPROVED
        took = decision_seconds(r)
        if took is not None:
            durations[end.date()].append(took)
    return [DayStats(d, created[d], decided[d], approved[d], _median(durations[d])) for d in span]


def _funnel(rows: list[DashboardRow], since: dt.datetime) -> tuple[list[FunnelStep], int]:
    """Tokens created in the window → started (hosted flow opened or images sent by API) →
    images handed in → decided → approved."""
    tokens = [r for r in rows if r.created_at and r.created_at >= since]
    started = [r for r in tokens if r.flow_started_at or r.start_time]
    handed_in = [r for r in started if r.start_time]
    decided = [r for r in handed_in if r.status in DECIDED_STATUSES]
    approved = [r for r in decided if r.status == Status.APPROVED]
    counts = [len(tokens), len(started), len(handed_in), len(decided), len(approved)]
    labels = [("Tokens created", ""), ("Started", "never started (unused or expired)"),
              ("Images handed in", "left the hosted flow before handing in images"),
              ("Decided", "still processing or waiting for review"), ("Approved", "denied or suspected")]
    steps = [FunnelStep(label, n, (counts[i - 1] - n) if i else 0, lost)
             for i, ((label, lost), n) in enumerate(zip(labels, counts))]
    return steps, sum(1 for r in started if r.flow_started_at)


def _per_partner(rows: list[DashboardRow], since: dt.datetime, names: dict[int, str],
                 counts: dict[tuple[int, str], int]) -> list[PartnerStats]:
    out = []
    for pid, name in sorted(names.items(), key=lambda item: item[1].lower()):
        mine = [r for r in rows if r.partner_id == pid]
        decided = [r for r in mine if _decided_since(r, since)]
        by_status = Counter(r.status for r in decided)
        created = sum(1 for r in mine if r.created_at and r.created_at >= since)
        if not (created or decided or counts.get((pid, Status.REVIEWING))):
            continue
        durations = [t for t in map(decision_seconds, decided) if t is not None]
        out.append(PartnerStats(name, created, len(decided), by_status[Status.APPROVED], by_status[Status.SUSPECTED],
                                by_status[Status.DENIED], counts.get((pid, Status.REVIEWING), 0), _median(durations)))
    return out


def _per_reviewer(session: Session, rows: list[DashboardRow], since: dt.datetime) -> list[ReviewerStats]:
    reviewed = [r for r in rows if r.reviewer_id and r.review_time and r.review_time >= since]
    emails = reviewer_emails(session, {r.reviewer_id for r in reviewed if r.reviewer_id})
    out = []
    for rid, email in emails.items():
        mine = [r for r in reviewed if r.reviewer_id == rid]
        known = {d.value for d in ReviewDecision}
        decisions = Counter(r.review_decision if r.review_decision in known else "other" for r in mine)
        waits = [(r.review_time - r.finish_time).total_seconds() for r in mine
                 if r.finish_time and r.review_time and r.review_time >= r.finish_time]
        out.append(ReviewerStats(email, len(mine), {k: decisions[k] for k in (*known, "other")}, _median(waits)))
    return sorted(out, key=lambda s: (-s.reviews, s.email))


def build_dashboard(session: Session, reviewer: Reviewer, days: int = 14, today: Optional[dt.date] = None) -> Dashboard:
    """Every figure of the dashboard over the last ``days`` days (UTC), scoped to the reviewer."""
    today = today or utcnow().date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time.min)
    rows = reads.rows_since(session, reviewer, since)
    counts = reads.status_counts(session, reviewer)
    per_status = {s: 0 for s in STATUSES}
    for (_, status), n in counts.items():
        per_status[status] = per_status.get(status, 0) + n
    decided = [r for r in rows if _decided_since(r, since)]
    durations = [t for t in map(decision_seconds, decided) if t is not None]
    waits = [(r.review_time - r.finish_time).total_seconds() for r in decided
             if r.review_time and r.finish_time and r.review_time >= r.finish_time]
    buckets = Counter(next(label for bound, label in TIME_BUCKETS if t < bound) for t in durations)
    reasons: Counter = Counter(code for r in decided if r.status == Status.DENIED for code in denial_codes(r))
    funnel, in_flow = _funnel(rows, since)
    return Dashboard(
        days=days,
        per_status=per_status,
        per_day=_per_day(rows, first_day, days),
        decided_in_window=len(decided),
        approval_rate=sum(r.status == Status.APPROVED for r in decided) / len(decided) if decided else None,
        median_decision_seconds=_median(durations),
        median_review_seconds=_median(waits),
        time_buckets=[(label, buckets[label]) for _, label in TIME_BUCKETS],
        decline_reasons=reasons.most_common(12),
        per_partner=_per_partner(rows, since, partner_names(session, reviewer), counts),
        per_reviewer=_per_reviewer(session, rows, since),
        funnel=funnel,
        started_in_flow=in_flow,
    )
