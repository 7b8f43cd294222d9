"""A worker killed in the middle of a job loses nothing: the job runs again and finishes once."""

from __future__ import annotations

import base64
import json
import signal
import time
import uuid

import pytest

from tests.conftest import jpeg_bytes
from tests.support.service import WebhookReceiver, _spawn, drop_postgres_database, start_service


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["scaleout", "embedded"])
def test_killed_worker_loses_no_verification(tmp_path, mode):
    receiver = WebhookReceiver()
    fast = {"OPENIDV_JOB_LEASE_SECONDS": "3", "OPENIDV_SWEEP_INTERVAL_SECONDS": "0.5"}
    service = start_service(mode, tmp_path / mode, fast)
    try:
        partner = service.create_partner("crash", callback_url=receiver.url("/crash"))
        image = base64.b64encode(jpeg_bytes()).decode()
        scan_refs = []
        with service.client(partner) as c:
            for _ in range(4):
                token = c.post("/api/v2/token", json={"clientId": str(uuid.uuid4()), "tokenType": "DOCUMENT"}).json()
                r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "LT",
                                                    "images": {"FRONT": image}, "skipAnalysis": True})
                assert r.status_code == 200, r.text
                scan_refs.append(token["scanRef"])
        # Kill the process that runs the jobs, hard, while they are queued or running.
        victim = service.processes[-1]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        log = tmp_path / mode / "restarted.log"
        args = ["worker"] if mode == "scaleout" else ["serve", "--port", service.base_url.rsplit(":", 1)[1]]
        service.processes[-1] = _spawn(args, service.env, log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = {json.loads(h.body)["scanRef"] for h in receiver.hooks}
            if seen >= set(scan_refs):
                break
            time.sleep(0.5)
        assert {json.loads(h.body)["scanRef"] for h in receiver.hooks} >= set(scan_refs)
        for scan_ref in scan_refs:
            status = service.wait_for_status(partner, scan_ref)
            assert status["status"] != "ACTIVE"
        # Results are committed exactly once, so each verification sends exactly one webhook
        # (the receiver answers 200, so there are no retries).
        sent = [json.loads(h.body)["scanRef"] for h in receiver.hooks]
        assert all(sent.count(s) == 1 for s in scan_refs), sent
    finally:
        service.stop()
        receiver.close()
        if mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
