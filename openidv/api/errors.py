"""The partner API's error answers: the one place an ``ApiError`` becomes an HTTP response,
and the handlers that map the framework's own errors onto the same shape."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from openidv.core.errors import ApiError, BadValue, MethodNotAllowed, NotFound, error_body


class ErrorBody(BaseModel):
    """The body of every error answer (the OpenAPI schema's model)."""

    message: str = Field(description="What went wrong, for people; the wording may change.")
    identifier: str = Field(description="The stable code to program against (docs/errors.md lists them all).")
    documentation: str = Field(description="Link to the identifier's section of docs/errors.md.")
    severity: Literal["NOT_SEVERE"] = Field(description="Always NOT_SEVERE (kept for iDenfy clients).")


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status_code, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            error = MethodNotAllowed(f"Method {request.method} is not allowed here")
            error.headers = dict(exc.headers or {})  # Starlette lists the allowed ones in Allow
            return error_response(error)
        if exc.status_code == 404:
            return error_response(NotFound(f"No such endpoint: {request.url.path}"))
        error = ApiError(str(exc.detail))
        error.status_code = exc.status_code
        error.identifier = "BAD_VALUE" if exc.status_code < 500 else "INTERNAL_ERROR"
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return error_response(BadValue(f"Bad value for field '{field or 'request'}'"))
