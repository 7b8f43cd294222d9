"""Partner API routes: token, process, status, data, files, full-status, delete.

Routes only parse, authorise and shape; the use cases are in openidv.services.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from openidv.api import schemas
from openidv.api.deps import current_partner, read_model, runtime
from openidv.api.errors import ErrorBody
from openidv.core.errors import MissingValue
from openidv.core.vocab import Platform
from openidv.core.wire import data_view, full_status_view, status_view
from openidv.services import verifications
from openidv.services.intake import ImageSubmission, accept_images, create_token, find_usable_token
from openidv.services.partners import PartnerContext
from openidv.store.file_urls import FileUrlSigner
from openidv.store.models import Verification
from openidv.store.verifications import live_files

router = APIRouter(prefix="/api/v2")


def _error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 409: "Conflict",
                 413: "Request too large", 429: "Too many requests", 500: "Internal error"}
    return {code: {"model": ErrorBody, "description": described[code]} for code in codes}


def _json_body(model: type) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.inline_json_schema(model)}},
        }
    }


def public_base(request: Request) -> str:
    settings = runtime(request).settings
    return settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")


# POST /api/v2/token


@router.post(
    "/token",
    status_code=201,
    response_model=schemas.TokenResponse,
    responses=_error_responses(400, 401, 413, 429, 500),
    openapi_extra=_json_body(schemas.TokenRequest),
    summary="Create a verification session (token)",
)
async def token(request: Request, partner: PartnerContext = Depends(current_partner)) -> JSONResponse:
    req: schemas.TokenRequest = await read_model(request, schemas.TokenRequest)
    # Only what was given (and clientId, maybe from personScanRef): defaults are filled below.
    given = req.model_dump(exclude_unset=True) | {"clientId": req.clientId}
    given.pop("personScanRef", None)
    created = await run_in_threadpool(create_token, partner, given)
    body = {
        "message": "Token created successfully",
        "authToken": created.auth_token,
        "scanRef": created.scan_ref,
        **created.echo,
        "digitString": created.digit_string,
        "redirectUrl": f"{public_base(request)}/api/v2/redirect?authToken={created.auth_token}",
    }
    return JSONResponse(body, status_code=201)


# POST /api/v2/process


@router.post(
    "/process",
    status_code=200,
    response_class=Response,
    responses={
        200: {
            "description": "Accepted (empty body), or photo validation failed (error body, "
            "identifier DOC_NOT_FOUND or NO_FACE_FOUND; the token stays usable)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        },
        **_error_responses(400, 401, 413, 429, 500),
    },
    openapi_extra=_json_body(schemas.ProcessRequest),
    summary="Direct processing: upload the images of a token and start the analysis",
)
async def process(request: Request, partner: PartnerContext = Depends(current_partner)) -> Response:
    req: schemas.ProcessRequest = await read_model(request, schemas.ProcessRequest)
    auth_token = req.authToken or req.token
    if not auth_token:
        raise MissingValue("Missing value for field 'authToken'")
    submission = ImageSubmission(
        country=req.country, document_type=req.documentType, images=req.images.given(),
        platform=Platform.OTHER, skip_analysis=bool(req.skipAnalysis),
        client_ip=request.client.host if request.client else None,
    )
    rt = runtime(request)
    found = await run_in_threadpool(find_usable_token, partner.id, auth_token)
    await run_in_threadpool(accept_images, found, submission, partner, engines=rt.engines, queue=rt.queue,
                            settings=rt.settings)
    return Response(status_code=200)


# Retrieval: /status, /data, /files, /full-status; /delete


def _retrieval_route(path: str, summary: str, response_model: Any, shape) -> None:  # noqa: ANN001
    @router.post(
        path,
        response_model=response_model,
        responses=_error_responses(400, 401, 404, 413, 429, 500),
        openapi_extra=_json_body(schemas.ScanRefRequest),
        summary=summary,
        name=path.strip("/"),
    )
    async def endpoint(request: Request, partner: PartnerContext = Depends(current_partner)) -> JSONResponse:
        req: schemas.ScanRefRequest = await read_model(request, schemas.ScanRefRequest)
        base = public_base(request)
        rt = runtime(request)
        body = await run_in_threadpool(verifications.with_verification, partner.id, req.scanRef,
                                       lambda s, v: shape(s, v, base, req, rt), rt.queue)
        return JSONResponse(body)


def _files_shape(session: Session, verification: Verification, base: str, req, rt) -> dict[str, str]:  # noqa: ANN001
    signer = FileUrlSigner(rt.settings)
    return {f.step: signer.url(f.id, base) for f in live_files(session, verification.id)}


_retrieval_route("/status", "Overall status of a verification", schemas.StatusResponse,
                 lambda s, v, base, req, rt: status_view(v))
_retrieval_route("/data", "Document data read", schemas.DataResponse, lambda s, v, base, req, rt: data_view(v))
_retrieval_route("/files", "Pre-signed image URLs (valid 1 hour)", dict[str, str], _files_shape)
_retrieval_route(
    "/full-status",
    "Full status (exactly the structure of the iDenfy full-status; with includeReasons: true, "
    "an extra 'openidv' object holds the decision reasons and the face similarity)",
    dict[str, Any],
    lambda s, v, base, req, rt: full_status_view(v, include_reasons=req.includeReasons),
)


@router.post(
    "/delete",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "Deleted (empty body)"}, **_error_responses(400, 401, 404, 409, 413, 429, 500)},
    openapi_extra=_json_body(schemas.ScanRefRequest),
    summary="Erase the images and personal data of a finished or expired verification",
)
async def delete(request: Request, partner: PartnerContext = Depends(current_partner)) -> Response:
    req: schemas.ScanRefRequest = await read_model(request, schemas.ScanRefRequest)
    rt = runtime(request)
    await run_in_threadpool(verifications.delete, partner.id, req.scanRef, rt.settings, rt.queue)
    return Response(status_code=200)

