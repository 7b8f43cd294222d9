"""Screening of verifications (services/aml_screening.py, aml_monitoring.py) on a fresh
database: what a screening stores and decides, an honest failure, reviewers' verdicts kept
per partner and person, monitoring after a reload, erasure, and the AML wire block."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from openidv.aml.records import Verdict
from openidv.config import Settings
from openidv.core.aml_block import aml_block
from openidv.core.token import TokenOptions
from openidv.core.vocab import FraudTag, Status, SuspicionReason, WebhookEvent
from openidv.core.wire import status_view, webhook_view
from openidv.pipeline.decision import decide
from openidv.services import aml
from openidv.services.aml_monitoring import rescreen_monitored
from openidv.services.aml_screening import (
    NO_LIST,
    NO_NAME,
    VerificationChanged,
    mark_verification_hit,
    screen_verification,
    screening_requested,
)
from openidv.store.db import make_engine, migrate
from openidv.store.files import make_file_store
from openidv.store.models import AmlScreening, Partner, Verification, WebhookDelivery
from openidv.store.partners import create_partner
from openidv.store.verifications import create_verification, delete_verification

DOCUMENT = {"doc_name": "VZOR", "doc_surname": "SPECIMEN", "doc_date_of_birth": "1911-01-01",
            "mrz_nationality": "CZE"}


def person_line(entity_id: str, name: str, dob: str, country: str) -> str:
    return json.dumps({"id": entity_id, "schema": "Person", "caption": name, "target": True,
                       "properties": {"name": [name], "birthDate": [dob], "nationality": [country],
                                      "topics": ["sanction"]}})


@pytest.fixture()
def db(tmp_path: Path):  # noqa: ANN201
    settings = Settings(home=tmp_path, encryption_key=base64.b64encode(os.urandom(32)).decode())
    migrate(settings)
    engine = make_engine(settings)
    yield sessionmaker(bind=engine, expire_on_commit=False), settings
    engine.dispose()


def load(session: Session, tmp_path: Path, *lines: str, source: str = "test") -> None:
    path = tmp_path / f"list-{len(lines)}.json"
    path.write_text("\n".join(lines) + "\n")
    aml.load_list(session, path, source, "ftm-json")


def new_partner(session: Session, settings: Settings, **policy) -> Partner:  # noqa: ANN003
    created = create_partner(session, "p", settings.data_keys(), "https://partner.example/hook")
    partner = session.scalar(select(Partner).where(Partner.api_key == created.apiKey))
    for key, value in policy.items():
        setattr(partner, key, value)
    session.flush()
    return partner


def new_verification(session: Session, partner: Partner, **token) -> Verification:  # noqa: ANN003
    v = create_verification(session, partner, {"clientId": "c-1", "tokenType": "DOCUMENT", "expiryTime": 3600, **token}, False).verification
    v.status, v.document_data, v.auto_document, v.auto_face = Status.SUSPECTED, DOCUMENT, "DOC_VALIDATED", "FACE_NOT_ANALYSED"
    session.flush()
    return v


def test_the_policy_or_the_token_asks_and_a_token_cannot_switch_the_policy_off(db) -> None:  # noqa: ANN001
    sessions, settings = db
    with sessions() as session:
        on = new_partner(session, settings, aml_screening=True)
        off = new_partner(session, settings)
        assert screening_requested(on, TokenOptions.from_stored({"checkAml": False}))
        assert screening_requested(off, TokenOptions.from_stored({"checkAml": True}))
        assert not screening_requested(off, TokenOptions.from_stored({}))


def test_without_a_list_or_a_name_screening_fails_with_aml_failed(db, tmp_path) -> None:  # noqa: ANN001
    sessions, settings = db
    with sessions() as session:
        partner = new_partner(session, settings)
        v = new_verification(session, partner)
        outcome = screen_verification(session, v, partner, DOCUMENT, TokenOptions())
        assert outcome.fraud_tags == (FraudTag.AML_FAILED,) and outcome.suspicion_reasons == (SuspicionReason.AML_FAILED,)
        assert v.aml.error == NO_LIST and v.aml.state == "failed"
        block = aml_block(v)[0]
        assert block["status"] == {"serviceSuspected": False, "serviceUsed": True, "serviceFound": True,
                                   "checkSuccessful": False, "overallStatus": "NOT_CHECKED"}
        assert block["errorMessage"] == NO_LIST
        load(session, tmp_path, person_line("x-1", "Ivan Sidorov", "1970-03-04", "ru"))
        assert screen_verification(session, v, partner, {}, TokenOptions()).fraud_tags == (FraudTag.AML_FAILED,)
        assert v.aml.error == NO_NAME
        # The decision never passes a failed screening.
        assert decide("DOC_VALIDATED", "FACE_MATCH", face_required=True,
                      fraud_tags=outcome.fraud_tags).status == Status.SUSPECTED


def test_a_strong_hit_is_aml_suspection_and_a_false_positive_is_remembered_per_partner(db, tmp_path) -> None:  # noqa: ANN001
    sessions, settings = db
    with sessions() as session:
        load(session, tmp_path, person_line("x-1", "Ivan Sidorov", "1970-03-04", "ru"),
             person_line("x-2", "Vzor Specimen", "1911-01-01", "cz"))
        partner, other = new_partner(session, settings), new_partner(session, settings)
        v = new_verification(session, partner)
        outcome = screen_verification(session, v, partner, DOCUMENT, TokenOptions())
        assert outcome.fraud_tags == (FraudTag.AML_SUSPECTION,)
        assert [h["entity"]["entityId"] for h in v.aml.hits] == ["x-2"] and v.aml.hits[0]["score"] >= 0.9
        v.fraud_tags, v.suspicion_reasons = list(outcome.fraud_tags), list(outcome.suspicion_reasons)
        block = status_view(v)["AML"][0]
        assert block["status"]["overallStatus"] == "SUSPECTED"
        item = block["data"][0]
        assert (item["listNumber"], item["listName"], item["dob"], item["nationality"], item["whitelisted"]) == (
            "x-2", "test", "1911-01-01", "CZ", False)
        assert webhook_view(v, final=True, file_urls={})["AML"] == status_view(v)["AML"]

        mark_verification_hit(session, v, "test", "x-2", Verdict.FALSE_POSITIVE, "rev@example.org")
        assert v.aml.hits[0]["review"] == "false_positive" and FraudTag.AML_SUSPECTION not in v.fraud_tags
        assert aml_block(v)[0]["data"][0]["whitelisted"] is True
        assert aml_block(v)[0]["status"]["overallStatus"] == "NOT_SUSPECTED"
        # The same person again at this partner: the entry stays hidden; at another partner not.
        again = new_verification(session, partner)
        assert screen_verification(session, again, partner, DOCUMENT, TokenOptions()).fraud_tags == ()
        elsewhere = new_verification(session, other)
        assert screen_verification(session, elsewhere, other, DOCUMENT, TokenOptions()).fraud_tags == (
            FraudTag.AML_SUSPECTION,)
        # A confirmation brings the tag back.
        mark_verification_hit(session, v, "test", "x-2", Verdict.CONFIRMED, "rev@example.org")
        assert FraudTag.AML_SUSPECTION in v.fraud_tags
        # A verdict on a verification someone changed meanwhile is refused, not written over it.
        session.execute(update(Verification).where(Verification.id == v.id)
                        .values(version=Verification.version + 1).execution_options(synchronize_session=False))
        with pytest.raises(VerificationChanged):
            mark_verification_hit(session, v, "test", "x-2", Verdict.FALSE_POSITIVE, "rev@example.org")


def test_monitoring_reports_only_new_hits_with_a_webhook_and_erasure_removes_the_screening(db, tmp_path) -> None:  # noqa: ANN001
    sessions, settings = db

    class Scope:
        def __call__(self):  # noqa: ANN204
            return self

        def __enter__(self) -> Session:
            self.session = sessions()
            return self.session

        def __exit__(self, *exc) -> None:  # noqa: ANN002
            if exc[0] is None:
                self.session.commit()
            self.session.close()

    with sessions() as session:
        load(session, tmp_path, person_line("x-1", "Ivan Sidorov", "1970-03-04", "ru"))
        monitored = new_partner(session, settings, aml_monitoring=True)
        quiet = new_partner(session, settings)
        v = new_verification(session, monitored)
        w = new_verification(session, quiet)
        token_asks = new_verification(session, quiet, autoAmlMonitoring=True)
        for verification, partner in ((v, monitored), (w, quiet)):
            screen_verification(session, verification, partner, DOCUMENT, TokenOptions())
        screen_verification(session, token_asks, quiet, DOCUMENT,
                            TokenOptions.from_stored(token_asks.token_request))
        session.commit()
        ids = (v.id, w.id, token_asks.id)
    assert rescreen_monitored(Scope()).with_new_hits == []
    with sessions() as session:
        load(session, tmp_path, person_line("x-1", "Ivan Sidorov", "1970-03-04", "ru"),
             person_line("x-2", "Vzor Specimen", "1911-01-01", "cz"))
        session.commit()
    report = rescreen_monitored(Scope())
    with sessions() as session:
        v, w, token_asks = (session.get(Verification, i) for i in ids)
        assert sorted(report.with_new_hits) == sorted([v.scan_ref, token_asks.scan_ref])
        assert [h["entity"]["entityId"] for h in v.aml.hits] == ["x-2"] and v.aml.hits[0]["foundAt"]
        assert w.aml.hits == []
        hook = session.get(WebhookDelivery, report.webhooks[0])
        assert hook.event == WebhookEvent.AML_MONITORING and hook.payload["alertStatus"] == "ALERT"
        assert hook.payload["results"][0]["data"][0]["listNumber"] == "x-2"
    # Nothing new since: no second report, also when screened against the whole lists.
    assert rescreen_monitored(Scope()).with_new_hits == []
    assert rescreen_monitored(Scope(), full=True).with_new_hits == []
    # A run cut short before it reached a verification: the full re-screening completes it,
    # even after the same file was loaded again (then no entry counts as changed).
    with sessions() as session:
        session.get(AmlScreening, ids[0]).hits = []
        load(session, tmp_path, person_line("x-1", "Ivan Sidorov", "1970-03-04", "ru"),
             person_line("x-2", "Vzor Specimen", "1911-01-01", "cz"))
        session.commit()
    assert rescreen_monitored(Scope()).with_new_hits == []
    with sessions() as session:
        scan_ref = session.get(Verification, ids[0]).scan_ref
    assert rescreen_monitored(Scope(), full=True).with_new_hits == [scan_ref]
    with sessions() as session:
        v = session.get(Verification, ids[0])
        delete_verification(session, v, make_file_store(settings))
        session.commit()
        assert session.get(AmlScreening, ids[0]) is None
        assert status_view(session.get(Verification, ids[0]))["AML"] is None


def test_the_queue_says_why_in_short() -> None:
    """The review queue's short reasons name the screening (its own filter kind), once."""
    from types import SimpleNamespace

    from openidv.services.aml_screening import ScreeningOutcome, outcome_of
    from openidv.services.review_reasons import queue_reasons

    weak = SimpleNamespace(state="screened", error=None, lists=[{"source": "s", "listDate": None}], hits=[
        {"score": 0.85, "source": "s", "review": None, "entity": {"name": "Moammar Kadhafi", "entityId": "e"}}])
    outcome = outcome_of(weak)
    assert outcome.review_reasons and not outcome.fraud_tags
    decided = decide("DOC_VALIDATED", "FACE_MATCH", face_required=True, needs_review=outcome.review_reasons)
    assert decided.status == Status.REVIEWING
    entries = [r.as_dict() for r in (*outcome.reasons, *decided.reasons)]
    reasons = queue_reasons(SimpleNamespace(decision_reasons=entries, face_similarity=None, mismatch_tags=[]))
    assert [r.kind for r in reasons] == ["aml"] and "Moammar Kadhafi" in reasons[0].text
    failed = outcome_of(SimpleNamespace(state="failed", error=NO_LIST, lists=[], hits=[]))
    assert failed != ScreeningOutcome()
    short = queue_reasons(SimpleNamespace(decision_reasons=[r.as_dict() for r in failed.reasons],
                                          face_similarity=None, mismatch_tags=[]))
    assert short[0].kind == "aml" and NO_LIST in short[0].text
