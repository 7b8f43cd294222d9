"""Data retention: erase images and personal data of finished verifications after the
partner's retention periods, and record every erasure in the audit log.

A run goes through everything that is due, in batches of its own transactions, so a large
backlog neither stops at a fixed count nor becomes one huge transaction. A dry run walks the
same batches without changing anything and reports exactly what the real run would erase.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Callable, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openidv.core.vocab import REVIEWABLE_STATUSES, Status
from openidv.store.files import EncryptedFiles
from openidv.store.fraud import forget_faces
from openidv.store.models import AuditEntry, Partner, StoredFile, Verification, utcnow
from openidv.store.verifications import DeleteRefused, delete_verification, live_files

# Verifications handled per transaction: short locks, bounded memory, steady progress.
PURGE_BATCH = 200

SessionScope = Callable[[], AbstractContextManager[Session]]


@dataclass
class PurgePlan:
    """What a purge erases (or would erase, in a dry run). ``images`` counts every image the
    run erases, also those that go with a verification's personal data."""

    images: list[tuple[str, str]] = field(default_factory=list)  # (scanRef, step)
    personal_data: list[str] = field(default_factory=list)  # scanRefs

    def as_dict(self) -> dict:
        return {"images": [{"scanRef": s, "step": step} for s, step in self.images],
                "personalData": self.personal_data}


@dataclass(frozen=True)
class _Policy:
    partner_id: int
    images_days: Optional[int]
    data_days: Optional[int]


def _decided_at():  # noqa: ANN202
    # A verification's clock starts when it was decided (reviewed, else automatic, else expired).
    return func.coalesce(Verification.review_time, Verification.finish_time)


def purge(scope: SessionScope, files: EncryptedFiles, *, dry_run: bool, now: Optional[dt.datetime] = None,
          batch_size: int = PURGE_BATCH) -> PurgePlan:
    """Erase (or, with ``dry_run``, list) everything past its partner's retention periods.
    ``scope`` opens one transaction (committed at its end) per batch."""
    now = now or utcnow()
    plan = PurgePlan()
    with scope() as session:
        policies = [_Policy(p.id, p.retention_images_days, p.retention_data_days) for p in session.scalars(
            select(Partner).where(or_(Partner.retention_images_days.is_not(None),
                                      Partner.retention_data_days.is_not(None))))]
    for policy in policies:
        if policy.data_days is not None:
            _purge_personal_data(scope, files, policy, now - dt.timedelta(days=policy.data_days), dry_run,
                                 batch_size, plan)
        if policy.images_days is not None:
            _purge_images(scope, files, policy, now - dt.timedelta(days=policy.images_days), dry_run,
                          batch_size, plan)
    return plan


def _purge_personal_data(scope: SessionScope, files: EncryptedFiles, policy: _Policy, cutoff: dt.datetime,
                         dry_run: bool, batch_size: int, plan: PurgePlan) -> None:
    last_id = 0
    while True:
        with scope() as session:
            batch = list(session.scalars(select(Verification).where(
                Verification.partner_id == policy.partner_id, Verification.id > last_id,
                Verification.status.in_(REVIEWABLE_STATUSES | {Status.EXPIRED}),
                _decided_at() < cutoff).order_by(Verification.id).limit(batch_size)))
            for v in batch:
                images = [(v.scan_ref, f.step) for f in live_files(session, v.id)]
                if not dry_run:
                    try:
                        delete_verification(session, v, files)
                    except DeleteRefused:
                        continue  # changed meanwhile; the next run looks again
                    session.add(AuditEntry(actor="system", action="retention_erase", verification_id=v.id,
                                           detail={"days": policy.data_days}))
                plan.personal_data.append(v.scan_ref)
                plan.images.extend(images)
        if len(batch) < batch_size:
            return
        last_id = batch[-1].id


def _purge_images(scope: SessionScope, files: EncryptedFiles, policy: _Policy, cutoff: dt.datetime,
                  dry_run: bool, batch_size: int, plan: PurgePlan) -> None:
    # In a dry run the verifications listed for erasure above still hold their images: they
    # are counted there already, as the real run erases them with the personal data.
    erased_with_data = set(plan.personal_data)
    last_id = 0
    while True:
        with scope() as session:
            rows = session.execute(select(StoredFile, Verification).join(Verification).where(
                Verification.partner_id == policy.partner_id, StoredFile.id > last_id,
                StoredFile.deleted_at.is_(None), Verification.status != Status.ACTIVE,
                _decided_at() < cutoff).order_by(StoredFile.id).limit(batch_size)).all()
            for stored, v in rows:
                if v.scan_ref in erased_with_data:
                    continue
                plan.images.append((v.scan_ref, stored.step))
                if not dry_run:
                    files.delete(session, stored.storage_key)
                    stored.deleted_at = utcnow()
                    forget_faces(session, v.id)  # descriptors are derived from the images
                    session.add(AuditEntry(actor="system", action="retention_erase_image", verification_id=v.id,
                                           detail={"step": stored.step, "days": policy.images_days}))
        if len(rows) < batch_size:
            return
        last_id = rows[-1][0].id
