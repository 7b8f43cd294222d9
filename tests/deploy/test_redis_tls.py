"""deploy/redis/openidv.conf with Debian's redis-server: openidv's API and worker use the queue
over TLS with the ACL user, through the documented rediss:// URL; without TLS, without the
password or without the CA they are refused."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import jpeg_bytes
from tests.support.proxy import make_self_signed_certificate
from tests.support.service import OPENIDV, drop_postgres_database, free_port, start_service

pytestmark = [pytest.mark.slow, pytest.mark.scaleout]
SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "redis" / "openidv.conf"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} not in {SHIPPED}"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private redis-server with the shipped settings (only port, paths and password changed)."""
    binary = shutil.which("redis-server")
    if binary is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "redis-server"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is missing and could not be installed (Debian package; needs root)")
    root = tmp_path_factory.mktemp("redis")
    cert, key = make_self_signed_certificate(root)
    port, password = free_port(), secrets.token_hex(16)
    conf = SHIPPED.read_text()
    conf = _replace(conf, "tls-port 6379", f"tls-port {port}")
    for old, new in (("/etc/redis/tls/redis.crt", cert), ("/etc/redis/tls/redis.key", key),
                     ("/etc/redis/tls/ca.crt", cert)):
        conf = _replace(conf, old, str(new))
    conf = _replace(conf, "bind 10.0.0.5 127.0.0.1", "bind 127.0.0.1")
    conf = _replace(conf, ">REDIS_PASSWORD", f">{password}")
    conf += f'\ndir {root}\nsave ""\nappendonly no\ndaemonize no\nlogfile {root / "redis.log"}\n'
    (root / "redis.conf").write_text(conf)
    proc = subprocess.Popen([binary, str(root / "redis.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        log, deadline = root / "redis.log", time.monotonic() + 20
        while not (log.exists() and "Ready to accept connections" in log.read_text(errors="replace")):
            assert proc.poll() is None, log.read_text()[-2000:] if log.exists() else "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        yield {"url": f"rediss://openidv:{password}@127.0.0.1:{port}/0?ssl_ca_certs={cert}",
               "port": str(port), "password": password, "ca": str(cert)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def config_check(service_env: dict[str, str], queue_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OPENIDV, "config", "check"], env={**service_env, "OPENIDV_QUEUE_URL": queue_url},
                          capture_output=True, text=True, timeout=60)


def test_queue_over_tls_with_the_acl_user(tls_redis, tmp_path):
    service = start_service("scaleout", tmp_path / "service", {"OPENIDV_QUEUE_URL": tls_redis["url"]})
    try:
        checked = config_check(service.env, tls_redis["url"])
        assert checked.returncode == 0 and "Redis queue reachable" in checked.stdout, checked.stdout + checked.stderr
        partner = service.create_partner("tls")
        with service.client(partner) as c:  # every partner call also counts in Redis (rate limit)
            token = c.post("/api/v2/token", json={"clientId": "c1"}).json()
            image = base64.b64encode(jpeg_bytes()).decode()
            answer = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "CZ",
                                                      "documentType": "PASSPORT", "images": {"FRONT": image, "FACE": image},
                                                      "skipAnalysis": True})
            assert answer.status_code == 200, answer.text
        # The worker took the job from the TLS queue and finished it.
        status = service.wait_for_status(partner, token["scanRef"], timeout=120)
        assert status["status"] != "ACTIVE"

        port, password, ca = tls_redis["port"], tls_redis["password"], tls_redis["ca"]
        refused = {
            "plain text": f"redis://openidv:{password}@127.0.0.1:{port}/0",
            "no password": f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}",
            "wrong password": f"rediss://openidv:wrong@127.0.0.1:{port}/0?ssl_ca_certs={ca}",
            "unknown CA": f"rediss://openidv:{password}@127.0.0.1:{port}/0",
        }
        for why, url in refused.items():
            result = config_check(service.env, url)
            assert result.returncode != 0 and "Redis" in result.stdout + result.stderr, (why, result.stdout)
    finally:
        service.stop()
        drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
