"""Scale-out with a Redis of its own that the test kills and freezes: the partner API stays up,
readiness says what is missing, and jobs lost with the queue run again within seconds."""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import jpeg_bytes, require_mode
from tests.support.service import (
    WebhookReceiver, _spawn, create_postgres_database, drop_postgres_database, free_port, start_service,
)
from tests.support.tcp import TcpRelay

pytestmark = [pytest.mark.slow, pytest.mark.scaleout]


class PrivateRedis:
    """A redis-server only this test uses, without persistence (a restart empties it)."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip() == b"PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.thaw()
            self.kill()


@pytest.fixture()
def private_service(tmp_path):
    require_mode("scaleout")
    redis = PrivateRedis(tmp_path)
    service = start_service("scaleout", tmp_path / "svc", {"OPENIDV_QUEUE_URL": redis.url,
                                                           "OPENIDV_SWEEP_INTERVAL_SECONDS": "2"}, worker=False)
    yield service, redis
    service.stop()
    redis.stop()
    drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])


def _submit(service, partner, count: int) -> list[str]:  # noqa: ANN001
    image = base64.b64encode(jpeg_bytes()).decode()
    refs = []
    with service.client(partner) as c:
        for _ in range(count):
            token = c.post("/api/v2/token", json={"clientId": str(uuid.uuid4()), "tokenType": "DOCUMENT"}).json()
            r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                                "images": {"FRONT": image}, "skipAnalysis": True})
            assert r.status_code == 200, r.text
            refs.append(token["scanRef"])
    return refs


def test_jobs_lost_with_the_queue_run_again_within_seconds(private_service, tmp_path):
    service, redis = private_service
    partner = service.create_partner("lost-jobs")
    refs = _submit(service, partner, 3)  # queued in Redis; no worker runs yet
    redis.kill()  # no persistence: the queued jobs are gone
    redis.start()
    service.processes.append(_spawn(["worker"], service.env, tmp_path / "worker.log"))
    started = time.monotonic()
    for ref in refs:  # the job lease is 300 s: finishing well before it is the quick path
        assert service.wait_for_status(partner, ref, timeout=60)["status"] != "ACTIVE"
    assert time.monotonic() - started < 60


def test_the_partner_api_answers_while_redis_is_down_or_frozen(private_service):
    service, redis = private_service
    partner = service.create_partner("redis-outage")
    ref = _submit(service, partner, 1)[0]
    with service.client(partner) as c:
        redis.kill()
        r = c.post("/api/v2/status", json={"scanRef": ref})
        assert r.status_code == 200, r.text  # the rate limit is counted locally meanwhile
        ready = httpx.get(service.base_url + "/healthz", timeout=10)
        assert ready.status_code == 503 and "queue" in ready.json()["unreachable"]
        redis.start()
        redis.freeze()
        began = time.monotonic()
        assert c.post("/api/v2/status", json={"scanRef": ref}).status_code == 200
        assert time.monotonic() - began < 2.0, "a frozen Redis blocked the request"
        redis.thaw()


def test_postgresql_lost_mid_processing_and_a_failing_receiver_lose_nothing(tmp_path):
    """PostgreSQL goes away right after three uploads (connections dropped, as in a crash)
    while the webhook receiver answers 503: the API says 503 with Retry-After meanwhile, and
    once both are back every verification reaches a final status with exactly one final
    webhook, and no process died."""
    require_mode("scaleout")
    database = create_postgres_database("openidv_outage_")
    host, port = urlsplit(database).hostname, urlsplit(database).port or 5432
    link = TcpRelay((host, port))
    through_link = database.replace(f"{host}:{port}", f"127.0.0.1:{link.port}")
    receiver = WebhookReceiver()
    receiver.status_for_path["/hook"] = 503
    service = start_service("scaleout", tmp_path / "svc", {"OPENIDV_SWEEP_INTERVAL_SECONDS": "2"},
                            database_url=through_link)
    try:
        partner = service.create_partner("pg-outage", callback_url=receiver.url("/hook"))
        refs = _submit(service, partner, 3)
        link.cut()
        with service.client(partner) as c:
            during = c.post("/api/v2/status", json={"scanRef": refs[0]})
        assert during.status_code == 503 and during.headers.get("retry-after"), during.text
        assert during.json()["identifier"] == "SERVICE_UNAVAILABLE" and "Traceback" not in during.text
        ready = httpx.get(service.base_url + "/healthz", timeout=10)
        assert ready.status_code == 503 and "database" in ready.json()["unreachable"]
        time.sleep(5)
        link.restore()
        time.sleep(5)
        with receiver._lock:  # hooks after this index were answered 200
            receiver.status_for_path["/hook"] = 200
            answered_from = len(receiver.hooks)
        final = {ref: service.wait_for_status(partner, ref, timeout=120)["status"] for ref in refs}
        assert all(status != "ACTIVE" for status in final.values()), final

        def delivered() -> list[str]:
            with receiver._lock:
                return [h.json()["scanRef"] for h in receiver.hooks[answered_from:] if h.json().get("final") is True]

        deadline = time.monotonic() + 150
        while set(delivered()) != set(refs) and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # a duplicate would come with the next sweeps
        assert sorted(delivered()) == sorted(refs), delivered()
        assert all(p.poll() is None for p in service.processes), "a process died during the outage"
    finally:
        service.stop()
        link.cut()
        receiver.close()
        drop_postgres_database(database)
