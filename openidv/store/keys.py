"""Key rotation: re-encrypt every stored image and signing secret with the current key, so
an older key can then be removed from OPENIDV_OLD_ENCRYPTION_KEYS."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store import crypto
from openidv.store.files import DatabaseFileStore, EncryptedFiles
from openidv.store.models import Partner, StoredFile
from openidv.store.partners import API_SECRET_AAD, WEBHOOK_SECRET_AAD


def reencrypt_all(session: Session, files: EncryptedFiles) -> dict[str, int]:
    """Decrypt with whichever configured key opens each item; encrypt with the current one.

    Each blob keeps its storage key (the AAD), so rows need no change; a local file is
    replaced atomically. Idempotent: run it again after an interruption.
    """
    keys = files.keys
    counts = {"images": 0, "webhook_secrets": 0}
    for partner in session.scalars(select(Partner)):
        secret = crypto.decrypt(partner.webhook_secret_encrypted, keys, WEBHOOK_SECRET_AAD)
        partner.webhook_secret_encrypted = crypto.encrypt(secret, keys, WEBHOOK_SECRET_AAD)
        counts["webhook_secrets"] += 1
        if partner.api_secret_encrypted is not None:
            api_secret = crypto.decrypt(partner.api_secret_encrypted, keys, API_SECRET_AAD)
            partner.api_secret_encrypted = crypto.encrypt(api_secret, keys, API_SECRET_AAD)
    for stored in session.scalars(select(StoredFile).where(StoredFile.deleted_at.is_(None))):
        data = files.get(session, stored.storage_key)
        if data is None:
            continue
        if isinstance(files.store, DatabaseFileStore):  # a blob row is replaced, not added
            files.store.delete(session, stored.storage_key)
            session.flush()
        files.store.put(session, stored.storage_key, crypto.encrypt(data, keys, stored.storage_key.encode()))
        counts["images"] += 1
    return counts
