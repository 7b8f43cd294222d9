"""The token request as stored with a verification: every option, typed, read in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from openidv.core.vocab import DOCUMENT_TYPES, ReviewPolicy, TokenType

DEFAULT_EXPIRY_SECONDS = 3600
DEFAULT_SESSION_SECONDS = 600
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class TokenOptions:
    """What the partner asked for at POST /token, with defaults filled in.

    Built from the stored JSON (``Verification.token_request``), so the rest of the code
    reads attributes instead of string keys.
    """

    client_id: str = ""
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    date_of_birth: Optional[str] = None
    date_of_expiry: Optional[str] = None
    date_of_issue: Optional[str] = None
    nationality: Optional[str] = None
    # The one issuing country the person may not change (``country`` given as a string or a
    # list of one); ``countries`` is every country allowed (empty: any).
    country: Optional[str] = None
    countries: tuple[str, ...] = ()
    personal_number: Optional[str] = None
    document_number: Optional[str] = None
    sex: Optional[str] = None
    address: Optional[str] = None
    documents: tuple[str, ...] = DOCUMENT_TYPES
    token_type: str = TokenType.IDENTIFICATION
    expiry_time: int = DEFAULT_EXPIRY_SECONDS
    session_length: int = DEFAULT_SESSION_SECONDS
    success_url: Optional[str] = None
    error_url: Optional[str] = None
    unverified_url: Optional[str] = None
    callback_url: Optional[str] = None
    locale: str = DEFAULT_LOCALE
    external_ref: Optional[str] = None
    additional_steps: Optional[Mapping[str, Any]] = None
    has_questionnaire: bool = False
    show_instructions: bool = True
    # Age bounds of this session (ageLimit, ageMax): outside them, UNDER_AGE / OVER_AGE.
    age_limit: Optional[int] = None
    age_max: Optional[int] = None
    # Per-session review policy (reviewSuccessful, reviewFailed); None: the partner's.
    review_successful: Optional[bool] = None
    review_failed: Optional[bool] = None
    # Checks across verifications a session may switch off (all on unless given false).
    check_duplicate_faces: bool = True
    check_duplicate_doc_faces: bool = True
    check_duplicate_personal_data: bool = True
    check_person_blacklist: bool = True
    # Sanctions/PEP screening (checkAml) and re-screening after list reloads
    # (autoAmlMonitoring) for this session, besides the partner's policy.
    check_aml: bool = False
    aml_monitoring: bool = False

    @classmethod
    def from_stored(cls, stored: Optional[Mapping[str, Any]]) -> "TokenOptions":
        s = stored or {}
        return cls(
            client_id=s.get("clientId") or "",
            first_name=s.get("firstName"),
            last_name=s.get("lastName"),
            date_of_birth=s.get("dateOfBirth"),
            date_of_expiry=s.get("dateOfExpiry"),
            date_of_issue=s.get("dateOfIssue"),
            nationality=s.get("nationality"),
            country=_fixed_country(s.get("country")),
            countries=_countries(s.get("country")),
            personal_number=s.get("personalNumber"),
            document_number=s.get("documentNumber"),
            sex=s.get("sex"),
            address=s.get("address"),
            documents=tuple(s.get("documents") or DOCUMENT_TYPES),
            token_type=s.get("tokenType") or TokenType.IDENTIFICATION,
            expiry_time=int(s.get("expiryTime") or DEFAULT_EXPIRY_SECONDS),
            session_length=int(s.get("sessionLength") or DEFAULT_SESSION_SECONDS),
            success_url=s.get("successUrl"),
            error_url=s.get("errorUrl"),
            unverified_url=s.get("unverifiedUrl"),
            callback_url=s.get("callbackUrl"),
            locale=s.get("locale") or DEFAULT_LOCALE,
            external_ref=s.get("externalRef"),
            additional_steps=s.get("additionalSteps"),
            has_questionnaire=s.get("questionnaire") is not None,
            show_instructions=s.get("showInstructions", True) is not False,
            age_limit=s.get("ageLimit"),
            age_max=s.get("ageMax"),
            review_successful=s.get("reviewSuccessful"),
            review_failed=s.get("reviewFailed"),
            check_duplicate_faces=s.get("checkDuplicateFaces") is not False,
            check_duplicate_doc_faces=s.get("checkDuplicateDocFaces") is not False,
            check_duplicate_personal_data=s.get("checkDuplicatePersonalData") is not False,
            check_person_blacklist=s.get("checkPersonBlacklist") is not False,
            check_aml=s.get("checkAml") is True,
            aml_monitoring=s.get("autoAmlMonitoring") is True,
        )

    def review_policy(self, partner_policy: str) -> str:
        """The review policy of this session: the partner's, changed by reviewSuccessful /
        reviewFailed when given. Reviewing successful but not failed verifications is not a
        policy openidv has; should a partner's later policy change lead there, all are
        reviewed (more review, never less)."""
        successful, failed = review_flags(partner_policy)
        if self.review_successful is not None:
            successful = self.review_successful
        if self.review_failed is not None:
            failed = self.review_failed
        return policy_from_flags(successful, failed) or ReviewPolicy.REVIEW_ALL

    def allows_country(self, country: str) -> bool:
        return not self.countries or country.upper() in self.countries

    def given_person_data(self) -> dict[str, Optional[str]]:
        """The personal data the partner gave, keyed as the mismatch check compares it."""
        return {
            "firstName": self.first_name, "lastName": self.last_name, "dateOfBirth": self.date_of_birth,
            "dateOfExpiry": self.date_of_expiry, "dateOfIssue": self.date_of_issue,
            "nationality": self.nationality, "personalNumber": self.personal_number,
            "documentNumber": self.document_number, "sex": self.sex,
        }


def _countries(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.upper(),)
    if isinstance(value, (list, tuple)):
        return tuple(dict.fromkeys(str(c).upper() for c in value))
    return ()


def _fixed_country(value: Any) -> Optional[str]:
    countries = _countries(value)
    return countries[0] if len(countries) == 1 else None


def review_flags(policy: str) -> tuple[bool, bool]:
    """(review successful, review failed) of a partner's review policy."""
    return {
        ReviewPolicy.REVIEW_ALL: (True, True),
        ReviewPolicy.REVIEW_FAILED: (False, True),
    }.get(policy, (False, False))


def policy_from_flags(successful: bool, failed: bool) -> Optional[str]:
    """The review policy for iDenfy's reviewSuccessful / reviewFailed; None when openidv has
    none (successful reviewed, failed not)."""
    return {
        (True, True): ReviewPolicy.REVIEW_ALL,
        (False, True): ReviewPolicy.REVIEW_FAILED,
        (False, False): ReviewPolicy.AUTOMATIC,
    }.get((successful, failed))
