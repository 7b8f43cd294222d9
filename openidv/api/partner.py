"""Partner API routes (SPEC 3): token, process, status, data, files, full-status, delete.

Routes only parse, authorise and shape; state changes live in openidv.store.verifications.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from openidv.api import schemas
from openidv.api.auth import PartnerContext, authenticate, authenticate_from_cache
from openidv.api.errors import (
    BadValue,
    ErrorBody,
    MissingValue,
    NotFound,
    PartnerError,
    TokenNotValid,
)
from openidv.api.images import UploadedImage, decode_upload
from openidv.api.photo_validation import validate_photos
from openidv.api.request_body import read_json_object
from openidv.api.views import data_view, full_status_view, status_view
from openidv.config import get_settings
from openidv.pipeline.run import additional_step_names
from openidv.store.db import session_scope
from openidv.store.file_urls import FileUrlSigner
from openidv.store.files import make_file_store
from openidv.store.models import Verification
from openidv.store.verifications import (
    DeleteRefused,
    TokenProblem,
    create_verification,
    delete_verification,
    expire_if_due,
    find_verification,
    live_files,
    start_processing,
    usable_token,
)

router = APIRouter(prefix="/api/v2")

ALL_DOCUMENT_TYPES = list(schemas.DOCUMENT_TYPES)


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


async def partner_dependency(request: Request) -> PartnerContext:
    partner = authenticate_from_cache(request) or await run_in_threadpool(authenticate, request)
    request.app.state.rate_limiter.hit(partner)
    return partner


async def _read(request: Request, model: type) -> Any:
    data = await read_json_object(request, get_settings().max_request_bytes)
    return schemas.parse_model(model, data)


# POST /api/v2/token


@router.post(
    "/token",
    status_code=201,
    response_model=schemas.TokenResponse,
    responses=_error_responses(400, 401, 413, 429, 500),
    openapi_extra=_json_body(schemas.TokenRequest),
    summary="Create a verification session (token)",
)
async def create_token(request: Request, partner: PartnerContext = Depends(partner_dependency)) -> JSONResponse:
    req: schemas.TokenRequest = await _read(request, schemas.TokenRequest)
    echo = _token_defaults(req, partner)
    new = await run_in_threadpool(_create_token_in_store, partner, echo, bool(req.generateDigitString))
    base = _public_base(request)
    body = {
        "message": "Token created successfully",
        "authToken": new[0],
        "scanRef": new[1],
        **echo,
        "digitString": new[2],
        "redirectUrl": f"{base}/api/v2/redirect?authToken={new[0]}",
    }
    return JSONResponse(body, status_code=201)


def _token_defaults(req: schemas.TokenRequest, partner: PartnerContext) -> dict[str, Any]:
    echo = req.model_dump()
    echo["documents"] = req.documents or ALL_DOCUMENT_TYPES
    echo["tokenType"] = req.tokenType or "IDENTIFICATION"
    echo["expiryTime"] = req.expiryTime if req.expiryTime is not None else 3600
    echo["sessionLength"] = req.sessionLength if req.sessionLength is not None else 600
    echo["showInstructions"] = req.showInstructions if req.showInstructions is not None else True
    echo["successUrl"] = req.successUrl or partner.success_url
    echo["errorUrl"] = req.errorUrl or partner.error_url
    echo["unverifiedUrl"] = req.unverifiedUrl or partner.unverified_url
    echo["callbackUrl"] = req.callbackUrl or partner.callback_url
    echo["locale"] = req.locale or "en"
    echo["generateDigitString"] = bool(req.generateDigitString)
    if req.additionalSteps == {"ALL": {"ALL": {}}}:
        echo["additionalSteps"] = None  # seed 004: this form switches the steps off
    return echo


def _create_token_in_store(partner: PartnerContext, echo: dict[str, Any], digits: bool) -> tuple[str, str, Optional[str]]:
    with session_scope() as session:
        from openidv.store.models import Partner

        new = create_verification(session, session.get(Partner, partner.id), echo, digits)
        return new.auth_token, new.verification.scan_ref, new.digit_string


def _public_base(request: Request) -> str:
    settings = get_settings()
    return settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")


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
async def process(request: Request, partner: PartnerContext = Depends(partner_dependency)) -> Response:
    req: schemas.ProcessRequest = await _read(request, schemas.ProcessRequest)
    token = req.authToken or req.token
    if not token:
        raise MissingValue("Missing value for field 'authToken'")
    submission = ImageSubmission(
        country=req.country, document_type=req.documentType, images=req.images.given(),
        skip_analysis=bool(req.skipAnalysis),
    )
    await accept_images(request, partner, functools.partial(usable_token, partner_id=partner.id, auth_token=token),
                        submission, platform="API")
    return Response(status_code=200)


# The part of /process the hosted flow (openidv.web.flow) shares: one path for both.

# Loads the verification whose token is being used, or raises TokenProblem (why not).
TokenFinder = Callable[[Session], Verification]


@dataclass(frozen=True)
class ImageSubmission:
    """Images handed in for a token: base64 per step, and what they show."""

    country: str
    document_type: Optional[str]
    images: dict[str, str]
    skip_analysis: bool = False


async def accept_images(
    request: Request, partner: PartnerContext, find: TokenFinder, submission: ImageSubmission, *, platform: str
) -> int:
    """Check, decode, validate and store the images, use the token and queue the analysis.

    Raises the API's errors (TokenNotValid, MissingValue, PhotoNotAccepted...) exactly as
    /process answers them; returns the verification id once the job is queued.
    """
    settings = get_settings()
    token_info = await run_in_threadpool(_check_token, find)
    document_type = submission.document_type
    if document_type and document_type not in token_info["documents"]:
        raise BadValue(f"Bad value for field 'documentType': {document_type} is not allowed by this token")

    given = submission.images
    extra_steps = set(given) - set(schemas.IMAGE_STEPS)
    allowed_extra = set(additional_step_names(token_info["additionalSteps"], submission.country, document_type))
    for step in sorted(extra_steps - allowed_extra):
        raise BadValue(f"Bad value for field 'images.{step}': not an image step of this token")
    for step in required_steps(token_info["tokenType"], document_type):
        if step not in given:
            raise MissingValue(f"No image provided for step '{step}'")

    max_bytes = partner.max_image_bytes or settings.max_image_bytes
    uploads: dict[str, UploadedImage] = {}
    for step, value in given.items():
        uploads[step] = await run_in_threadpool(
            decode_upload, step, value, max_bytes=max_bytes, max_megapixels=settings.max_megapixels
        )

    if partner.photo_validation and not submission.skip_analysis:
        await run_in_threadpool(validate_photos, uploads)

    verification_id = await run_in_threadpool(
        _start, find, uploads, submission.country, document_type, platform
    )
    from openidv.jobs.tasks import process_verification

    try:
        await run_in_threadpool(process_verification, verification_id)
    except Exception:  # noqa: BLE001 - committed already: the periodic sweep re-queues it
        request.app.state.log.exception("enqueue failed for verification %s", verification_id)
    return verification_id


def required_steps(token_type: str, document_type: Optional[str]) -> list[str]:
    """The image steps every submission for this token and document type must have."""
    steps = ["FRONT"]
    if document_type in schemas.TWO_SIDED_TYPES:
        steps.append("BACK")
    if token_type == "IDENTIFICATION":
        steps.append("FACE")
    return steps


def _check_token(find: TokenFinder) -> dict[str, Any]:
    with session_scope() as session:
        try:
            verification = find(session)
        except TokenProblem as exc:
            raise TokenNotValid(str(exc)) from None
        return {
            "tokenType": verification.token_type,
            "documents": verification.token_request.get("documents") or ALL_DOCUMENT_TYPES,
            "additionalSteps": verification.token_request.get("additionalSteps"),
        }


def _start(find: TokenFinder, uploads: dict[str, UploadedImage], country: str, document_type: Optional[str],
           platform: str) -> int:
    files = make_file_store(get_settings())
    with session_scope() as session:
        try:
            verification = find(session)
        except TokenProblem as exc:
            raise TokenNotValid(str(exc)) from None
        images = {u.step: (u.data, u.content_type) for u in uploads.values()}
        if not start_processing(
            session, verification, files, images,
            country=country, document_type=document_type, platform=platform,
        ):
            raise TokenNotValid("Token has already been used")
        return verification.id


# Retrieval: /status, /data, /files, /full-status, /delete


def _lookup(partner_id: int, scan_ref: str, shape) -> Any:  # noqa: ANN001
    with session_scope() as session:
        verification = find_verification(session, partner_id, scan_ref)
        if verification is None:
            raise NotFound(f"Verification '{scan_ref}' was not found")
        # An unused token past its expiry reads as EXPIRED at once, not at the next sweep.
        hook = expire_if_due(session, verification)
        result = shape(session, verification)
    if hook:
        from openidv.jobs.tasks import deliver_webhook

        deliver_webhook(hook)
    return result


def _retrieval_route(path: str, summary: str, response_model: Any, shape) -> None:  # noqa: ANN001
    @router.post(
        path,
        response_model=response_model,
        responses=_error_responses(400, 401, 404, 413, 429, 500),
        openapi_extra=_json_body(schemas.ScanRefRequest),
        summary=summary,
        name=path.strip("/"),
    )
    async def endpoint(request: Request, partner: PartnerContext = Depends(partner_dependency)) -> JSONResponse:
        req: schemas.ScanRefRequest = await _read(request, schemas.ScanRefRequest)
        base = _public_base(request)
        body = await run_in_threadpool(_lookup, partner.id, req.scanRef, lambda s, v: shape(s, v, base, req))
        return JSONResponse(body)


def _files_shape(session, verification, base: str, req) -> dict[str, str]:  # noqa: ANN001
    signer = FileUrlSigner(get_settings())
    return {f.step: signer.url(f.id, base) for f in live_files(session, verification.id)}


_retrieval_route("/status", "Overall status of a verification", schemas.StatusResponse,
                 lambda s, v, base, req: status_view(v))
_retrieval_route("/data", "Document data read", schemas.DataResponse, lambda s, v, base, req: data_view(v))
_retrieval_route("/files", "Pre-signed image URLs (valid 1 hour)", dict[str, str], _files_shape)
_retrieval_route(
    "/full-status",
    "Full status (exactly the structure of the iDenfy full-status; with includeReasons: true, "
    "an extra 'openidv' object holds the decision reasons and the face similarity)",
    dict[str, Any],
    lambda s, v, base, req: full_status_view(v, include_reasons=req.includeReasons),
)


@router.post(
    "/delete",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "Deleted (empty body)"}, **_error_responses(400, 401, 404, 409, 413, 429, 500)},
    openapi_extra=_json_body(schemas.ScanRefRequest),
    summary="Erase the images and personal data of a finished or expired verification",
)
async def delete(request: Request, partner: PartnerContext = Depends(partner_dependency)) -> Response:
    req: schemas.ScanRefRequest = await _read(request, schemas.ScanRefRequest)
    files = make_file_store(get_settings())

    def erase(session, verification) -> None:  # noqa: ANN001
        try:
            delete_verification(session, verification, files)
        except DeleteRefused as exc:
            raise PartnerError(str(exc)) from None

    await run_in_threadpool(_lookup, partner.id, req.scanRef, erase)
    return Response(status_code=200)


