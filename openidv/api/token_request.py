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
from openidv.services.intake import CreatedToken

# iDenfy: names have no digits and none of these characters.
NAME_FORBIDDEN = "~!@#$%^*()_+={}[]|:;\",<>/?"
# Escaped for a character class that means the same to Python and to ECMA-262 (the regex
# dialect of JSON schema): only [ ] ^ need it here; re.escape's extra escapes are errors there.
_NAME_CLASS = NAME_FORBIDDEN.replace("[", r"\[").replace("]", r"\]").replace("^", r"\^")
NAME_SCHEMA = {"pattern": f"^[^0-9{_NAME_CLASS}]*[^0-9\\s{_NAME_CLASS}][^0-9{_NAME_CLASS}]*$"}
_CLIENT_ID_SCHEMA = {"pattern": "^[\\x20-\\x7E]+$"}
_COUNTRIES_SCHEMA = {"anyOf": [{"type": "string", **COUNTRY_SCHEMA},
                               {"type": "array", "items": {"type": "string", **COUNTRY_SCHEMA},
                                "minItems": 1, "maxItems": len(ALPHA2_CODES)}]}
_NATIONALITY_SCHEMA = {"enum": [*ALPHA2_CODES, "ALL"]}
_TOKEN_TYPES = (TokenType.IDENTIFICATION, TokenType.DOCUMENT)
_TOKEN_TYPE_NAMES = tuple(str(t) for t in _TOKEN_TYPES)
# A session with neither clientId nor its legacy name personScanRef is refused.
_ID_REQUIRED = {"anyOf": [{"required": ["clientId"]}, {"required": ["personScanRef"]}]}

Number = Union[int, float]


def _not_offered(name: str, schema: Optional[dict[str, Any]] = None, *, accepted: str = "false") -> Any:
    """A documented option openidv cannot honour: described with why, so that /docs says
    which value is accepted (the one that asks for nothing) instead of leaving it to a 400."""
    return Field(None, json_schema_extra=schema,
                 description=f"Not offered by openidv ({NOT_OFFERED[name].why}). Accepted only absent or "
                             f"{accepted}; anything else is refused with BAD_VALUE.")


