"""/docs works without the network: Swagger UI's files come from this server, under a CSP
that allows only this server's scripts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app_client():  # noqa: ANN201
    from openidv.app import create_app

    with TestClient(create_app(embedded_worker=False)) as client:
        yield client


def test_docs_load_swagger_ui_from_this_server_only(app_client: TestClient):
    page = app_client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
    assert "<script>" not in page.text  # no inline script: the CSP can forbid them
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    for source in sources:
        asset = app_client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 100, source
    bundle = next(s for s in sources if s.endswith("swagger-ui-bundle.js"))
    assert b"SwaggerUIBundle" in app_client.get(bundle).content
    assert app_client.get("/openapi.json").json()["info"]["title"] == "openidv"
