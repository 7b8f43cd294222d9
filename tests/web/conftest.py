"""Fixtures for the review-console tests.

Two kinds: in-process (the real ASGI app under Starlette's TestClient, rows written with the
store functions, so any state is quick to set up), and black-box against real `openidv
serve` processes (the API tests' `service` fixture: embedded, and PostgreSQL + Redis with a
separate worker), where reviewers are created with the CLI as a user would.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.store.db import session_scope
from openidv.store.models import AuditEntry, Verification

from tests.conftest import jpeg_bytes

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def version_of(html: str) -> int:
    found = VERSION.search(html)
    assert found, "page has no review form"
    return int(found.group(1))


# ----------------------------------------------------------------------------- in-process


@pytest.fixture(scope="session")
def app_client() -> Iterator[TestClient]:
    """One app for the in-process tests (its lifespan migrates the test database)."""
    from openidv.app import create_app

    with TestClient(create_app(embedded_worker=False)) as client:
        yield client


@dataclass
class Seeded:
    partner_id: int
    partner_name: str
    callback_url: Optional[str]
    api_key: str
    api_secret: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.api_key, self.api_secret)


@pytest.fixture()
def make_partner():  # noqa: ANN201
    from openidv.config import get_settings
    from openidv.store.db import session_scope
    from openidv.store.models import Partner
    from openidv.store.partners import create_partner

    from sqlalchemy import select

    def make(callback_url: Optional[str] = None) -> Seeded:
        name = f"console-{uuid.uuid4().hex[:8]}"
        with session_scope() as session:
            created = create_partner(session, name, get_settings().data_keys(), callback_url)
            pid = session.scalar(select(Partner.id).where(Partner.api_key == created.apiKey))
        return Seeded(pid, name, callback_url, created.apiKey, created.apiSecret)

    return make


@pytest.fixture()
def make_reviewer():  # noqa: ANN201
    """Creates a reviewer (or an operator without partner); returns (email, password)."""
    from openidv.store.db import session_scope
    from openidv.store.models import Reviewer

    def make(partner_id: Optional[int]) -> tuple[str, str]:
        email = f"rev-{uuid.uuid4().hex[:8]}@example.org"
        password = secrets.token_urlsafe(12)
        with session_scope() as session:
            session.add(Reviewer(email=email, password_hash=PasswordHasher().hash(password), partner_id=partner_id))
        return email, password

    return make


@pytest.fixture()
def make_verification():  # noqa: ANN201
    """A verification in the given state with a stored FRONT (and FACE) image; its scanRef."""
    from sqlalchemy import update

    from openidv.config import get_settings
    from openidv.store.db import session_scope
    from openidv.store.files import make_file_store
    from openidv.store.models import Partner, Verification
    from openidv.store.verifications import create_verification, start_processing

    def make(partner_id: int, *, status: str = "REVIEWING", client_id: str = "client-1",
             finish_time: Optional[dt.datetime] = None, request: Optional[dict[str, Any]] = None,
             **values: Any) -> str:
        with session_scope() as session:
            partner = session.get(Partner, partner_id)
            req = {"clientId": client_id, "tokenType": "IDENTIFICATION", "expiryTime": 3600, **(request or {})}
            token = create_verification(session, partner, req, False)
            v = token.verification
            images = {"FRONT": (jpeg_bytes(320, 200, (200, 180, 160)), "image/jpeg"),
                      "FACE": (jpeg_bytes(200, 240, (90, 80, 70)), "image/jpeg")}
            assert start_processing(session, v.id, make_file_store(get_settings()), images,
                                    country="LT", document_type="PASSPORT", platform="API")
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            defaults = {"status": status, "auto_document": "DOC_VALIDATED", "auto_face": "FACE_UNCERTAIN",
                        "face_similarity": 0.61, "finish_time": finish_time or now,
                        "decision_reasons": [{"check": "face", "outcome": "REVIEWING",
                                              "detail": "face result FACE_UNCERTAIN is not conclusive",
                                              "scores": {"similarity": 0.61}}]}
            defaults.update(values)
            session.execute(update(Verification).where(Verification.id == v.id).values(**defaults))
            return v.scan_ref

    return make


def login(client: TestClient | httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/console/login")
    assert page.status_code == 200
    return client.post("/console/login", data={"email": email, "password": password, "csrf": csrf_of(page.text)},
                       follow_redirects=False)


@pytest.fixture()
def console_for(app_client: TestClient):  # noqa: ANN201
    """A logged-in TestClient (own cookie jar) for a reviewer."""
    from openidv.web.console import auth as console

    clients: list[TestClient] = []

    def make(email: str, password: str) -> TestClient:
        client = TestClient(app_client.app)
        clients.append(client)
        r = login(client, email, password)
        assert r.status_code == 303, r.text
        assert console.SESSION_COOKIE in client.cookies
        return client

    yield make
    for client in clients:
        client.close()


# ----------------------------------------------------------------------------- reviews

REVIEW = {"decision": "approve", "template": "verified", "note": "checked by hand"}


def row(scan_ref: str) -> Verification:
    with session_scope() as session:
        return session.scalar(select(Verification).where(Verification.scan_ref == scan_ref))


def audit_actions(scan_ref: str) -> list[tuple[str, str]]:
    with session_scope() as session:
        vid = session.scalar(select(Verification.id).where(Verification.scan_ref == scan_ref))
        return [(e.actor, e.action) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.verification_id == vid).order_by(AuditEntry.id))]


def submit_review(client, scan_ref: str, **fields):  # noqa: ANN001, ANN201
    page = client.get(f"/console/v/{scan_ref}")
    assert page.status_code == 200
    data = {"csrf": csrf_of(page.text), "version": str(version_of(page.text)), **REVIEW, **fields}
    return client.post(f"/console/v/{scan_ref}/review", data=data, follow_redirects=False)


# ----------------------------------------------------------------------------- real servers


def reviewing_verification(service, partner) -> str:  # noqa: ANN001
    """REVIEWING quickly: review_all policy, a plain JPEG, skipAnalysis, a DOCUMENT token."""
    service.cli("partner", "policy", partner.api_key, "--review", "review_all")
    with service.client(partner) as c:
        token = c.post("/api/v2/token", json={"clientId": f"console-{uuid.uuid4().hex[:6]}",
                                              "tokenType": "DOCUMENT", "firstName": "Jane", "lastName": "Doe"}).json()
        r = c.post("/api/v2/process", json={
            "authToken": token["authToken"], "country": "LT", "documentType": "PASSPORT", "skipAnalysis": True,
            "images": {"FRONT": base64.b64encode(jpeg_bytes()).decode()}})
        assert r.status_code == 200, r.text
    status = service.wait_for_status(partner, token["scanRef"])
    assert status["status"] == "REVIEWING", status
    return token["scanRef"]


def cli_reviewer(service, partner=None) -> tuple[str, str]:  # noqa: ANN001
    email = f"rev-{uuid.uuid4().hex[:8]}@example.org"
    out = json.loads(service.cli("reviewer", "create", email, *(["--partner-key", partner.api_key] if partner else [])).stdout)
    return out["email"], out["password"]


def browser_client(service, email: str, password: str) -> httpx.Client:  # noqa: ANN001
    client = httpx.Client(base_url=service.base_url, timeout=60)
    assert login(client, email, password).status_code == 303
    return client


# ----------------------------------------------------------------------------- headless Chromium

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set CONSOLE_TEST_CHROMIUM)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_console(app_client: TestClient) -> Iterator[str]:
    """The in-process app (the database the make_* fixtures write) served over HTTP for
    Chromium; its base URL."""
    import threading
    import time

    import uvicorn

    from tests.support.service import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app_client.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def browser_login(chromium, base_url: str, email: str, password: str, width: int, height: int):  # noqa: ANN001, ANN201
    """A Chromium page of the given size, logged in; console errors collected in page.errors."""
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.errors = []
    # A 404 is the portrait of a document without one (the page shows a text instead).
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(base_url + "/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/queue")
    return page


def no_sideways_scroll(page) -> bool:  # noqa: ANN001
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
