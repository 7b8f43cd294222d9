"""What real iDenfy client code expects of a verification, seen through the API: token
options that change the outcome (country list, document types openidv cannot read, age
bounds), the platform and address of direct processing, and duplicate faces by scanRef."""

from __future__ import annotations

import pytest

from tests.api.test_policy import run_passport
from tests.api.test_process import PLAIN, b64, new_token, process_body
from tests.api.test_tokens import assert_error


def test_a_country_outside_the_tokens_list_is_refused(service, partner):
    with service.client(partner) as c:
        token = new_token(c, tokenType="DOCUMENT", country=["LT", "LV"])["authToken"]
        body = assert_error(c.post("/api/v2/process", json=process_body(token, {"FRONT": PLAIN})), 400, "BAD_VALUE")
        assert "country" in body["message"] and "CZ" in body["message"]
        ok = c.post("/api/v2/process", json={**process_body(token, {"FRONT": PLAIN}), "country": "LV"})
        assert ok.status_code == 200, ok.text


def test_a_document_type_openidv_cannot_read_is_doc_not_supported(service, partner):
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT", documents=["MILITARY_CARD", "PASSPORT"])
        r = c.post("/api/v2/process", json={**process_body(created["authToken"], {"FRONT": PLAIN}),
                                            "documentType": "MILITARY_CARD"})
        assert r.status_code == 200, r.text
    status = service.wait_for_status(partner, created["scanRef"])
    assert (status["status"], status["autoDocument"]) == ("DENIED", "DOC_NOT_SUPPORTED")
    with service.client(partner) as c:
        data = c.post("/api/v2/data", json={"scanRef": created["scanRef"]}).json()
    assert data["docType"] == "MILITARY_CARD"


def test_direct_processing_is_platform_other_with_the_callers_address(service, partner, receiver):
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT")
        assert c.post("/api/v2/process", json=process_body(created["authToken"], {"FRONT": PLAIN})).status_code == 200
    hook = receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}"
                             and h.json()["scanRef"] == created["scanRef"])[0].json()
    assert hook["platform"] == "OTHER" and hook["clientIp"] == "127.0.0.1"
    assert hook["clientIpCountry"] is None  # no IP-location data is shipped


@pytest.mark.slow
def test_age_max_tags_an_older_holder(service, partner, real_images):
    status = run_passport(service, partner, real_images, "age-1", ageMax=1)
    assert "OVER_AGE" in status["mismatchTags"], status


@pytest.mark.slow
def test_duplicate_faces_name_the_other_scan_refs(service, partner, real_images):
    images = {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])}
    scan_refs = []
    with service.client(partner) as c:
        for client_id in ("dup-face-a", "dup-face-b"):
            created = new_token(c, clientId=client_id)
            assert c.post("/api/v2/process", json=process_body(created["authToken"], images)).status_code == 200
            service.wait_for_status(partner, created["scanRef"])
            scan_refs.append(created["scanRef"])
        first, second = (c.post("/api/v2/data", json={"scanRef": s}).json() for s in scan_refs)
        status = c.post("/api/v2/status", json={"scanRef": scan_refs[1]}).json()
    assert first["duplicateFaces"] == [] and first["duplicateDocFaces"] == []
    assert {"DUPLICATE_FACE", "DUPLICATE_DOC_FACE"} <= set(status["fraudTags"]), status
    assert second["duplicateFaces"] == [scan_refs[0]] and second["duplicateDocFaces"] == [scan_refs[0]]


def test_the_hosted_flow_offers_only_the_tokens_countries_and_records_the_browser(service, partner, receiver):
    from tests.web.test_flow import browser_client

    service.cli("partner", "policy", partner.api_key, "--photo-validation", "off")
    with service.client(partner) as c:
        created = new_token(c, tokenType="DOCUMENT", documents=["PASSPORT"], country=["LT", "LV"])
    key = created["authToken"]
    with browser_client(service) as browser:
        page = browser.get(f"/flow/{key}").text
        assert '<option value="LT">' in page and '<option value="LV">' in page
        assert '<option value="DE">' not in page
        outside = browser.post(f"/flow/{key}/submit", json={"country": "DE", "documentType": "PASSPORT",
                                                            "images": {"FRONT": PLAIN}})
        assert outside.json()["identifier"] == "BAD_VALUE"
        inside = browser.post(f"/flow/{key}/submit", json={"country": "LV", "documentType": "PASSPORT",
                                                           "images": {"FRONT": PLAIN}})
        assert inside.json()["ok"] is True, inside.text
    hook = receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}"
                             and h.json()["scanRef"] == created["scanRef"])[0].json()
    assert hook["platform"] == "PC" and hook["clientIp"] == "127.0.0.1" and hook["data"]["selectedCountry"] == "LV"
