"""Duplicates a reviewer can follow: the cross-checks record the verifications they matched,
and the page shows them beside this one, linked, within what the reviewer may see."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from openidv.core.token import TokenOptions
from openidv.services import processing
from openidv.store import fraud
from openidv.store.db import session_scope
from openidv.store.models import Verification
from tests.web.conftest import row


def _cross_check(scan_ref: str, vector: np.ndarray, document_number: str):  # noqa: ANN202
    analysed = SimpleNamespace(document_data={"doc_document_number": document_number},
                               face=SimpleNamespace(selfie_embedding=tuple(vector), document_embedding=None))
    with session_scope() as session:
        v = session.get(Verification, row(scan_ref).id)
        checks = processing._cross_checks(session, v, analysed, TokenOptions.from_stored(None))
        return checks.tags, checks.reasons, checks.document_number_key


def test_cross_checks_record_the_matched_verifications(app_client, make_partner, make_verification):
    p = make_partner()
    face = np.random.default_rng(7).normal(0, 0.09, 128)
    first = make_verification(p.partner_id, client_id="alice", document_number_key="X1234567")
    with session_scope() as session:
        fraud.store_face(session, session.get(Verification, row(first).id), "selfie", face)
    second = make_verification(p.partner_id, client_id="mallory")
    tags, reasons, key = _cross_check(second, face + 0.01, "x 1234567")
    assert key == "X1234567" and set(tags) == {"DUPLICATE_FACE", "DUPLICATE_PERSONAL_DATA"}
    by_tag = {r.outcome: r for r in reasons}
    face_match = by_tag["DUPLICATE_FACE"].matches[0]
    assert (face_match.scan_ref, face_match.client_id, face_match.kind) == (first, "alice", "selfie")
    assert face_match.distance < 0.2
    assert [(m.scan_ref, m.kind) for m in by_tag["DUPLICATE_PERSONAL_DATA"].matches] == [(first, "")]
    assert by_tag["DUPLICATE_FACE"].as_dict()["matches"][0]["scanRef"] == first
    # The same client again is no duplicate.
    again = make_verification(p.partner_id, client_id="alice")
    assert _cross_check(again, face, "X1234567")[0] == ()


def test_page_shows_matched_verifications_side_by_side(app_client, make_partner, make_reviewer, make_verification,
                                                       console_for):
    p, other = make_partner(), make_partner()
    first = make_verification(p.partner_id, client_id="alice", status="APPROVED")
    foreign = make_verification(other.partner_id, client_id="eve")
    reasons = [{"check": "duplicates", "outcome": "DUPLICATE_FACE",
                "detail": "selfie face matches another clientId's selfie face", "scores": {"distance": 0.37},
                "matches": [{"scanRef": first, "clientId": "alice", "kind": "selfie", "distance": 0.3712},
                            {"scanRef": foreign, "clientId": "eve", "kind": "selfie", "distance": 0.4}]}]
    second = make_verification(p.partner_id, client_id="mallory", fraud_tags=["DUPLICATE_FACE"],
                               decision_reasons=reasons)
    client = console_for(*make_reviewer(p.partner_id))
    page = client.get(f"/console/v/{second}").text
    section = page[page.index('id="duplicates"'):page.index("</section>", page.index('id="duplicates"'))]
    with session_scope() as session:
        first_face = next(f.id for f in session.get(Verification, row(first).id).files if f.step == "FACE")
        own_face = next(f.id for f in session.get(Verification, row(second).id).files if f.step == "FACE")
    assert f'href="/console/v/{first}"' in section and "0.37" in section and "APPROVED" in section
    assert f'src="/console/v/{first}/files/{first_face}"' in section
    assert f'src="/console/v/{second}/files/{own_face}"' in section
    assert foreign not in section and "eve" not in section  # another partner's case stays invisible
    assert client.get(f"/console/v/{first}/files/{first_face}").status_code == 200
    # An operator sees both matches.
    operator_page = console_for(*make_reviewer(None)).get(f"/console/v/{second}").text
    assert f'href="/console/v/{foreign}"' in operator_page


def test_older_rows_look_up_the_same_document_number(app_client, make_partner, make_reviewer, make_verification,
                                                     console_for):
    p = make_partner()
    first = make_verification(p.partner_id, client_id="alice", document_number_key="Z998877")
    reasons = [{"check": "duplicates", "outcome": "DUPLICATE_PERSONAL_DATA",
                "detail": "same document number under another clientId", "scores": {}}]
    second = make_verification(p.partner_id, client_id="bob", document_number_key="Z998877",
                               fraud_tags=["DUPLICATE_PERSONAL_DATA"], decision_reasons=reasons)
    page = console_for(*make_reviewer(p.partner_id)).get(f"/console/v/{second}").text
    assert 'id="duplicates"' in page and f'href="/console/v/{first}"' in page
