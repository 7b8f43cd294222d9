"""The one error hierarchy of the service: every error answer is one of these classes.

Raise a subclass anywhere below a route; the API's single exception handler turns it into
``{"message", "identifier", "documentation", "severity"}`` with the class's HTTP status.
"""

from __future__ import annotations

from typing import Optional

DOCUMENTATION_URL = "https://github.com/openidv/openidv/blob/main/docs/errors.md"


class ApiError(Exception):
    """Base of every error the API answers with. Subclasses fix identifier and status.

    ``step`` names the image step the error is about, when it is about one (the hosted
    flow shows the user which photo to take again).
    """

    identifier = "INTERNAL_ERROR"
    status_code = 500
    severity = "NOT_SEVERE"

    def __init__(
        self, message: str, *, headers: Optional[dict[str, str]] = None, step: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.step = step


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


# Access and state (401, 403, 404, 405, 408, 409, 413, 429)


class Unauthorized(ApiError):
    """No credentials, or wrong ones."""

    identifier, status_code = "UNAUTHORIZED", 401

    def __init__(self, message: str = "Invalid or missing API credentials", *, scheme: str = 'Basic realm="openidv"') -> None:
        super().__init__(message, headers={"WWW-Authenticate": scheme})


class Forbidden(ApiError):
    """A file URL whose signature does not verify or that has expired; metrics turned off."""

    identifier, status_code = "FORBIDDEN", 403


class NotFound(ApiError):
    """Unknown scanRef, another partner's scanRef, or an unknown path."""

    identifier, status_code = "NOT_FOUND", 404


class MethodNotAllowed(ApiError):
    """The path exists but not for this HTTP method."""

    identifier, status_code = "METHOD_NOT_ALLOWED", 405


class RequestTimeout(ApiError):
    """The request body arrived too slowly (OPENIDV_BODY_TIMEOUT_SECONDS); the connection closes."""

    identifier, status_code = "REQUEST_TIMEOUT", 408


class PartnerError(ApiError):
    """The action conflicts with the verification's state (e.g. deleting an active one)."""

    identifier, status_code = "PARTNER_ERROR", 409


class RequestTooLarge(ApiError):
    """The request is over its byte cap, or an image is over its byte or pixel cap."""

    identifier, status_code = "REQUEST_TOO_LARGE", 413


class TooManyRequests(ApiError):
    """The partner is over its rate limit."""

    identifier, status_code = "TOO_MANY_REQUESTS", 429


# Photo validation: answered with 200 and an error body; the token stays usable.


class PhotoNotAccepted(ApiError):
    """The fast synchronous check found no document on FRONT or no face on FACE."""

    status_code = 200

    def __init__(self, identifier: str, message: str, *, step: str) -> None:
        super().__init__(message, step=step)
        self.identifier = identifier


class ServiceUnavailable(ApiError):
    """A server openidv depends on (the database, the queue) is unreachable; try again later.
    The answer carries ``Retry-After``."""

    identifier, status_code = "SERVICE_UNAVAILABLE", 503

    def __init__(self, message: str, *, retry_after_seconds: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)})


class InternalError(ApiError):
    """Anything unexpected; the message carries the request id that the log has too."""

    identifier, status_code = "INTERNAL_ERROR", 500


def documentation_link(identifier: str) -> str:
    """Where docs/errors.md explains an identifier (one section per identifier)."""
    return f"{DOCUMENTATION_URL}#{identifier.lower()}"


def error_body(error: ApiError) -> dict[str, str]:
    """The wire shape of an error answer."""
    return {
        "message": error.message,
        "identifier": error.identifier,
        "documentation": documentation_link(error.identifier),
        "severity": error.severity,
    }