class TokenRequest(Strict):
    """The token request. Options openidv does not offer are declared with their documented
    types (so a wrong type is BAD_VALUE like any other) and refused by value."""

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True,
                              json_schema_extra=_ID_REQUIRED)

    clientId: Optional[str] = Field(
        None, min_length=1, max_length=100, json_schema_extra=_CLIENT_ID_SCHEMA, examples=["customer-48213"],
        description="Your identifier of the person (printable ASCII). Required (or its legacy name "
                    "personScanRef). Duplicate checks compare verifications of different clientIds.")
    personScanRef: Optional[str] = Field(
        None, min_length=1, max_length=100, json_schema_extra=_CLIENT_ID_SCHEMA,
        description="Legacy name of clientId; when both are given they must be equal.")
    firstName: Optional[str] = Field(
        None, min_length=1, max_length=100, json_schema_extra=NAME_SCHEMA, examples=["Jana"],
        description="Given names you know; compared with the document (mismatch tag NAME). Stored "
                    "and echoed upper-cased. No digits or " + NAME_FORBIDDEN)
    lastName: Optional[str] = Field(
        None, min_length=1, max_length=100, json_schema_extra=NAME_SCHEMA, examples=["Novakova"],
        description="Surname you know; compared with the document (mismatch tag SURNAME). Stored and "
                    "echoed upper-cased.")
    dateOfBirth: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA, examples=["1988-04-12"],
                                       description="YYYY-MM-DD; compared with the document (DATE_OF_BIRTH).")
    dateOfExpiry: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA, examples=["2032-05-16"],
                                        description="YYYY-MM-DD; compared with the document (EXPIRY_DATE).")
    dateOfIssue: Optional[str] = Field(None, json_schema_extra=DATE_SCHEMA, examples=["2022-05-16"],
                                       description="YYYY-MM-DD; compared with the document (DATE_OF_ISSUE).")
    nationality: Optional[str] = Field(
        None, json_schema_extra=_NATIONALITY_SCHEMA, examples=["CZ"],
        description="ISO 3166-1 alpha-2; compared with the document (NATIONALITY). \"ALL\" clears it.")
    country: Optional[Union[str, list[str]]] = Field(
        None, json_schema_extra=_COUNTRIES_SCHEMA, examples=["CZ"],
        description="Issuing country of the document, ISO 3166-1 alpha-2: one code (the person cannot "
                    "choose) or a list of those offered. Absent: any country.")
    personalNumber: Optional[str] = Field(None, min_length=1, max_length=100, examples=["8854123003"],
                                          description="Personal code you know; compared (PERSONAL_CODE).")
    documentNumber: Optional[str] = Field(None, min_length=1, max_length=100, examples=["45872369"],
                                          description="Document number you know; compared (DOCUMENT_NUMBER).")
    sex: Optional[Literal["M", "F"]] = Field(None, description="Sex you know; compared (SEX).")
    address: Optional[str] = Field(None, max_length=255, examples=["Vinohradska 12, 120 00 Praha 2"],
                                   description="Address to compare with the utility bill a reviewer reads.")
    documents: Optional[list[DocumentedType]] = Field(
        None, min_length=1, max_length=len(DOCUMENTED_DOCUMENT_TYPES), examples=[["PASSPORT", "ID_CARD"]],
        description="Document types the person may use. Absent: ID_CARD, PASSPORT, RESIDENCE_PERMIT, "
                    "DRIVER_LICENSE, OTHER. Types openidv cannot analyse end as DOC_NOT_SUPPORTED.")
    tokenType: Optional[str] = Field(
        None, json_schema_extra={"enum": list(_TOKEN_TYPES)},
        description="IDENTIFICATION (document and selfie, the default) or DOCUMENT (document only).")
    expiryTime: Optional[int] = Field(None, ge=1, le=2_592_000, examples=[3600],
                                      description="Seconds until the unused token expires (default 3600).")
    sessionLength: Optional[int] = Field(None, ge=60, le=3600, examples=[600],
                                         description="Seconds the person has in the hosted flow (default 600).")
    successUrl: Optional[str] = Field(
        None, json_schema_extra=URL_SCHEMA, examples=["https://shop.example.com/kyc/done"],
        description="Where the hosted flow sends the person after an approval.")
    errorUrl: Optional[str] = Field(
        None, json_schema_extra=URL_SCHEMA, examples=["https://shop.example.com/kyc/failed"],
        description="Where the hosted flow sends the person after a failure.")
    unverifiedUrl: Optional[str] = Field(None, json_schema_extra=URL_SCHEMA,
                                         description="Where the hosted flow sends a person who left unverified.")
    callbackUrl: Optional[str] = Field(
        None, json_schema_extra=URL_SCHEMA, examples=["https://shop.example.com/kyc/webhook"],
        description="Webhook address of this session (default: the partner's). Private addresses are "
                    "refused unless the operator allows them.")
    locale: Optional[str] = Field(None, json_schema_extra={"pattern": "^[A-Za-z]{2}$"}, examples=["cs"],
                                  description="Language of the hosted flow, 2 letters (default en).")
    externalRef: Optional[str] = Field(None, max_length=40, examples=["order-2026-0117"],
                                       description="Your reference, returned in the webhook.")
    additionalSteps: Optional[dict[str, Any]] = Field(
        None, json_schema_extra=ADDITIONAL_STEPS_SCHEMA,
        examples=[{"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}}],
        description="Extra uploads: COUNTRY (or ALL) -> DOCUMENT_TYPE (or ALL) -> {STEP: {\"type\": \"UPLOAD\"}}.")
    utilityBill: Optional[bool] = Field(None, description="Ask for a utility bill (an UPLOAD step); not "
                                                          "together with additionalSteps.")
    checkAml: Optional[bool] = Field(None, description="true: screen the document's person against the "
                                     "sanctions/PEP lists the operator loaded (the AML block), besides the "
                                     "partner's policy; false does not switch off a policy that asks for it.")
    autoAmlMonitoring: Optional[bool] = Field(None, description="true: screen this verification again whenever "
                                              "a list is reloaded, and send AML_MONITORING webhooks on new hits.")
    questionnaire: Optional[Any] = Field(None, description="iDenfy questionnaire; a token with one cannot be "
                                                           "used by /process or the hosted flow.")
    questionnaireRequired: Optional[bool] = Field(None, description="false is refused: questionnaires are not run.")
    generateDigitString: Optional[bool] = Field(None, description="Also create an 8-digit code (digitString) "
                                                                  "the person can type to open the session.")
    showInstructions: Optional[bool] = Field(None, description="Show the hosted flow's instructions page "
                                                               "(default true).")
    # Honoured options beyond the classic form.
    ageLimit: Optional[int] = Field(None, ge=0, le=150, examples=[18],
                                    description="Minimum age: younger gets mismatch tag UNDER_AGE.")
    ageMax: Optional[int] = Field(None, ge=0, le=150, description="Maximum age: older gets OVER_AGE.")
    reviewSuccessful: Optional[bool] = Field(None, description="A reviewer looks at approved results too "
                                                               "(default: the partner's policy).")
    reviewFailed: Optional[bool] = Field(None, description="A reviewer looks at failed results "
                                                           "(default: the partner's policy).")
    checkDuplicateFaces: Optional[bool] = Field(None, description="Look for the selfie under other clientIds "
                                                                  "(default true; DUPLICATE_FACE).")
    checkDuplicateDocFaces: Optional[bool] = Field(None, description="Look for the document portrait under "
                                                                     "other clientIds (default true).")
    checkDuplicatePersonalData: Optional[bool] = Field(None, description="Look for the document number under "
                                                                         "other clientIds (default true).")
    checkPersonBlacklist: Optional[bool] = Field(None, description="Check the partner's document-number "
                                                                   "blocklist (default true).")
    # Documented options openidv honours only with values that ask for nothing (core/offered.py).
    videoCallQuestions: Optional[list[str]] = _not_offered("videoCallQuestions", {"maxItems": 0}, accepted="empty")
    additionalData: Optional[dict[str, Any]] = _not_offered("additionalData", {"maxProperties": 0}, accepted="empty")
    checkLiveness: Optional[bool] = _not_offered("checkLiveness", accepted="true")
    driverLicenseBack: Optional[bool] = _not_offered("driverLicenseBack", accepted="true")
    maxAttemptCount: Optional[int] = _not_offered("maxAttemptCount", accepted="0")
    faceMatchingThresholdModifier: Optional[Number] = _not_offered("faceMatchingThresholdModifier", accepted="1")
    levenshteinTextMatchRatio: Optional[Number] = _not_offered("levenshteinTextMatchRatio", accepted="null")
    levenshteinMrzMatchRatio: Optional[Number] = _not_offered("levenshteinMrzMatchRatio", accepted="null")
    fraudServices: Optional[list[str]] = _not_offered("fraudServices", {"maxItems": 0}, accepted="empty")
    detectionTypes: Optional[list[str]] = _not_offered("detectionTypes", {"maxItems": 0}, accepted="empty")
    riskAssessmentProfile: Optional[str] = _not_offered("riskAssessmentProfile", accepted="null")
    theme: Optional[str] = _not_offered("theme", accepted="null")
    registryCentersCountries: Optional[list[str]] = _not_offered("registryCentersCountries", {"maxItems": 0},
                                                                  accepted="empty")
    verifyEmail: Optional[bool] = _not_offered("verifyEmail")
    verifyPhone: Optional[bool] = _not_offered("verifyPhone")
    verifyBank: Optional[bool] = _not_offered("verifyBank")
    verifyBankAccounts: Optional[bool] = _not_offered("verifyBankAccounts")
    verifyBankBalances: Optional[bool] = _not_offered("verifyBankBalances")
    verifyBankTransactions: Optional[bool] = _not_offered("verifyBankTransactions")
    bankCardVerification: Optional[bool] = _not_offered("bankCardVerification")
    bankCardPdfUpload: Optional[bool] = _not_offered("bankCardPdfUpload")
    verifyAddress: Optional[bool] = _not_offered("verifyAddress")
    checkCriminal: Optional[bool] = _not_offered("checkCriminal")
    checkFaceBlacklist: Optional[bool] = _not_offered("checkFaceBlacklist")
    checkDocFaceBlacklist: Optional[bool] = _not_offered("checkDocFaceBlacklist")
    checkDriverLicense: Optional[bool] = _not_offered("checkDriverLicense")
    checkLid: Optional[bool] = _not_offered("checkLid")
    checkIpProxy: Optional[bool] = _not_offered("checkIpProxy")
    checkUrjanet: Optional[bool] = _not_offered("checkUrjanet")
    allowBsnMasking: Optional[bool] = _not_offered("allowBsnMasking")
    nfcRequired: Optional[bool] = _not_offered("nfcRequired")
    nfcOptional: Optional[bool] = _not_offered("nfcOptional")

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


_ECHOED = "As in the request"


class TokenResponse(BaseModel):
    """201 answer of /token: the request echoed with defaults, plus the new session's handles.
    Documented options given beyond these are echoed as given."""

    message: str = Field(description="Always \"Token created successfully\".")
    authToken: str = Field(description="The single-use token: /process takes it, and the hosted flow's "
                                       "redirectUrl contains it. 32 URL-safe characters.")
    scanRef: str = Field(description="The verification's id: ask /status, /data, /files, /full-status and "
                                     "/delete with it; webhooks carry it.")
    clientId: str = Field(description=_ECHOED + ".")
    personScanRef: str = Field(description="Legacy name of clientId (the same value).")
    firstName: Optional[str] = Field(description=_ECHOED + ", upper-cased.")
    lastName: Optional[str] = Field(description=_ECHOED + ", upper-cased.")
    dateOfBirth: Optional[str] = Field(description=_ECHOED + ".")
    dateOfExpiry: Optional[str] = Field(description=_ECHOED + ".")
    dateOfIssue: Optional[str] = Field(description=_ECHOED + ".")
    nationality: Optional[str] = Field(description=_ECHOED + ".")
    country: Optional[Union[str, list[str]]] = Field(description=_ECHOED + ", upper-cased.")
    personalNumber: Optional[str] = Field(description=_ECHOED + ".")
    documentNumber: Optional[str] = Field(description=_ECHOED + ".")
    sex: Optional[Literal["M", "F"]] = Field(description=_ECHOED + ".")
    address: Optional[str] = Field(description=_ECHOED + ".")
    documents: list[DocumentedType] = Field(description="The document types offered (default: the five "
                                                        "openidv analyses).")
    allowedDocuments: dict[str, list[DocumentedType]] = Field(
        description="Country (or ALL) -> the document types offered there.")
    tokenType: Literal[_TOKEN_TYPE_NAMES] = Field(  # type: ignore[valid-type]
        description="IDENTIFICATION unless DOCUMENT was asked for.")
    expiryTime: int = Field(description="Seconds until the unused token expires.")
    sessionLength: int = Field(description="Seconds the person has in the hosted flow.")
    successUrl: Optional[str] = Field(description=_ECHOED + ", else the partner's default.")
    errorUrl: Optional[str] = Field(description=_ECHOED + ", else the partner's default.")
    unverifiedUrl: Optional[str] = Field(description=_ECHOED + ", else the partner's default.")
    callbackUrl: Optional[str] = Field(description="Where the webhooks of this session go: as in the request, "
                                                   "else the partner's default.")
    locale: str = Field(description=_ECHOED + ", lower-cased (default en).")
    externalRef: Optional[str] = Field(description=_ECHOED + ".")
    additionalSteps: dict[str, Any] = Field(description="The extra UPLOAD steps (utilityBill: true becomes "
                                                        "a UTILITY_BILL step); {} when none.")
    additionalData: dict[str, Any] = Field(description="Always {} (COMPARE steps are not offered).")
    utilityBill: bool = Field(description=_ECHOED + " (default false).")
    videoCallQuestions: list[str] = Field(description="Always [] (video calls are not offered).")
    questionnaire: Optional[Any] = Field(description=_ECHOED + ".")
    generateDigitString: bool = Field(description=_ECHOED + " (default false).")
    showInstructions: bool = Field(description=_ECHOED + " (default true).")
    digitString: Optional[str] = Field(description="8-digit code that opens the session in the hosted flow; "
                                                   "null unless generateDigitString was true.")
    redirectUrl: str = Field(description="The hosted flow for this token: send the person here (or embed it).")


def given_options(request: TokenRequest) -> dict[str, Any]:
    """What the partner gave (and clientId, maybe from personScanRef): the defaults are
    filled in by the use case."""
    given = request.model_dump(exclude_unset=True) | {"clientId": request.clientId}
    given.pop("personScanRef", None)
    return given


def token_answer(created: CreatedToken, base_url: str) -> dict[str, Any]:
    """The 201 body of /token."""
    return {
        "message": "Token created successfully",
        "authToken": created.auth_token,
        "scanRef": created.scan_ref,
        **created.echo,
        "digitString": created.digit_string,
        "redirectUrl": f"{base_url}/api/v2/redirect?authToken={created.auth_token}",
    }
