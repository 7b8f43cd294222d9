"""Documented iDenfy token options that openidv does not offer, and the values of each that
ask for nothing openidv lacks.

A token request may carry any option iDenfy documents. When openidv cannot do what an
option asks, the request is refused (BAD_VALUE naming the option): an option accepted and
then ignored would let a partner believe a check ran that never did. Values that ask for
nothing (a check switched off, an empty list) are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional


def _false(value: Any) -> bool:
    return value is None or value is False


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _none(value: Any) -> bool:
    return value is None


@dataclass(frozen=True)
class NotOffered:
    """A documented option and the values openidv can honour (those that ask for nothing)."""

    name: str
    honoured: Callable[[Any], bool]
    why: str


_NOT_OFFERED = (
    NotOffered("videoCallQuestions", _empty, "video-call verification is not offered"),
    NotOffered("additionalData", _empty, "COMPARE-type additional steps are not offered (UPLOAD steps are)"),
    NotOffered("checkLiveness", lambda v: v is None or v is True, "openidv always checks the selfie's liveness"),
    NotOffered("driverLicenseBack", lambda v: v is None or v is True,
               "openidv always asks for the back of a driver licence"),
    NotOffered("maxAttemptCount", lambda v: v is None or v == 0,
               "one attempt per token: a person who fails the automatic check cannot retry with the same token"),
    NotOffered("faceMatchingThresholdModifier", lambda v: v is None or v == 1,
               "face-match thresholds are calibrated and fixed"),
    NotOffered("levenshteinTextMatchRatio", _none, "text-comparison thresholds are fixed"),
    NotOffered("levenshteinMrzMatchRatio", _none, "MRZ-comparison thresholds are fixed"),
    NotOffered("fraudServices", _empty, "the AML, LID and adverse-media services are not offered"),
    NotOffered("detectionTypes", _empty, "selfie detection priorities are not configurable"),
    NotOffered("riskAssessmentProfile", _none, "risk assessment is not offered"),
    NotOffered("theme", _none, "hosted-flow themes are not offered"),
    NotOffered("registryCentersCountries", _empty, "registry-centre checks are not offered"),
    *(NotOffered(name, _false, why) for name, why in (
        ("verifyEmail", "e-mail verification is not offered"),
        ("verifyPhone", "phone verification is not offered"),
        ("verifyBank", "bank verification is not offered"),
        ("verifyBankAccounts", "bank verification is not offered"),
        ("verifyBankBalances", "bank verification is not offered"),
        ("verifyBankTransactions", "bank verification is not offered"),
        ("bankCardVerification", "bank-card verification is not offered"),
        ("bankCardPdfUpload", "bank-card verification is not offered"),
        ("verifyAddress", "address verification is not offered"),
        ("checkCriminal", "criminal-record checks are not offered"),
        ("checkFaceBlacklist", "a face blocklist is not offered (the document-number blocklist is)"),
        ("checkDocFaceBlacklist", "a face blocklist is not offered (the document-number blocklist is)"),
        ("checkDriverLicense", "driver-licence registry checks are not offered"),
        ("checkLid", "the lost and invalid documents (LID) check is not offered"),
        ("checkIpProxy", "IP proxy checks are not offered"),
        ("checkUrjanet", "utility-address checks are not offered"),
        ("allowBsnMasking", "BSN masking is not offered"),
        ("nfcRequired", "NFC chip reading is not offered"),
        ("nfcOptional", "NFC chip reading is not offered"),
    )),
)
NOT_OFFERED: dict[str, NotOffered] = {o.name: o for o in _NOT_OFFERED}
# Token types of the video-call service, which openidv does not have.
VIDEO_CALL_TOKEN_TYPES = ("VIDEO_CALL", "VIDEO_CALL_PHOTOS", "VIDEO_CALL_IDENTIFICATION")


def refused_option(request: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    """The first documented option (name, why) whose value asks for what openidv lacks."""
    for name, value in request.items():
        option = NOT_OFFERED.get(name)
        if option is not None and not option.honoured(value):
            return name, option.why
    return None
