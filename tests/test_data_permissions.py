"""The data directory, database and WAL, queue, images, metrics and backups are readable by
their owner only (0700/0600), even when openidv is started under the usual umask 022; the
key stays out of a backup unless asked for."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import jpeg_bytes
from tests.support.service import start_service


def loose_paths(root: Path) -> list[str]:
    """Paths under root (root included) that anyone but the owner may read, write or enter."""
    paths = [root, *root.rglob("*")]
    return [f"{p.relative_to(root.parent)} {stat.filemode(p.stat().st_mode)}"
            for p in paths if p.stat().st_mode & 0o077]


@pytest.mark.slow
def test_data_files_and_backups_are_private_under_umask_022(tmp_path):
    data = tmp_path / "data"  # created by openidv itself
    previous = os.umask(0o022)  # what a usual shell hands to the processes it starts
    try:
        service = start_service("embedded", tmp_path / "run", {"OPENIDV_HOME": str(data)})
    finally:
        os.umask(previous)
    try:
        partner = service.create_partner("private")
        with service.client(partner) as c:
            token = c.post("/api/v2/token", json={"clientId": "perm-1", "tokenType": "DOCUMENT"}).json()
            r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                                "images": {"FRONT": base64.b64encode(jpeg_bytes()).decode()},
                                                "skipAnalysis": True})
            assert r.status_code == 200, r.text
        service.wait_for_status(partner, token["scanRef"])
        names = {p.name for p in data.rglob("*")}
        assert {"openidv.db", "openidv.db-wal", "queue.db", "secret.key", "files", "metrics"} <= names
        assert any(p.is_file() for p in (data / "files").rglob("*"))
        assert loose_paths(data) == []
        os.umask(0o022)
        try:
            without_key = service.cli("backup", str(tmp_path / "backup"))
            with_key = service.cli("backup", "--include-key", str(tmp_path / "backup-with-key"))
        finally:
            os.umask(previous)
        assert loose_paths(tmp_path / "backup") == [] and loose_paths(tmp_path / "backup-with-key") == []
        assert not (tmp_path / "backup" / "secret.key").exists() and '"key_included": false' in without_key.stdout
        assert (tmp_path / "backup-with-key" / "secret.key").read_bytes() == (data / "secret.key").read_bytes()
        assert '"key_included": true' in with_key.stdout
    finally:
        service.stop()
