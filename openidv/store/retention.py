"""Data retention: erase images and personal data of finished verifications after the
partner's retention periods, and record every erasure in the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openidv.core.vocab import REVIEWABLE_STATUSES, Status
from openidv.store.files import EncryptedFiles
from openidv.store.fraud import forget_faces
from openidv.store.models import AuditEntry, Partner, StoredFile, Verification, utcnow
from openidv.store.verifications import DeleteRefused, delete_verification


@dataclass
class PurgePlan:
    """What a purge erases (or would erase, in a dry run)."""

    images: list[tuple[str, str]] = field(default_factory=list)  # (scanRef, step)
    personal_data: list[str] = field(default_factory=list)  # scanRefs

    def as_dict(self) -> dict:
        return {"images": [{"scanRef": s, "step": step} for s, step in self.images],
                "personalData": self.personal_data}


def _decided_at():  # noqa: ANN202
    # A verification's clock starts when it was decided (reviewed, else automatic, else expired).
    return func.coalesce(Verification.review_time, Verification.finish_time)


def purge(session: Session, files: EncryptedFiles, *, dry_run: bool, now: Optional[dt.datetime] = None) -> PurgePlan:
    now = now or utcnow()
    plan = PurgePlan()
    for partner in session.scalars(select(Partner).where(
            or_(Partner.retention_images_days.is_not(None), Partner.retention_data_days.is_not(None)))):
        if partner.retention_data_days is not None:
            cutoff = now - dt.timedelta(days=partner.retention_data_days)
            for v in session.scalars(select(Verification).where(
                    Verification.partner_id == partner.id,
                    Verification.status.in_(REVIEWABLE_STATUSES | {Status.EXPIRED}),
                    _decided_at() < cutoff).limit(1000)):
                plan.personal_data.append(v.scan_ref)
                if not dry_run:
                    try:
                        delete_verification(session, v, files)
                    except DeleteRefused:
                        continue
                    session.add(AuditEntry(actor="system", action="retention_erase", verification_id=v.id,
                                           detail={"days": partner.retention_data_days}))
        if partner.retention_images_days is not None:
            cutoff = now - dt.timedelta(days=partner.retention_images_days)
            rows = session.execute(select(StoredFile, Verification).join(Verification).where(
                Verification.partner_id == partner.id, StoredFile.deleted_at.is_(None),
                Verification.status != Status.ACTIVE, _decided_at() < cutoff).limit(5000)).all()
            for stored, v in rows:
                plan.images.append((v.scan_ref, stored.step))
                if not dry_run:
                    files.delete(session, stored.storage_key)
                    stored.deleted_at = now
                    forget_faces(session, v.id)  # descriptors are derived from the images
                    session.add(AuditEntry(actor="system", action="retention_erase_image", verification_id=v.id,
                                           detail={"step": stored.step, "days": partner.retention_images_days}))
    return plan
