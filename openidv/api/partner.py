"""Partner API routes: token, process, status, data, files, full-status, delete.

Routes only parse, authorise and shape; the use cases are in openidv.services.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from openidv.api import examples, openapi_doc, schemas
from openidv.api.deps import current_partner, read_model, runtime
from openidv.api.token_request import given_options, token_answer
from openidv.core.errors import MissingValue
from openidv.core.vocab import Platform
from openidv.core.wire import data_view, full_status_view, status_view
from openidv.services import verifications
from openidv.services.intake import ImageSubmission, accept_images, create_token, find_usable_token
from openidv.services.partners import PartnerContext
from openidv.store.file_urls import FileUrlSigner
from openidv.store.models import Verification
from openidv.store.verifications import live_files

router = APIRouter(prefix="/api/v2", tags=[openapi_doc.PARTNER_TAG])


def public_base(request: Request) -> str:
    settings = runtime(request).settings
    return settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")


# POST /api/v2/token


@router.post(
    "/token",
    status_code=201,
    response_model=schemas.TokenResponse,
    responses={201: {"description": "Created: the request echoed with its defaults, and the session's handles"},
               **openapi_doc.error_responses(examples.TOKEN_ERRORS)},
    openapi_extra=openapi_doc.json_body(schemas.TokenRequest),
    summary="Create a verification session (token)",
)
async def token(request: Request, partner: PartnerContext = Depends(current_partner)) -> JSONResponse:
    req: schemas.TokenRequest = await read_model(request, schemas.TokenRequest)
    created = await run_in_threadpool(create_token, partner, given_options(req))
    return JSONResponse(token_answer(created, public_base(request)), status_code=201)


# POST /api/v2/process


@router.post(
    "/process",
    status_code=200,
    response_class=Response,
    responses={
        200: {
            "description": "**Empty body: accepted** (the result comes by webhook and /status). **A JSON body: "
            "the quick photo check refused a photo** (identifier DOC_NOT_FOUND or NO_FACE_FOUND): nothing "
            "was stored and the token stays usable; ask for a better photo and call again.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        },
        **openapi_doc.error_responses(examples.PROCESS_ERRORS),
    },
    openapi_extra=openapi_doc.json_body(schemas.ProcessRequest),
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


def _retrieval_route(path: str, summary: str, response_model: Any, answer: str, shape) -> None:  # noqa: ANN001
    @router.post(
        path,
        response_model=response_model,
        responses={200: {"description": answer}, **openapi_doc.error_responses(examples.RETRIEVAL_ERRORS)},
        openapi_extra=openapi_doc.json_body(schemas.ScanRefRequest),
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
                 "The status",
                 lambda s, v, base, req, rt: status_view(v))
_retrieval_route("/data", "Document data read", schemas.DataResponse,
                 "The data read",
                 lambda s, v, base, req, rt: data_view(v))
_retrieval_route("/files", "Pre-signed image URLs (valid 1 hour)", dict[str, str],
                 schemas.FILES_DESCRIPTION, _files_shape)
_retrieval_route(
    "/full-status",
    "Full status (exactly the structure of the iDenfy full-status; with includeReasons: true, "
    "an extra 'openidv' object holds the decision reasons and the face similarity)",
    schemas.FullStatusResponse,
    "The full status",
    lambda s, v, base, req, rt: full_status_view(v, include_reasons=req.includeReasons),
)


@router.post(
    "/delete",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "Deleted (empty body)"}, **openapi_doc.error_responses(examples.DELETE_ERRORS)},
    openapi_extra=openapi_doc.json_body(schemas.ScanRefRequest),
    summary="Erase the images and personal data of a finished or expired verification",
)
async def delete(request: Request, partner: PartnerContext = Depends(current_partner)) -> Response:
    req: schemas.ScanRefRequest = await read_model(request, schemas.ScanRefRequest)
    rt = runtime(request)
    await run_in_threadpool(verifications.delete, partner.id, req.scanRef, rt.settings, rt.queue)
    return Response(status_code=200)

