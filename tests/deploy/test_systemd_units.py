"""The shipped systemd units (deploy/systemd) and the admin wrapper (deploy/openidv-admin):
systemd accepts them, their settings are what the guide promises, and what they start runs."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.support.service import (
    OPENIDV,
    REDIS_URL,
    WebhookReceiver,
    create_postgres_database,
    drop_postgres_database,
    free_port,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
UNITS = {name: REPO_ROOT / "deploy" / "systemd" / f"{name}.service" for name in ("openidv-serve", "openidv-worker")}
ADMIN = REPO_ROOT / "deploy" / "openidv-admin"
SHIPPED_BINARY = "/opt/openidv/.venv/bin/openidv"
TEST_BINARY = str(Path(sys.executable).parent / "openidv")


def service_section(unit: Path) -> list[tuple[str, str]]:
    """The [Service] section's (key, value) pairs in order (repeated keys kept)."""
    pairs, section = [], None
    for raw in unit.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            pairs.append((key, value))
    return pairs


def values(unit: Path, key: str) -> list[str]:
    return [v for k, v in service_section(unit) if k == key]


@pytest.fixture(scope="module")
def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "systemd"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is missing and could not be installed (Debian package systemd; needs root)")
    return found


def unit_with_test_binary(unit: Path, directory: Path) -> Path:
    """The unit with only ExecStart's program changed to this test environment's openidv:
    `verify` checks that the program exists."""
    text = unit.read_text()
    assert SHIPPED_BINARY in text
    copy = directory / unit.name
    copy.write_text(text.replace(SHIPPED_BINARY, TEST_BINARY))
    return copy


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_unit(systemd_analyze, name, tmp_path):
    unit = unit_with_test_binary(UNITS[name], tmp_path)
    done = subprocess.run([systemd_analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values, saying so on stderr: both must be silent.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), done.stderr


@pytest.mark.parametrize("name", UNITS)
def test_unit_is_hardened(systemd_analyze, name, tmp_path):
    unit = unit_with_test_binary(UNITS[name], tmp_path)
    done = subprocess.run([systemd_analyze, "security", "--offline=yes", "--threshold=20", str(unit)],
                          capture_output=True, text=True, timeout=60)
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    assert done.returncode == 0, f"exposure {exposure and exposure.group(1)} over 2.0:\n{done.stdout[-3000:]}"


@pytest.mark.parametrize("name", UNITS)
def test_unit_settings(name):
    unit = UNITS[name]
    for key, value in service_section(unit):
        # systemd has no trailing comments: "EnvironmentFile=/etc/openidv/env  # x" names a
        # file called "/etc/openidv/env  # x".
        assert not re.search(r"\s[#;]", value), f"{key}={value}: a comment after a value is part of it"
    single = {k: v for k, v in service_section(unit)}
    assert single["User"] == "openidv" and single["Group"] == "openidv"
    assert single["StateDirectory"] == "openidv"
    assert single["WorkingDirectory"] == "/var/lib/openidv"
    assert "OPENIDV_HOME=/var/lib/openidv" in values(unit, "Environment")
    assert values(unit, "EnvironmentFile") == ["/etc/openidv/env"]
    assert single["UMask"] == "0077" and single["CapabilityBoundingSet"] == ""
    assert single["ProtectSystem"] == "strict" and single["NoNewPrivileges"] == "yes"
    if name == "openidv-serve":
        args = shlex.split(single["ExecStart"])
        assert args[args.index("--host") + 1] == "127.0.0.1" and "--no-worker" in args


def test_admin_wrapper_is_valid_bash():
    subprocess.run(["bash", "-n", str(ADMIN)], check=True)
    if shutil.which("shellcheck"):
        done = subprocess.run(["shellcheck", str(ADMIN)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


# ------------------------------------------------------------------ running what the units start


def read_environment_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile= rules for the lines the example uses: NAME=value, comments
    on lines of their own."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            env[name] = value
    return env


def unit_environment(unit: Path, env_file: Path, credentials: Path) -> dict[str, str]:
    """What systemd gives the process: a minimal environment with the user's home (the guide
    creates the user with home /var/lib/openidv), then Environment= (with %d, the credentials
    directory), then the EnvironmentFile= on top."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/var/lib/openidv"}
    for assignment in values(unit, "Environment"):
        name, _, value = assignment.partition("=")
        env[name] = value.replace("%d", str(credentials))
    env.update(read_environment_file(env_file))
    return env


def exec_start(unit: Path, env: dict[str, str]) -> list[str]:
    (command,) = values(unit, "ExecStart")
    args = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in shlex.split(command)]
    assert args[0] == SHIPPED_BINARY
    return [TEST_BINARY, *args[1:]]


@pytest.fixture()
def machine(tmp_path: Path) -> Iterator[dict[str, Path | str]]:
    """A stand-in for the host: state directory, credentials directory with the key, and an
    env file made from deploy/openidv.env.example with this test's database and Redis."""
    try:
        database = create_postgres_database("openidv_units_")
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        raise
    state, credentials = tmp_path / "var-lib-openidv", tmp_path / "credentials"
    state.mkdir(mode=0o700)
    credentials.mkdir()
    (credentials / "encryption.key").write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    example = (REPO_ROOT / "deploy" / "openidv.env.example").read_text()
    replacements = {
        "OPENIDV_PUBLIC_URL": "https://idv.example.com",
        "OPENIDV_DATABASE_URL": database,
        "OPENIDV_QUEUE_URL": REDIS_URL,
        "OPENIDV_METRICS_TOKEN": "units-test-token",
    }
    for name, value in replacements.items():
        example, count = re.subn(rf"^{name}=.*$", f"{name}={value}", example, flags=re.M)
        assert count == 1, f"{name} is not set in deploy/openidv.env.example"
    example += f"OPENIDV_QUEUE_NAME=units-{uuid.uuid4().hex[:8]}\nOPENIDV_LOG_FORMAT=text\n"
    env_file = tmp_path / "env"
    env_file.write_text(example)
    yield {"state": state, "credentials": credentials, "env_file": env_file, "database": database}
    drop_postgres_database(database)


def start_unit(name: str, machine: dict, log: Path, port: int | None = None, *,
               extra_env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    unit = UNITS[name]
    env = {**unit_environment(unit, machine["env_file"], machine["credentials"]), **(extra_env or {})}
    assert env["OPENIDV_HOME"] == "/var/lib/openidv"
    assert values(unit, "WorkingDirectory") == [env["OPENIDV_HOME"]]
    # The host's /var/lib/openidv is this test's state directory.
    env["OPENIDV_HOME"] = env["HOME"] = str(machine["state"])
    args = exec_start(unit, env)
    if port is not None:
        args[args.index("--port") + 1] = str(port)
    umask = int((values(unit, "UMask") or ["0022"])[0], 8)  # systemd's default is 0022
    return subprocess.Popen([*prefix, *args], cwd=machine["state"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            preexec_fn=lambda: os.umask(umask))


def stop(proc: subprocess.Popen, unit: Path) -> None:
    kill = values(unit, "KillSignal") or ["SIGTERM"]
    proc.send_signal(getattr(signal, kill[0]))
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.slow
@pytest.mark.scaleout
def test_what_the_units_start_runs_in_the_state_directory(machine, tmp_path):
    """ExecStart with the unit's environment, working directory and umask: the API answers,
    the worker loads its models, and everything they write is under the state directory."""
    subprocess.run([TEST_BINARY, "migrate"], env={**os.environ, "OPENIDV_DATABASE_URL": machine["database"]},
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    serve_log, worker_log = tmp_path / "serve.log", tmp_path / "worker.log"
    serve = start_unit("openidv-serve", machine, serve_log, port)
    worker = start_unit("openidv-worker", machine, worker_log)
    try:
        wait_until_ready(port, serve, worker, serve_log, worker_log, timeout=120)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10,
                            headers={"Authorization": "Bearer units-test-token"})
        assert metrics.status_code == 200 and "openidv_queue_depth" in metrics.text
    finally:
        stop(serve, UNITS["openidv-serve"])
        stop(worker, UNITS["openidv-worker"])
    written = [p for p in machine["state"].rglob("*")]
    assert any(p.parent.name == "metrics" for p in written), written  # both processes' metrics files
    assert not (machine["state"] / "openidv-data").exists()
    for path in written:
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others (UMask=0077)"


def wait_until_ready(port: int, serve: subprocess.Popen, worker: subprocess.Popen, serve_log: Path,
                     worker_log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert serve.poll() is None, serve_log.read_text()[-3000:]
        assert worker.poll() is None, worker_log.read_text()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200 \
                    and "models loaded" in worker_log.read_text():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready:\n{serve_log.read_text()[-2000:]}\n{worker_log.read_text()[-2000:]}")


def syscall_groups(systemd_analyze: str) -> dict[str, list[str]]:
    """`systemd-analyze syscall-filter`: every @group and its members (calls or @groups)."""
    out = subprocess.run([systemd_analyze, "syscall-filter"], capture_output=True, text=True, check=True).stdout
    groups: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif current and line.startswith("    ") and not line.strip().startswith("#"):
            groups[current].append(line.strip())
    return groups


def allowed_syscalls(unit: Path, groups: dict[str, list[str]]) -> set[str]:
    """The calls the unit's SystemCallFilter= lines allow: the first is an allow list, "~"
    lines remove from it."""
    def expand(item: str) -> set[str]:
        return set().union(*(expand(m) for m in groups[item])) if item.startswith("@") else {item}

    allowed: set[str] = set()
    for line in values(unit, "SystemCallFilter"):
        deny = line.startswith("~")
        items = set().union(*(expand(i) for i in line.lstrip("~").split()))
        allowed = allowed - items if deny else allowed | items
    return allowed


def traced_calls(trace: Path) -> tuple[set[str], set[str], list[str]]:
    """From an `strace -f` log: the calls made, the socket families opened, and any mapping
    or protection change that makes memory both writable and executable."""
    calls, families, write_exec = set(), set(), []
    for line in trace.read_text(errors="replace").splitlines():
        found = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
        if not found:
            continue
        calls.add(found.group(1))
        family = re.search(r"\bsocket\((AF_\w+)", line)  # not "<... socket resumed>"
        if family:
            families.add(family.group(1))
        if (found.group(1) == "mmap" and "PROT_WRITE" in line and "PROT_EXEC" in line) or \
                (found.group(1) in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in line):
            write_exec.append(line)
    return calls, families, write_exec


def strace_binary() -> str:
    found = shutil.which("strace")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "strace"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("strace")
    if found is None:
        pytest.skip("strace is missing and could not be installed (Debian package strace; needs root)")
    return found


@pytest.mark.slow
@pytest.mark.scaleout
def test_a_verification_stays_within_the_units_syscall_filter(systemd_analyze, machine, tmp_path, test_data_dir):
    """The API and the worker, traced through a whole verification (photo validation, OCR,
    dlib, ONNX Runtime, webhook, console login, file download, metrics), use only calls the
    units' SystemCallFilter= allows, only the socket families of RestrictAddressFamilies=,
    and never writable+executable memory (MemoryDenyWriteExecute=)."""
    strace = strace_binary()
    groups = syscall_groups(systemd_analyze)
    receiver = WebhookReceiver()
    env = unit_environment(UNITS["openidv-serve"], machine["env_file"], machine["credentials"])
    # The key comes from the credential file (OPENIDV_ENCRYPTION_KEY_FILE), as on the host.
    env.update(OPENIDV_HOME=str(machine["state"]), HOME=str(machine["state"]))
    cli = lambda *args: subprocess.run([*OPENIDV, *args], env=env, capture_output=True, text=True, check=True,  # noqa: E731
                                       timeout=120, cwd=machine["state"]).stdout
    partner = json.loads(cli("partner", "create", "traced", "--callback-url", receiver.url("/hook")))
    reviewer = json.loads(cli("reviewer", "create", "traced@example.com"))
    port = free_port()
    extra = {"OPENIDV_ALLOW_PRIVATE_CALLBACKS": "1"}
    logs = {name: (tmp_path / f"{name}.log", tmp_path / f"{name}.trace") for name in UNITS}
    procs = {name: start_unit(name, machine, logs[name][0], port if name == "openidv-serve" else None,
                              extra_env=extra, prefix=(strace, "-f", "-qq", "-o", str(logs[name][1])))
             for name in UNITS}
    try:
        wait_until_ready(port, procs["openidv-serve"], procs["openidv-worker"], logs["openidv-serve"][0],
                         logs["openidv-worker"][0], timeout=300)
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=(partner["apiKey"], partner["apiSecret"]), timeout=120)
        token = api.post("/api/v2/token", json={"clientId": "traced"}).json()
        images = {"FRONT": test_data_dir / "documents/passporteye/100_pass-cze.jpg",
                  "FACE": test_data_dir / "faces/deepface/img1.jpg"}
        answer = api.post("/api/v2/process", json={
            "authToken": token["authToken"], "country": "CZ", "documentType": "PASSPORT",
            "images": {k: base64.b64encode(v.read_bytes()).decode() for k, v in images.items()}})
        assert answer.status_code == 200 and not answer.content, answer.text
        receiver.wait_for(lambda h: h.json().get("scanRef") == token["scanRef"], timeout=300)
        for url in api.post("/api/v2/files", json={"scanRef": token["scanRef"]}).json().values():
            assert httpx.get(url.replace("https://idv.example.com", f"http://127.0.0.1:{port}")).status_code == 200
        # The cookies are Secure (the public URL is https), so they are carried by hand here.
        form = httpx.get(f"http://127.0.0.1:{port}/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        login = httpx.post(f"http://127.0.0.1:{port}/console/login", cookies=dict(form.cookies),
                           data={"email": reviewer["email"], "password": reviewer["password"], "csrf": csrf})
        assert login.status_code == 303, login.text[:300]
        assert httpx.get(f"http://127.0.0.1:{port}/metrics",
                         headers={"Authorization": "Bearer units-test-token"}).status_code == 200
    finally:
        receiver.close()
        for name, proc in procs.items():
            stop(proc, UNITS[name])
    for name in UNITS:
        allowed = allowed_syscalls(UNITS[name], groups)
        calls, families, write_exec = traced_calls(logs[name][1])
        outside = calls - allowed
        if os.geteuid() == 0:
            # SQLite (ONNX Runtime keeps a small database under $HOME/.cache) hands its files
            # back to their owner with fchown() only when it runs as root, as this test does;
            # under the service user it never makes that call.
            outside.discard("fchown")
        assert not outside, f"{name} used calls its SystemCallFilter= refuses: {sorted(outside)}"
        permitted_families = set(values(UNITS[name], "RestrictAddressFamilies")[0].split())
        assert families <= permitted_families, f"{name} opened sockets of {sorted(families - permitted_families)}"
        assert write_exec == [], f"{name} made memory writable and executable: {write_exec[:3]}"


# ------------------------------------------------------------------ the admin wrapper, run


def run_admin(tmp_path: Path, program: str, *args: str, env_text: str,
              write_key: bool = True) -> subprocess.CompletedProcess:
    state = tmp_path / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(state, "nobody", "nogroup")
    (tmp_path / "env").write_text(env_text)
    (tmp_path / "env").chmod(0o600)
    if write_key:
        (tmp_path / "key").write_text("a2V5LWZvci10ZXN0cw==\n")
        (tmp_path / "key").chmod(0o600)
    (tmp_path / "owner.env").write_text("OPENIDV_DATABASE_URL=postgresql://owner@db/openidv\n")
    environment = {**os.environ, "OPENIDV_ADMIN_ENV_FILE": str(tmp_path / "env"),
                   "OPENIDV_ADMIN_OWNER_ENV_FILE": str(tmp_path / "owner.env"),
                   "OPENIDV_ADMIN_KEY_FILE": str(tmp_path / "key"), "OPENIDV_ADMIN_STATE_DIR": str(state),
                   "OPENIDV_ADMIN_USER": "nobody", "OPENIDV_ADMIN_BIN": program, "OPENIDV_FROM_CALLER": "x"}
    return subprocess.run([str(ADMIN), *args], env=environment, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason="openidv-admin switches to the service user: needs root")
def test_admin_wrapper_runs_as_the_service_user_with_the_service_environment(tmp_path):
    env_text = ("# comment\n\n  OPENIDV_PUBLIC_URL=https://idv.example.com\n"
                "OPENIDV_DATABASE_URL=postgresql://u:pa$word`x`@db/openidv?sslmode=verify-full\n"
                'OPENIDV_METRICS_TOKEN="quoted value"\n')
    env = run_admin(tmp_path, "/usr/bin/env", env_text=env_text)
    assert env.returncode == 0, env.stderr
    got = dict(line.split("=", 1) for line in env.stdout.splitlines())
    assert got["OPENIDV_DATABASE_URL"] == "postgresql://u:pa$word`x`@db/openidv?sslmode=verify-full"
    assert got["OPENIDV_METRICS_TOKEN"] == "quoted value"
    assert got["OPENIDV_PUBLIC_URL"] == "https://idv.example.com"
    assert got["OPENIDV_HOME"] == str(tmp_path / "state")
    assert got["OPENIDV_ENCRYPTION_KEY"] == "a2V5LWZvci10ZXN0cw=="
    assert "OPENIDV_FROM_CALLER" not in got and "OPENIDV_ADMIN_BIN" not in got
    who = run_admin(tmp_path, "/usr/bin/id", "-un", env_text=env_text)
    assert who.stdout.strip() == "nobody", who.stderr
    where = run_admin(tmp_path, "/bin/pwd", env_text=env_text)
    assert where.stdout.strip() == str(tmp_path / "state")
    as_owner = run_admin(tmp_path, "/usr/bin/env", "--owner", env_text=env_text)
    owner_env = dict(line.split("=", 1) for line in as_owner.stdout.splitlines())
    assert owner_env["OPENIDV_DATABASE_URL"] == "postgresql://owner@db/openidv"  # owner.env wins
    assert owner_env["OPENIDV_PUBLIC_URL"] == "https://idv.example.com"
    (tmp_path / "key").unlink()
    keyless = run_admin(tmp_path, "/usr/bin/env", env_text=env_text, write_key=False)
    assert keyless.returncode == 1 and "no data key" in keyless.stderr
    bad = run_admin(tmp_path, "/usr/bin/env", env_text="OPENIDV_PUBLIC_URL\n")
    assert bad.returncode == 1 and "line 1 is not NAME=value" in bad.stderr
