"""POST /api/v2/token: the request as iDenfy documents it, every documented option typed,
and the answer.

An option openidv honours is validated and used; a documented option it cannot honour is
refused with BAD_VALUE naming it (core/offered.py); a key iDenfy does not document is refused
as unknown, because an option silently dropped could be a check the partner counts on.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openidv.api.validation import (
    ADDITIONAL_STEPS_SCHEMA, ALPHA2_CODES, COUNTRY_SCHEMA, DATE_SCHEMA, STEP_NAME_RE, URL_SCHEMA,
    DocumentedType, Strict, check_country, check_date, check_url,
)
from openidv.core.errors import BadValue, MissingValue
from openidv.core.offered import NOT_OFFERED, VIDEO_CALL_TOKEN_TYPES, refused_option
from openidv.core.vocab import DOCUMENTED_DOCUMENT_TYPES, TokenType

# iDenfy: names have no digits and none of these characters.
NAME_FORBIDDEN = "~!@#$%^*()_+={}[]|:;\",<>/?"
_NAME_CLASS = re.escape(NAME_FORBIDDEN).replace("]", r"\]")
NAME_SCHEMA = {"pattern": f"^[^0-9{_NAME_CLASS}]*[^0-9\\s{_NAME_CLASS}][^0-9{_NAME_CLASS}]*$"}
_CLIENT_ID_SCHEMA = {"pattern": "^[\\x20-\\x7E]+$"}
_COUNTRIES_SCHEMA = {"anyOf": [{"type": "string", **COUNTRY_SCHEMA},
                               {"type": "array", "items": {"type": "string", **COUNTRY_SCHEMA},
                                "minItems": 1, "maxItems": len(ALPHA2_CODES)}]}
_NATIONALITY_SCHEMA = {"enum": [*ALPHA2_CODES, "ALL"]}
_TOKEN_TYPES = (TokenType.IDENTIFICATION, TokenType.DOCUMENT)
# A session with neither clientId nor its legacy name personScanRef is refused.
_ID_REQUIRED = {"anyOf": [{"required": ["clientId"]}, {"required": ["personScanRef"]}]}

Number = Union[int, float]


class TokenRequest(Strict):
    """The token request. Options openidv does not offer are declared with their documented
    types (so a wrong type is BAD_VALUE like any other) and refused by value."""

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True,
                              json_schema_extra=_ID_REQUIRED)

    clientId: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=_CLIENT_ID_SCHEMA)
    personScanRef: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=_CLIENT_ID_SCHEMA)
    firstName: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=NAME_SCHEMA)
    lastName: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=NAME_SCHEMA)
    dateOfBirth: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA)
    dateOfExpiry: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA)
    dateOfIssue: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA)
    nationality: Optional[str] = Field(None, json_schema_extra=_NATIONALITY_SCHEMA)
    country: Optional[Union[str, list[str]]] = Field(None, json_schema_extra=_COUNTRIES_SCHEMA)
    personalNumber: Optional[str] = Field(None, min_length=1, max_length=100)
    documentNumber: Optional[str] = Field(None, min_length=1, max_length=100)
    sex: Optional[Literal["M", "F"]] = None
    address: Optional[str] = Field(None, max_length=255)
    documents: Optional[list[DocumentedType]] = Field(None, min_length=1, max_length=len(DOCUMENTED_DOCUMENT_TYPES))
    tokenType: Optional[str] = Field(None, json_schema_extra={"enum": list(_TOKEN_TYPES)})
    expiryTime: Optional[int] = Field(None, ge=1, le=2_592_000)
    sessionLength: Optional[int] = Field(None, ge=60, le=3600)
    successUrl: Optional[str] = Field(None, json_schema_extra=URL_SCHEMA)
    errorUrl: Optional[str] = Field(None, json_schema_extra=URL_SCHEMA)
    unverifiedUrl: Optional[str] = Field(None, json_schema_extra=URL_SCHEMA)
    callbackUrl: Optional[str] = Field(None, json_schema_extra=URL_SCHEMA)
    locale: Optional[str] = Field(None, json_schema_extra={"pattern": "^[A-Za-z]{2}$"})
    externalRef: Optional[str] = Field(None, max_length=40)
    additionalSteps: Optional[dict[str, Any]] = Field(None, json_schema_extra=ADDITIONAL_STEPS_SCHEMA)
    utilityBill: Optional[bool] = None
    questionnaire: Optional[Any] = None
    questionnaireRequired: Optional[bool] = None
    generateDigitString: Optional[bool] = None
    showInstructions: Optional[bool] = None
    # Honoured options beyond the classic form.
    ageLimit: Optional[int] = Field(None, ge=0, le=150)
    ageMax: Optional[int] = Field(None, ge=0, le=150)
    reviewSuccessful: Optional[bool] = None
    reviewFailed: Optional[bool] = None
    checkDuplicateFaces: Optional[bool] = None
    checkDuplicateDocFaces: Optional[bool] = None
    checkDuplicatePersonalData: Optional[bool] = None
    checkPersonBlacklist: Optional[bool] = None
    # Documented options openidv honours only with values that ask for nothing (core/offered.py).
    videoCallQuestions: Optional[list[str]] = Field(None, json_schema_extra={"maxItems": 0})
    additionalData: Optional[dict[str, Any]] = Field(None, json_schema_extra={"maxProperties": 0})
    checkLiveness: Optional[bool] = None
    driverLicenseBack: Optional[bool] = None
    maxAttemptCount: Optional[int] = None
    faceMatchingThresholdModifier: Optional[Number] = None
    levenshteinTextMatchRatio: Optional[Number] = None
    levenshteinMrzMatchRatio: Optional[Number] = None
    fraudServices: Optional[list[str]] = Field(None, json_schema_extra={"maxItems": 0})
    detectionTypes: Optional[list[str]] = Field(None, json_schema_extra={"maxItems": 0})
    riskAssessmentProfile: Optional[str] = None
    theme: Optional[str] = None
    registryCentersCountries: Optional[list[str]] = Field(None, json_schema_extra={"maxItems": 0})
    verifyEmail: Optional[bool] = None
    verifyPhone: Optional[bool] = None
    verifyBank: Optional[bool] = None
    verifyBankAccounts: Optional[bool] = None
    verifyBankBalances: Optional[bool] = None
    verifyBankTransactions: Optional[bool] = None
    bankCardVerification: Optional[bool] = None
    bankCardPdfUpload: Optional[bool] = None
    verifyAddress: Optional[bool] = None
    checkAml: Optional[bool] = None
    autoAmlMonitoring: Optional[bool] = None
    checkCriminal: Optional[bool] = None
    checkFaceBlacklist: Optional[bool] = None
    checkDocFaceBlacklist: Optional[bool] = None
    checkDriverLicense: Optional[bool] = None
    checkLid: Optional[bool] = None
    checkIpProxy: Optional[bool] = None
    checkUrjanet: Optional[bool] = None
    allowBsnMasking: Optional[bool] = None
    nfcRequired: Optional[bool] = None
    nfcOptional: Optional[bool] = None

    @field_validator("clientId", "personScanRef")
    @classmethod
    def _ascii(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and (not v.isascii() or not v.isprintable()):
            raise ValueError("must be printable ASCII")
        return v

    @field_validator("firstName", "lastName")
    @classmethod
    def _name(cls, v: Optional[str]) -> Optional[str]:
        """iDenfy upper-cases the names it is given; so does openidv (stored and echoed)."""
        if v is None:
            return v
        if any(c.isdigit() or c in NAME_FORBIDDEN for c in v) or not v.strip():
            raise ValueError(f"must be a name without digits or any of {NAME_FORBIDDEN}")
        return v.upper()

    @field_validator("dateOfBirth", "dateOfExpiry", "dateOfIssue")
    @classmethod
    def _date(cls, v: Optional[str]) -> Optional[str]:
        return check_date(v)

    @field_validator("nationality")
    @classmethod
    def _nationality(cls, v: Optional[str]) -> Optional[str]:
        # iDenfy: "ALL" clears a nationality set as the account's default.
        return None if v is not None and v.upper() == "ALL" else check_country(v)

    @field_validator("country")
    @classmethod
    def _country(cls, v: Optional[Union[str, list[str]]]) -> Optional[Union[str, list[str]]]:
        """One issuing country (the person cannot choose), or a list of the allowed ones."""
        if v is None or isinstance(v, str):
            return check_country(v)
        if not v:
            raise ValueError("must name at least one country")
        return list(dict.fromkeys(check_country(c) for c in v))

    @field_validator("tokenType")
    @classmethod
    def _token_type(cls, v: Optional[str]) -> Optional[str]:
        if v in VIDEO_CALL_TOKEN_TYPES:
            raise BadValue(f"Bad value for field 'tokenType': {v} is not offered by openidv "
                           "(video-call verification is not implemented)")
        if v is not None and v not in _TOKEN_TYPES:
            raise ValueError("must be IDENTIFICATION or DOCUMENT")
        return v

    @field_validator("successUrl", "errorUrl", "unverifiedUrl", "callbackUrl")
    @classmethod
    def _url(cls, v: Optional[str]) -> Optional[str]:
        return check_url(v)

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.fullmatch(r"[A-Za-z]{2}", v):
            raise ValueError("must be a 2-letter language code")
        return v.lower() if v else v

    @field_validator("documents")
    @classmethod
    def _unique_documents(cls, v: Optional[list[str]]) -> Optional[list[str]]:
        return list(dict.fromkeys(v)) if v is not None else v

    @field_validator("additionalSteps")
    @classmethod
    def _steps(cls, v: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
        if v is None:
            return v
        for country, by_type in v.items():
            if country != "ALL":
                check_country(country)
            if not isinstance(by_type, dict):
                raise ValueError("must map COUNTRY -> DOCUMENT_TYPE -> {STEP: {type}}")
            for doc_type, steps in by_type.items():
                if doc_type != "ALL" and doc_type not in DOCUMENTED_DOCUMENT_TYPES:
                    raise ValueError(f"unknown document type '{doc_type[:40]}'")
                if not isinstance(steps, dict):
                    raise ValueError("must map COUNTRY -> DOCUMENT_TYPE -> {STEP: {type}}")
                for name, spec in steps.items():
                    if not STEP_NAME_RE.match(name):
                        raise ValueError(f"step name '{name[:40]}' must be A-Z, 0-9 and _")
                    if not isinstance(spec, dict) or spec.get("type") != "UPLOAD":
                        raise ValueError(f"step '{name[:40]}' must be {{\"type\": \"UPLOAD\"}} "
                                         "(COMPARE and EXTRACT steps are not offered)")
        return v

    @model_validator(mode="after")
    def _whole_request(self) -> "TokenRequest":
        if self.clientId is None and self.personScanRef is None:
            raise MissingValue("Missing value for field 'clientId'")
        if self.clientId is not None and self.personScanRef is not None and self.clientId != self.personScanRef:
            raise BadValue("Bad value for field 'personScanRef': the legacy name of clientId, "
                           "it must equal clientId when both are given")
        self.clientId = self.clientId or self.personScanRef
        refused = refused_option({name: getattr(self, name) for name in self.model_fields_set if name in NOT_OFFERED})
        if refused is not None:
            name, why = refused
            raise BadValue(f"Bad value for field '{name}': not offered by openidv ({why})")
        if self.utilityBill and self.additionalSteps is not None:
            raise BadValue("Bad value for field 'utilityBill': cannot be used together with additionalSteps")
        if self.questionnaireRequired is False and self.questionnaire is not None:
            raise BadValue("Bad value for field 'questionnaireRequired': not offered by openidv "
                           "(the hosted flow does not run questionnaires)")
        if self.ageLimit is not None and self.ageMax is not None and self.ageMax < self.ageLimit:
            raise BadValue("Bad value for field 'ageMax': must not be below ageLimit")
        return self


class TokenResponse(BaseModel):
    """201 answer of /token: the request echoed with defaults, plus the new session's handles.
    Documented options given beyond these are echoed as given."""

    message: str
    authToken: str
    scanRef: str
    clientId: str
    personScanRef: str
    firstName: Optional[str]
    lastName: Optional[str]
    dateOfBirth: Optional[str]
    dateOfExpiry: Optional[str]
    dateOfIssue: Optional[str]
    nationality: Optional[str]
    country: Optional[Union[str, list[str]]]
    personalNumber: Optional[str]
    documentNumber: Optional[str]
    sex: Optional[str]
    address: Optional[str]
    documents: list[str]
    allowedDocuments: dict[str, list[str]]
    tokenType: str
    expiryTime: int
    sessionLength: int
    successUrl: Optional[str]
    errorUrl: Optional[str]
    unverifiedUrl: Optional[str]
    callbackUrl: Optional[str]
    locale: str
    externalRef: Optional[str]
    additionalSteps: dict[str, Any]
    additionalData: dict[str, Any]
    utilityBill: bool
    videoCallQuestions: list[str]
    questionnaire: Optional[Any]
    generateDigitString: bool
    showInstructions: bool
    digitString: Optional[str]
    redirectUrl: str
