"""deploy/container: the image builds with Debian's podman, its openidv finds dlib with BLAS,
PostgreSQL and Redis, and the compose file's API and worker containers run a verification."""

from __future__ import annotations

import base64
import json
import os
import re
import resource
import shutil
import ssl
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.service import REDIS_URL, create_postgres_database, drop_postgres_database, free_port
from tests.support.tcp import TcpRelay

pytestmark = [pytest.mark.slow, pytest.mark.scaleout]
REPO_ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO_ROOT / "deploy" / "container" / "Containerfile"
COMPOSE = REPO_ROOT / "deploy" / "container" / "compose.yaml"
DEFAULT_BASE = re.search(r"^ARG BASE_IMAGE=(\S+)", CONTAINERFILE.read_text(), flags=re.M).group(1)
LOCAL_BASE = "localhost/openidv-test-base:bookworm"


def apt_install(*packages: str) -> None:
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", *packages], capture_output=True, timeout=900,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env, **kw)


def base_image(env: dict[str, str]) -> str:
    """The Containerfile's Debian base from its registry, or, where no registry is reachable
    (as on the test machines: only Debian's and PyPI's mirrors are), the same Debian release
    made from the Debian mirror with mmdebstrap."""
    if run("podman", "image", "exists", DEFAULT_BASE, env=env).returncode == 0 or \
            run("podman", "pull", "-q", DEFAULT_BASE, env=env, timeout=120).returncode == 0:
        return DEFAULT_BASE
    if run("podman", "image", "exists", LOCAL_BASE, env=env).returncode == 0:
        return LOCAL_BASE
    if not shutil.which("mmdebstrap"):
        apt_install("mmdebstrap")
    if not shutil.which("mmdebstrap"):
        pytest.skip(f"cannot pull {DEFAULT_BASE} and mmdebstrap is missing (Debian package; needs root)")
    with_tar = Path(f"/tmp/openidv-base-{uuid.uuid4().hex[:8]}.tar")
    try:
        made = run("mmdebstrap", "--variant=minbase", "--include=ca-certificates", "bookworm", str(with_tar),
                   timeout=1200)
        assert made.returncode == 0, made.stderr[-2000:]
        assert run("podman", "import", str(with_tar), LOCAL_BASE, env=env).returncode == 0
    finally:
        with_tar.unlink(missing_ok=True)
    return LOCAL_BASE


def podman_environment(tmp: Path) -> dict[str, str]:
    """podman's environment, with a containers.conf only where the defaults cannot run a
    container: on a host with hybrid cgroups crun refuses to start, and without
    CAP_SYS_RESOURCE podman's default limits (nofile 1048576) cannot be set."""
    env = dict(os.environ)
    probe = ("podman", "run", "--rm", "--network", "host", "--pull", "never")
    image = base_image(env)
    if run(*probe, image, "true", env=env, timeout=120).returncode == 0:
        return env
    if not shutil.which("runc"):
        apt_install("runc")
    nofile = min(20000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    conf = tmp / "containers.conf"
    conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]\n'
                    '[engine]\nruntime = "runc"\n')
    env["CONTAINERS_CONF"] = str(conf)
    tried = run(*probe, image, "true", env=env, timeout=120)
    if tried.returncode != 0:
        pytest.skip(f"podman cannot run a container on this machine: {tried.stderr.strip()[-500:]}")
    return env


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    if not shutil.which("podman"):
        apt_install("podman")
    if not shutil.which("podman"):
        pytest.skip("podman is missing and could not be installed (Debian package podman; needs root)")
    tmp = tmp_path_factory.mktemp("container")
    env = podman_environment(tmp)
    base = base_image(env)
    tag = f"localhost/openidv-test:{uuid.uuid4().hex[:8]}"
    # pip in the build trusts what this machine trusts (a mirror with its own CA) and reuses
    # this machine's pip cache (dlib's wheel, built once).
    ca = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    (tmp / "pip.conf").write_text("[global]\ncert = /run/host-ca.crt\n")
    volumes = ["-v", f"{ca}:/run/host-ca.crt:ro", "-v", f"{tmp / 'pip.conf'}:/etc/pip.conf:ro"]
    cache = Path.home() / ".cache" / "pip"
    if cache.is_dir():
        volumes += ["-v", f"{cache}:/root/.cache/pip"]
    started = time.monotonic()
    built = run("podman", "build", "--network", "host", *volumes, "--build-arg", f"BASE_IMAGE={base}",
                "-t", tag, "-f", str(CONTAINERFILE), str(REPO_ROOT), env=env, timeout=3600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"image built in {time.monotonic() - started:.0f} s")
    yield tag, env
    run("podman", "rmi", "-f", tag, env=env)


