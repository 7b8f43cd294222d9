"""Operating openidv: /metrics, JSON logs without secrets, `config check`, `purge`."""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import jpeg_bytes
from tests.api.test_process import b64, new_token, process_body
from tests.support.service import METRICS_TOKEN


def test_metrics_need_the_bearer_token(service):
    with httpx.Client(base_url=service.base_url) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert r.status_code == 200
    assert "openidv_http_requests_total" in r.text and "openidv_queue_depth" in r.text


def test_metrics_count_requests_decisions_and_webhooks(service, partner, receiver):
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT")
        assert c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": b64(jpeg_bytes())})).status_code == 200
    service.wait_for_status(partner, created["scanRef"])
    receiver.wait_for(lambda h: h.json()["scanRef"] == created["scanRef"])
    with httpx.Client(base_url=service.base_url) as c:
        text = c.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    assert 'route="/api/v2/process"' in text
    assert "openidv_verifications_total" in text and 'by="automatic"' in text
    assert 'openidv_pipeline_stage_seconds_count{stage="document"}' in text
    assert 'openidv_webhook_deliveries_total{outcome="delivered"}' in text
    # Route templates, never raw paths (they carry tokens).
    assert not re.search(r"/files/(?!\{)", text)  # only "/files/{token}"-style templates


def test_logs_are_json_lines_without_secrets_or_tokens(service, partner):
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT", firstName="Zebedee")
        c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": b64(jpeg_bytes())}))
        files = c.post("/api/v2/files", json={"scanRef": created["scanRef"]}).json()
        httpx.get(next(iter(files.values()))) if files else None
    service.wait_for_status(partner, created["scanRef"])
    text = "\n".join(path.read_text() for path in service.logs)
    for secret in (partner.api_secret, partner.webhook_secret, created["authToken"], "Zebedee"):
        assert secret not in text
    for url in files.values():
        assert url.rsplit("/", 1)[1] not in text
    request_lines = [json.loads(line) for line in text.splitlines()
                     if line.startswith("{") and '"message": "request"' in line]
    assert request_lines and all(line["request_id"] and line["route"] for line in request_lines)


def test_config_check_reports_problems_in_words(service):
    ok = service.cli("config", "check")
    assert ok.returncode == 0 and "configuration is valid" in ok.stdout
    env = {**service.env, "OPENIDV_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "OPENIDV_PUBLIC_URL": "ftp:x"}
    import subprocess

    from tests.support.service import OPENIDV

    bad = subprocess.run([*OPENIDV, "config", "check"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "database unreachable" in bad.stderr and "OPENIDV_PUBLIC_URL" in bad.stderr


def test_serve_says_where_it_listens(service):
    service.wait_for_log(f"listening on {service.base_url}")
    assert f"(console {service.base_url}/console, API reference {service.base_url}/docs)" in \
        service.logs[0].read_text(errors="replace")
