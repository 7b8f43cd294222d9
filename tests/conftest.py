"""Shared test fixtures: where the shared test images are, and skipping when they are absent."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

# In-process tests get their own data directory; servers started by tests get their own too.
os.environ["OPENIDV_HOME"] = tempfile.mkdtemp(prefix="openidv-test-home-")
for _name in [k for k in os.environ if k.startswith("OPENIDV_") and k not in ("OPENIDV_HOME", "OPENIDV_TEST_DATA", "OPENIDV_TEST_SKIP_SCALEOUT", "OPENIDV_TEST_POSTGRES", "OPENIDV_TEST_REDIS")]:
    del os.environ[_name]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _test_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))


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
