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
    plan = purge(sessions.begin, files, dry_run=True)
    assert len(plan.images) == 2 and not plan.personal_data
    with sessions() as s:
        assert s.scalar(select(StoredFile).where(StoredFile.deleted_at.is_not(None))) is None
    purge(sessions.begin, files, dry_run=False)
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
    plan = purge(sessions.begin, files, dry_run=False)
    with sessions() as s:
        v = s.get(Verification, old)
        assert v.scan_ref in plan.personal_data
        assert v.status == "DELETED" and v.document_data == {} and "firstName" not in v.token_request
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.verification_id == old)) == "retention_erase"


def test_one_run_erases_everything_due_in_batches_and_the_dry_run_said_so(sessions, settings, files):
    """More verifications than a batch: one run erases all of them; the dry run before it
    lists the same verifications and the same images (those that go with personal data too)."""
    due = [finished_verification(sessions, settings, files, days_ago=400)[1] for _ in range(7)]
    images_only = finished_verification(sessions, settings, files, days_ago=40)[1]
    kept = finished_verification(sessions, settings, files, days_ago=1)[1]
    with sessions.begin() as s:
        owner = s.get(Verification, due[0]).partner_id
        for v in [*due, images_only, kept]:  # one partner's, so they fill several batches
            s.get(Verification, v).partner_id = owner
        for p in s.scalars(select(Partner)):
            p.retention_data_days, p.retention_images_days = 365, 30
    planned = purge(sessions.begin, files, dry_run=True, batch_size=3)
    done = purge(sessions.begin, files, dry_run=False, batch_size=3)
    assert sorted(planned.personal_data) == sorted(done.personal_data)
    assert sorted(planned.images) == sorted(done.images)
    with sessions() as s:
        assert sorted(done.personal_data) == sorted(s.get(Verification, v).scan_ref for v in due)
        assert len(done.images) == 2 * (len(due) + 1)
        assert all(s.get(Verification, v).status == "DELETED" for v in due)
        assert s.get(Verification, images_only).status == "APPROVED"
        assert all(f.deleted_at is None for f in s.get(Verification, kept).files)
    assert purge(sessions.begin, files, dry_run=True, batch_size=3).as_dict() == {"images": [], "personalData": []}
