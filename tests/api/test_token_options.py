"""The token request's documented options, without a server: each is honoured, or refused by
name; none is accepted and ignored; keys iDenfy does not document are refused as unknown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openidv.api.schemas import TokenRequest, parse_model
from openidv.core.errors import BadValue, MissingValue
from openidv.core.offered import NOT_OFFERED, VIDEO_CALL_TOKEN_TYPES
from openidv.core.token import TokenOptions
from openidv.services.intake import token_defaults
from openidv.services.partners import PartnerContext
from tests.contract.contract import SCHEMAS, assert_matches

PARTNER = PartnerContext(id=1, name="p", callback_url=None, review_policy="automatic", minimum_age=None,
                         photo_validation=True, max_image_bytes=None, rate_limit_per_hour=None, success_url=None,
                         error_url=None, unverified_url=None, frame_ancestors=None)
# For each refused option, a value that asks for something openidv does not do.
ASKING = {"videoCallQuestions": ["Show your card"], "additionalData": {"SSN": "1"}, "checkLiveness": False,
          "driverLicenseBack": False, "maxAttemptCount": 2, "faceMatchingThresholdModifier": 0.8,
          "levenshteinTextMatchRatio": 0.5, "levenshteinMrzMatchRatio": 0.5, "fraudServices": ["AML_NAMES_CHECK"],
          "detectionTypes": ["EYES"], "riskAssessmentProfile": "5f1c4b9e-6c61-4a7f-9b8e-0f3a1d2c4e5f",
          "theme": "5f1c4b9e-6c61-4a7f-9b8e-0f3a1d2c4e5f", "registryCentersCountries": ["LT"]}


def parse(body: dict) -> TokenRequest:
    return parse_model(TokenRequest, body)


def echo(body: dict, partner: PartnerContext = PARTNER) -> dict:
    req = parse(body)
    given = req.model_dump(exclude_unset=True) | {"clientId": req.clientId}
    given.pop("personScanRef", None)
    return token_defaults(given, partner)


def test_every_documented_option_is_known():
    """Each option in the token-request schema (written from iDenfy's pages) is a field openidv
    declares: honoured, or refused by name; none falls through as 'unknown'."""
    documented = set(json.loads((SCHEMAS / "token-request.json").read_text())["properties"])
    assert documented <= set(TokenRequest.model_fields), documented - set(TokenRequest.model_fields)


@pytest.mark.parametrize("name", sorted(NOT_OFFERED))
def test_an_option_openidv_cannot_honour_is_refused_by_name(name):
    value = ASKING.get(name, True)
    with pytest.raises(BadValue) as refused:
        parse({"clientId": "u", name: value})
    assert f"'{name}'" in refused.value.message and "not offered" in refused.value.message


@pytest.mark.parametrize("name, value", [("checkAml", False), ("verifyEmail", False), ("videoCallQuestions", []),
                                         ("checkLiveness", True), ("maxAttemptCount", 0), ("fraudServices", []),
                                         ("faceMatchingThresholdModifier", 1), ("driverLicenseBack", True)])
def test_values_that_ask_for_nothing_are_accepted(name, value):
    parse({"clientId": "u", name: value})


@pytest.mark.parametrize("token_type", ["VIDEO_CALL", "VIDEO_CALL_PHOTOS", "VIDEO_CALL_IDENTIFICATION"])
def test_video_call_tokens_are_refused_naming_the_type(token_type):
    with pytest.raises(BadValue) as refused:
        parse({"clientId": "u", "tokenType": token_type})
    assert token_type in refused.value.message and "tokenType" in refused.value.message


def test_a_key_iDenfy_does_not_document_is_refused_as_unknown():
    with pytest.raises(BadValue) as refused:
        parse({"clientId": "u", "userEmail": "a@example.org"})
    assert "Unknown field 'userEmail'" in refused.value.message


def test_person_scan_ref_is_the_legacy_name_of_client_id():
    assert parse({"personScanRef": "legacy-1"}).clientId == "legacy-1"
    assert echo({"personScanRef": "legacy-1"})["clientId"] == "legacy-1"
    assert parse({"clientId": "x", "personScanRef": "x"}).clientId == "x"
    with pytest.raises(BadValue):
        parse({"clientId": "x", "personScanRef": "y"})
    with pytest.raises(MissingValue):
        parse({})


def test_names_are_upper_cased_and_checked_for_documented_characters():
    body = echo({"clientId": "u", "firstName": "John Tom", "lastName": "Smith-Jones"})
    assert (body["firstName"], body["lastName"]) == ("JOHN TOM", "SMITH-JONES")
    with pytest.raises(BadValue):
        parse({"clientId": "u", "firstName": "John;"})


def test_country_as_a_list_restricts_the_issuing_countries():
    body = echo({"clientId": "u", "country": ["us", "GB", "US"]})
    assert body["country"] == ["US", "GB"]
    options = TokenOptions.from_stored(body)
    assert options.countries == ("US", "GB") and options.country is None
    assert options.allows_country("gb") and not options.allows_country("DE")
    assert body["allowedDocuments"] == {"US": body["documents"], "GB": body["documents"]}
    single = TokenOptions.from_stored(echo({"clientId": "u", "country": ["lt"]}))
    assert single.country == "LT"
    with pytest.raises(BadValue):
        parse({"clientId": "u", "country": []})


def test_nationality_all_clears_it():
    assert echo({"clientId": "u", "nationality": "ALL"})["nationality"] is None


def test_every_documented_document_type_is_accepted():
    body = echo({"clientId": "u", "documents": ["VISA", "MILITARY_CARD", "PASSPORT"]})
    assert body["documents"] == ["VISA", "MILITARY_CARD", "PASSPORT"]
    with pytest.raises(BadValue):
        parse({"clientId": "u", "documents": ["SELFIE"]})


def test_answer_has_documented_keys_and_objects():
    body = echo({"clientId": "u"})
    assert body["personScanRef"] == "u"
    assert body["additionalSteps"] == {} and body["additionalData"] == {}
    assert echo({"clientId": "u", "additionalSteps": {"ALL": {"ALL": {}}}})["additionalSteps"] == {}
    answer = {"message": "Token created successfully", "authToken": "A" * 32, "scanRef": "s", **body,
              "digitString": None, "redirectUrl": "http://127.0.0.1:8000/api/v2/redirect?authToken=x"}
    assert_matches("token-response.json", answer)


def test_utility_bill_is_an_upload_step_and_excludes_additional_steps():
    body = echo({"clientId": "u", "utilityBill": True})
    assert body["additionalSteps"] == {"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}}
    with pytest.raises(BadValue):
        parse({"clientId": "u", "utilityBill": True, "additionalSteps": {"ALL": {"ALL": {}}}})


def test_age_bounds():
    options = TokenOptions.from_stored(echo({"clientId": "u", "ageLimit": 18, "ageMax": 65}))
    assert (options.age_limit, options.age_max) == (18, 65)
    with pytest.raises(BadValue):
        parse({"clientId": "u", "ageLimit": 30, "ageMax": 20})


@pytest.mark.parametrize("partner_policy, given, expected", [
    ("automatic", {"reviewFailed": True}, "review_failed"),
    ("automatic", {"reviewSuccessful": True, "reviewFailed": True}, "review_all"),
    ("review_all", {"reviewSuccessful": False}, "review_failed"),
    ("review_failed", {"reviewFailed": False}, "automatic"),
    ("review_all", {}, "review_all"),
])
def test_review_options_set_the_session_policy(partner_policy, given, expected):
    options = TokenOptions.from_stored(echo({"clientId": "u", **given}))
    assert options.review_policy(partner_policy) == expected


def test_reviewing_only_successful_ones_is_refused():
    from openidv.services.intake import check_review_options

    with pytest.raises(BadValue) as refused:
        check_review_options(TokenOptions.from_stored(echo({"clientId": "u", "reviewSuccessful": True})), PARTNER)
    assert "reviewSuccessful" in refused.value.message


def test_duplicate_checks_can_be_switched_off():
    options = TokenOptions.from_stored(echo({"clientId": "u", "checkDuplicateFaces": False,
                                             "checkPersonBlacklist": False}))
    assert not options.check_duplicate_faces and not options.check_person_blacklist
    assert options.check_duplicate_doc_faces and options.check_duplicate_personal_data


def test_the_migration_guide_lists_every_refused_option():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "migrating-from-idenfy.md").read_text()
    missing = [name for name in (*NOT_OFFERED, *VIDEO_CALL_TOKEN_TYPES) if f"`{name}`" not in guide]
    assert not missing, f"docs/migrating-from-idenfy.md does not list {missing}"


def test_aml_options_are_honoured_not_refused():
    """checkAml / autoAmlMonitoring ask for screening and monitoring, which openidv does."""
    options = TokenOptions.from_stored(echo({"clientId": "u", "checkAml": True, "autoAmlMonitoring": True}))
    assert options.check_aml and options.aml_monitoring
    assert not TokenOptions.from_stored(echo({"clientId": "u"})).check_aml
