"""Backup and restore of the embedded mode: database and encrypted images (and the key, when
asked: keep it apart from the data).

The SQLite database is copied with SQLite's online backup API, so a running instance can be
backed up without stopping it; images are copied after the database, so every row in the
copy has its file (a file without a row is harmless and removed by the orphan sweep).
Scale-out deployments use pg_dump / pg_restore instead (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from openidv.config import Settings
from openidv.datadir import PRIVATE_DIR_MODE, private_directory, private_file, write_private

MANIFEST = "openidv-backup.json"


class BackupError(Exception):
    """The backup cannot be made or restored (wrong mode, missing parts, target not empty)."""


def _require_embedded(settings: Settings) -> None:
    if not settings.is_sqlite or settings.file_store_kind != "local":
        raise BackupError("openidv backup covers the embedded mode (SQLite + local files); "
                          "with PostgreSQL use pg_dump (images are in the database) and keep the key")


def backup(settings: Settings, target: Path, *, include_key: bool = False) -> dict[str, int]:
    """Copy database and images into ``target`` (0700, files 0600); the key only when asked,
    since a backup with its key is readable by whoever gets hold of it."""
    _require_embedded(settings)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    private_directory(target)
    os.chmod(target, PRIVATE_DIR_MODE)  # also when the operator created it empty beforehand
    db_path = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    source = sqlite3.connect(db_path)
    copy = sqlite3.connect(private_file(target / "openidv.db"))
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    count = _copy_private_tree(settings.home / "files", target / "files")
    key_file = settings.home / "secret.key"
    if include_key and settings.encryption_key is None and key_file.exists():
        write_private(target / "secret.key", key_file.read_bytes())
    manifest = {"files": count, "key_included": (target / "secret.key").exists()}
    write_private(target / MANIFEST, json.dumps(manifest).encode())
    return manifest


def _copy_private_tree(source: Path, target: Path) -> int:
    """Copy the image files (not temporary ones) with private modes; how many were copied."""
    count = 0
    if not source.exists():
        return 0
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix != ".tmp":
            destination = target / path.relative_to(source)
            private_directory(destination.parent)
            write_private(destination, path.read_bytes())
            count += 1
    return count


def restore(settings: Settings, source: Path) -> dict[str, int]:
    _require_embedded(settings)
    if not (source / MANIFEST).exists() or not (source / "openidv.db").exists():
        raise BackupError(f"{source} is not an openidv backup")
    home = settings.home
    if (home / "openidv.db").exists():
        raise BackupError(f"{home} already holds a database: restore into an empty OPENIDV_HOME")
    private_directory(home)
    shutil.copyfile(source / "openidv.db", private_file(home / "openidv.db"))  # keeps the 0600 file
    _copy_private_tree(source / "files", home / "files")
    if (source / "secret.key").exists() and not (home / "secret.key").exists():
        write_private(home / "secret.key", (source / "secret.key").read_bytes())
    return json.loads((source / MANIFEST).read_text())
