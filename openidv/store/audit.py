"""The audit log: who looked at or changed what, and when. Append-only."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store.models import AuditEntry, utcnow


def actor_name(email: str) -> str:
    """The actor as recorded: an e-mail lower-cased, or a role name."""
    return email.strip().lower()[:254]


def audit(
    session: Session,
    actor: str,
    action: str,
    verification_id: Optional[int] = None,
    detail: Optional[dict[str, Any]] = None,
) -> None:
    """Append one audit entry (in the caller's transaction: no change without its entry)."""
    session.add(
        AuditEntry(
            actor=actor_name(actor),
            action=action[:40],
            verification_id=verification_id,
            detail=detail or {},
            at=utcnow(),
        )
    )


def audit_trail(session: Session, verification_id: int, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.verification_id == verification_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )
