"""Request and response models of the partner API, and their error mapping.

Models are strict (a string is not a number, a number not a bool) and every violation
becomes MISSING_VALUE or BAD_VALUE naming the field, never a framework 422.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openidv.api.token_request import TokenRequest, TokenResponse  # noqa: F401 - the API's models in one place
from openidv.api.validation import COUNTRY_SCHEMA, STEP_NAME_RE, DocumentedType, Strict, check_country
from openidv.core.errors import BadValue, MissingValue
from openidv.core.vocab import IMAGE_STEPS


class ProcessImages(Strict):
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
            if not STEP_NAME_RE.match(name):
                raise ValueError(f"'{name[:40]}' is not an image step")
            if value is not None and not isinstance(value, str):
                raise ValueError(f"image for step '{name[:40]}' must be a base64 string")
        return self

    def given(self) -> dict[str, str]:
        standard = {step: getattr(self, step) for step in IMAGE_STEPS if getattr(self, step)}
        extra = {name: value for name, value in (self.model_extra or {}).items() if value}
        return {**standard, **extra}


class ProcessRequest(Strict):
    """POST /api/v2/process."""

    authToken: Optional[str] = Field(None, max_length=200)
    token: Optional[str] = Field(None, max_length=200)
    country: str = Field(json_schema_extra=COUNTRY_SCHEMA)
    documentType: Optional[DocumentedType] = None
    images: ProcessImages
    skipAnalysis: bool = False

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return check_country(v)  # type: ignore[return-value]


class ScanRefRequest(Strict):
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
    """/data, and the webhook's ``data``: every key iDenfy documents, null where unknown."""

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
    birthPlace: Optional[str]
    authority: Optional[str]
    address: Optional[str]
    docTemporaryAddress: Optional[str]
    mothersMaidenName: Optional[str]
    docBirthName: Optional[str]
    docPatronymic: Optional[str]
    driverLicenseCategory: Optional[str]
    manuallyDataChanged: Optional[bool]
    fullName: Optional[str]
    selectedCountry: Optional[str]
    orgFirstName: Optional[str]
    orgLastName: Optional[str]
    orgNationality: Optional[str]
    orgBirthPlace: Optional[str]
    orgAuthority: Optional[str]
    orgAddress: Optional[str]
    orgTemporaryAddress: Optional[str]
    orgMothersMaidenName: Optional[str]
    orgPatronymic: Optional[str]
    orgBirthName: Optional[str]
    ageEstimate: Optional[str]
    clientIpProxyRiskLevel: Optional[str]
    duplicateFaces: Optional[list[str]]
    duplicateDocFaces: Optional[list[str]]
    additionalData: Optional[dict[str, Any]]
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
        if err["type"] == "extra_forbidden":
            raise BadValue(f"Unknown field '{field[:100]}': not an option openidv knows "
                           "(docs/migrating-from-idenfy.md lists what it offers)") from None
        # Never echo a (possibly huge, possibly personal) input back beyond a short excerpt.
        reason = str(err.get("msg", "invalid value")).removeprefix("Value error, ")[:200]
        raise BadValue(f"Bad value for field '{field[:100]}': {reason}") from None
