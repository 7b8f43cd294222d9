"""What a request that fails unexpectedly is answered with: 503 with Retry-After when a
server openidv depends on is unreachable (an outage a client should wait out), else 500 with
the request id. Logged once, as one line; the client never sees a trace."""

from __future__ import annotations

import logging
from typing import Optional

from starlette.responses import JSONResponse

from openidv.core.errors import ApiError, InternalError, ServiceUnavailable, error_body

log = logging.getLogger("openidv.http")


def unavailable_dependency(exc: BaseException) -> Optional[str]:
    """"database" or "queue" when the error says that server cannot be reached, else None."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return "database"
    if isinstance(exc, (RedisConnectionError, RedisTimeout)):
        return "queue"
    return None


def unexpected_error_response(exc: BaseException, request_id: str) -> JSONResponse:
    dependency = unavailable_dependency(exc)
    error: ApiError
    if dependency is not None:
        log.warning("dependency unavailable", extra={"request_id": request_id, "dependency": dependency,
                                                     "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
        error = ServiceUnavailable(f"The {dependency} is unavailable; try again shortly (request id {request_id})")
    else:
        log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        error = InternalError(f"Internal error; request id {request_id}")
    return JSONResponse(error_body(error), status_code=error.status_code, headers=error.headers)
