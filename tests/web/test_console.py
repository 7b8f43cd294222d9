"""The review console (/console): login, scoping, queue, review, audit, search,
dashboard; in-process with TestClient, against real servers, and in headless Chromium."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import time
import uuid
from contextlib import closing

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.store.db import session_scope
from openidv.store.models import AuditEntry, Verification, WebhookDelivery
# The real-server fixtures of the API tests (each runs in both deployment modes).
from tests.web.conftest import (
    REVIEW, audit_actions, browser_client, cli_reviewer, csrf_of, login, reviewing_verification, row, submit_review,
    version_of,
)

# ----------------------------------------------------------------------------- login


def test_login_logout_and_session_cookie(app_client, make_partner, make_reviewer):
    email, password = make_reviewer(make_partner().partner_id)
    client = TestClient(app_client.app)
    assert client.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"
    r = login(client, email, password)
    assert r.status_code == 303 and r.headers["location"] == "/console/queue"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("openidv_console="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/console" in cookie
    queue = client.get("/console/queue")
    assert queue.status_code == 200 and email in queue.text
    assert "default-src 'none'" in queue.headers["content-security-policy"]
    assert queue.headers["cache-control"] == "no-store, private"
    # Logging out needs the form's CSRF token.
    assert client.post("/console/logout", data={"csrf": "nope"}).status_code == 403
    r = client.post("/console/logout", data={"csrf": csrf_of(queue.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(app_client, make_reviewer):
    email, password = make_reviewer(None)
    client = TestClient(app_client.app)
    assert login(client, email, password).status_code == 303
    copied = client.cookies["openidv_console"]
    other_tab = TestClient(app_client.app)
    assert login(other_tab, email, password).status_code == 303
    queue = client.get("/console/queue")
    assert client.post("/console/logout", data={"csrf": csrf_of(queue.text)}, follow_redirects=False).status_code == 303
    replay = TestClient(app_client.app)
    replay.cookies.set("openidv_console", copied, path="/console")
    assert replay.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"
    # Logout ends every session of the reviewer (the generation is per reviewer).
    assert other_tab.get("/console/queue", follow_redirects=False).status_code == 303
    assert login(client, email, password).status_code == 303  # a new login works
    assert client.get("/console/queue").status_code == 200


def test_bad_login_is_refused_slowly_and_alike(app_client, make_partner, make_reviewer):
    email, password = make_reviewer(None)
    client = TestClient(app_client.app)
    started = time.monotonic()
    wrong = login(client, email, password + "x")
    unknown = login(client, f"nobody-{uuid.uuid4().hex[:6]}@example.org", password)
    assert time.monotonic() - started >= 2.0  # one second per failure
    for r in (wrong, unknown):
        assert r.status_code == 401 and "Wrong e-mail or password." in r.text
    assert "openidv_console" not in client.cookies
    with session_scope() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.actor == email, AuditEntry.action == "login_failed"))


def test_failed_logins_are_limited_per_client_address(app_client, make_reviewer, monkeypatch):
    from openidv.web.console import auth
    from openidv.web.console.throttle import LoginThrottle

    monkeypatch.setattr(auth, "LOGIN_FAILURE_DELAY_SECONDS", 0)
    email, password = make_reviewer(None)
    checked: list[str] = []
    real_check = auth.password_ok
    monkeypatch.setattr(auth, "password_ok", lambda p, h: checked.append(p) or real_check(p, h))
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    guesser = TestClient(app_client.app, client=(address, 40000))
    answers = [login(guesser, f"guess-{i}@example.org", "wrong").status_code
               for i in range(LoginThrottle.ADDRESS_FAILURES + 3)]
    assert answers == [401] * LoginThrottle.ADDRESS_FAILURES + [429] * 3
    assert len(checked) == LoginThrottle.ADDRESS_FAILURES  # refused ones cost no argon2
    # Another address is not affected.
    assert login(TestClient(app_client.app, client=("192.0.2.251", 40000)), email, password).status_code == 303


def test_login_without_csrf_token_is_refused(app_client, make_reviewer):
    email, password = make_reviewer(None)
    client = TestClient(app_client.app)
    r = client.post("/console/login", data={"email": email, "password": password}, follow_redirects=False)
    assert r.status_code == 403 and "openidv_console" not in client.cookies
    # A token that does not match the signed login cookie is refused too.
    client.get("/console/login")
    r = client.post("/console/login", data={"email": email, "password": password, "csrf": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403


def test_failures_slow_down_the_failing_address_without_locking_the_account(app_client, make_reviewer, monkeypatch):
    from openidv.web.console import auth

    monkeypatch.setattr(auth, "LOGIN_FAILURE_DELAY_SECONDS", 0)
    email, password = make_reviewer(None)
    attacker = TestClient(app_client.app, client=("198.51.100.201", 40000))
    answers = [login(attacker, email, "wrong-password").status_code for _ in range(6)]
    assert answers[:2] == [401, 401] and set(answers[2:]) == {429}  # 2 s, then 4 s … to wait
    held = login(attacker, email, password)  # even the right password waits: nothing is checked
    assert held.status_code == 429 and "wait 2 seconds" in held.text
    # The reviewer, elsewhere, is not locked out (before: 5 failures locked the account).
    assert login(TestClient(app_client.app, client=("198.51.100.202", 40000)), email, password).status_code == 303
    time.sleep(2.1)
    assert login(attacker, email, password).status_code == 303  # the wait is over; success clears it
    same_address = TestClient(app_client.app, client=("198.51.100.201", 40000))
    assert login(same_address, email, "wrong-password").status_code == 401


def test_failed_logins_of_unknown_accounts_do_not_grow_the_audit_log_without_bound(app_client, make_reviewer,
                                                                                     monkeypatch):
    from sqlalchemy import func

    from openidv.web.console import auth
    from openidv.web.console.throttle import LoginThrottle

    monkeypatch.setattr(auth, "LOGIN_FAILURE_DELAY_SECONDS", 0)
    monkeypatch.setattr(auth, "password_ok", lambda password, stored: False)  # the audit is what counts here
    monkeypatch.setattr(LoginThrottle, "backoff_seconds", classmethod(lambda cls, failures: 0.0))

    def failed_entries() -> int:
        with session_scope() as session:
            return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login_failed"))

    before = failed_entries()
    for i in range(LoginThrottle.UNKNOWN_ACCOUNT_AUDITS + 50):
        client = TestClient(app_client.app, client=(f"10.{i // 250}.{i % 250}.{uuid.uuid4().int % 250}", 40000))
        assert login(client, f"spray-{uuid.uuid4().hex[:8]}@example.org", "x").status_code == 401
    assert failed_entries() - before <= LoginThrottle.UNKNOWN_ACCOUNT_AUDITS
    # A known account's failures from one address: entries for the 1st, 2nd, 4th and 8th.
    email, _ = make_reviewer(None)
    client = TestClient(app_client.app, client=("198.51.100.210", 40000))
    for _ in range(8):
        assert login(client, email, "wrong").status_code == 401
    with session_scope() as session:
        counts = [e.detail["failures"] for e in session.scalars(
            select(AuditEntry).where(AuditEntry.actor == email, AuditEntry.action == "login_failed").order_by(AuditEntry.id))]
    assert counts == [1, 2, 4, 8]


def test_tampered_session_cookie_is_ignored(app_client, make_reviewer):
    email, password = make_reviewer(None)
    client = TestClient(app_client.app)
    login(client, email, password)
    value = client.cookies["openidv_console"]
    client.cookies.clear()
    # A character inside the signature (the last one carries padding bits that may not count).
    forged = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    client.cookies.set("openidv_console", forged, path="/console")
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


# ----------------------------------------------------------------------------- queue and scoping


def test_queue_is_oldest_first_with_counts(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    middle = make_verification(p.partner_id, finish_time=now - dt.timedelta(hours=2))
    newest = make_verification(p.partner_id, finish_time=now - dt.timedelta(hours=1))
    oldest = make_verification(p.partner_id, finish_time=now - dt.timedelta(hours=3))
    decided = make_verification(p.partner_id, status="APPROVED")
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get("/console/queue").text
    refs = re.findall(r'href="/console/v/([0-9a-f-]{36})"', page)
    assert refs == [oldest, middle, newest]
    assert decided not in page
    assert re.search(r'id="queue-total">3<', page)


def test_another_partners_reviewer_gets_404(app_client, make_partner, make_reviewer, make_verification, console_for):
    mine, theirs = make_partner(), make_partner()
    scan_ref = make_verification(theirs.partner_id, client_id="secret-client")
    with session_scope() as session:
        file_id = session.get(Verification, row(scan_ref).id).files[0].id
    outsider = console_for(*make_reviewer(mine.partner_id))
    page = outsider.get(f"/console/v/{scan_ref}")
    assert page.status_code == 404 and "secret-client" not in page.text
    assert "text/html" in page.headers["content-type"]
    assert outsider.get(f"/console/v/{scan_ref}/files/{file_id}").status_code == 404
    queue = outsider.get("/console/queue")
    r = outsider.post(f"/console/v/{scan_ref}/review",
                      data={"csrf": csrf_of(queue.text), "version": "1", **REVIEW}, follow_redirects=False)
    assert r.status_code == 404
    assert row(scan_ref).status == "REVIEWING" and row(scan_ref).manual_document is None
    assert 'id="result-count">0 results' in outsider.get("/console/search", params={"scanRef": scan_ref}).text
    assert scan_ref not in queue.text
    # Their own reviewer and an operator see it.
    assert console_for(*make_reviewer(theirs.partner_id)).get(f"/console/v/{scan_ref}").status_code == 200
    assert console_for(*make_reviewer(None)).get(f"/console/v/{scan_ref}").status_code == 200


# ----------------------------------------------------------------------------- review


def test_review_recomputes_status_and_queues_the_final_webhook(app_client, make_partner, make_reviewer,
                                                               make_verification, console_for):
    p = make_partner(callback_url="https://partner.example/hook")
    scan_ref = make_verification(p.partner_id)
    email, password = make_reviewer(p.partner_id)
    client = console_for(email, password)
    r = submit_review(client, scan_ref)
    assert r.status_code == 303 and r.headers["location"] == f"/console/v/{scan_ref}?reviewed=1"
    v = row(scan_ref)
    assert (v.status, v.manual_document, v.manual_face) == ("APPROVED", "DOC_VALIDATED", "FACE_MATCH")
    assert v.review_time is not None and v.review_note == "checked by hand"
    status = app_client.post("/api/v2/status", json={"scanRef": scan_ref}, auth=p.auth).json()
    assert status["status"] == "APPROVED" and status["manualFace"] == "FACE_MATCH"
    assert status["manualDocument"] == "DOC_VALIDATED" and status["autoFace"] == "FACE_UNCERTAIN"
    with session_scope() as session:
        hooks = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.verification_id == v.id)))
    assert [(h.event, h.final, h.payload["status"]["overall"]) for h in hooks] == [("manual", True, "APPROVED")]
    assert hooks[0].payload["status"]["manualFace"] == "FACE_MATCH"
    page = client.get(r.headers["location"]).text
    assert "Review saved." in page and 'id="overall-status">APPROVED<' in page


def test_a_failing_manual_result_denies(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    assert submit_review(client, scan_ref, decision="decline", template="face_mismatch").status_code == 303
    v = row(scan_ref)
    assert (v.status, v.manual_document, v.manual_face) == ("DENIED", "DOC_VALIDATED", "FACE_MISMATCH")
    assert (v.review_decision, v.review_reason) == ("decline", "Face does not match the document")


def test_stale_review_is_refused(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner(callback_url="https://partner.example/hook")
    scan_ref = make_verification(p.partner_id)
    first = console_for(*make_reviewer(p.partner_id))
    second = console_for(*make_reviewer(None))
    pages = [c.get(f"/console/v/{scan_ref}").text for c in (first, second)]
    assert version_of(pages[0]) == version_of(pages[1])
    data = lambda page, **fields: {"csrf": csrf_of(page), "version": str(version_of(page)), **REVIEW, **fields}  # noqa: E731
    ok = first.post(f"/console/v/{scan_ref}/review", data=data(pages[0]), follow_redirects=False)
    late = second.post(f"/console/v/{scan_ref}/review", data=data(pages[1], decision="decline", template="face_mismatch"),
                       follow_redirects=False)
    assert ok.status_code == 303
    assert late.status_code == 409 and "Someone else reviewed this" in late.text
    v = row(scan_ref)
    assert v.status == "APPROVED" and v.manual_face == "FACE_MATCH"
    with session_scope() as session:
        assert len(list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.verification_id == v.id)))) == 1


def test_review_needs_csrf_and_vocabulary(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{scan_ref}").text
    base = {"version": str(version_of(page)), **REVIEW}
    assert client.post(f"/console/v/{scan_ref}/review", data=base).status_code == 403
    assert client.post(f"/console/v/{scan_ref}/review", data={**base, "csrf": "x" + csrf_of(page)}).status_code == 403
    bad = client.post(f"/console/v/{scan_ref}/review",
                      data={**base, "csrf": csrf_of(page), "manual_document": "TOTALLY_FINE"})
    assert bad.status_code == 400 and "document result" in bad.text
    bad_date = client.post(f"/console/v/{scan_ref}/review",
                           data={**base, "csrf": csrf_of(page), "manual_date_of_birth": "31.12.1990"})
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.text
    v = row(scan_ref)
    assert v.status == "REVIEWING" and v.manual_document is None and v.review_time is None


def test_corrected_data_reaches_the_partner_api(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id, document_data={"doc_name": "JOHM", "doc_surname": "SMITH"})
    client = console_for(*make_reviewer(p.partner_id))
    r = submit_review(client, scan_ref, manual_name="John", manual_date_of_birth="1990-12-31",
                      manual_nationality="lt", manual_sex="M", manual_document_type="PASSPORT")
    assert r.status_code == 303
    data = app_client.post("/api/v2/data", json={"scanRef": scan_ref}, auth=p.auth).json()
    assert data["docFirstName"] == "John" and data["docDob"] == "1990-12-31" and data["docNationality"] == "LT"
    full = app_client.post("/api/v2/full-status", json={"scanRef": scan_ref}, auth=p.auth).json()
    assert full["client_identity_document"]["manual_name"] == "John"
    assert full["manual_face_match_result"] == "FACE_MATCH" and full["review_time"]


def test_a_verification_still_in_flight_cannot_be_reviewed(app_client, make_partner, make_reviewer,
                                                             make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id, status="ACTIVE")
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{scan_ref}").text
    assert 'name="version"' not in page
    r = client.post(f"/console/v/{scan_ref}/review", data={"csrf": csrf_of(page), "version": "1", **REVIEW})
    assert r.status_code in (400, 409) and row(scan_ref).status == "ACTIVE"


# ----------------------------------------------------------------------------- audit, images, page content


def test_views_and_changes_are_audited_and_shown(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    email, password = make_reviewer(p.partner_id)
    client = console_for(email, password)
    page = client.get(f"/console/v/{scan_ref}")
    file_ids = re.findall(rf"/console/v/{scan_ref}/files/(\d+)", page.text)
    image = client.get(f"/console/v/{scan_ref}/files/{file_ids[0]}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:3] == b"\xff\xd8\xff" and image.headers["cache-control"] == "no-store, private"
    assert submit_review(client, scan_ref).status_code == 303
    actions = audit_actions(scan_ref)
    assert (email, "view") in actions and (email, "view_image") in actions and (email, "review") in actions
    assert actions.index((email, "view")) < actions.index((email, "review"))
    shown = client.get(f"/console/v/{scan_ref}").text
    audit_table = shown[shown.index('id="audit"'):]
    assert email in audit_table and "REVIEWING → APPROVED" in audit_table


def test_page_shows_mrz_check_digits_and_mismatches(app_client, make_partner, make_reviewer, make_verification, console_for):
    from tests.support.synthetic import encode_mrz

    lines = encode_mrz("TD3", document_code="P", issuing_code="LTU", surname="SMITH", given_names="JOHN",
                       document_number="AB1234567", nationality_code="LTU", date_of_birth=dt.date(1990, 12, 31),
                       sex="M", date_of_expiry=dt.date(2031, 1, 1), personal_number="39012311234")
    broken = lines[1][:9] + str((int(lines[1][9]) + 1) % 10) + lines[1][10:]  # document number check digit
    p = make_partner()
    scan_ref = make_verification(
        p.partner_id, request={"firstName": "Jon", "lastName": "Smith"},
        document_data={"doc_name": "JOHN", "mrz_name": "JOHN", "doc_surname": "SMITH", "mrz_surname": "SMITH",
                       "mrz_string": lines[0] + broken})
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{scan_ref}").text
    assert "(TD3)" in page
    mrz_text = html.unescape(re.sub(r"<[^>]+>", "", page[page.index('id="mrz">'):page.index("</pre>")].split(">", 1)[1]))
    assert mrz_text.splitlines() == [lines[0], broken], "one MRZ line per line, every character shown"
    assert re.search(r'<mark class="bad" title="document_number check digit FAILS">', page)
    assert re.search(r'<mark class="ok" title="date_of_birth check digit verifies">', page)
    compare = page[page.index('id="compare"'):page.index("</table>", page.index('id="compare"'))]
    first_name_row = re.search(r'<tr class="mismatch">\s*<th scope="row">First name', compare)
    assert first_name_row, "given 'Jon' vs printed 'JOHN' must be highlighted"
    assert re.search(r'<tr class="">\s*<th scope="row">Surname', compare), "'Smith' = 'SMITH' is no mismatch"
    assert "61.0 %" in page and "FACE_UNCERTAIN" in page and "face result FACE_UNCERTAIN is not conclusive" in page


def test_everything_shown_is_escaped(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id, client_id="<script>alert(1)</script>",
                                 document_data={"doc_name": '"><img src=x onerror=alert(2)>'})
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{scan_ref}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_partner_api_is_untouched_by_the_console(app_client):
    r = app_client.post("/api/v2/status", json={"scanRef": "x"})
    assert r.status_code == 401 and r.json()["identifier"] == "UNAUTHORIZED"
    assert "content-security-policy" not in r.headers


# ----------------------------------------------------------------------------- search, dashboard


def test_search_by_every_criterion(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    tag = uuid.uuid4().hex[:6].upper()
    wanted = make_verification(p.partner_id, client_id=f"cl-{tag}", status="APPROVED",
                               request={"firstName": "Ona", "lastName": f"Petraitytė{tag}"},
                               document_data={"mrz_surname": f"PETRAITYTE{tag}", "doc_document_number": f"X{tag}99"},
                               created_at=dt.datetime(2026, 3, 15, 12, 0))
    other = make_verification(p.partner_id, client_id=f"other-{tag}", status="DENIED",
                              created_at=dt.datetime(2026, 4, 2, 12, 0))
    client = console_for(*make_reviewer(p.partner_id))

    def found(**params) -> list[str]:  # noqa: ANN003
        r = client.get("/console/search", params=params)
        assert r.status_code == 200
        return re.findall(r'href="/console/v/([0-9a-f-]{36})"', r.text)

    assert found(scanRef=wanted) == [wanted]
    assert found(clientId=f"cl-{tag}") == [wanted]
    assert found(name=f"petraityte{tag}") == [wanted]
    assert found(name=f"ona petraityte{tag}") == [wanted]
    assert found(documentNumber=f"x {tag} 99") == [wanted]
    assert found(name=f"nobody{tag}") == []
    assert set(found(clientId=f"other-{tag}", status="DENIED")) == {other}
    assert found(clientId=f"other-{tag}", status="APPROVED") == []
    in_march = found(**{"from": "2026-03-01", "to": "2026-03-31"})
    assert wanted in in_march and other not in in_march
    with session_scope() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "search").order_by(AuditEntry.id.desc()))


def test_out_of_range_search_dates_and_file_numbers_are_clear_errors(app_client, make_partner, make_reviewer,
                                                                     make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    for params in ({"to": "9999-12-31"}, {"from": "9999-12-31"}, {"to": "2026-02-30"}, {"from": "yesterday"}):
        r = client.get("/console/search", params=params)
        assert r.status_code == 400 and "YYYY-MM-DD" in r.text, params
    for number in ("99999999999999999999", "9223372036854775808", "0", "-1", "１２"):
        r = client.get(f"/console/v/{scan_ref}/files/{number}")
        assert r.status_code == 404 and "does not exist" in r.text, number


def test_dashboard_counts_and_median(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for minutes, status in ((2, "APPROVED"), (4, "DENIED"), (30, "APPROVED")):
        make_verification(p.partner_id, status=status, start_time=now - dt.timedelta(minutes=minutes),
                          finish_time=now)
    make_verification(p.partner_id, status="REVIEWING")
    page = console_for(*make_reviewer(p.partner_id)).get("/console/dashboard").text
    assert re.search(r"<td>APPROVED</td><td>2</td>", page) and re.search(r"<td>REVIEWING</td><td>1</td>", page)
    assert 'id="median-decision">4 min<' in page  # median of 2, 4 and 30 minutes
    assert page.count("<svg") >= 3 and "<rect" in page


def test_review_queries_directly():
    from openidv.services.review import compare_fields, mrz_lines, validate_review, ReviewInvalid

    assert mrz_lines("A" * 90) == ["A" * 30] * 3 and mrz_lines("B" * 88) == ["B" * 44] * 2
    with pytest.raises(ReviewInvalid):
        validate_review("approve", "", "", "DOC_VALIDATED", "FACE_OK", {}, "")
    with pytest.raises(ReviewInvalid):
        validate_review("approve", "doc_expired", "", "", "", {}, "")  # a reason of another decision
    with pytest.raises(ReviewInvalid):
        validate_review("", "verified", "", "", "", {}, "")
    review = validate_review("approve", "", "", "DOC_VALIDATED", "FACE_MATCH",
                             {"manual_country": " lt ", "manual_name": ""}, " n ")
    assert review.manual_data == {"manual_country": "LT"} and review.note == "n"
    assert validate_review("decline", "doc_expired", "  Expired  in 2019 ", "", "", {}, "").reason == "Expired in 2019"
    v = Verification(token_request={"sex": "M"}, document_data={"doc_sex": "MALE", "mrz_sex": "M"}, manual_data={})
    assert not next(r for r in compare_fields(v) if r.label == "Sex").mismatch


# ----------------------------------------------------------------------------- real servers


def test_review_on_a_real_server_reaches_api_and_webhook(service, partner, receiver):
    scan_ref = reviewing_verification(service, partner)
    hook_path = f"/hooks/{partner.name}"
    receiver.wait_for(lambda h: h.path == hook_path and h.json()["scanRef"] == scan_ref)
    with closing(browser_client(service, *cli_reviewer(service, partner))) as client:
        assert scan_ref in client.get("/console/queue").text
        r = submit_review(client, scan_ref)
        assert r.status_code == 303, r.text
    with service.client(partner) as c:
        status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
    assert status["status"] == "APPROVED"
    assert (status["manualDocument"], status["manualFace"]) == ("DOC_VALIDATED", "FACE_NOT_ANALYSED")
    final = receiver.wait_for(lambda h: h.path == hook_path and h.json()["scanRef"] == scan_ref and h.json()["final"])
    body = final[0].json()
    assert body["status"]["overall"] == "APPROVED" and body["status"]["manualDocument"] == "DOC_VALIDATED"
    expected = hmac.new(partner.webhook_secret.encode(), final[0].body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(final[0].headers["Idenfy-Signature"], expected)


def test_disable_and_reset_password_end_sessions_on_a_real_server(service, partner):
    email, password = cli_reviewer(service, partner)
    first, second = browser_client(service, email, password), browser_client(service, email, password)
    try:
        service.cli("reviewer", "disable", email)
        for client in (first, second):
            assert client.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"
        assert login(httpx.Client(base_url=service.base_url), email, password).status_code == 401
        service.cli("reviewer", "enable", email)
        third = browser_client(service, email, password)
        reset = json.loads(service.cli("reviewer", "reset-password", email).stdout)
        assert reset["password"] != password and reset["disabled"] is False
        assert third.get("/console/queue", follow_redirects=False).status_code == 303  # its session ended
        third.close()
        assert login(httpx.Client(base_url=service.base_url), email, password).status_code == 401
        with closing(browser_client(service, email, reset["password"])) as fresh:
            assert fresh.get("/console/queue").status_code == 200
    finally:
        first.close()
        second.close()


def test_concurrent_reviews_on_a_real_server_one_wins(service, partner):
    scan_ref = reviewing_verification(service, partner)
    clients = [browser_client(service, *cli_reviewer(service, partner)),
               browser_client(service, *cli_reviewer(service))]
    try:
        pages = [c.get(f"/console/v/{scan_ref}").text for c in clients]
        forms = [{"csrf": csrf_of(p), "version": str(version_of(p)), **REVIEW, **fields}
                 for p, fields in zip(pages, ({}, {"decision": "decline", "template": "doc_fake"}))]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda cf: cf[0].post(f"/console/v/{scan_ref}/review", data=cf[1]),
                                    zip(clients, forms)))
        assert sorted(r.status_code for r in answers) == [303, 409]
        winner = next(i for i, r in enumerate(answers) if r.status_code == 303)
        with service.client(partner) as c:
            status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
        assert status["manualDocument"] == ("DOC_VALIDATED", "DOC_FAKE")[winner]
    finally:
        for c in clients:
            c.close()


def test_another_partners_reviewer_gets_404_on_a_real_server(service, partner):
    scan_ref = reviewing_verification(service, partner)
    other = service.create_partner(f"other-{uuid.uuid4().hex[:6]}")
    with closing(browser_client(service, *cli_reviewer(service, other))) as client:
        assert client.get(f"/console/v/{scan_ref}").status_code == 404
        assert scan_ref not in client.get("/console/queue").text


# ----------------------------------------------------------------------------- headless Chromium

@pytest.mark.slow
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_review_in_a_browser(service, partner, receiver, chromium, width, height):
    scan_ref = reviewing_verification(service, partner)
    email, password = cli_reviewer(service, partner)
    page = chromium.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    try:
        page.goto(service.base_url + "/console")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        assert "Wrong e-mail or password." in page.content()
        errors.clear()  # the refused login answered 401, as it should
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/console/queue")
        page.click(f"a[href='/console/v/{scan_ref}']")
        page.wait_for_url(f"**/console/v/{scan_ref}")
        assert page.inner_text("#overall-status") == "REVIEWING"
        # Zoom: the image opens in an overlay and closes again.
        page.click("a.zoomable >> nth=0")
        page.wait_for_selector(".lightbox canvas.view")
        page.click(".lightbox button:has-text('200 %')")
        page.click(".lightbox button:has-text('Close')")
        assert page.query_selector(".lightbox") is None
        no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert no_overflow, "the verification page scrolls sideways"
        page.check("input[name=decision][value=approve]")
        page.select_option("#template", "verified")
        page.fill("textarea[name=note]", f"checked in Chromium at {width} px")
        page.click("#submit-review")
        page.wait_for_url(f"**/console/v/{scan_ref}?reviewed=1")
        assert page.inner_text("#overall-status") == "APPROVED"
        assert "Review saved." in page.content()
        with service.client(partner) as c:
            status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
        assert (status["status"], status["manualDocument"]) == ("APPROVED", "DOC_VALIDATED")
        hook = receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}" and h.json()["scanRef"] == scan_ref
                                 and h.json()["final"])
        assert hook[0].json()["status"]["overall"] == "APPROVED"
        page.click("nav a:has-text('Dashboard')")
        page.wait_for_url("**/console/dashboard")
        assert page.query_selector("svg.chart rect") is not None
        page.click("nav a:has-text('Search')")
        page.fill("input[name=scanRef]", scan_ref)
        page.click("form.search button[type=submit]")
        assert page.query_selector(f"#results a[href='/console/v/{scan_ref}']") is not None
        assert not errors, errors
    finally:
        page.close()


def test_the_consent_answer_is_shown_with_the_notice_text(app_client, make_partner, make_reviewer, make_verification,
                                                          console_for):
    p = make_partner()
    text = "We compare your selfie <script>alert(1)</script> with your document."
    given = make_verification(p.partner_id, consent_given_at=dt.datetime(2026, 12, 1, 9, 30),
                              consent={"decision": "given", "at": "2026-12-01T09:30:00Z", "language": "de",
                                       "text": text, "textSha256": hashlib.sha256(text.encode()).hexdigest()})
    without = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{given}").text
    consent = page[page.index('id="consent"'):page.index("</dd>", page.index('id="consent"'))]
    assert "given" in consent and "2026-12-01" in consent and "· de" in consent
    assert hashlib.sha256(text.encode()).hexdigest()[:12] in consent
    assert html.escape(text) in consent or "&lt;script&gt;" in consent
    assert "<script>alert(1)" not in page
    assert 'id="consent"' not in client.get(f"/console/v/{without}").text
