"""Who works on which queued verification: a reviewer takes a case (or the next one), others
see who has it, and it is released by a review or by hand. Every change is audited.

Assignment does not change a verification's `version`: a reviewer's open review form stays
valid while someone takes or releases the case (the review itself still wins only once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Optional

from sqlalchemy.orm import Session

from openidv.core.vocab import Status
from openidv.store.audit import audit
from openidv.store.leases import update_if
from openidv.store.models import Verification, utcnow


class AssignmentRefused(Exception):
    """The case is not waiting for review, or someone else has it (and no take-over was asked)."""


def assign(session: Session, reviewer: Any, verification: Verification, *, take_over: bool = False) -> None:
    """Assign a REVIEWING verification to the reviewer. Taking a case someone else has needs
    ``take_over`` (the page asks first); the previous assignee is kept in the audit log."""
    if verification.status != Status.REVIEWING:
        raise AssignmentRefused(f"A {verification.status} verification is not in the review queue")
    previous = verification.assigned_to
    if previous == reviewer.id:
        return
    if previous is not None and not take_over:
        raise AssignmentRefused("Someone else has this case")
    held_by = Verification.assigned_to.is_(None) if previous is None else Verification.assigned_to == previous
    if not update_if(session, Verification, Verification.id == verification.id,
                     Verification.status == Status.REVIEWING, held_by,
                     assigned_to=reviewer.id, assigned_at=utcnow()):
        raise AssignmentRefused("The case changed meanwhile; reload the page")
    audit(session, reviewer.email, "assign", verification.id,
          {"from": previous} if previous is not None else {})
    session.refresh(verification)


def release(session: Session, reviewer: Any, verification: Verification) -> None:
    """Give a case back to the queue (the assignee, or anyone taking it away)."""
    if verification.assigned_to is None:
        return
    update_if(session, Verification, Verification.id == verification.id,
              Verification.assigned_to == verification.assigned_to, assigned_to=None, assigned_at=None)
    audit(session, reviewer.email, "release", verification.id, {"from": verification.assigned_to})
    session.refresh(verification)


def take_next(session: Session, reviewer: Any, candidates: Iterable[Verification]) -> Optional[Verification]:
    """Assign the first candidate nobody has (or the reviewer has already) to the reviewer.

    The candidates come in the queue's order; one another reviewer takes at the same moment
    is skipped (the conditional update lets exactly one of them have it).
    """
    for v in candidates:
        if v.assigned_to == reviewer.id:
            return v
        if v.assigned_to is not None:
            continue
        try:
            assign(session, reviewer, v)
        except AssignmentRefused:
            continue
        return v
    return None
