"""/docs in Chromium at 1280 and 390 px: the Authorize button takes a partner's key and
secret, the partner endpoints show the lock, and "Try it out" then gets real answers (the
page's CSP lets Swagger UI call this server, with the credentials)."""

from __future__ import annotations

import json

import pytest

from tests.api.test_process import new_token
from tests.web.conftest import chromium  # noqa: F401 - the shared browser fixture

OPERATION = "#operations-Partner_API-status_api_v2_status_post"


@pytest.mark.slow
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_authorize_then_try_it_out(service, partner, chromium, width, height):  # noqa: F811
    if service.mode != "embedded":
        pytest.skip("one mode is enough: /docs is the same page")
    with service.client(partner) as c:
        scan_ref = new_token(c)["scanRef"]
    page = chromium.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(f"{service.base_url}/docs", wait_until="networkidle")
        locks = page.locator("#operations-tag-Partner_API ~ div .opblock .authorization__btn")
        # Swagger UI renders the operations after its scripts ran, which can be after the
        # network went idle on a busy machine: wait for them before counting.
        locks.last.wait_for()
        page.wait_for_function("document.querySelectorAll('#operations-tag-Partner_API ~ div .opblock').length >= 7")
        assert locks.count() == 7  # token, process, status, data, files, full-status, delete

        def try_status(body: dict) -> tuple[str, str]:
            page.fill(f"{OPERATION} textarea.body-param__text", json.dumps(body))
            page.click(f"{OPERATION} .btn.execute")
            live = page.locator(f"{OPERATION} .live-responses-table .response").first
            live.wait_for()
            answer = (live.locator(".response-col_status").inner_text(),
                      live.locator(".response-col_description pre").first.inner_text())
            page.click(f"{OPERATION} .btn-clear")
            return answer

        authorize = page.locator(".btn.authorize").first
        assert authorize.is_visible()
        authorize.click()
        dialog = page.locator(".dialog-ux .modal-ux")
        dialog.locator("input[type=text]").first.fill(partner.api_key)
        dialog.locator("input[type=password]").first.fill(partner.api_secret)
        dialog.locator("button.authorize").first.click()
        dialog.locator("button.btn-done").first.click()

        page.click(f"{OPERATION} .opblock-summary-control")
        page.click(f"{OPERATION} .try-out__btn")

        status, body = try_status({"scanRef": scan_ref})
        assert status.strip() == "200" and json.loads(body)["status"] == "ACTIVE", body
        status, body = try_status({"scanRef": "0b9d7c3e-0000-4000-8000-000000000000"})
        assert status.strip() == "404" and json.loads(body)["identifier"] == "NOT_FOUND"
    finally:
        page.close()
