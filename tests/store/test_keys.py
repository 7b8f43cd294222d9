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
    with sessions.begin() as s:
        assert reencrypt_all(s, rotated_files) == {"images": 1, "webhook_secrets": 1}
    only_new = Settings(home=settings.home, database_url=settings.database_url, encryption_key=new_key)
    new_files = make_file_store(only_new)
    with sessions() as s:
        assert new_files.get(s, s.scalar(select(StoredFile)).storage_key) == b"old image"
        assert partners.webhook_secret(s.scalar(select(Partner)), only_new.data_keys()) == secret
