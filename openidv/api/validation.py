"""Field rules shared by the partner API's request models: countries, dates, URLs, and the
same rules said as JSON schema for the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, Optional

import pycountry
from pydantic import BaseModel, ConfigDict

from openidv.core.vocab import DOCUMENT_TYPES, DOCUMENTED_DOCUMENT_TYPES

# The document types as Literals of plain strings: strict validation of a JSON string.
DocumentType = Literal[tuple(str(t) for t in DOCUMENT_TYPES)]  # type: ignore[valid-type]
DocumentedType = Literal[DOCUMENTED_DOCUMENT_TYPES]  # type: ignore[valid-type]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALPHA2_CODES = sorted(c.alpha_2 for c in pycountry.countries)

# What the validators below enforce, said in the OpenAPI schema too, so that a client
# generating requests from the schema (and schemathesis) only makes acceptable ones.
DATE_SCHEMA = {"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
COUNTRY_SCHEMA = {"enum": ALPHA2_CODES}
URL_SCHEMA = {"pattern": r"^https?://[^\s/?#]+", "minLength": 5, "maxLength": 2048}
NAME_SCHEMA = {"pattern": r"^[^0-9]*[^0-9\s][^0-9]*$"}
ADDITIONAL_STEPS_SCHEMA = {
    "type": "object",
    "propertyNames": {"enum": ["ALL", *ALPHA2_CODES]},
    "additionalProperties": {
        "type": "object",
        "propertyNames": {"enum": ["ALL", *DOCUMENTED_DOCUMENT_TYPES]},
        "additionalProperties": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Z0-9_]{1,40}$"},
            "additionalProperties": {
                "type": "object",
                "properties": {"type": {"const": "UPLOAD", "description": "UPLOAD: the person uploads a "
                                                                          "photo for this step."}},
                "required": ["type"],
            },
        },
    },
}
STEP_NAME_RE = re.compile(r"^[A-Z0-9_]{1,40}$")


def check_country(value: Optional[str], field: str = "country") -> Optional[str]:
    if value is None:
        return None
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value[:20]}' is not an ISO 3166-1 alpha-2 country code")
    return code


def check_date(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if not _DATE_RE.match(value):
        raise ValueError("must be a date in YYYY-MM-DD format")
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("is not a real calendar date") from exc
    return value


def check_url(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if not (5 <= len(value) <= 2048) or not re.match(r"^https?://[^\s/?#]+", value, re.I):
        raise ValueError("must be an http(s) URL of 5-2048 characters")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)
