"""scripts/install.sh on a checkout upgraded from a version that used the prebuilt dlib-bin:
dlib-bin goes, dlib (built with BLAS) stays and works, and the dlib step says what it does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = getattr(sys, "_base_executable", sys.executable)


def checkout_copy(target: Path) -> Path:
    """What install.sh needs of a checkout: the project file, the package and the scripts."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, target / name)
    for name in ("openidv", "scripts"):
        shutil.copytree(REPO_ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def pip(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CMAKE_TOOLCHAIN_FILE": str(checkout / "scripts" / "dlib-build.cmake")}
    return subprocess.run([str(checkout / ".venv/bin/python"), "-m", "pip", *args], env=env,
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
@pytest.mark.parametrize("earlier", [["dlib-bin"], ["dlib-bin", "dlib"]], ids=["dlib-bin", "dlib-bin-then-dlib"])
def test_upgrade_removes_dlib_bin_and_keeps_a_working_dlib(earlier, tmp_path):
    checkout = checkout_copy(tmp_path / "openidv")
    subprocess.run([PYTHON, "-m", "venv", str(checkout / ".venv")], check=True)
    for package in earlier:  # the venv as earlier versions (and their upgrades) left it
        done = pip(checkout, "install", "--quiet", "--no-deps", package)
        assert done.returncode == 0, done.stderr[-2000:]

    done = subprocess.run(["scripts/install.sh"], cwd=checkout, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, "PYTHON": PYTHON})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    assert pip(checkout, "show", "dlib-bin").returncode != 0, "dlib-bin is still installed"
    assert "Removing dlib-bin" in done.stdout
    assert "about 8 minutes" in done.stdout  # said before the step that may build dlib
    assert "Successfully installed dlib-" in done.stdout  # that step's pip is not silenced
    works = subprocess.run([str(checkout / ".venv/bin/python"), "-c",
                            "import dlib; print(dlib.__version__, dlib.DLIB_USE_BLAS)"],
                           capture_output=True, text=True, timeout=120)
    assert works.returncode == 0, works.stderr
    assert works.stdout.split()[1] == "True", "dlib is not the BLAS build"
