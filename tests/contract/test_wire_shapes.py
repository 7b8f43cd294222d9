"""The wire shapes (core/wire.py) of verifications in every state, against the contract
schemas, without a server: the cases a running service reaches only slowly or not at all
(rows stored by an older openidv, a reviewer's corrections, duplicates found)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Optional

import pytest

from openidv.core.wire import data_view, full_status_view, status_view, upgrade_stored_payload, webhook_view
from tests.contract.contract import assert_matches, violations

T0 = dt.datetime(2026, 3, 1, 12, 0, 0)
SIGNATURE = "0" * 64


@dataclass
class Record:
    """A verification as the wire shapes read it."""

    scan_ref: str = "7f0c4c1e-2b5a-4a53-9a39-5d1f0f2f0a11"
    client_id: str = "client-1"
    external_ref: Optional[str] = "order-9"
    status: str = "APPROVED"
    platform: Optional[str] = "OTHER"
    country: Optional[str] = "CZ"
    document_type: Optional[str] = "PASSPORT"
    attempt_count: int = 1
    token_request: dict[str, Any] = field(default_factory=lambda: {"clientId": "client-1", "firstName": "ANNA"})
    auto_document: Optional[str] = "DOC_VALIDATED"
    auto_face: Optional[str] = "FACE_MATCH"
    manual_document: Optional[str] = None
    manual_face: Optional[str] = None
    fraud_tags: list[Any] = field(default_factory=list)
    mismatch_tags: list[Any] = field(default_factory=list)
    suspicion_reasons: list[Any] = field(default_factory=list)
    face_similarity: Optional[float] = 0.93
    document_data: dict[str, Any] = field(default_factory=lambda: {
        "doc_name": "ANNA", "doc_surname": "NOVAKOVA", "doc_date_of_birth": "1985-05-17",
        "doc_expiry_date": "2031-01-01", "doc_document_number": "40000000", "doc_sex": "FEMALE",
        "doc_nationality": "CZ", "doc_country": "CZ", "doc_document_type": "PASSPORT",
        "mrz_name": "ANNA", "mrz_surname": "NOVAKOVA", "mrz_sex": "FEMALE",
        "mrz_string": "P<CZENOVAKOVA<<ANNA" + "<" * 25 + "40000000<0CZE8505178F3101014" + "<" * 16,
    })
    manual_data: dict[str, Any] = field(default_factory=dict)
    decision_reasons: list[Any] = field(default_factory=list)
    additional_steps: Optional[dict[str, Any]] = None
    client_ip: Optional[str] = "203.0.113.7"
    duplicate_faces: Optional[list[Any]] = field(default_factory=list)
    duplicate_doc_faces: Optional[list[Any]] = field(default_factory=list)
    created_at: Optional[dt.datetime] = T0
    flow_started_at: Optional[dt.datetime] = None
    start_time: Optional[dt.datetime] = T0 + dt.timedelta(minutes=1)
    finish_time: Optional[dt.datetime] = T0 + dt.timedelta(minutes=2)
    review_time: Optional[dt.datetime] = None


def hook(event: str, record: Record, *, final: bool) -> dict[str, Any]:
    return {"headers": {"idenfy-signature": SIGNATURE, "idenfy-event-type": event,
                        "content-type": "application/json"},
            "body": webhook_view(record, final=final, file_urls={"FRONT": "https://idv.example/files/abc"})}


def test_automatic_result_matches_its_schema():
    assert_matches("webhook-auto-finished.json", hook("IDENTIFICATION_AUTO_FINISHED", Record(), final=True))
    reviewing = Record(status="REVIEWING", auto_face="FACE_UNCERTAIN")
    assert_matches("webhook-auto-finished.json", hook("IDENTIFICATION_AUTO_FINISHED", reviewing, final=False))


def test_the_schemas_catch_what_the_issue_found():
    """Each gap reported against openidv makes the matching schema fail."""
    body = hook("IDENTIFICATION_AUTO_FINISHED", Record(), final=True)
    old_platform = replace_body(body, platform="API")
    assert violations("webhook-auto-finished.json", old_platform)
    missing_keys = replace_body(body)
    del missing_keys["body"]["data"]["fullName"], missing_keys["body"]["clientIp"]
    assert len(violations("webhook-auto-finished.json", missing_keys)) == 2
    no_event = dict(body, headers={"idenfy-signature": SIGNATURE, "content-type": "application/json"})
    assert violations("webhook-auto-finished.json", no_event)
    expired = hook("IDENTIFICATION_EXPIRED", Record(status="EXPIRED", start_time=None), final=True)
    expired["body"]["startTime"] = None
    expired["body"]["status"]["autoFace"] = None
    assert len(violations("webhook-expired.json", expired)) >= 2


def replace_body(instance: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"headers": dict(instance["headers"]), "body": {**instance["body"], "data": dict(instance["body"]["data"]),
                                                            **changes}}


def test_manual_result_with_corrected_data():
    reviewed = Record(manual_document="DOC_VALIDATED", manual_face="FACE_MATCH", review_time=T0 + dt.timedelta(hours=1),
                      manual_data={"manual_surname": "NOVAKOVA-SVOBODOVA", "manual_sex": "F"})
    instance = hook("IDENTIFICATION_MANUAL_FINISHED", reviewed, final=True)
    assert_matches("webhook-manual-finished.json", instance)
    data = instance["body"]["data"]
    assert data["manuallyDataChanged"] is True
    assert data["docLastName"] == "NOVAKOVA-SVOBODOVA" and data["fullName"] == "ANNA NOVAKOVA-SVOBODOVA"
    assert data["docSex"] == "FEMALE"  # the reviewer's M/F in iDenfy's words


def test_manually_data_changed_only_when_a_value_differs():
    assert data_view(Record())["manuallyDataChanged"] is False
    same = Record(manual_data={"manual_surname": "novakova", "manual_sex": "F"})
    assert data_view(same)["manuallyDataChanged"] is False
    assert data_view(Record(manual_data={"manual_date_of_birth": "1985-05-18"}))["manuallyDataChanged"] is True


def test_expired_token_has_documented_values_not_nulls():
    expired = Record(status="EXPIRED", platform=None, country=None, document_type=None, auto_document="DOC_NOT_ANALYSED",
                     auto_face="FACE_NOT_ANALYSED", document_data={}, client_ip=None, duplicate_faces=None,
                     duplicate_doc_faces=None, start_time=None, face_similarity=None)
    instance = hook("IDENTIFICATION_EXPIRED", expired, final=True)
    instance["body"]["fileUrls"] = {}
    assert_matches("webhook-expired.json", instance)
    assert instance["body"]["startTime"] == int(T0.replace(tzinfo=dt.timezone.utc).timestamp())
    assert instance["body"]["platform"] == "OTHER"
    # A row expired by an older openidv (no codes stored) reads the same.
    older = replace(expired, auto_document=None, auto_face=None)
    assert status_view(older)["autoDocument"] == "DOC_NOT_ANALYSED"
    assert_matches("status.json", status_view(older))


def test_rows_stored_with_platform_api_go_out_as_other():
    assert webhook_view(Record(platform="API"), final=True, file_urls={})["platform"] == "OTHER"
    assert webhook_view(Record(platform="MOBILE"), final=True, file_urls={})["platform"] == "MOBILE"


def test_an_older_stored_payload_is_brought_to_todays_shape():
    """A webhook queued before an upgrade (platform API, fewer keys, null codes) is sent in
    today's documented shape."""
    old = {"final": True, "platform": "API",
           "status": {"overall": "EXPIRED", "suspicionReasons": [], "fraudTags": [], "mismatchTags": [],
                      "autoFace": None, "manualFace": None, "autoDocument": None, "manualDocument": None,
                      "additionalSteps": None},
           "data": {k: None for k in ("docFirstName", "docLastName", "docNumber", "docPersonalCode", "docExpiry",
                                      "docDob", "docDateOfIssue", "docType", "docSex", "docNationality",
                                      "docIssuingCountry", "mrzString")},
           "fileUrls": {}, "additionalStepPdfUrls": {}, "scanRef": "s-1", "externalRef": None, "clientId": "c",
           "startTime": None, "finishTime": 1767268800}
    instance = {"headers": {"idenfy-signature": SIGNATURE, "idenfy-event-type": "IDENTIFICATION_EXPIRED",
                            "content-type": "application/json"}, "body": upgrade_stored_payload(old)}
    assert_matches("webhook-expired.json", instance)
    assert upgrade_stored_payload({}) == {}


