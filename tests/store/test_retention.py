"""Retention: images and personal data erased after the partner's periods, with audit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from openidv.store import verifications as ops
from openidv.store.models import AuditEntry, Partner, StoredFile, Verification, utcnow
from openidv.store.retention import purge
from tests.store.test_verifications import make_token


def finished_verification(sessions, settings, files, days_ago: float):  # noqa: ANN001, ANN201
    partner_id, vid, token = make_token(sessions, settings, firstName="Anna")
    with sessions.begin() as s:
        ops.start_processing(s, ops.usable_token(s, partner_id, token).id, files,
                             {"FRONT": (b"img", "image/jpeg"), "FACE": (b"face", "image/jpeg")},
                             country="LT", document_type=None, platform="API")
    with sessions.begin() as s:
        v = s.get(Verification, vid)
        v.status, v.finish_time = "APPROVED", utcnow() - dt.timedelta(days=days_ago)
        v.document_data = {"doc_name": "ANNA"}
    return partner_id, vid


def test_images_are_erased_after_their_period_and_dry_run_changes_nothing(sessions, settings, files):
    partner_id, old = finished_verification(sessions, settings, files, days_ago=31)
    _, recent = finished_verification(sessions, settings, files, days_ago=1)
    with sessions.begin() as s:
        for p in s.scalars(select(Partner)):
            p.retention_images_days = 30
    with sessions.begin() as s:
        plan = purge(s, files, dry_run=True)
        s.rollback()
    assert len(plan.images) == 2 and not plan.personal_data
    with sessions() as s:
        assert s.scalar(select(StoredFile).where(StoredFile.deleted_at.is_not(None))) is None
    with sessions.begin() as s:
        purge(s, files, dry_run=False)
    with sessions() as s:
        gone = s.scalars(select(StoredFile).where(StoredFile.verification_id == old)).all()
        kept = s.scalars(select(StoredFile).where(StoredFile.verification_id == recent)).all()
        assert all(f.deleted_at and files.get(s, f.storage_key) is None for f in gone)
        assert all(f.deleted_at is None and files.get(s, f.storage_key) for f in kept)
        assert s.get(Verification, old).document_data == {"doc_name": "ANNA"}
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.verification_id == old)).all()
        assert actions == ["retention_erase_image", "retention_erase_image"]


def test_personal_data_is_erased_after_its_period(sessions, settings, files):
    _, old = finished_verification(sessions, settings, files, days_ago=400)
    with sessions.begin() as s:
        for p in s.scalars(select(Partner)):
            p.retention_data_days = 365
    with sessions.begin() as s:
        plan = purge(s, files, dry_run=False)
    with sessions() as s:
        v = s.get(Verification, old)
        assert v.scan_ref in plan.personal_data
        assert v.status == "DELETED" and v.document_data == {} and "firstName" not in v.token_request
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.verification_id == old)) == "retention_erase"
