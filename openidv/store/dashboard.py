"""The dashboard's reads: the columns of the verifications created or decided in a window,
and counts per status (overall and per partner), scoped like every console read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openidv.store.console import scoped
from openidv.store.models import Reviewer, Verification


@dataclass(frozen=True)
class DashboardRow:
    """The columns of one verification the dashboard's figures need."""

    created_at: Optional[dt.datetime]
    flow_started_at: Optional[dt.datetime]
    start_time: Optional[dt.datetime]
    finish_time: Optional[dt.datetime]
    review_time: Optional[dt.datetime]
    status: str
    partner_id: int
    reviewer_id: Optional[int]
    review_decision: Optional[str]
    token_type: str
    auto_document: Optional[str]
    auto_face: Optional[str]
    manual_document: Optional[str]
    manual_face: Optional[str]


_COLUMNS = [getattr(Verification, name) for name in DashboardRow.__dataclass_fields__]


def rows_since(session: Session, reviewer: Reviewer, since: dt.datetime) -> list[DashboardRow]:
    """Verifications created, decided or reviewed since ``since``."""
    stmt = scoped(select(*_COLUMNS), reviewer).where(
        or_(Verification.created_at >= since, Verification.finish_time >= since, Verification.review_time >= since))
    return [DashboardRow(*r) for r in session.execute(stmt)]


def status_counts(session: Session, reviewer: Reviewer) -> dict[tuple[int, str], int]:
    """(partner id, status) -> count, all time."""
    stmt = scoped(select(Verification.partner_id, Verification.status, func.count(Verification.id)), reviewer)
    return {(pid, status): int(n) for pid, status, n in session.execute(stmt.group_by(Verification.partner_id,
                                                                                         Verification.status))}
