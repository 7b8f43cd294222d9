"""docs/integration.md's snippets run as written against a real server (both modes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "integration.md"


def snippet(name: str) -> str:
    """The code block that follows ``<!-- snippet: name -->`` in docs/integration.md."""
    found = re.search(rf"<!-- snippet: {re.escape(name)} -->\s*```\w+\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/integration.md has no snippet {name!r}"
    return found.group(1)


def _env(service, partner, real_images, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "front.jpg").write_bytes(real_images["passport"])
    (tmp_path / "face.jpg").write_bytes(real_images["face"])
    return {**os.environ, "OPENIDV_URL": service.base_url, "OPENIDV_KEY": partner.api_key,
            "OPENIDV_SECRET": partner.api_secret, "FRONT": str(tmp_path / "front.jpg"),
            "FACE": str(tmp_path / "face.jpg"), "COUNTRY": "CZ"}


def _check_output(out: subprocess.CompletedProcess) -> None:
    assert out.returncode == 0, out.stderr[-3000:]
    scan_ref, status, document, face = out.stdout.split()
    assert status in ("APPROVED", "DENIED", "SUSPECTED", "REVIEWING")
    assert document.startswith(("DOC_", "MRZ_", "COUNTRY_")) and face.startswith(("FACE_", "FAKE_", "NO_", "AUTO_"))


@pytest.mark.slow
def test_the_shell_snippet_runs(service, partner, real_images, tmp_path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    lines = snippet("shell-client").splitlines()
    assert lines[0].startswith("export OPENIDV=")  # the reader's own values; the test sets them
    (tmp_path / "passport.jpg").write_bytes(real_images["passport"])
    (tmp_path / "selfie.jpg").write_bytes(real_images["face"])
    env = {**os.environ, "OPENIDV": service.base_url, "KEY": partner.api_key, "SECRET": partner.api_secret}
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines[1:])], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)  # /process printed nothing (accepted); then the /status body
    assert status["status"] in ("ACTIVE", "APPROVED", "DENIED", "SUSPECTED", "REVIEWING")


@pytest.mark.slow
def test_the_python_client_snippet_runs(service, partner, real_images, tmp_path) -> None:
    script = tmp_path / "client.py"
    script.write_text(snippet("python-client"))
    out = subprocess.run([sys.executable, str(script)], env=_env(service, partner, real_images, tmp_path),
                         capture_output=True, text=True, timeout=300)
    _check_output(out)


@pytest.mark.slow
def test_the_node_client_snippet_runs(service, partner, real_images, tmp_path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (Debian: apt-get install nodejs)")
    script = tmp_path / "client.js"
    script.write_text(snippet("node-client"))
    out = subprocess.run([node, str(script)], env=_env(service, partner, real_images, tmp_path),
                         capture_output=True, text=True, timeout=300)
    _check_output(out)


@pytest.mark.slow
def test_the_webhook_snippets_accept_a_real_webhook_and_refuse_a_changed_one(service, partner, receiver,
                                                                              real_images, tmp_path) -> None:
    script = tmp_path / "client.py"
    script.write_text(snippet("python-client"))
    out = subprocess.run([sys.executable, str(script)], env=_env(service, partner, real_images, tmp_path),
                         capture_output=True, text=True, timeout=300)
    scan_ref = out.stdout.split()[0]
    hook = receiver.wait_for(lambda h: json.loads(h.body).get("scanRef") == scan_ref)[0]
    signature = {k.lower(): v for k, v in hook.headers.items()}["idenfy-signature"]
    changed = hook.body.replace(b'"final"', b'"final" ', 1)

    namespace: dict = {}
    exec(snippet("python-webhook"), namespace)  # noqa: S102 - the documented snippet itself
    verify = namespace["webhook_is_genuine"]
    assert verify(hook.body, signature, partner.webhook_secret)
    assert not verify(changed, signature, partner.webhook_secret)

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the Node webhook snippet was not run")
    check = snippet("node-webhook") + """
const fs = require("fs");
const [body, changed] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3])];
console.log(webhookIsGenuine(body, process.argv[4], process.argv[5]), webhookIsGenuine(changed, process.argv[4], process.argv[5]));
"""
    (tmp_path / "check.js").write_text(check)
    (tmp_path / "body.bin").write_bytes(hook.body)
    (tmp_path / "changed.bin").write_bytes(changed)
    result = subprocess.run([node, str(tmp_path / "check.js"), str(tmp_path / "body.bin"), str(tmp_path / "changed.bin"),
                             signature, partner.webhook_secret], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["true", "false"], result.stderr
