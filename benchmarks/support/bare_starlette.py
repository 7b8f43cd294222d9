"""A bare Starlette app, the yardstick for the API benchmark (benchmarks/api.py):

- POST /hello answers a small JSON, like /status;
- POST /ingest takes a /process-shaped JSON body, parses it, base64-decodes every image in
  `images` and answers a small JSON: the least any framework must do with such a body.
"""

import base64

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"status": "APPROVED", "scanRef": "hello"})


async def ingest(request: Request) -> JSONResponse:
    body = await request.json()
    sizes = {step: len(base64.b64decode(value, validate=True)) for step, value in body["images"].items()}
    return JSONResponse({"received": sizes})


app = Starlette(routes=[Route("/hello", hello, methods=["POST"]), Route("/ingest", ingest, methods=["POST"])])
