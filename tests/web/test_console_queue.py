"""The review queue: why each case is there (rows and page header), filters, sorting, time
waiting in colour, "take next" and assigning a case to oneself."""

from __future__ import annotations

import datetime as dt
import re

from openidv.store.models import utcnow
from tests.web.conftest import audit_actions, csrf_of, row, submit_review

REF = re.compile(r'href="/console/v/([0-9a-f-]{36})"')

MRZ_DISAGREE = [
    {"check": "document", "outcome": "DOC_VALIDATED", "detail": "rapidocr+tesseract", "scores": {"mrz_sharpness": 0.13}},
    {"check": "document", "outcome": "REVIEWING", "detail": "MRZ readings disagree on: document_number", "scores": {}},
]
DUPLICATE = [
    {"check": "duplicates", "outcome": "DUPLICATE_FACE", "detail": "selfie face matches another clientId's selfie face",
     "scores": {"distance": 0.3712, "matches": 1.0}},
    {"check": "policy", "outcome": "REVIEWING", "detail": "partner reviews failed verifications (automatic: SUSPECTED)",
     "scores": {}},
]


def refs(html: str) -> list[str]:
    return list(dict.fromkeys(REF.findall(html)))


def test_rows_and_header_say_why_the_case_is_here(app_client, make_partner, make_reviewer, make_verification,
                                                  console_for):
    p = make_partner()
    face = make_verification(p.partner_id)  # face uncertain at 0.61
    mrz = make_verification(p.partner_id, auto_face="FACE_MATCH", face_similarity=0.97, decision_reasons=MRZ_DISAGREE)
    dup = make_verification(p.partner_id, auto_face="FACE_MATCH", fraud_tags=["DUPLICATE_FACE"], decision_reasons=DUPLICATE)
    client = console_for(*make_reviewer(p.partner_id))
    queue = client.get("/console/queue").text
    rows = {ref: queue[queue.index(f'/console/v/{ref}"'):][:1500] for ref in (face, mrz, dup)}
    assert "Face uncertain (similarity 61 %)" in rows[face]
    assert "MRZ readings disagree on: document_number" in rows[mrz]
    assert "Duplicate face (distance 0.37)" in rows[dup] and "Partner reviews failed cases (automatic: SUSPECTED)" in rows[dup]
    assert "DOC_VALIDATED FACE_MATCH" not in queue
    denied = make_verification(p.partner_id, auto_face="NO_FACE_FOUND", decision_reasons=[
        {"check": "face", "outcome": "DENIED", "detail": "face result NO_FACE_FOUND is a hard failure"},
        {"check": "policy", "outcome": "REVIEWING", "detail": "partner reviews all verifications (automatic: DENIED)"}])
    queue = client.get("/console/queue").text
    row_html = queue[queue.index(f'/console/v/{denied}"'):][:1500]
    assert "No face in the selfie (NO_FACE_FOUND, would deny)" in row_html
    assert "Partner reviews all cases (automatic: DENIED)" in row_html
    page = client.get(f"/console/v/{mrz}").text
    scores = page[page.index('id="scores"'):page.index("</table>", page.index('id="scores"'))]
    assert "MRZ sharpness" in scores and "≥ 0.05" in scores and "sharp enough to read" in scores
    assert "mrz_sharpness" not in scores
    page = client.get(f"/console/v/{dup}").text
    scores = page[page.index('id="scores"'):page.index("</table>", page.index('id="scores"'))]
    assert "Face distance to the other client" in scores and "the same person (duplicate)" in scores
    header = page[page.index('id="why"'):page.index("</div>", page.index('id="why"'))]
    assert "Why it is here" in header and "Duplicate face (distance 0.37)" in header


def test_filters_and_sorting(app_client, make_partner, make_reviewer, make_verification, console_for):
    p, q = make_partner(), make_partner()
    now = utcnow()
    # Countries no other test uses: the operator sees every test's cases.
    old = make_verification(p.partner_id, finish_time=now - dt.timedelta(hours=30), country="QX")
    other_partner = make_verification(q.partner_id, finish_time=now - dt.timedelta(hours=2), country="QX")
    new = make_verification(p.partner_id, finish_time=now - dt.timedelta(minutes=5), country="QY",
                            decision_reasons=MRZ_DISAGREE, auto_face="FACE_MATCH")
    operator = console_for(*make_reviewer(None))

    def found(**params: str) -> list[str]:
        r = operator.get("/console/queue", params=params)
        assert r.status_code == 200
        return refs(r.text)

    assert found(country="QX") == [old, other_partner]
    assert found(country="QX", sort="newest") == [other_partner, old]
    assert found(country="QX", partner=str(q.partner_id)) == [other_partner]
    assert found(country="QY") == [new]
    assert found(country="QY", reason="mrz") == [new]
    assert found(country="QY", reason="face") == []
    assert found(country="QX", reason="face") == [old, other_partner]
    assert found(country="QX", wait="24") == [old]
    assert found(country="QX", wait="1", partner=str(p.partner_id)) == [old]
    assert found(country="QX", reason="bogus", wait="5", sort="nope") == [old, other_partner]  # ignored
    # A partner's reviewer has no partner filter and never sees the other partner's case.
    mine = console_for(*make_reviewer(p.partner_id))
    page = mine.get("/console/queue", params={"partner": str(q.partner_id)}).text
    assert 'name="partner"' not in page and other_partner not in page and old in page


def test_time_waiting_is_coloured(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    now = utcnow()
    refs_by_age = {cls: make_verification(p.partner_id, finish_time=now - age) for cls, age in (
        ("wait-green", dt.timedelta(minutes=10)), ("wait-amber", dt.timedelta(hours=2)),
        ("wait-red", dt.timedelta(hours=30)))}
    page = console_for(*make_reviewer(p.partner_id)).get("/console/queue").text
    for cls, ref in refs_by_age.items():
        row_html = page[page.index(f'/console/v/{ref}"'):page.index("</tr>", page.index(f'/console/v/{ref}"'))]
        assert f'class="wait {cls}"' in row_html, cls


def test_take_next_assigns_the_oldest_unassigned_case(app_client, make_partner, make_reviewer, make_verification,
                                                      console_for):
    p = make_partner()
    now = utcnow()
    first = make_verification(p.partner_id, finish_time=now - dt.timedelta(days=400))
    second = make_verification(p.partner_id, finish_time=now - dt.timedelta(days=399))
    alice_email, alice_password = make_reviewer(p.partner_id)
    alice, bob = console_for(alice_email, alice_password), console_for(*make_reviewer(p.partner_id))
    take = lambda client, **extra: client.post(  # noqa: E731
        "/console/queue/next", data={"csrf": csrf_of(client.get("/console/queue").text), **extra},
        follow_redirects=False)
    r = take(alice)
    assert r.status_code == 303 and r.headers["location"] == f"/console/v/{first}"
    assert row(first).assigned_to is not None
    assert take(alice).headers["location"] == f"/console/v/{first}"  # her case until she decides
    assert take(bob).headers["location"] == f"/console/v/{second}"  # Alice has the first
    # Bob sees who has the first one, in the queue and on the page.
    assert alice_email in bob.get("/console/queue").text
    page = bob.get(f"/console/v/{first}").text
    assert f"Assigned to <strong>{alice_email}</strong>" in page and 'value="take_over"' in page
    # Nothing left for a third reviewer with a filter that matches nothing unassigned.
    carol = console_for(*make_reviewer(p.partner_id))
    r = take(carol, reason="mrz")
    assert r.status_code == 303 and "notice=empty" in r.headers["location"] and "reason=mrz" in r.headers["location"]
    assert "Nothing left to take" in carol.get(r.headers["location"]).text
    assert (alice_email, "assign") in audit_actions(first)


def test_assign_take_over_release_and_review_clears_it(app_client, make_partner, make_reviewer, make_verification,
                                                       console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    alice_email, alice_password = make_reviewer(p.partner_id)
    bob_email, bob_password = make_reviewer(p.partner_id)
    alice, bob = console_for(alice_email, alice_password), console_for(bob_email, bob_password)

    def act(client, action: str):  # noqa: ANN001, ANN202
        page = client.get(f"/console/v/{scan_ref}").text
        return client.post(f"/console/v/{scan_ref}/assign", data={"csrf": csrf_of(page), "action": action},
                           follow_redirects=False)

    assert act(alice, "take").status_code == 303
    assert "Assigned to <strong>you</strong>" in alice.get(f"/console/v/{scan_ref}").text
    assert act(bob, "take").status_code == 409  # taking a case someone has needs "take over"
    assert act(bob, "take_over").status_code == 303
    bob_id = row(scan_ref).assigned_to
    assert bob_id is not None and 'you</strong>' in bob.get("/console/queue", params={"assigned": "mine"}).text
    assert scan_ref not in alice.get("/console/queue", params={"assigned": "mine"}).text
    assert scan_ref in alice.get("/console/queue", params={"assigned": "others"}).text
    assert act(bob, "release").status_code == 303 and row(scan_ref).assigned_to is None
    assert scan_ref in alice.get("/console/queue", params={"assigned": "unassigned"}).text
    assert act(alice, "take").status_code == 303
    assert submit_review(bob, scan_ref).status_code == 303  # anyone may still decide
    v = row(scan_ref)
    assert v.assigned_to is None and v.status == "APPROVED"
    assert act(alice, "take").status_code == 409 and row(scan_ref).assigned_to is None
    actions = audit_actions(scan_ref)
    assert (bob_email, "assign") in actions and (bob_email, "release") in actions
