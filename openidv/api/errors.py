"""The one error hierarchy of the API (SPEC 3.4): every error body is built here, nowhere else.

Raise a subclass anywhere below a route; `error_response` turns it into
``{"message", "identifier", "documentation", "severity"}`` with the right HTTP status.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel
from starlette.responses import JSONResponse

DOCUMENTATION_URL = "https://github.com/openidv/openidv/blob/main/docs/errors.md"


class ErrorBody(BaseModel):
    """The body of every error answer."""

    message: str
    identifier: str
    documentation: str
    severity: str


class ApiError(Exception):
    """Base of every error the API answers with. Subclasses fix identifier and status."""

    identifier = "INTERNAL_ERROR"
    status_code = 500
    severity = "NOT_SEVERE"

    def __init__(self, message: str, *, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


# Client mistakes in the request body (400)
class JsonError(ApiError):
    """The body is not JSON, or not a JSON object."""

    identifier, status_code = "JSON_ERROR", 400


class MissingValue(ApiError):
    """A required field or image is missing."""

    identifier, status_code = "MISSING_VALUE", 400


class BadValue(ApiError):
    """A field has a wrong type or value; the message names the field."""

    identifier, status_code = "BAD_VALUE", 400


class EncodingError(ApiError):
    """An image is not valid base64, or not a decodable JPEG/PNG."""

    identifier, status_code = "ENCODING_ERROR", 400


class TokenNotValid(ApiError):
    """The token is unknown, used, expired, or not usable for this call."""

    identifier, status_code = "TOKEN_NOT_VALID", 400


# Access (401, 404, 405, 409, 413, 429)
class Unauthorized(ApiError):
    """No credentials, or wrong ones."""

    identifier, status_code = "UNAUTHORIZED", 401

    def __init__(self, message: str = "Invalid or missing API credentials") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Basic realm="openidv"'})


class NotFound(ApiError):
    """Unknown scanRef, another partner's scanRef, or an unknown path."""

    identifier, status_code = "NOT_FOUND", 404


class MethodNotAllowed(ApiError):
    identifier, status_code = "METHOD_NOT_ALLOWED", 405


class PartnerError(ApiError):
    """The action conflicts with the verification's state (e.g. deleting an active one)."""

    identifier, status_code = "PARTNER_ERROR", 409


class RequestTooLarge(ApiError):
    """The request is over 20 MB, or an image is over its cap."""

    identifier, status_code = "REQUEST_TOO_LARGE", 413


class RequestTimeout(ApiError):
    """The request body arrived too slowly (OPENIDV_BODY_TIMEOUT_SECONDS); the connection closes."""

    identifier, status_code = "REQUEST_TIMEOUT", 408


class TooManyRequests(ApiError):
    """The partner is over its rate limit."""

    identifier, status_code = "TOO_MANY_REQUESTS", 429


# Photo validation (SPEC 3.2): answered with 200 and an error body; the token stays usable.
class PhotoNotAccepted(ApiError):
    """A document or face was not found on a photo by the fast synchronous check."""

    status_code = 200

    def __init__(self, identifier: str, message: str) -> None:
        super().__init__(message)
        self.identifier = identifier


class InternalError(ApiError):
    """Anything unexpected; the message carries the request id that the log has too."""

    identifier, status_code = "INTERNAL_ERROR", 500


def error_body(error: ApiError) -> dict[str, str]:
    return {
        "message": error.message,
        "identifier": error.identifier,
        "documentation": DOCUMENTATION_URL,
        "severity": error.severity,
    }


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status_code, headers=error.headers)


ALL_ERRORS: tuple[type[ApiError], ...] = (
    JsonError,
    MissingValue,
    BadValue,
    EncodingError,
    TokenNotValid,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PartnerError,
    RequestTooLarge,
    TooManyRequests,
    InternalError,
)


class Forbidden(ApiError):
    """A file URL whose signature does not verify or that has expired (SPEC 8)."""

    identifier, status_code = "FORBIDDEN", 403
