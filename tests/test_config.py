"""The configuration is documented: every setting appears in docs/configuration.md."""

from __future__ import annotations

from openidv.config import Settings
from tests.conftest import REPO_ROOT


def test_every_setting_is_documented():
    text = (REPO_ROOT / "docs" / "configuration.md").read_text()
    missing = [f"OPENIDV_{name.upper()}" for name in Settings.model_fields if f"`OPENIDV_{name.upper()}`" not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_redis_on_another_machine_without_password_or_tls_is_warned_about():
    from openidv.config_check import redis_exposure_warning

    assert redis_exposure_warning("redis://127.0.0.1:6379/0") is None
    assert redis_exposure_warning("redis://localhost/0") is None
    warning = redis_exposure_warning("redis://queue.internal:6379/0")
    assert "no password" in warning and "no TLS" in warning
    assert "no TLS" in redis_exposure_warning("redis://:s3cret@queue.internal:6379/0")
    assert "no password" not in redis_exposure_warning("redis://:s3cret@queue.internal:6379/0")
    assert redis_exposure_warning("rediss://openidv:s3cret@queue.internal:6380/0") is None


def test_config_check_prints_the_redis_warning_and_never_the_password(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "OPENIDV_HOME": str(tmp_path), "OPENIDV_QUEUE_URL": "redis://:hunter2@192.0.2.1:6379/0",
           "OPENIDV_ENCRYPTION_KEY": "A" * 43 + "="}
    result = subprocess.run([sys.executable, "-m", "openidv.cli", "config", "check"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert "warning: OPENIDV_QUEUE_URL points at Redis on another machine with no TLS" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
