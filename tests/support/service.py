"""Starting real `openidv serve` / `openidv worker` processes and a webhook receiver for tests."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

import httpx

OPENIDV = [sys.executable, "-m", "openidv.cli"]
POSTGRES_ADMIN_URL = os.environ.get("OPENIDV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
METRICS_TOKEN = "test-metrics-token"
REDIS_URL = os.environ.get("OPENIDV_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ReceivedHook:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


def _matches(predicate, hook: "ReceivedHook") -> bool:  # noqa: ANN001
    """A body of another kind (an AML monitoring alert has no scanRef) is simply no match."""
    try:
        return bool(predicate(hook))
    except (KeyError, TypeError):
        return False


class WebhookReceiver:
    """An HTTP server on loopback that records every POST; answers with a settable status."""

    def __init__(self) -> None:
        self.hooks: list[ReceivedHook] = []
        self.status_for_path: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.hooks.append(ReceivedHook(self.path, dict(self.headers), body))
                self.send_response(receiver.status_for_path.get(self.path, 200))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, predicate, timeout: float = 60.0) -> list[ReceivedHook]:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = [h for h in self.hooks if _matches(predicate, h)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no matching webhook within {timeout}s; got {[h.path for h in self.hooks]}")

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Partner:
    name: str
    api_key: str
    api_secret: str
    webhook_secret: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.api_key, self.api_secret)


@dataclass
class Service:
    """One running openidv deployment (embedded, or scale-out with a separate worker)."""

    mode: str
    env: dict[str, str]
    base_url: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*OPENIDV, *args], env=self.env, capture_output=True, text=True, check=check, timeout=120
        )

    def create_partner(self, name: str, callback_url: Optional[str] = None) -> Partner:
        args = ["partner", "create", name] + (["--callback-url", callback_url] if callback_url else [])
        out = json.loads(self.cli(*args).stdout)
        return Partner(out["name"], out["apiKey"], out["apiSecret"], out["webhookSecret"])

    def client(self, partner: Optional[Partner] = None, timeout: float = 60.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, auth=partner.auth if partner else None, timeout=timeout)

    def wait_for_status(self, partner: Partner, scan_ref: str, timeout: float = 120.0,
                        until=lambda s: s["status"] != "ACTIVE") -> dict[str, Any]:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        with self.client(partner) as c:
            while time.monotonic() < deadline:
                status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
                if until(status):
                    return status
                time.sleep(0.3)
        raise AssertionError(f"{scan_ref} still {status} after {timeout}s")

    def wait_for_log(self, text: str, log_index: int = 0, timeout: float = 120.0) -> None:
        """Wait until a process's log holds ``text`` (e.g. "models loaded": the models load in
        the background after /healthz answers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.logs[log_index].read_text():
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not in {self.logs[log_index]} after {timeout}s")

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(base_url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    fh = open(log, "wb")
    return subprocess.Popen([*OPENIDV, *args], env=env, stdout=fh, stderr=subprocess.STDOUT)


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    env.update(
        OPENIDV_HOME=str(home),
        OPENIDV_ALLOW_PRIVATE_CALLBACKS="1",
        OPENIDV_LOG_LEVEL="INFO",
        OPENIDV_METRICS_TOKEN=METRICS_TOKEN,
    )
    if "OPENIDV_TEST_DATA" in os.environ:
        env["OPENIDV_TEST_DATA"] = os.environ["OPENIDV_TEST_DATA"]
    return env


def create_postgres_database(prefix: str = "openidv_test_", admin_url: str = POSTGRES_ADMIN_URL) -> str:
    """A new, empty database on the test server (issued through admin_url); its URL."""
    import psycopg

    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_service(mode: str, home: Path, extra_env: Optional[dict[str, str]] = None, *,
                  worker: bool = True, database_url: Optional[str] = None) -> Service:
    """`worker=False` starts the API alone (no queue consumer, no sweep): jobs stay queued.
    `database_url` (scale-out) uses that database instead of creating a fresh one."""
    env = base_env(home)
    port = free_port()
    env["OPENIDV_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    if mode == "scaleout":
        env["OPENIDV_DATABASE_URL"] = database_url or create_postgres_database()
        env["OPENIDV_QUEUE_URL"] = REDIS_URL
        env["OPENIDV_QUEUE_NAME"] = f"openidv-test-{uuid.uuid4().hex[:8]}"
        # Scale-out keeps images in PostgreSQL and takes the key from the environment.
        env["OPENIDV_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
    env.update(extra_env or {})
    service = Service(mode, env, f"http://127.0.0.1:{port}")
    home.mkdir(parents=True, exist_ok=True)
    server_args = ["serve", "--port", str(port)] + (["--no-worker"] if mode == "scaleout" or not worker else [])
    server_log = home / "server.log"
    server = _spawn(server_args, env, server_log)
    service.processes.append(server)
    service.logs.append(server_log)
    if mode == "scaleout" and worker:
        worker_log = home / "worker.log"
        service.processes.append(_spawn(["worker", "--concurrency", "2"], env, worker_log))
        service.logs.append(worker_log)
    _wait_healthy(service.base_url, server, server_log)
    return service
