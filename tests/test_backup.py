"""Back up a running instance, wipe it, restore it: nothing is lost."""

from __future__ import annotations

import base64
import shutil

import httpx
import pytest

from tests.conftest import jpeg_bytes
from tests.support.service import start_service


@pytest.mark.slow
def test_backup_wipe_restore_keeps_everything(tmp_path):
    home = tmp_path / "home"
    service = start_service("embedded", home)
    image = jpeg_bytes(320, 240, (200, 10, 10))
    try:
        partner = service.create_partner("backed-up")
        with service.client(partner) as c:
            created = c.post("/api/v2/token", json={"clientId": "b1", "tokenType": "DOCUMENT"}).json()
            r = c.post("/api/v2/process", json={"authToken": created["authToken"], "country": "LT",
                                                "images": {"FRONT": base64.b64encode(image).decode()},
                                                "skipAnalysis": True})
            assert r.status_code == 200
        service.wait_for_status(partner, created["scanRef"])
        with service.client(partner) as c:
            before = c.post("/api/v2/full-status", json={"scanRef": created["scanRef"]}).json()
        out = service.cli("backup", "--include-key", str(tmp_path / "backup"))  # while the server runs
        assert out.returncode == 0, out.stderr
    finally:
        service.stop()
    shutil.rmtree(home)
    restored = service.cli("restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    service = start_service("embedded", home)
    try:
        with service.client(partner) as c:  # the partner's credentials still work
            after = c.post("/api/v2/full-status", json={"scanRef": created["scanRef"]}).json()
            files = c.post("/api/v2/files", json={"scanRef": created["scanRef"]}).json()
        assert after == before
        assert httpx.get(files["FRONT"]).content == image
        again = service.cli("restore", str(tmp_path / "backup"), check=False)
        assert again.returncode != 0 and "empty" in again.stderr
    finally:
        service.stop()
