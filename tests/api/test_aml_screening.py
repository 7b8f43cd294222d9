"""Sanctions/PEP screening end to end, in both modes: the partner policy and the token's
checkAml, the AML block of /status and of the webhook, the decision it makes, an honest
failure, and monitoring after a reload (AML_MONITORING webhook).

The document is a generated Virginia driving licence that passes every check (its barcode
is read); the lists are written here as OpenSanctions FollowTheMoney lines."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.test_driver_licence import _jpeg
from tests.api.test_policy import set_policy
from tests.api.test_process import b64, new_token
from tests.conftest import jpeg_bytes
from tests.pipeline.test_barcode_side import licence


@pytest.fixture(scope="module")
def card():  # noqa: ANN201
    _, front, back = licence("aml-licence")
    return {"FRONT": b64(_jpeg(front)), "BACK": b64(_jpeg(back))}


def verify(service, partner, images: dict, client_id: str, **token_fields) -> dict:  # noqa: ANN001
    with service.client(partner) as c:
        token = new_token(c, clientId=client_id, tokenType="DOCUMENT", **token_fields)
        r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "US",
                                            "documentType": "DRIVER_LICENSE", "images": images,
                                            "skipAnalysis": True})
        assert r.status_code == 200, r.text
    return service.wait_for_status(partner, token["scanRef"])


def _person(entity_id: str, name: str, dob: str, country: str) -> str:
    return json.dumps({"id": entity_id, "schema": "Person", "caption": name, "target": True,
                       "properties": {"name": [name], "birthDate": [dob], "nationality": [country],
                                      "topics": ["sanction"]}})


def load(service, tmp_path, source: str, *lines: str) -> dict:  # noqa: ANN001
    path = tmp_path / f"{source}-{uuid.uuid4().hex[:6]}.json"
    path.write_text("\n".join(lines) + "\n")
    return json.loads(service.cli("aml", "load", str(path), "--source", source, "--format", "ftm-json").stdout)


def event_type(hook) -> str:  # noqa: ANN001
    return {k.lower(): v for k, v in hook.headers.items()}.get("idenfy-event-type", "")


def only_block(status: dict) -> dict:
    assert isinstance(status["AML"], list) and len(status["AML"]) == 1, status["AML"]
    return status["AML"][0]


@pytest.mark.slow
def test_policy_token_option_decision_block_and_monitoring(service, partner, receiver, card, tmp_path):
    source = f"t-{uuid.uuid4().hex[:8]}"
    out = set_policy(service, partner, "--aml", "on", "--aml-monitoring", "on")
    assert out["aml"] is True and out["amlMonitoring"] is True

    # Without the policy nor checkAml nothing is screened: the block is null.
    plain = service.create_partner(f"plain-{uuid.uuid4().hex[:6]}")
    assert verify(service, plain, card, "aml-none")["AML"] is None

    # A list without the person: screened, no hit, the verification passes.
    other = _person("x-1", "Ivan Petrovich Sidorov", "1970-03-04", "ru")
    load(service, tmp_path, source, other)
    clean = verify(service, partner, card, "aml-clean")
    block = only_block(clean)
    assert block["status"]["checkSuccessful"] is True and block["status"]["overallStatus"] == "NOT_SUSPECTED"
    assert block["data"] == [] and block["serviceGroupType"] == "AML"
    assert clean["status"] == "APPROVED", clean

    # The reload lists the person as the document reads: the monitored verification gets an
    # AML_MONITORING webhook; its status stays.
    with service.client(partner) as c:
        read = c.post("/api/v2/data", json={"scanRef": clean["scanRef"]}).json()
    listed = _person("x-2", f"{read['docFirstName']} {read['docLastName']}", read["docDob"], "us")
    report = load(service, tmp_path, source, other, listed)
    assert report["monitoring"]["withNewHits"] == [clean["scanRef"]]
    hooks = receiver.wait_for(lambda h: event_type(h) == "AML_MONITORING"
                              and h.json().get("monitoringId") == clean["scanRef"], timeout=120)
    body = hooks[0].json()
    assert body["alertStatus"] == "ALERT" and body["newHits"] == 1
    item = body["results"][0]["data"][0]
    assert item["listNumber"] == "x-2" and item["listName"] == source and item["score"] >= 90
    with service.client(partner) as c:
        again = c.post("/api/v2/status", json={"scanRef": clean["scanRef"]}).json()
    assert only_block(again)["status"]["overallStatus"] == "SUSPECTED" and again["status"] == "APPROVED"

    # A new verification of the listed person: SUSPECTED with AML_SUSPECTION; the webhook
    # carries the same AML block as /status.
    hit = verify(service, partner, card, "aml-hit")
    assert hit["status"] == "SUSPECTED", hit
    assert "AML_SUSPECTION" in hit["fraudTags"] and "AML_SUSPECTION" in hit["suspicionReasons"]
    block = only_block(hit)
    assert block["status"]["serviceSuspected"] is True and block["data"][0]["listNumber"] == "x-2"
    final = receiver.wait_for(lambda h: h.json().get("scanRef") == hit["scanRef"])[0].json()
    assert final["AML"] == hit["AML"] and "AML_SUSPECTION" in final["status"]["fraudTags"]

    # Under a review policy the same hit goes to a person.
    set_policy(service, partner, "--review", "review_failed")
    assert verify(service, partner, card, "aml-review")["status"] == "REVIEWING"

    # checkAml on a token asks for screening when the partner's policy does not.
    asked = verify(service, plain, card, "aml-token", checkAml=True)
    assert only_block(asked)["data"][0]["listNumber"] == "x-2" and asked["status"] == "SUSPECTED"


@pytest.mark.slow
def test_screening_that_cannot_run_is_aml_failed_never_a_pass(service, partner):
    """A blank front: no name is read (or, before any list is loaded, there is no list):
    AML_FAILED, with the reason in the block."""
    set_policy(service, partner, "--aml", "on", "--photo-validation", "off")
    blank = b64(jpeg_bytes(800, 600, (255, 255, 255)))
    status = verify(service, partner, {"FRONT": blank, "BACK": blank}, "aml-blank")
    block = only_block(status)
    assert block["status"]["checkSuccessful"] is False and block["status"]["overallStatus"] == "NOT_CHECKED"
    assert block["errorMessage"] and "AML_FAILED" in status["fraudTags"]
    assert status["status"] != "APPROVED"


@pytest.mark.slow
def test_openidv_verify_screens_with_aml(tmp_path) -> None:
    """`openidv verify --aml` screens the person read against the lists of the configured
    database: the hit decides (SUSPECTED, exit 1) and the JSON carries the AML block."""
    from tests.test_cli import run

    _, front, back = licence("aml-licence")
    (tmp_path / "front.jpg").write_bytes(_jpeg(front))
    (tmp_path / "back.jpg").write_bytes(_jpeg(back))
    args = ("verify", "--front", str(tmp_path / "front.jpg"), "--back", str(tmp_path / "back.jpg"),
            "--country", "US", "--document-type", "DRIVER_LICENSE")
    no_list = run(*args, "--aml", env_home=tmp_path)
    assert json.loads(no_list.stdout)["AML"][0]["status"]["overallStatus"] == "NOT_CHECKED", no_list.stderr
    assert no_list.returncode == 1 and "AML_FAILED" in no_list.stderr
    read = json.loads(no_list.stdout)["client_identity_document"]
    (tmp_path / "list.json").write_text(_person("x-9", f"{read['doc_name']} {read['doc_surname']}",
                                                read["doc_date_of_birth"], "us") + "\n")
    assert run("aml", "load", str(tmp_path / "list.json"), env_home=tmp_path).returncode == 0
    out = run(*args, "--aml", env_home=tmp_path)
    body = json.loads(out.stdout)
    assert body["AML"][0]["data"][0]["listNumber"] == "x-9" and body["suspection_reasons"] == ["AML_SUSPECTION"]
    assert out.returncode == 1 and out.stderr.strip().splitlines()[-1].startswith("SUSPECTED")
    assert "AML" not in json.loads(run(*args, env_home=tmp_path).stdout)
