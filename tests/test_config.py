"""The configuration is documented: every setting appears in docs/configuration.md."""

from __future__ import annotations

from openidv.config import Settings
from tests.conftest import REPO_ROOT


def test_every_setting_is_documented():
    text = (REPO_ROOT / "docs" / "configuration.md").read_text()
    missing = [f"OPENIDV_{name.upper()}" for name in Settings.model_fields if f"`OPENIDV_{name.upper()}`" not in text]
    assert not missing, f"undocumented settings: {missing}"
