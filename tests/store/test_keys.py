"""Key rotation keeps old data readable and re-encryption lets the old key go."""

from __future__ import annotations

import base64
import os

from sqlalchemy import select

from openidv.config import Settings
from openidv.store import partners
from openidv.store import verifications as ops
from openidv.store.files import make_file_store
from openidv.store.keys import reencrypt_all
from openidv.store.models import Partner, StoredFile
from tests.store.test_verifications import make_token


def test_rotation_then_reencryption(sessions, settings, files):
    partner_id, _, token = make_token(sessions, settings)
    with sessions.begin() as s:
        ops.start_processing(s, ops.usable_token(s, partner_id, token).id, files,
                             {"FRONT": (b"old image", "image/jpeg")}, country="LT", document_type=None, platform="API")
        secret = partners.webhook_secret(s.scalar(select(Partner)), settings.data_keys())
    old_key = settings.encryption_key
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = Settings(home=settings.home, database_url=settings.database_url,
                       encryption_key=new_key, old_encryption_keys=old_key)
    rotated_files = make_file_store(rotated)
    with sessions() as s:  # old data still readable with the old key listed
        assert rotated_files.get(s, s.scalar(select(StoredFile)).storage_key) == b"old image"
    assert reencrypt_all(sessions.begin, rotated_files) == {"images": 1, "webhook_secrets": 1, "already_current": 0}
    # Run again (e.g. after an interruption): nothing is re-encrypted twice.
    assert reencrypt_all(sessions.begin, rotated_files) == {"images": 0, "webhook_secrets": 0, "already_current": 2}
    only_new = Settings(home=settings.home, database_url=settings.database_url, encryption_key=new_key)
    new_files = make_file_store(only_new)
    with sessions() as s:
        assert new_files.get(s, s.scalar(select(StoredFile)).storage_key) == b"old image"
        assert partners.webhook_secret(s.scalar(select(Partner)), only_new.data_keys()) == secret


def test_reencryption_goes_in_batches(sessions, settings, files):
    partner_id, _, token = make_token(sessions, settings)
    with sessions.begin() as s:
        images = {f"STEP_{i}": (f"image {i}".encode(), "image/jpeg") for i in range(5)}
        ops.start_processing(s, ops.usable_token(s, partner_id, token).id, files, images,
                             country="LT", document_type=None, platform="API")
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = make_file_store(Settings(home=settings.home, database_url=settings.database_url,
                                       encryption_key=new_key, old_encryption_keys=settings.encryption_key))
    transactions = []

    def counting_sessions():  # noqa: ANN202
        transactions.append(1)
        return sessions.begin()

    assert reencrypt_all(counting_sessions, rotated, batch_size=2)["images"] == 5
    assert len(transactions) == 1 + 3  # the secrets, then 2 + 2 + 1 images
