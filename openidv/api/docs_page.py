"""The interactive API reference at /docs: Swagger UI served from the installed
swagger-ui-py package (no CDN, so it works air-gapped and no third party's script runs
on the console's origin), under a Content-Security-Policy without inline scripts."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs-assets"
_OWN_ASSETS = Path(__file__).parent / "static"
# Only the package's static folder is used; find_spec locates it without importing its
# web-framework adapters.
_SWAGGER_UI_FILES = Path(find_spec("swagger_ui").submodule_search_locations[0]) / "static"
# Swagger UI sets style attributes itself (hence 'unsafe-inline' for styles only); its
# scripts are files from this server, the page has none inline.
DOCS_HEADERS = {
    "Content-Security-Policy": "; ".join((
        "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "connect-src 'self'", "form-action 'self'", "base-uri 'none'",
        "frame-ancestors 'none'",
    )),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

router = APIRouter(include_in_schema=False)


def docs_html(title: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API reference</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="{ASSETS}/openidv/docs.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{ASSETS}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/openidv/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(docs_html("openidv"), headers=DOCS_HEADERS)


def install(app: FastAPI) -> None:
    """The /docs page and its files (the app is created with docs_url=None)."""
    app.include_router(router)
    app.mount(f"{ASSETS}/swagger-ui", StaticFiles(directory=str(_SWAGGER_UI_FILES)), name="swagger-ui")
    app.mount(f"{ASSETS}/openidv", StaticFiles(directory=str(_OWN_ASSETS)), name="docs-own")
