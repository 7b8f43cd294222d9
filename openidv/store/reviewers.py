"""Console users (reviewers) and the count of their failed logins."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openidv.store.audit import actor_name
from openidv.store.models import AuditEntry, Reviewer, utcnow


# Login throttling: failures per e-mail within the window (counted from the audit log, so
# every API process of a scale-out deployment sees the same count).
# Login throttling: failures per e-mail within the window (counted from the audit log, so
# every API process of a scale-out deployment sees the same count).
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


def reviewer_by_email(session: Session, email: str) -> Optional[Reviewer]:
    return session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))


def recent_login_failures(session: Session, email: str, now: Optional[dt.datetime] = None) -> int:
    since = (now or utcnow()) - LOGIN_FAILURE_WINDOW
    return int(
        session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "login_failed",
                AuditEntry.actor == actor_name(email),
                AuditEntry.at >= since,
            )
        )
        or 0
    )


def login_locked(session: Session, email: str) -> bool:
    return recent_login_failures(session, email) >= LOGIN_MAX_FAILURES
