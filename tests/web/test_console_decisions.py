"""The reviewer's explicit decision: Approve, Decline, Ask to resubmit, each with reason
templates mapped to the manual codes; inconsistent results refused by the server; every
review ends in a final status with a final webhook (in-process and on real servers)."""

from __future__ import annotations

from contextlib import closing

import pytest
from sqlalchemy import select

from openidv.services.review_templates import TEMPLATES
from openidv.store.db import session_scope
from openidv.store.models import WebhookDelivery
from tests.web.conftest import browser_client, cli_reviewer, reviewing_verification, row, submit_review


def webhooks_of(scan_ref: str) -> list[WebhookDelivery]:
    with session_scope() as session:
        vid = row(scan_ref).id
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.verification_id == vid)))


@pytest.mark.parametrize("template", [t for t in TEMPLATES if not t.needs_fraud_tags], ids=lambda t: t.key)
def test_every_reason_template_gives_a_final_status(app_client, make_partner, make_reviewer, make_verification,
                                                    console_for, template):
    p = make_partner(callback_url="https://partner.example/hook")
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    r = submit_review(client, scan_ref, decision=template.decision.value, template=template.key)
    assert r.status_code == 303, r.text
    v = row(scan_ref)
    expected = {"approve": "APPROVED", "decline": "DENIED", "resubmit": "DENIED"}[template.decision]
    assert v.status == expected
    assert (v.manual_document, v.manual_face) == template.codes(True)
    assert (v.review_decision, v.review_reason) == (template.decision, template.label)
    hooks = webhooks_of(scan_ref)
    assert [(h.final, h.payload["status"]["overall"]) for h in hooks] == [(True, expected)]


def test_the_face_too_blurry_trap_is_refused(app_client, make_partner, make_reviewer, make_verification, console_for):
    """Declining with FACE_TOO_BLURRY used to leave the case REVIEWING with a "final" webhook."""
    p = make_partner(callback_url="https://partner.example/hook")
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    r = submit_review(client, scan_ref, decision="decline", template="", manual_document="DOC_VALIDATED",
                      manual_face="FACE_TOO_BLURRY", reason="blurry")
    assert r.status_code == 400 and "Ask to resubmit" in r.text
    for fields in ({"decision": "approve", "template": "verified", "manual_face": "FACE_TOO_BLURRY"},
                   {"decision": "resubmit", "template": "doc_blurry", "manual_face": "FACE_MISMATCH"},
                   {"decision": "approve", "template": "verified", "manual_face": "FACE_UNCERTAIN"},
                   {"decision": "", "template": "verified"}):
        assert submit_review(client, scan_ref, **fields).status_code == 400, fields
    v = row(scan_ref)
    assert v.status == "REVIEWING" and v.manual_face is None and v.review_time is None
    assert webhooks_of(scan_ref) == []
    # The same codes under the right decision are accepted.
    ok = submit_review(client, scan_ref, decision="resubmit", template="", manual_document="DOC_VALIDATED",
                       manual_face="FACE_TOO_BLURRY", reason="selfie out of focus")
    assert ok.status_code == 303
    v = row(scan_ref)
    assert (v.status, v.manual_face, v.review_reason) == ("DENIED", "FACE_TOO_BLURRY", "selfie out of focus")
    assert [(h.final, h.payload["status"]["overall"]) for h in webhooks_of(scan_ref)] == [(True, "DENIED")]


def test_reviewed_verification_leaves_the_queue(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    client = console_for(*make_reviewer(p.partner_id))
    assert scan_ref in client.get("/console/queue").text
    assert submit_review(client, scan_ref, decision="resubmit", template="doc_blurry").status_code == 303
    assert scan_ref not in client.get("/console/queue").text


def test_duplicate_reason_only_when_tagged(app_client, make_partner, make_reviewer, make_verification, console_for):
    p = make_partner()
    plain = make_verification(p.partner_id)
    tagged = make_verification(p.partner_id, fraud_tags=["DUPLICATE_FACE"])
    client = console_for(*make_reviewer(p.partner_id))
    assert 'value="duplicate"' not in client.get(f"/console/v/{plain}").text
    assert 'value="duplicate"' in client.get(f"/console/v/{tagged}").text
    assert submit_review(client, plain, decision="decline", template="duplicate").status_code == 400
    assert submit_review(client, tagged, decision="decline", template="duplicate").status_code == 303
    v = row(tagged)
    assert (v.status, v.manual_document, v.manual_face) == ("DENIED", "DOC_VALIDATED", "FACE_MATCH")


def test_approving_a_tagged_verification_stays_suspected(app_client, make_partner, make_reviewer,
                                                         make_verification, console_for):
    p = make_partner()
    scan_ref = make_verification(p.partner_id, mismatch_tags=["NAME"])
    client = console_for(*make_reviewer(p.partner_id))
    assert "SUSPECTED (tags remain)" in client.get(f"/console/v/{scan_ref}").text
    assert submit_review(client, scan_ref).status_code == 303
    assert row(scan_ref).status == "SUSPECTED"


# ----------------------------------------------------------------------------- real servers


@pytest.mark.parametrize("decision,template,overall,document", [
    ("approve", "verified", "APPROVED", "DOC_VALIDATED"),
    ("decline", "doc_expired", "DENIED", "DOC_EXPIRED"),
    ("resubmit", "doc_blurry", "DENIED", "DOC_TOO_BLURRY"),
], ids=["approve", "decline", "resubmit"])
def test_decisions_on_a_real_server_send_final_webhooks(service, partner, receiver, decision, template, overall,
                                                        document):
    scan_ref = reviewing_verification(service, partner)
    hook_path = f"/hooks/{partner.name}"
    first = receiver.wait_for(lambda h: h.path == hook_path and h.json()["scanRef"] == scan_ref)
    assert first[0].json()["final"] is False and first[0].json()["status"]["overall"] == "REVIEWING"
    with closing(browser_client(service, *cli_reviewer(service, partner))) as client:
        r = submit_review(client, scan_ref, decision=decision, template=template)
        assert r.status_code == 303, r.text
        assert scan_ref not in client.get("/console/queue").text
    with service.client(partner) as c:
        status = c.post("/api/v2/status", json={"scanRef": scan_ref}).json()
    assert (status["status"], status["manualDocument"], status["manualFace"]) == (overall, document, "FACE_NOT_ANALYSED")
    final = receiver.wait_for(lambda h: h.path == hook_path and h.json()["scanRef"] == scan_ref and h.json()["final"])
    body = final[0].json()
    assert body["status"]["overall"] == overall and body["status"]["manualDocument"] == document


def test_inconsistent_decision_on_a_real_server_sends_nothing(service, partner, receiver):
    scan_ref = reviewing_verification(service, partner)
    hook_path = f"/hooks/{partner.name}"
    receiver.wait_for(lambda h: h.path == hook_path and h.json()["scanRef"] == scan_ref)
    with closing(browser_client(service, *cli_reviewer(service, partner))) as client:
        r = submit_review(client, scan_ref, decision="decline", template="", manual_document="DOC_TOO_BLURRY",
                          manual_face="FACE_NOT_ANALYSED", reason="blurry")
        assert r.status_code == 400
        assert scan_ref in client.get("/console/queue").text
    with service.client(partner) as c:
        assert c.post("/api/v2/status", json={"scanRef": scan_ref}).json()["status"] == "REVIEWING"
    assert not [h for h in receiver.hooks if h.path == hook_path and h.json()["scanRef"] == scan_ref
                and h.json()["final"]]
