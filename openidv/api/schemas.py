"""Request and response models of the partner API, and their error mapping.

Models are strict (a string is not a number, a number not a bool) and every violation
becomes MISSING_VALUE or BAD_VALUE naming the field, never a framework 422.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openidv.api.responses import (  # noqa: F401 - the API's models in one place
    FILES_DESCRIPTION, DataResponse, FullStatusResponse, StatusResponse,
)
from openidv.api.token_request import TokenRequest, TokenResponse  # noqa: F401 - in one place
from openidv.api.validation import COUNTRY_SCHEMA, STEP_NAME_RE, DocumentedType, Strict, check_country
from openidv.core.errors import BadValue, MissingValue
from openidv.core.vocab import IMAGE_STEPS


_IMAGE = (" JPEG or PNG, base64 (a data: URL prefix is accepted), at most 6 MB decoded and 50 megapixels.")


class ProcessImages(Strict):
    """The images by step. Besides the standard steps, a token's own additional UPLOAD steps
    may be sent under their names; the route checks those against the token."""

    model_config = ConfigDict(strict=True, extra="allow")

    FRONT: Optional[str] = Field(None, description="The document's front (the photo page of a passport). "
                                                   "Always required." + _IMAGE)
    BACK: Optional[str] = Field(None, description="The document's back: required for ID_CARD, RESIDENCE_PERMIT "
                                                  "and DRIVER_LICENSE." + _IMAGE)
    FACE: Optional[str] = Field(None, description="The selfie: required for IDENTIFICATION tokens." + _IMAGE)
    UTILITY_BILL: Optional[str] = Field(None, description="A utility bill, when the token asks for one." + _IMAGE)
    SECOND_UTILITY_BILL: Optional[str] = Field(None, description="A second utility bill, when asked for." + _IMAGE)
    PASSPORT_COVER: Optional[str] = Field(None, description="The passport's cover, when asked for." + _IMAGE)

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

    authToken: Optional[str] = Field(None, max_length=200, examples=["kX2vQ9mR4tB7nW1zL8cY5fH3jD6sA0pE"],
                                     description="The token from /token (single use). Required, or its "
                                                 "alias token.")
    token: Optional[str] = Field(None, max_length=200, description="Alias of authToken.")
    country: str = Field(json_schema_extra=COUNTRY_SCHEMA, examples=["CZ"],
                         description="Issuing country of the document, ISO 3166-1 alpha-2.")
    documentType: Optional[DocumentedType] = Field(
        None, description="The document's type; one the token allows. Absent: openidv detects it.")
    images: ProcessImages = Field(description="Base64 images by step. Besides the standard steps, the "
                                              "token's own additional UPLOAD steps under their names.")
    skipAnalysis: bool = Field(False, description="Skip the quick photo check of this call (no DOC_NOT_FOUND / "
                                                  "NO_FACE_FOUND answer); the full analysis still runs.")

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return check_country(v)  # type: ignore[return-value]


class ScanRefRequest(Strict):
    """Body of /status, /data, /files, /full-status and /delete."""

    scanRef: str = Field(min_length=1, max_length=100, examples=["3f1c2a9e-6b0d-4f7a-9c55-0e2d8b7a41c6"],
                         description="The verification's id, from the /token answer.")
    # openidv extension, /full-status only: also return why the decision is what it is.
    includeReasons: bool = Field(False, description="/full-status only (openidv extension): add an \"openidv\" "
                                                    "object with the decision's reasons and the face similarity.")


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
