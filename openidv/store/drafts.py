"""The hosted flow's saved progress: photos that passed the instant check, encrypted in the
file store like every image, one per step of a verification, until the flow is handed in or
its session ends."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.core.token import TokenOptions
from openidv.core.vocab import Status
from openidv.store.files import EncryptedFiles
from openidv.store.models import FlowDraft, Verification


def _rows(session: Session, verification_id: int) -> list[FlowDraft]:
    return list(session.scalars(select(FlowDraft).where(FlowDraft.verification_id == verification_id)
                                .order_by(FlowDraft.id)))


def erase_drafts(session: Session, files: EncryptedFiles, verification_id: int,
                 steps: Optional[set[str]] = None) -> int:
    """Remove the saved photos of a verification (only ``steps`` when given); how many."""
    erased = 0
    for row in _rows(session, verification_id):
        if steps is None or row.step in steps:
            files.delete(session, row.storage_key)
            session.delete(row)
            erased += 1
    session.flush()
    return erased


def save_drafts(session: Session, files: EncryptedFiles, verification_id: int, document_type: str,
                images: dict[str, tuple[bytes, str]], replace_prefix: Optional[str] = None) -> None:
    """Keep these photos (step → (bytes, content type)) in place of the step's earlier ones;
    with ``replace_prefix``, earlier steps starting with it go too (a new challenge's frames)."""
    old = set(images)
    if replace_prefix:
        old |= {row.step for row in _rows(session, verification_id) if row.step.startswith(replace_prefix)}
    erase_drafts(session, files, verification_id, old)
    for step, (data, content_type) in images.items():
        session.add(FlowDraft(verification_id=verification_id, step=step, document_type=document_type,
                              content_type=content_type, size=len(data), storage_key=files.put(session, data)))
    session.flush()


def saved_steps(session: Session, verification_id: int, document_type: str) -> list[str]:
    return [row.step for row in _rows(session, verification_id) if row.document_type == document_type]


def load_drafts(session: Session, files: EncryptedFiles, verification_id: int,
                document_type: Optional[str] = None) -> dict[str, tuple[bytes, str]]:
    """The saved photos (of ``document_type`` when given): step → (bytes, content type)."""
    found = {}
    for row in _rows(session, verification_id):
        if document_type is None or row.document_type == document_type:
            data = files.get(session, row.storage_key)
            if data is not None:
                found[row.step] = (data, row.content_type)
    return found


def _flow_over(verification: Verification, now: dt.datetime) -> bool:
    if verification.token_used or verification.status != Status.ACTIVE or verification.token_expires_at <= now:
        return True
    if verification.flow_started_at is None:
        return False
    length = TokenOptions.from_stored(verification.token_request).session_length
    return verification.flow_started_at + dt.timedelta(seconds=length) <= now


def erase_stale_drafts(session: Session, files: EncryptedFiles, now: dt.datetime, limit: int = 500) -> int:
    """Erase the saved photos of flows that can no longer be handed in (used, expired, session
    over): the sweep's step, for people who never came back."""
    ids = list(session.scalars(select(FlowDraft.verification_id).distinct().limit(limit)))
    erased = 0
    for verification in session.scalars(select(Verification).where(Verification.id.in_(ids))):
        if _flow_over(verification, now):
            erased += erase_drafts(session, files, verification.id)
    return erased
