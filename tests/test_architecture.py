"""The shape of the code: import rules between the layers, module sizes, self-contained comments."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "openidv"
# Modules allowed over the size limit, each with the reason it stays whole.
LONG_MODULES: dict[str, str] = {}
MAX_LINES = 500


def test_import_rules_between_layers_hold() -> None:
    """The import-linter contracts in pyproject.toml: web/api → services → store/pipeline → core."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("import-linter is not installed (it is a test extra: scripts/install.sh --test)")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_module_is_over_the_size_limit_without_a_reason() -> None:
    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(ROOT))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in LONG_MODULES:
            too_long[name] = lines
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def test_comments_state_rules_instead_of_citing_documents_outside_the_repository() -> None:
    cite = re.compile(r"\b(SPEC|seed|issue) ?\d|DEPENDENCY-NOTES")
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in PACKAGE.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if cite.search(line)]
    assert not found, "\n".join(found)
