"""Shared test fixtures: where the shared test images are, and skipping when they are absent."""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from PIL import Image

from tests.support.service import Partner, Service, WebhookReceiver, start_service

# In-process tests get their own data directory (removed when the session ends); servers
# started by tests get their own too, under pytest's tmp_path.
_TEST_HOME = tempfile.mkdtemp(prefix="openidv-test-home-")
os.environ["OPENIDV_HOME"] = _TEST_HOME
atexit.register(shutil.rmtree, _TEST_HOME, ignore_errors=True)
for _name in [k for k in os.environ if k.startswith("OPENIDV_") and k not in ("OPENIDV_HOME", "OPENIDV_TEST_DATA", "OPENIDV_TEST_SKIP_SCALEOUT", "OPENIDV_TEST_POSTGRES", "OPENIDV_TEST_REDIS")]:
    del os.environ[_name]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _test_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def engines():
    """One set of models for the whole test session (they take seconds to load)."""
    from openidv.pipeline.engines import Engines

    return Engines()


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """The shared real test images; tests that need them skip (saying why) when absent."""
    path = _test_data_dir()
    if not (path / "documents" / "manifest.json").exists():
        pytest.skip(f"shared test images not found at {path} (set OPENIDV_TEST_DATA)")
    return path


@pytest.fixture(scope="session")
def documents_manifest(test_data_dir: Path) -> dict:
    return json.loads((test_data_dir / "documents" / "manifest.json").read_text())


@pytest.fixture(scope="session")
def faces_manifest(test_data_dir: Path) -> dict:
    return json.loads((test_data_dir / "faces" / "manifest.json").read_text())


@pytest.fixture(scope="session")
def spoof_manifest(test_data_dir: Path) -> dict:
    return json.loads((test_data_dir / "spoof" / "manifest.json").read_text())


# ---------------------------------------------------------------------------------------
# Real openidv deployments for black-box tests (API, console, hosted flow): each test using
# `service` runs against the embedded mode and against PostgreSQL + Redis with a separate
# `openidv worker` process.

MODES = ["embedded", "scaleout"]


def _scaleout_available() -> str | None:
    try:
        import psycopg
        import redis

        from tests.support.service import POSTGRES_ADMIN_URL, REDIS_URL

        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def require_mode(mode: str) -> None:
    """Scale-out needs PostgreSQL and Redis: fail when they are missing, unless
    OPENIDV_TEST_SKIP_SCALEOUT=1 says to skip (CI always has them)."""
    if mode != "scaleout":
        return
    problem = _scaleout_available()
    if problem and os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
        pytest.skip(f"PostgreSQL/Redis not reachable ({problem}) and OPENIDV_TEST_SKIP_SCALEOUT=1")
    if problem:
        pytest.fail(f"scale-out tests need PostgreSQL and Redis: {problem} "
                    "(set OPENIDV_TEST_SKIP_SCALEOUT=1 to skip them)")


@pytest.fixture(scope="session")
def receiver() -> WebhookReceiver:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="session", params=MODES)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Service:
    mode = request.param
    require_mode(mode)
    home = tmp_path_factory.mktemp(f"openidv-{mode}")
    svc = start_service(mode, home)
    yield svc
    svc.stop()
    if mode == "scaleout":
        from tests.support.service import drop_postgres_database

        drop_postgres_database(svc.env["OPENIDV_DATABASE_URL"])


@pytest.fixture()
def partner(service: Service, receiver: WebhookReceiver) -> Partner:
    name = f"p-{uuid.uuid4().hex[:8]}"
    return service.create_partner(name, callback_url=receiver.url(f"/hooks/{name}"))


@pytest.fixture()
def other_partner(service: Service) -> Partner:
    return service.create_partner(f"other-{uuid.uuid4().hex[:8]}")


def jpeg_bytes(width: int = 640, height: int = 480, color=(120, 130, 140)) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@pytest.fixture(scope="session")
def real_images(test_data_dir: Path) -> dict[str, bytes]:
    """A real passport specimen and a real face photo from the shared test data."""
    return {
        "passport": (test_data_dir / "documents/passporteye/100_pass-cze.jpg").read_bytes(),
        "face": (test_data_dir / "faces/deepface/img1.jpg").read_bytes(),
    }
