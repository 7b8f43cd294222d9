"""When the database or the queue is unreachable: 503 with Retry-After (not a 500), readiness
says which, metrics still answer, and a job that failed on the database gives its claim back."""

from __future__ import annotations

import base64
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError


@pytest.fixture(scope="module")
def client():
    from openidv.app import create_app

    with TestClient(create_app(embedded_worker=False), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def partner_auth(client):
    from openidv.config import get_settings
    from openidv.store.db import session_scope
    from openidv.store.partners import create_partner

    with session_scope() as session:
        created = create_partner(session, "outage", get_settings().data_keys())
    return created.apiKey, created.apiSecret


def _database_down(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_a_database_outage_is_503_with_retry_after_and_no_trace(client, partner_auth, monkeypatch, caplog):
    from openidv.services import verifications

    client.post("/api/v2/status", json={"scanRef": "x"}, auth=partner_auth)  # the partner is cached now
    monkeypatch.setattr(verifications, "find_verification", _database_down)
    with caplog.at_level(logging.WARNING):
        r = client.post("/api/v2/status", json={"scanRef": "whatever"}, auth=partner_auth)
    assert r.status_code == 503 and r.headers["retry-after"]
    body = r.json()
    assert body["identifier"] == "SERVICE_UNAVAILABLE" and "request id" in body["message"]
    assert "Traceback" not in r.text and "connection refused" not in r.text
    assert not [rec for rec in caplog.records if rec.exc_info], "an outage is logged without a traceback"


def test_an_unexpected_error_is_a_500_with_the_request_id(client, partner_auth, monkeypatch):
    from openidv.services import verifications

    client.post("/api/v2/status", json={"scanRef": "x"}, auth=partner_auth)
    monkeypatch.setattr(verifications, "find_verification", lambda *a: 1 / 0)
    r = client.post("/api/v2/status", json={"scanRef": "whatever"}, auth=partner_auth)
    assert r.status_code == 500 and r.json()["identifier"] == "INTERNAL_ERROR"
    assert r.headers["x-request-id"] in r.json()["message"] and "ZeroDivision" not in r.text


def test_readiness_names_what_is_unreachable(client, monkeypatch):
    assert client.get("/healthz").json() == {"status": "ok"}
    from openidv.services import health

    monkeypatch.setattr(health, "session_scope", _database_down)
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "unavailable", "unreachable": {"database": "OperationalError"}}
    assert client.get("/livez").json() == {"status": "alive"}


def test_metrics_are_served_while_the_database_is_down(monkeypatch):
    from openidv import metrics

    families = {f.name: f for f in metrics.QueueCollector().collect()}
    assert families["openidv_database_up"].samples[0].value == 1
    monkeypatch.setattr("openidv.store.db.session_scope", _database_down)
    families = {f.name: f for f in metrics.QueueCollector().collect()}
    assert families["openidv_database_up"].samples[0].value == 0 and "openidv_queue_depth" not in families


def test_a_job_that_fails_on_the_database_gives_its_claim_back(client, partner_auth, monkeypatch):
    from openidv.config import get_settings
    from openidv.pipeline.engines import Engines
    from openidv.services import processing
    from openidv.store.db import session_scope
    from openidv.store.models import Verification
    from tests.conftest import jpeg_bytes

    token = client.post("/api/v2/token", json={"clientId": "c", "tokenType": "DOCUMENT"}, auth=partner_auth).json()
    image = base64.b64encode(jpeg_bytes()).decode()
    r = client.post("/api/v2/process", auth=partner_auth, json={
        "authToken": token["authToken"], "country": "LT", "images": {"FRONT": image}, "skipAnalysis": True})
    assert r.status_code == 200
    with session_scope() as session:
        vid = session.query(Verification.id).filter(Verification.scan_ref == token["scanRef"]).scalar()
    monkeypatch.setattr(processing, "_run_claimed", _database_down)
    with pytest.raises(OperationalError):
        processing.analyse_and_commit(vid, engines=Engines(), settings=get_settings())
    with session_scope() as session:
        assert session.get(Verification, vid).processing_since is None, "the claim was kept for the whole lease"
