"""Request and response models of the partner API, and their error mapping.

Models are strict (a string is not a number, a number not a bool) and every violation
becomes MISSING_VALUE or BAD_VALUE naming the field, never a framework 422.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, Optional

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openidv.core.errors import BadValue, MissingValue
from openidv.core.vocab import DOCUMENT_TYPES, IMAGE_STEPS

# The document types as a Literal of plain strings: strict validation of a JSON string.
DocumentType = Literal[tuple(str(t) for t in DOCUMENT_TYPES)]  # type: ignore[valid-type]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALPHA2_CODES = sorted(c.alpha_2 for c in pycountry.countries)

# What the validators below enforce, said in the OpenAPI schema too, so that a client
# generating requests from the schema (and schemathesis) only makes acceptable ones.
_DATE_SCHEMA = {"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_COUNTRY_SCHEMA = {"enum": ALPHA2_CODES}
_URL_SCHEMA = {"pattern": r"^https?://[^\s/?#]+", "minLength": 5, "maxLength": 2048}
_NAME_SCHEMA = {"pattern": r"^[^0-9]*[^0-9\s][^0-9]*$"}
_ADDITIONAL_STEPS_SCHEMA = {
    "type": "object",
    "propertyNames": {"enum": ["ALL", *ALPHA2_CODES]},
    "additionalProperties": {
        "type": "object",
        "propertyNames": {"enum": ["ALL", *DOCUMENT_TYPES]},
        "additionalProperties": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Z0-9_]{1,40}$"},
            "additionalProperties": {
                "type": "object",
                "properties": {"type": {"const": "UPLOAD"}},
                "required": ["type"],
            },
        },
    },
}
_STEP_NAME_RE = re.compile(r"^[A-Z0-9_]{1,40}$")


def _check_country(value: Optional[str], field: str = "country") -> Optional[str]:
    if value is None:
        return None
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value[:20]}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _check_date(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if not _DATE_RE.match(value):
        raise ValueError("must be a date in YYYY-MM-DD format")
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("is not a real calendar date") from exc
    return value


def _check_url(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if not (5 <= len(value) <= 2048) or not re.match(r"^https?://[^\s/?#]+", value, re.I):
        raise ValueError("must be an http(s) URL of 5-2048 characters")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class TokenRequest(_Strict):
    """POST /api/v2/token (iDenfy's flat form)."""

    clientId: str = Field(min_length=1, max_length=100, json_schema_extra={"pattern": "^[\\x20-\\x7E]+$"})
    firstName: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=_NAME_SCHEMA)
    lastName: Optional[str] = Field(None, min_length=1, max_length=100, json_schema_extra=_NAME_SCHEMA)
    dateOfBirth: Optional[str] = Field(None, json_schema_extra=_DATE_SCHEMA)
    dateOfExpiry: Optional[str] = Field(None, json_schema_extra=_DATE_SCHEMA)
    dateOfIssue: Optional[str] = Field(None, json_schema_extra=_DATE_SCHEMA)
    nationality: Optional[str] = Field(None, json_schema_extra=_COUNTRY_SCHEMA)
    country: Optional[str] = Field(None, json_schema_extra=_COUNTRY_SCHEMA)
    personalNumber: Optional[str] = Field(None, min_length=1, max_length=100)
    documentNumber: Optional[str] = Field(None, min_length=1, max_length=100)
    sex: Optional[Literal["M", "F"]] = None
    address: Optional[str] = Field(None, max_length=255)
    documents: Optional[list[DocumentType]] = Field(None, min_length=1, max_length=5)
    tokenType: Optional[Literal["IDENTIFICATION", "DOCUMENT"]] = None
    expiryTime: Optional[int] = Field(None, ge=1, le=2_592_000)
    sessionLength: Optional[int] = Field(None, ge=60, le=3600)
    successUrl: Optional[str] = Field(None, json_schema_extra=_URL_SCHEMA)
    errorUrl: Optional[str] = Field(None, json_schema_extra=_URL_SCHEMA)
    unverifiedUrl: Optional[str] = Field(None, json_schema_extra=_URL_SCHEMA)
    callbackUrl: Optional[str] = Field(None, json_schema_extra=_URL_SCHEMA)
    locale: Optional[str] = Field(None, json_schema_extra={"pattern": "^[A-Za-z]{2}$"})
    externalRef: Optional[str] = Field(None, max_length=40)
    additionalSteps: Optional[dict[str, Any]] = Field(None, json_schema_extra=_ADDITIONAL_STEPS_SCHEMA)
    questionnaire: Optional[Any] = None
    generateDigitString: Optional[bool] = None
    showInstructions: Optional[bool] = None

    @field_validator("clientId")
    @classmethod
    def _ascii(cls, v: str) -> str:
        if not v.isascii() or not v.isprintable():
            raise ValueError("must be printable ASCII")
        return v

    @field_validator("firstName", "lastName")
    @classmethod
    def _no_digits(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and (any(c.isdigit() for c in v) or not v.strip()):
            raise ValueError("must be a name without digits")
        return v

    @field_validator("dateOfBirth", "dateOfExpiry", "dateOfIssue")
    @classmethod
    def _date(cls, v: Optional[str]) -> Optional[str]:
        return _check_date(v)

    @field_validator("nationality", "country")
    @classmethod
    def _country(cls, v: Optional[str]) -> Optional[str]:
        return _check_country(v)

    @field_validator("successUrl", "errorUrl", "unverifiedUrl", "callbackUrl")
    @classmethod
    def _url(cls, v: Optional[str]) -> Optional[str]:
        return _check_url(v)

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
                _check_country(country)
            if not isinstance(by_type, dict):
                raise ValueError("must map COUNTRY -> DOCUMENT_TYPE -> {STEP: {type}}")
            for doc_type, steps in by_type.items():
                if doc_type != "ALL" and doc_type not in DOCUMENT_TYPES:
                    raise ValueError(f"unknown document type '{doc_type[:40]}'")
                if not isinstance(steps, dict):
                    raise ValueError("must map COUNTRY -> DOCUMENT_TYPE -> {STEP: {type}}")
                for name, spec in steps.items():
                    if not _STEP_NAME_RE.match(name):
                        raise ValueError(f"step name '{name[:40]}' must be A-Z, 0-9 and _")
                    if not isinstance(spec, dict) or spec.get("type") != "UPLOAD":
                        raise ValueError(f"step '{name[:40]}' must be {{\"type\": \"UPLOAD\"}}")
        return v


class TokenResponse(BaseModel):
    """201 answer of /token: the request echoed with defaults, plus the new session's handles."""

    message: str
    authToken: str
    scanRef: str
    clientId: str
    firstName: Optional[str]
    lastName: Optional[str]
    dateOfBirth: Optional[str]
    dateOfExpiry: Optional[str]
    dateOfIssue: Optional[str]
    nationality: Optional[str]
    country: Optional[str]
    personalNumber: Optional[str]
    documentNumber: Optional[str]
    sex: Optional[str]
    address: Optional[str]
    documents: list[str]
    tokenType: str
    expiryTime: int
    sessionLength: int
    successUrl: Optional[str]
    errorUrl: Optional[str]
    unverifiedUrl: Optional[str]
    callbackUrl: Optional[str]
    locale: str
    externalRef: Optional[str]
    additionalSteps: Optional[dict[str, Any]]
    questionnaire: Optional[Any]
    generateDigitString: bool
    showInstructions: bool
    digitString: Optional[str]
    redirectUrl: str


class ProcessImages(_Strict):
    """The images by step. Besides the standard steps, a token's own additional UPLOAD steps
    may be sent under their names; the route checks those against the token."""

    model_config = ConfigDict(strict=True, extra="allow")

    FRONT: Optional[str] = None
    BACK: Optional[str] = None
    FACE: Optional[str] = None
    UTILITY_BILL: Optional[str] = None
    SECOND_UTILITY_BILL: Optional[str] = None
    PASSPORT_COVER: Optional[str] = None

    @model_validator(mode="after")
    def _extra_steps(self) -> "ProcessImages":
        for name, value in (self.model_extra or {}).items():
            if not _STEP_NAME_RE.match(name):
                raise ValueError(f"'{name[:40]}' is not an image step")
            if value is not None and not isinstance(value, str):
                raise ValueError(f"image for step '{name[:40]}' must be a base64 string")
        return self

    def given(self) -> dict[str, str]:
        standard = {step: getattr(self, step) for step in IMAGE_STEPS if getattr(self, step)}
        extra = {name: value for name, value in (self.model_extra or {}).items() if value}
        return {**standard, **extra}


class ProcessRequest(_Strict):
    """POST /api/v2/process."""

    authToken: Optional[str] = Field(None, max_length=200)
    token: Optional[str] = Field(None, max_length=200)
    country: str = Field(json_schema_extra=_COUNTRY_SCHEMA)
    documentType: Optional[DocumentType] = None
    images: ProcessImages
    skipAnalysis: bool = False

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return _check_country(v)  # type: ignore[return-value]


class ScanRefRequest(_Strict):
    """Body of /status, /data, /files, /full-status and /delete."""

    scanRef: str = Field(min_length=1, max_length=100)
    # openidv extension, /full-status only: also return why the decision is what it is.
    includeReasons: bool = False


class StatusResponse(BaseModel):
    status: str
    autoDocument: Optional[str]
    autoFace: Optional[str]
    manualDocument: Optional[str]
    manualFace: Optional[str]
    fraudTags: list[str]
    mismatchTags: list[str]
    suspicionReasons: list[str]
    additionalSteps: Optional[dict[str, str]] = None
    scanRef: str
    clientId: str


class DataResponse(BaseModel):
    docFirstName: Optional[str]
    docLastName: Optional[str]
    docNumber: Optional[str]
    docPersonalCode: Optional[str]
    docExpiry: Optional[str]
    docDob: Optional[str]
    docDateOfIssue: Optional[str]
    docType: Optional[str]
    docSex: Optional[str]
    docNationality: Optional[str]
    docIssuingCountry: Optional[str]
    mrzString: Optional[str]


def inline_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its $defs inlined (OpenAPI resolves "#/..." from the
    document root, where pydantic's "#/$defs/..." would not be found)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def parse_model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate a parsed JSON object; turn the first problem into MISSING_VALUE or BAD_VALUE."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        if err["type"] == "missing":
            raise MissingValue(f"Missing value for field '{field}'") from None
        # Never echo a (possibly huge, possibly personal) input back beyond a short excerpt.
        reason = str(err.get("msg", "invalid value")).removeprefix("Value error, ")[:200]
        raise BadValue(f"Bad value for field '{field[:100]}': {reason}") from None
