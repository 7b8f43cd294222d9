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


def _check(tmp_path, **env):  # noqa: ANN003, ANN202
    import os
    import subprocess
    import sys

    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    base.update({"OPENIDV_HOME": str(tmp_path / "home"), **env})
    return subprocess.run([sys.executable, "-m", "openidv.cli", "config", "check"], env=base,
                          capture_output=True, text=True, timeout=120)


def test_config_check_passes_a_fresh_embedded_setup_and_writes_nothing(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "generated at first start" in result.stdout
    assert not (tmp_path / "home").exists(), "config check must not create files"


def test_config_check_refuses_broken_settings(tmp_path):
    cases = {
        "log level": ({"OPENIDV_LOG_LEVEL": "verbose"}, "OPENIDV_LOG_LEVEL"),
        "log format": ({"OPENIDV_LOG_FORMAT": "xml"}, "OPENIDV_LOG_FORMAT"),
        "misspelt name": ({"OPENIDV_DATABSE_URL": "postgresql://db/x"}, "OPENIDV_DATABSE_URL is not an openidv setting"),
        "public URL in scale-out": ({"OPENIDV_DATABASE_URL": "postgresql://127.0.0.1:1/none",
                                     "OPENIDV_ENCRYPTION_KEY": "A" * 43 + "="}, "OPENIDV_PUBLIC_URL is not set"),
        "bad key": ({"OPENIDV_ENCRYPTION_KEY": "not-base64!"}, "encryption key"),
    }
    for name, (env, expected) in cases.items():
        result = _check(tmp_path, **env)
        assert result.returncode == 1 and expected in result.stderr, (name, result.stderr)


def test_config_check_refuses_an_unwritable_home(tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            import pytest

            pytest.skip("running as a user that can write anywhere (root): the permission cannot be tested")
        result = _check(tmp_path, OPENIDV_HOME=str(locked / "data"))
        assert result.returncode == 1 and "cannot be written" in result.stderr
    finally:
        locked.chmod(0o700)


def test_config_check_proves_the_key_opens_stored_data(tmp_path):
    import subprocess
    import sys

    env_key = {"OPENIDV_ENCRYPTION_KEY": "A" * 43 + "="}
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    subprocess.run([sys.executable, "-m", "openidv.cli", "partner", "create", "Acme"], check=True,
                   env={**base, "OPENIDV_HOME": str(tmp_path / "home"), **env_key}, capture_output=True)
    assert _check(tmp_path, **env_key).returncode == 0
    wrong = _check(tmp_path, OPENIDV_ENCRYPTION_KEY="B" * 43 + "=")
    assert wrong.returncode == 1 and "does not open the stored data" in wrong.stderr


def test_config_check_warns_about_data_other_users_can_read(tmp_path):
    import base64
    import os

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    key = tmp_path / "key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    key.chmod(0o600)
    (home / "openidv.db").write_bytes(b"")
    (home / "openidv.db").chmod(0o600)
    quiet = _check(tmp_path, OPENIDV_ENCRYPTION_KEY_FILE=str(key))
    assert "open to other local users" not in quiet.stderr, quiet.stderr
    home.chmod(0o755)
    (home / "openidv.db").chmod(0o644)
    key.chmod(0o640)
    loud = _check(tmp_path, OPENIDV_ENCRYPTION_KEY_FILE=str(key))
    for path, wanted in ((home, "700"), (home / "openidv.db", "600"), (key, "600")):
        assert f"{path} is open to other local users" in loud.stderr and f"chmod {wanted} {path}" in loud.stderr
