"""A bare Starlette app answering a small JSON "hello" to POST: the yardstick for /status."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "APPROVED", "scanRef": "hello"})


app = Starlette(routes=[Route("/hello", hello, methods=["POST"])])
