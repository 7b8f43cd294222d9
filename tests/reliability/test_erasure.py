"""/api/v2/delete erases every copy of a verification's personal data: the row, the webhook
bodies already delivered, the reviewer's note and corrected data, the audit details,
externalRef, the console's search entries, face descriptors, images and the sanctions/PEP
screening, and nothing stays readable in the database files (SQLite: freed pages and the WAL; PostgreSQL: after the
VACUUM FULL docs/operations.md prescribes) or the file store."""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import string
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODES, require_mode
from tests.support.service import Service, WebhookReceiver, drop_postgres_database, start_service
from tests.web.conftest import csrf_of, login, version_of


def letters(n: int = 8) -> str:
    return "".join(random.choice(string.ascii_uppercase) for _ in range(n))


def personal_values(tag: str) -> dict[str, dict[str, str]]:
    given = {"firstName": "Zorbalina", "lastName": f"Quenthorpe{tag}", "dateOfBirth": "1961-02-03",
             "personalNumber": f"PN{tag}", "documentNumber": f"DN{tag}", "address": f"{tag} Erasure Street",
             "externalRef": f"ext-{tag}"}
    manual = {"manual_name": "Wilhelmina", "manual_surname": f"Xyloquist{tag}", "manual_date_of_birth": "1958-07-09",
              "manual_personal_code": f"MPC{tag}", "manual_document_number": f"MDN{tag}",
              "manual_utility_address": f"{tag} Manual Road"}
    return {"given": given, "manual": manual}


def wait_until(predicate, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached")


# ---------------------------------------------------------------------------------- scans


def found_in(blob: bytes, values: list[str]) -> list[str]:
    return [v for v in values if v.encode() in blob or v.upper().encode() in blob]


def sqlite_tables(path: Path) -> dict[str, bytes]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {name: repr(conn.execute(f'SELECT * FROM "{name}"').fetchall()).encode() for name in names}
    finally:
        conn.close()


def postgres_tables(url: str) -> dict[str, bytes]:
    import psycopg

    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {name: repr(conn.execute(f'SELECT t::text FROM "{name}" t').fetchall()).encode() for name in names}


def postgres_files(url: str) -> dict[str, bytes]:
    """The raw heap, TOAST and index files of every relation of the database (superuser)."""
    import psycopg

    with psycopg.connect(url) as conn:
        paths = [r[0] for r in conn.execute(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 't', 'i') AND n.nspname IN ('public', 'pg_toast') "
            "AND pg_relation_filepath(c.oid) IS NOT NULL")]
        return {p: bytes(conn.execute("SELECT pg_read_binary_file(%s)", (p,)).fetchone()[0]) for p in paths}


def vacuum_full(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM FULL")
        conn.execute("CHECKPOINT")


# ---------------------------------------------------------------------------------- the test


def review_with_note(service: Service, partner_key: str, scan_ref: str, manual: dict[str, str], note: str,
                     search_for: str) -> None:
    email = f"erase-{letters(6).lower()}@example.org"
    password = json.loads(service.cli("reviewer", "create", email, "--partner-key", partner_key).stdout)["password"]
    with httpx.Client(base_url=service.base_url, timeout=60) as client:
        assert login(client, email, password).status_code == 303
        assert scan_ref in client.get("/console/search", params={"name": search_for}).text  # audited search
        page = client.get(f"/console/v/{scan_ref}")
        form = {"csrf": csrf_of(page.text), "version": str(version_of(page.text)), "decision": "approve",
                "manual_document": "DOC_VALIDATED",
                "manual_face": "FACE_MATCH", "note": note, "reason": f"corrected: {note}"[:200], **manual}
        r = client.post(f"/console/v/{scan_ref}/review", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_delete_leaves_no_personal_data_anywhere(mode, tmp_path, real_images):
    require_mode(mode)
    receiver = WebhookReceiver()
    service = start_service(mode, tmp_path / mode)
    tag = letters()
    values = personal_values(tag)
    try:
        partner = service.create_partner(f"erase-{tag.lower()}", callback_url=receiver.url(f"/hooks/{tag}"))
        # With sanctions/PEP screening: its stored person (the names read) must go too.
        service.cli("partner", "policy", partner.api_key, "--review", "review_all", "--aml", "on")
        with service.client(partner) as c:
            token = c.post("/api/v2/token", json={"clientId": f"erase-{tag.lower()}", **values["given"]}).json()
            scan_ref = token["scanRef"]
            r = c.post("/api/v2/process", json={
                "authToken": token["authToken"], "country": "CZ", "documentType": "PASSPORT",
                "images": {"FRONT": base64.b64encode(real_images["passport"]).decode(),
                           "FACE": base64.b64encode(real_images["face"]).decode()}})
            assert r.status_code == 200, r.text
            assert service.wait_for_status(partner, scan_ref, timeout=300)["status"] == "REVIEWING"
            read = c.post("/api/v2/data", json={"scanRef": scan_ref}).json()
        receiver.wait_for(lambda h: h.path == f"/hooks/{tag}" and h.json()["scanRef"] == scan_ref)
        note = f"note-{tag} the person said Quenthorpe{tag} was their maiden name"
        review_with_note(service, partner.api_key, scan_ref, values["manual"], note, values["given"]["lastName"])
        final = receiver.wait_for(lambda h: h.path == f"/hooks/{tag}" and h.json()["final"])
        time.sleep(2)  # the attempt is recorded just after the receiver answered
        # What the document said (read by the pipeline), as it went out in the webhooks.
        document = [v for k, v in read.items() if k in ("docFirstName", "docLastName", "docNumber",
                                                         "docPersonalCode", "mrzString") and v and len(v) >= 5]
        assert document, read
        searched = (list(values["given"].values()) + list(values["manual"].values()) + [note] + document)
        hooks = b"".join(h.body for h in receiver.hooks)
        assert set(found_in(hooks, searched)) >= {values["manual"]["manual_surname"], *document}  # as sent
        with service.client(partner) as c:
            assert c.post("/api/v2/delete", json={"scanRef": scan_ref}).status_code == 200

        if mode == "embedded":
            tables = sqlite_tables(Path(service.env["OPENIDV_HOME"]) / "openidv.db")
            home = Path(service.env["OPENIDV_HOME"])
            raw = {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}
        else:
            url = service.env["OPENIDV_DATABASE_URL"]
            tables = postgres_tables(url)
            vacuum_full(url)  # the operator's step that makes erasure final (docs/operations.md)
            raw = postgres_files(url)
        leftovers = {name: found_in(blob, searched) for name, blob in {**tables, **raw}.items()}
        assert {k: v for k, v in leftovers.items() if v} == {}
        assert len(final) == 1
    finally:
        service.stop()
        receiver.close()
        if mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
