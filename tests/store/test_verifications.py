"""Store operations on SQLite and PostgreSQL: single-use tokens, files following the
transaction, expiry and deletion."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from openidv.services import verifications as expiry
from openidv.store import partners
from openidv.store import verifications as ops
from openidv.store.models import Partner, StoredFile, Verification, WebhookDelivery, utcnow

TOKEN_REQUEST = {"clientId": "c-1", "tokenType": "IDENTIFICATION", "expiryTime": 3600,
                 "documents": ["PASSPORT"], "callbackUrl": "https://partner.example/hook"}


def make_token(sessions, settings, **overrides):  # noqa: ANN001, ANN201
    with sessions.begin() as s:
        partners.create_partner(s, "acme", settings.data_keys())
        partner = s.scalar(select(Partner).order_by(Partner.id.desc()))
        new = ops.create_verification(s, partner, {**TOKEN_REQUEST, **overrides}, generate_digits=True)
        return partner.id, new.verification.id, new.auth_token


def test_partner_secret_is_stored_hashed_and_checked(sessions, settings):
    with sessions.begin() as s:
        new = partners.create_partner(s, "acme", settings.data_keys())
    with sessions() as s:
        row = s.scalar(select(Partner))
        assert new.apiSecret not in (row.api_secret_hash, row.api_key)
        assert new.webhookSecret.encode() not in row.webhook_secret_encrypted
        assert partners.authenticate_partner(s, new.apiKey, new.apiSecret).id == row.id
        assert partners.authenticate_partner(s, new.apiKey, new.apiSecret + "x") is None
        assert partners.authenticate_partner(s, "unknown", new.apiSecret) is None
        assert partners.webhook_secret(row, settings.data_keys()) == new.webhookSecret.encode()


def test_token_is_used_exactly_once_under_concurrency(sessions, settings, files):
    partner_id, _, token = make_token(sessions, settings)
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def use() -> None:
        with sessions() as s:
            v = ops.usable_token(s, partner_id, token)
            barrier.wait()
            try:
                ok = ops.start_processing(s, v.id, files, {"FRONT": (b"img", "image/jpeg")},
                                          country="LT", document_type=None, platform="API")
                s.commit()
            except Exception:  # noqa: BLE001 - SQLite "database is locked" counts as a loss
                s.rollback()
                ok = False
            results.append(ok)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1, results
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 1


def test_rolled_back_upload_leaves_no_file(sessions, settings, files):
    partner_id, vid, token = make_token(sessions, settings)
    with pytest.raises(RuntimeError):
        with sessions.begin() as s:
            v = ops.usable_token(s, partner_id, token)
            ops.start_processing(s, v.id, files, {"FRONT": (b"secret image", "image/jpeg")},
                                 country="LT", document_type=None, platform="API")
            raise RuntimeError("crash before commit")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0
        assert ops.usable_token(s, partner_id, token).id == vid
    if settings.file_store_kind == "local":
        assert not [p for p in (settings.home / "files").rglob("*") if p.is_file()]


def test_images_are_encrypted_at_rest(sessions, settings, files):
    partner_id, vid, token = make_token(sessions, settings)
    marker = b"PLAINTEXT-IMAGE-MARKER" * 10
    with sessions.begin() as s:
        ops.start_processing(s, ops.usable_token(s, partner_id, token).id, files,
                             {"FRONT": (marker, "image/jpeg")}, country="LT", document_type=None,
                             platform="API")
    with sessions() as s:
        stored = s.scalar(select(StoredFile))
        raw = files.store.get(s, stored.storage_key)
        assert marker not in raw and b"PLAINTEXT" not in raw
        assert files.get(s, stored.storage_key) == marker


def test_token_problems_are_named(sessions, settings, files):
    partner_id, vid, token = make_token(sessions, settings)
    with sessions() as s:
        with pytest.raises(ops.TokenProblem, match="does not exist"):
            ops.usable_token(s, partner_id + 1, token)
        with pytest.raises(ops.TokenProblem, match="does not exist"):
            ops.usable_token(s, partner_id, "nope")
    q_partner, _, q_token = make_token(sessions, settings, questionnaire={"a": 1})
    with sessions() as s:
        with pytest.raises(ops.TokenProblem, match="questionnaire"):
            ops.usable_token(s, q_partner, q_token)


def test_expired_unused_tokens_become_expired_with_a_webhook(sessions, settings):
    _, vid, token = make_token(sessions, settings, expiryTime=1)
    with sessions.begin() as s:
        hooks = expiry.expire_unused_tokens(s, utcnow() + dt.timedelta(seconds=5))
    assert len(hooks) == 1
    with sessions() as s:
        v = s.get(Verification, vid)
        assert v.status == "EXPIRED"
        delivery = s.get(WebhookDelivery, hooks[0])
        assert delivery.event == "expired" and delivery.payload["status"]["overall"] == "EXPIRED"
        assert delivery.payload["final"] is True
    with sessions.begin() as s:
        assert expiry.expire_unused_tokens(s, utcnow() + dt.timedelta(seconds=5)) == []


def test_delete_erases_personal_data_and_files(sessions, settings, files):
    partner_id, vid, token = make_token(sessions, settings, firstName="Anna")
    with sessions.begin() as s:
        ops.start_processing(s, ops.usable_token(s, partner_id, token).id, files,
                             {"FRONT": (b"img", "image/jpeg")}, country="LT", document_type=None,
                             platform="API")
    with sessions.begin() as s:
        v = s.get(Verification, vid)
        with pytest.raises(ops.DeleteRefused, match="active"):
            ops.delete_verification(s, v, files)
        v.status, v.document_data = "APPROVED", {"doc_name": "ANNA"}
    with sessions.begin() as s:
        ops.delete_verification(s, s.get(Verification, vid), files)
    with sessions() as s:
        v = s.get(Verification, vid)
        assert v.status == "DELETED" and v.document_data == {} and "firstName" not in v.token_request
        stored = s.scalar(select(StoredFile))
        assert stored.deleted_at is not None and files.get(s, stored.storage_key) is None


def test_orphaned_local_files_are_removed_only_when_old(settings, files, tmp_path):
    import os
    import time

    if settings.file_store_kind != "local":
        return
    store = files.store
    for key, age in (("orphan-old", 7200), ("orphan-new", 10), ("kept-old", 7200)):
        path = store._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (time.time() - age, time.time() - age))
    assert store.remove_orphans({"kept-old"}, 3600) == 1
    assert not store._path("orphan-old").exists()
    assert store._path("orphan-new").exists() and store._path("kept-old").exists()
