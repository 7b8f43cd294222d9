"""GET /files/<signed-token>: one decrypted image, for an hour after the URL was made."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from openidv.api.deps import runtime
from openidv.api.errors import ErrorBody
from openidv.core.errors import Forbidden, NotFound
from openidv.store.db import session_scope
from openidv.store.file_urls import FileUrlInvalid, FileUrlSigner
from openidv.store.files import make_file_store
from openidv.store.models import StoredFile

router = APIRouter(tags=["Files"])


@router.get(
    "/files/{token}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The image"},
        403: {"model": ErrorBody, "description": "Changed or expired URL"},
        404: {"model": ErrorBody, "description": "The image was deleted"},
    },
    summary="Download a stored image by its pre-signed URL",
)
async def download(request: Request, token: str) -> Response:
    settings = runtime(request).settings
    try:
        file_id = FileUrlSigner(settings).file_id(token)
    except FileUrlInvalid:
        raise Forbidden("This file URL is invalid or has expired") from None

    def load() -> tuple[bytes, str]:
        files = make_file_store(settings)
        with session_scope() as session:
            stored = session.get(StoredFile, file_id)
            if stored is None or stored.deleted_at is not None:
                raise NotFound("This file has been deleted")
            data = files.get(session, stored.storage_key)
            if data is None:
                raise NotFound("This file has been deleted")
            return data, stored.content_type

    data, content_type = await run_in_threadpool(load)
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
