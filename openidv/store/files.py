"""The encrypted file store: images on the local disk (embedded) or in the database (scale-out)."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openidv.config import Settings
from openidv.datadir import private_directory, write_private
from openidv.store import crypto
from openidv.store.db import on_commit, on_rollback
from openidv.store.models import FileBlob


class FileStore(Protocol):
    """Stores opaque encrypted blobs under a random key. Encryption happens in EncryptedFiles."""

    def put(self, session: Session, key: str, blob: bytes) -> None:
        """Store a blob; it disappears again if the session's transaction rolls back."""

    def get(self, session: Session, key: str) -> bytes | None: ...

    def delete(self, session: Session, key: str) -> None:
        """Remove a blob once the session's transaction commits."""


class LocalFileStore:
    """Files under $OPENIDV_HOME/files, written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = private_directory(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, session: Session, key: str, blob: bytes) -> None:
        path = self._path(key)
        private_directory(path.parent)
        tmp = path.with_suffix(".tmp")
        write_private(tmp, blob)
        os.replace(tmp, path)
        on_rollback(session, lambda: self._unlink(key))

    def get(self, session: Session, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, session: Session, key: str) -> None:
        on_commit(session, lambda: self._unlink(key))

    def _unlink(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def remove_orphans(self, known_keys: set[str], min_age_seconds: float) -> int:
        """Unlink files no row refers to: left by a process killed between writing an
        upload and committing it. Only old ones, so uploads in flight are never touched."""
        cutoff = time.time() - min_age_seconds
        removed = 0
        for path in self.root.glob("*/*"):
            if path.name.removesuffix(".tmp") not in known_keys and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


class DatabaseFileStore:
    """Blobs in the database itself, inside the caller's transaction (so nothing is orphaned)."""

    def put(self, session: Session, key: str, blob: bytes) -> None:
        session.add(FileBlob(storage_key=key, data=blob))

    def get(self, session: Session, key: str) -> bytes | None:
        return session.scalar(select(FileBlob.data).where(FileBlob.storage_key == key))

    def delete(self, session: Session, key: str) -> None:
        session.execute(delete(FileBlob).where(FileBlob.storage_key == key))


class EncryptedFiles:
    """AES-GCM on top of a FileStore. The storage key is bound into the ciphertext (AAD)."""

    def __init__(self, store: FileStore, keys: list[bytes]) -> None:
        self.store = store
        self.keys = keys

    def put(self, session: Session, data: bytes) -> str:
        key = secrets.token_hex(20)
        self.store.put(session, key, crypto.encrypt(data, self.keys, key.encode()))
        return key

    def get(self, session: Session, key: str) -> bytes | None:
        blob = self.store.get(session, key)
        return None if blob is None else crypto.decrypt(blob, self.keys, key.encode())

    def delete(self, session: Session, key: str) -> None:
        self.store.delete(session, key)


def make_file_store(settings: Settings) -> EncryptedFiles:
    kind = settings.file_store_kind
    if kind == "local":
        store: FileStore = LocalFileStore(settings.home / "files")
    elif kind == "database":
        store = DatabaseFileStore()
    else:
        raise ValueError(
            f"OPENIDV_FILES_URL={kind!r} is not supported: use 'local' or 'database'"
        )
    return EncryptedFiles(store, settings.data_keys())