def test_duplicates_are_the_other_scan_refs():
    found = Record(fraud_tags=["DUPLICATE_FACE", "DUPLICATE_DOC_FACE"], status="SUSPECTED",
                   duplicate_faces=["a5a1b3c4-0000-4000-8000-000000000001"],
                   duplicate_doc_faces=["a5a1b3c4-0000-4000-8000-000000000001", "b5a1b3c4-0000-4000-8000-000000000002"])
    data = data_view(found)
    assert data["duplicateFaces"] == ["a5a1b3c4-0000-4000-8000-000000000001"]
    assert len(data["duplicateDocFaces"]) == 2
    assert_matches("data.json", data)
    assert data_view(replace(found, duplicate_faces=None))["duplicateFaces"] is None  # the check did not run


@pytest.mark.parametrize("record", [
    Record(),
    Record(status="ACTIVE", auto_document=None, auto_face=None, start_time=None, finish_time=None, document_data={}),
    Record(status="DELETED", document_data={}, token_request={"clientId": "client-1"}, client_id="client-1"),
    Record(status="DENIED", auto_document="DOC_NOT_SUPPORTED", auto_face="FACE_NOT_ANALYSED", document_type="MILITARY_CARD",
           document_data={}),
], ids=["approved", "active", "deleted", "not-supported"])
def test_retrieval_shapes_match(record):
    assert_matches("status.json", status_view(record))
    assert_matches("data.json", data_view(record))
    assert_matches("full-status.json", full_status_view(record))
    assert_matches("full-status.json", full_status_view(record, include_reasons=True))


