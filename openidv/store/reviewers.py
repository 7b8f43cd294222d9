"""Console users (reviewers): finding them, ending their sessions, disabling them, new
passwords, and the count of their failed logins."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openidv.store.audit import actor_name
from openidv.store.models import AuditEntry, Reviewer, utcnow


# Login throttling: failures per e-mail within the window (counted from the audit log, so
# every API process of a scale-out deployment sees the same count).
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5


def reviewer_by_email(session: Session, email: str) -> Optional[Reviewer]:
    return session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))


def end_sessions(session: Session, reviewer_id: int) -> None:
    """Every session issued so far stops working at its next request (any API process: the
    generation is read from the database on every request)."""
    session.execute(update(Reviewer).where(Reviewer.id == reviewer_id)
                    .values(session_generation=Reviewer.session_generation + 1))


def set_password_hash(session: Session, reviewer: Reviewer, password_hash: str) -> None:
    """A new password; the sessions opened with the old one end."""
    reviewer.password_hash = password_hash
    session.flush()
    end_sessions(session, reviewer.id)


def set_disabled(session: Session, reviewer: Reviewer, disabled: bool) -> None:
    """Disable (no login, every session ends) or enable a reviewer."""
    reviewer.disabled_at = utcnow() if disabled else None
    session.flush()
    if disabled:
        end_sessions(session, reviewer.id)


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
