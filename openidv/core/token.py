"""The token request as stored with a verification: every option, typed, read in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from openidv.core.vocab import DOCUMENT_TYPES, TokenType

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
    country: Optional[str] = None
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
            country=s.get("country"),
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
        )

    def given_person_data(self) -> dict[str, Optional[str]]:
        """The personal data the partner gave, keyed as the mismatch check compares it."""
        return {
            "firstName": self.first_name, "lastName": self.last_name, "dateOfBirth": self.date_of_birth,
            "dateOfExpiry": self.date_of_expiry, "dateOfIssue": self.date_of_issue,
            "nationality": self.nationality, "personalNumber": self.personal_number,
            "documentNumber": self.document_number, "sex": self.sex,
        }
