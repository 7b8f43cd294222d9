"""Console users (reviewers): finding them, ending their sessions, disabling them, new
passwords."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openidv.store.models import Reviewer, utcnow


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
