"""Sanctions/PEP screening end to end, in both modes: the partner policy and the token's
checkAml, the AML block of /status and of the webhook, the decision it makes, an honest
failure without a list, and monitoring after a reload (AML_MONITORING webhook).

The passport is the Czech specimen (SPECIMEN VZOR, born 1911-01-01); the lists are written
here as OpenSanctions FollowTheMoney lines."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.api.test_policy import run_passport, set_policy


def _person(entity_id: str, name: str, dob: str, country: str) -> str:
    return json.dumps({"id": entity_id, "schema": "Person", "caption": name, "target": True,
                       "properties": {"name": [name], "birthDate": [dob], "nationality": [country],
                                      "topics": ["sanction"]}})


def load(service, tmp_path, source: str, *lines: str) -> dict:  # noqa: ANN001
    path = tmp_path / f"{source}-{uuid.uuid4().hex[:6]}.json"
    path.write_text("\n".join(lines) + "\n")
    return json.loads(service.cli("aml", "load", str(path), "--source", source, "--format", "ftm-json").stdout)


def only_block(status: dict) -> dict:
    assert isinstance(status["AML"], list) and len(status["AML"]) == 1, status["AML"]
    return status["AML"][0]


@pytest.mark.slow
def test_screening_policy_token_option_monitoring_and_failure(service, partner, receiver, real_images, tmp_path):
    source = f"t-{uuid.uuid4().hex[:8]}"
    out = set_policy(service, partner, "--aml", "on", "--aml-monitoring", "on")
    assert out["aml"] is True and out["amlMonitoring"] is True

    # Without the policy nor checkAml nothing is screened: the block is null.
    plain = service.create_partner(f"plain-{uuid.uuid4().hex[:6]}")
    assert run_passport(service, plain, real_images, "aml-none")["AML"] is None

    # A list without the person: screened, no hit, the status is not touched by it.
    load(service, tmp_path, source, _person("x-1", "Ivan Petrovich Sidorov", "1970-03-04", "ru"))
    clean = run_passport(service, partner, real_images, "aml-clean")
    block = only_block(clean)
    assert block["status"]["checkSuccessful"] is True and block["status"]["overallStatus"] == "NOT_SUSPECTED"
    assert block["data"] == [] and block["serviceGroupType"] == "AML"
    assert "AML_SUSPECTION" not in clean["fraudTags"] and "AML_FAILED" not in clean["fraudTags"]

    # The reload lists the person: the monitored verification gets an AML_MONITORING webhook.
    report = load(service, tmp_path, source, _person("x-1", "Ivan Petrovich Sidorov", "1970-03-04", "ru"),
                  _person("x-2", "Vzor Specimen", "1911-01-01", "cz"))
    assert clean["scanRef"] in report["monitoring"]["withNewHits"]
    hooks = receiver.wait_for(lambda h: h.headers.get("Idenfy-Event-Type") == "AML_MONITORING"
                              and h.json().get("monitoringId") == clean["scanRef"], timeout=120)
    body = hooks[0].json()
    assert body["alertStatus"] == "ALERT" and body["newHits"] == 1
    item = body["results"][0]["data"][0]
    assert item["listNumber"] == "x-2" and item["listName"] == source and item["score"] >= 90
    with service.client(partner) as c:
        again = c.post("/api/v2/status", json={"scanRef": clean["scanRef"]}).json()
    assert only_block(again)["status"]["overallStatus"] == "SUSPECTED"

    # A new verification of the listed person: SUSPECTED with AML_SUSPECTION, the hit in the
    # webhook's AML block.
    hit = run_passport(service, partner, real_images, "aml-hit")
    assert hit["status"] == "SUSPECTED", hit
    assert "AML_SUSPECTION" in hit["fraudTags"] and "AML_SUSPECTION" in hit["suspicionReasons"]
    block = only_block(hit)
    assert block["status"]["serviceSuspected"] is True and block["data"][0]["listNumber"] == "x-2"
    final = receiver.wait_for(lambda h: h.json().get("scanRef") == hit["scanRef"])[0].json()
    assert final["AML"] == hit["AML"] and "AML_SUSPECTION" in final["status"]["fraudTags"]

    # Under a review policy the same hit goes to a person.
    set_policy(service, partner, "--review", "review_failed")
    assert run_passport(service, partner, real_images, "aml-review")["status"] == "REVIEWING"

    # checkAml on a token asks for screening when the partner's policy does not.
    asked = run_passport(service, plain, real_images, "aml-token", checkAml=True)
    assert only_block(asked)["data"][0]["listNumber"] == "x-2" and asked["status"] == "SUSPECTED"


@pytest.mark.slow
def test_screening_that_cannot_run_is_aml_failed_never_a_pass(service, partner, real_images):
    """No list loaded under this source does not matter; the person has no name read when
    the front is blank: AML_FAILED, with the reason in the block."""
    from tests.conftest import jpeg_bytes
    from tests.api.test_process import b64, new_token, process_body

    set_policy(service, partner, "--aml", "on", "--photo-validation", "off")
    with service.client(partner) as c:
        created = new_token(c, clientId="aml-blank", tokenType="DOCUMENT")
        blank = b64(jpeg_bytes(800, 600, (255, 255, 255)))
        assert c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": blank})).status_code == 200
    status = service.wait_for_status(partner, created["scanRef"])
    block = only_block(status)
    assert block["status"]["checkSuccessful"] is False and block["status"]["overallStatus"] == "NOT_CHECKED"
    assert block["errorMessage"] and "AML_FAILED" in status["fraudTags"]
    assert status["status"] != "APPROVED"
