"""Key rotation: re-encrypt every stored image and signing secret with the current key, so
an older key can then be removed from OPENIDV_OLD_ENCRYPTION_KEYS."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store import crypto
from openidv.store.files import DatabaseFileStore, EncryptedFiles
from openidv.store.models import Partner, StoredFile
from openidv.store.partners import API_SECRET_AAD, WEBHOOK_SECRET_AAD

BATCH_SIZE = 200  # items per transaction: a large store is not one huge transaction

SessionFactory = Callable[[], AbstractContextManager[Session]]


def reencrypt_all(sessions: SessionFactory, files: EncryptedFiles, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Decrypt with whichever configured key opens each item; encrypt with the current one.

    Work is committed in batches, and items already sealed with the current key are
    skipped: run it again after an interruption and it carries on where it stopped. Each blob
    keeps its storage key (the AAD), so rows need no change; a local file is replaced
    atomically. ``sessions`` makes one committed unit of work per call (``session_scope``).
    """
    keys = files.keys
    current = keys[0]
    counts = {"images": 0, "webhook_secrets": 0, "already_current": 0}
    with sessions() as session:
        for partner in session.scalars(select(Partner)):
            if partner.api_secret_encrypted is not None and \
                    not crypto.encrypted_with(partner.api_secret_encrypted, current):
                api_secret = crypto.decrypt(partner.api_secret_encrypted, keys, API_SECRET_AAD)
                partner.api_secret_encrypted = crypto.encrypt(api_secret, keys, API_SECRET_AAD)
            if crypto.encrypted_with(partner.webhook_secret_encrypted, current):
                counts["already_current"] += 1
                continue
            secret = crypto.decrypt(partner.webhook_secret_encrypted, keys, WEBHOOK_SECRET_AAD)
            partner.webhook_secret_encrypted = crypto.encrypt(secret, keys, WEBHOOK_SECRET_AAD)
            counts["webhook_secrets"] += 1
    last_id = 0
    while True:
        with sessions() as session:
            batch = list(session.scalars(
                select(StoredFile).where(StoredFile.deleted_at.is_(None), StoredFile.id > last_id)
                .order_by(StoredFile.id).limit(batch_size)))
            for stored in batch:
                _reencrypt_file(session, files, stored, current, counts)
        if len(batch) < batch_size:
            return counts
        last_id = batch[-1].id


def _reencrypt_file(session: Session, files: EncryptedFiles, stored: StoredFile, current: bytes,
                    counts: dict[str, int]) -> None:
    blob = files.store.get(session, stored.storage_key)
    if blob is None:
        return
    if crypto.encrypted_with(blob, current):
        counts["already_current"] += 1
        return
    data = crypto.decrypt(blob, files.keys, stored.storage_key.encode())
    if isinstance(files.store, DatabaseFileStore):  # a blob row is replaced, not added
        files.store.delete(session, stored.storage_key)
        session.flush()
    files.store.put(session, stored.storage_key, crypto.encrypt(data, files.keys, stored.storage_key.encode()))
    counts["images"] += 1
