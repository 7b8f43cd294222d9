"""The audit log: who looked at or changed what, and when. Append-only."""

from __future__ import annotations

from typing import Any, Optional

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store.crypto import derive_key
from openidv.store.models import AuditEntry, utcnow

# What an entry about a verification keeps once the verification is erased: the fact, the
# time, who, and the codes of a review, never personal data (names, dates, numbers, notes).
_KEPT_DETAIL_KEYS = {"page", "step", "file", "webhook", "days", "client", "failures"}
_KEPT_REVIEW_KEYS = {"status", "manualDocument", "manualFace"}


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


def erased_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """An entry's detail without the personal data it held (kept: the fact of the action)."""
    kept = {k: v for k, v in detail.items() if k in _KEPT_DETAIL_KEYS}
    for side in ("before", "after"):
        if isinstance(detail.get(side), dict):
            kept[side] = {k: v for k, v in detail[side].items() if k in _KEPT_REVIEW_KEYS}
    if detail:
        kept["erased"] = True
    return kept


def erase_audit_details(session: Session, verification_id: int) -> None:
    """Strip personal data from every audit entry about a verification (on erasure)."""
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.verification_id == verification_id)):
        erased = erased_detail(dict(entry.detail or {}))
        if erased != entry.detail:
            entry.detail = erased


def search_term_digest(data_key: bytes, text: str) -> str:
    """What the audit log keeps of a search term that may be personal data (a name, a
    document number): a keyed digest. Whoever holds the data key can tell whether a given
    term was searched for; the log itself reveals no name, and nothing is left to erase."""
    key = derive_key(data_key, "openidv audit search terms v1")
    normalised = " ".join(text.upper().split())
    return "hmac-sha256:" + hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()[:32]


def audit_trail(session: Session, verification_id: int, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.verification_id == verification_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )
