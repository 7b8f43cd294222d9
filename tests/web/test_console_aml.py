"""The sanctions/PEP section of the verification page (in-process): hits beside the document
data, a reviewer's false-positive / confirmed verdict (CSRF-checked, audited, scoped to the
reviewer's partner), remembered for that person and entry."""

from __future__ import annotations

import json
import uuid

from openidv.core.token import TokenOptions
from openidv.services import aml
from openidv.services.aml_screening import screen_verification
from openidv.store.db import session_scope
from openidv.store.models import Partner, Verification
from tests.web.conftest import audit_actions, csrf_of, row

DOCUMENT = {"doc_name": "VZOR", "doc_surname": "SPECIMEN", "doc_date_of_birth": "1911-01-01",
            "doc_nationality": "CZ"}


def _screen(scan_ref: str) -> None:
    with session_scope() as session:
        v = session.query(Verification).filter_by(scan_ref=scan_ref).one()
        outcome = screen_verification(session, v, session.get(Partner, v.partner_id), DOCUMENT, TokenOptions())
        v.fraud_tags, v.suspicion_reasons = list(outcome.fraud_tags), list(outcome.suspicion_reasons)


def hits(scan_ref: str) -> list[dict]:
    with session_scope() as session:
        return list(session.query(Verification).filter_by(scan_ref=scan_ref).one().aml.hits)


def test_reviewer_marks_a_hit_false_positive_and_it_is_remembered(app_client, make_partner, make_reviewer,
                                                                  make_verification, console_for, tmp_path):
    source = f"console-{uuid.uuid4().hex[:8]}"
    entity = f"e-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "list.json"
    path.write_text(json.dumps({"id": entity, "schema": "Person", "caption": "Vzor Specimen", "target": True,
                                "properties": {"name": ["Vzor Specimen"], "birthDate": ["1911-01-01"],
                                               "nationality": ["cz"], "topics": ["sanction"]}}) + "\n")
    with session_scope() as session:
        aml.load_list(session, path, source, "ftm-json")
    p, stranger = make_partner(), make_partner()
    scan_ref = make_verification(p.partner_id, status="SUSPECTED", document_data=DOCUMENT)
    _screen(scan_ref)
    assert "AML_SUSPECTION" in row(scan_ref).fraud_tags
    client = console_for(*make_reviewer(p.partner_id))

    page = client.get(f"/console/v/{scan_ref}")
    assert page.status_code == 200
    assert 'id="aml-hits"' in page.text and "Vzor Specimen" in page.text and "1911-01-01" in page.text
    form = {"csrf": csrf_of(page.text), "source": source, "entity_id": entity, "verdict": "false_positive"}

    assert client.post(f"/console/v/{scan_ref}/aml", data={**form, "csrf": "stale"},
                       follow_redirects=False).status_code == 403
    other = console_for(*make_reviewer(stranger.partner_id))
    other_page = other.get("/console/queue")
    assert other.post(f"/console/v/{scan_ref}/aml", data={**form, "csrf": csrf_of(other_page.text)},
                      follow_redirects=False).status_code == 404
    assert hits(scan_ref)[0].get("review") is None

    r = client.post(f"/console/v/{scan_ref}/aml", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert hits(scan_ref)[0]["review"] == "false_positive" and "AML_SUSPECTION" not in row(scan_ref).fraud_tags
    assert ("aml_mark" in [action for _, action in audit_actions(scan_ref)])
    assert "Verdict saved" in client.get(r.headers["location"]).text

    # The same person at the same partner, screened again: the entry no longer hits.
    again = make_verification(p.partner_id, status="SUSPECTED", document_data=DOCUMENT)
    _screen(again)
    assert hits(again) == [] and "AML_SUSPECTION" not in row(again).fraud_tags