def test_webhook_lists_every_documented_key_once():
    body = webhook_view(Record(), final=True, file_urls={})
    for absent in ("AML", "LID", "amlCheck", "companyId", "beneficiaryId", "clientIpCountry", "clientLocation",
                   "gdcMatch"):
        assert body[absent] is None, absent
    assert body["clientIp"] == "203.0.113.7"
    assert body["data"]["selectedCountry"] == "CZ" and body["data"]["fullName"] == "ANNA NOVAKOVA"


@dataclass
class Screening:
    """A verification's stored sanctions/PEP screening as the AML block reads it."""

    state: str = "screened"
    error: Optional[str] = None
    hits: list[Any] = field(default_factory=list)
    screened_at: dt.datetime = T0 + dt.timedelta(minutes=2)
    rescreened_at: Optional[dt.datetime] = None
    person: dict[str, Any] = field(default_factory=lambda: {"firstName": "ANNA", "lastName": "NOVAKOVA",
                                                            "dateOfBirth": "1985-05-17", "nationality": "cz"})


HIT = {"score": 0.97, "source": "un-sc", "sourceListDate": "2024-03-05", "review": None, "entityHash": "0" * 32,
       "entity": {"source": "un-sc", "entityId": "QDi.001", "schema": "person", "name": "Anna Novakova",
                  "aliases": [], "birthDates": ["1985-05-17"], "countries": ["cz"], "programs": ["Test"],
                  "topics": ["sanction"], "listDate": "2011-02-26", "url": None},
       "reason": {"queryName": "ANNA NOVAKOVA", "matchedName": "Anna Novakova", "nameScore": 1.0,
                  "dateOfBirth": "exact", "nationality": "match"}}


@dataclass
class Screened(Record):
    aml: Optional[Screening] = None


@pytest.mark.parametrize("screening", [Screening(), Screening(hits=[HIT]),
                                       Screening(hits=[dict(HIT, review="false_positive")]),
                                       Screening(state="failed", error="no sanctions/PEP list is loaded")],
                         ids=["no-hit", "hit", "false-positive", "failed"])
def test_the_aml_block_matches_its_schema_in_status_and_webhook(screening):
    record = Screened(status="SUSPECTED", fraud_tags=["AML_SUSPECTION"], suspicion_reasons=["AML_SUSPECTION"],
                      aml=screening)
    assert_matches("status.json", status_view(record))
    assert_matches("webhook-auto-finished.json", hook("IDENTIFICATION_AUTO_FINISHED", record, final=True))
    block = status_view(record)["AML"][0]
    assert block["status"]["checkSuccessful"] is (screening.state == "screened")
    assert block["status"]["serviceSuspected"] is (screening.hits == [HIT])
    assert webhook_view(record, final=True, file_urls={})["AML"] == status_view(record)["AML"]
