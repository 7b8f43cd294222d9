"""Backup and restore of the embedded mode: database, encrypted images and key, together.

The SQLite database is copied with SQLite's online backup API, so a running instance can be
backed up without stopping it; images are copied after the database, so every row in the
copy has its file (a file without a row is harmless and removed by the orphan sweep).
Scale-out deployments use pg_dump / pg_restore instead (docs/operations.md).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from openidv.config import Settings

MANIFEST = "openidv-backup.json"


class BackupError(Exception):
    """The backup cannot be made or restored (wrong mode, missing parts, target not empty)."""


def _require_embedded(settings: Settings) -> None:
    if not settings.is_sqlite or settings.file_store_kind != "local":
        raise BackupError("openidv backup covers the embedded mode (SQLite + local files); "
                          "with PostgreSQL use pg_dump (images are in the database) and keep the key")


def backup(settings: Settings, target: Path) -> dict[str, int]:
    _require_embedded(settings)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    db_path = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    source = sqlite3.connect(db_path)
    copy = sqlite3.connect(target / "openidv.db")
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    files = settings.home / "files"
    count = 0
    if files.exists():
        shutil.copytree(files, target / "files", ignore=shutil.ignore_patterns("*.tmp"))
        count = sum(1 for p in (target / "files").rglob("*") if p.is_file())
    key_file = settings.home / "secret.key"
    if settings.encryption_key is None and key_file.exists():
        shutil.copy2(key_file, target / "secret.key")
    manifest = {"files": count, "key_included": (target / "secret.key").exists()}
    (target / MANIFEST).write_text(json.dumps(manifest))
    return manifest


def restore(settings: Settings, source: Path) -> dict[str, int]:
    _require_embedded(settings)
    if not (source / MANIFEST).exists() or not (source / "openidv.db").exists():
        raise BackupError(f"{source} is not an openidv backup")
    home = settings.home
    if (home / "openidv.db").exists():
        raise BackupError(f"{home} already holds a database: restore into an empty OPENIDV_HOME")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "openidv.db", home / "openidv.db")
    if (source / "files").exists():
        shutil.copytree(source / "files", home / "files", dirs_exist_ok=True)
    if (source / "secret.key").exists() and not (home / "secret.key").exists():
        shutil.copy2(source / "secret.key", home / "secret.key")
    return json.loads((source / MANIFEST).read_text())