@pytest.fixture()
def settings_files(tmp_path: Path) -> Iterator[dict[str, str]]:
    """/etc/openidv/env made from the example with this test's database and Redis, and the key file."""
    try:
        database = create_postgres_database("openidv_container_")
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        raise
    example = (REPO_ROOT / "deploy" / "openidv.env.example").read_text()
    port = free_port()
    for name, value in {"OPENIDV_PUBLIC_URL": f"http://127.0.0.1:{port}", "OPENIDV_DATABASE_URL": database,
                        "OPENIDV_QUEUE_URL": REDIS_URL, "OPENIDV_METRICS_TOKEN": "container-test"}.items():
        example, count = re.subn(rf"^{name}=.*$", f"{name}={value}", example, flags=re.M)
        assert count == 1
    example += f"OPENIDV_QUEUE_NAME=container-{uuid.uuid4().hex[:8]}\n"
    (tmp_path / "env").write_text(example)
    key = base64.b64encode(os.urandom(32)).decode()
    (tmp_path / "key.env").write_text(f"OPENIDV_ENCRYPTION_KEY={key}\n")
    yield {"env": str(tmp_path / "env"), "key": str(tmp_path / "key.env"), "port": str(port), "database": database}
    drop_postgres_database(database)


def test_image_finds_blas_the_database_and_redis(image, settings_files):
    tag, env = image
    check = run("podman", "run", "--rm", "--network", "host", "--env-file", settings_files["env"],
                "--env-file", settings_files["key"], tag, "config", "check", env=env, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "dlib built with BLAS" in check.stdout
    assert "database reachable" in check.stdout and "Redis queue reachable" in check.stdout


def wait_for_status(base_url: str, partner: dict, scan_ref: str, timeout: float = 300) -> dict:
    with httpx.Client(base_url=base_url, auth=(partner["apiKey"], partner["apiSecret"]), timeout=60) as c:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
            if status["status"] != "ACTIVE":
                return status
            time.sleep(1)
    raise AssertionError(f"{scan_ref} still ACTIVE after {timeout} s")


def test_compose_runs_a_verification(image, settings_files, test_data_dir, tmp_path):
    """The compose file's API and worker containers, on their own network, with PostgreSQL and
    Redis reached over the network, run a real verification submitted through the port the
    API publishes on the host's loopback."""
    tag, env = image
    if not shutil.which("podman-compose"):
        apt_install("podman-compose")
    if not shutil.which("podman-compose"):
        pytest.skip("podman-compose is missing and could not be installed (Debian package; needs root)")
    project = f"openidv-test-{uuid.uuid4().hex[:6]}"
    network = f"{project}_default"
    assert run("podman", "network", "create", network, env=env).returncode == 0
    gateway = run("podman", "network", "inspect", network, "--format", "{{range .Subnets}}{{.Gateway}}{{end}}",
                  env=env).stdout.strip()
    database = urlsplit(settings_files["database"])
    redis = urlsplit(REDIS_URL)
    relays = [TcpRelay((database.hostname, database.port or 5432), gateway, freebind=True),
              TcpRelay((redis.hostname, redis.port or 6379), gateway, freebind=True)]
    remote = Path(settings_files["env"]).read_text()
    remote = remote.replace(f"@{database.hostname}:{database.port or 5432}/", f"@{gateway}:{relays[0].port}/")
    remote = remote.replace(f"//{redis.hostname}:{redis.port or 6379}/", f"//{gateway}:{relays[1].port}/")
    assert f"{gateway}:{relays[0].port}" in remote and f"{gateway}:{relays[1].port}" in remote
    (tmp_path / "compose.env").write_text(remote)

    compose_env = {**env, "OPENIDV_IMAGE": tag, "OPENIDV_ENV_FILE": str(tmp_path / "compose.env"),
                   "OPENIDV_KEY_ENV_FILE": settings_files["key"], "OPENIDV_PORT": settings_files["port"]}
    compose = ("podman-compose", "-p", project, "-f", str(COMPOSE))
    base_url = f"http://127.0.0.1:{settings_files['port']}"
    up = run(*compose, "up", "-d", env=compose_env, timeout=300)
    try:
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        else:
            raise AssertionError(run(*compose, "logs", env=compose_env).stdout[-3000:])
        created = run("podman", "run", "--rm", "--network", "host", "--env-file", settings_files["env"],
                      "--env-file", settings_files["key"], tag, "partner", "create", "container", env=env)
        assert created.returncode == 0, created.stderr
        partner = json.loads(created.stdout)
        with httpx.Client(base_url=base_url, auth=(partner["apiKey"], partner["apiSecret"]), timeout=60) as c:
            token = c.post("/api/v2/token", json={"clientId": "container"}).json()
            images = {"FRONT": test_data_dir / "documents/passporteye/100_pass-cze.jpg",
                      "FACE": test_data_dir / "faces/deepface/img1.jpg"}
            answer = c.post("/api/v2/process", json={
                "authToken": token["authToken"], "country": "CZ", "documentType": "PASSPORT",
                "images": {k: base64.b64encode(v.read_bytes()).decode() for k, v in images.items()}})
            assert answer.status_code == 200, answer.text
        status = wait_for_status(base_url, partner, token["scanRef"])
        assert status["status"] in ("APPROVED", "DENIED", "SUSPECTED", "REVIEWING"), status
        assert status["autoDocument"] and status["autoFace"]
    finally:
        run(*compose, "down", "-v", env=compose_env, timeout=300)
        run("podman", "network", "rm", "-f", network, env=env)
        for relay in relays:
            relay.close()
