"""The console in headless Chromium at 1280 and 390 px, against the in-process app served
over HTTP (so any state can be set up in the database): decision panel, queue, image tools,
search and export, dashboard. Playwright with Debian's chromium; skipped when missing."""

from __future__ import annotations

import pytest

from tests.web.conftest import browser_login, no_sideways_scroll, row

SIZES = pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])


def _pixel(page, selector: str, x: float = 0.5, y: float = 0.5) -> list[int]:  # noqa: ANN001
    return page.evaluate(
        """([sel, fx, fy]) => { const c = document.querySelector(sel);
             return Array.from(c.getContext('2d').getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data); }""",
        [selector, x, y])


@pytest.mark.slow
@SIZES
def test_image_tools(live_console, chromium, make_partner, make_reviewer, make_verification, width, height):
    p = make_partner()
    scan_ref = make_verification(p.partner_id)
    page = browser_login(chromium, live_console, *make_reviewer(p.partner_id), width, height)
    try:
        page.goto(f"{live_console}/console/v/{scan_ref}")
        page.click("a.zoomable >> nth=0")  # FRONT, 320 x 200
        page.wait_for_function("document.querySelector('.lightbox canvas.view') && "
                               "document.querySelector('.lightbox canvas.view').width > 0")
        size = lambda: page.evaluate("[document.querySelector('canvas.view').width, document.querySelector('canvas.view').height]")  # noqa: E731
        assert size() == [320, 200]
        page.click(".lightbox button[title^='Rotate right']")
        assert size() == [200, 320] and page.get_attribute("canvas.view", "data-angle") == "90"
        page.keyboard.press("R")
        assert size() == [320, 200] and page.get_attribute("canvas.view", "data-angle") == "0"
        before = _pixel(page, "canvas.view")
        page.focus("input[name=brightness]")
        for _ in range(5):
            page.keyboard.press("ArrowRight")  # +50 %
        after = _pixel(page, "canvas.view")
        assert page.get_attribute("canvas.view", "data-filter") == "150/100"
        assert after[0] > before[0] + 30, (before, after)
        page.focus("input[name=contrast]")
        page.keyboard.press("ArrowLeft")
        assert page.get_attribute("canvas.view", "data-filter") == "150/90"
        page.focus(".lightbox .close")
        page.keyboard.press("+")
        assert page.get_attribute("canvas.view", "data-scale") == "1"
        page.keyboard.press("m")
        assert page.get_attribute(".lightbox button:has-text('Magnifier')", "aria-pressed") == "true"
        box = page.locator("canvas.view").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.is_visible("canvas.lens")
        lens = _pixel(page, "canvas.lens")
        assert lens[:3] == after[:3] or abs(lens[0] - after[0]) < 20, (lens, after)
        page.keyboard.press("0")
        assert page.get_attribute("canvas.view", "data-filter") == "100/100"
        page.keyboard.press("Escape")
        assert page.query_selector(".lightbox") is None
        assert not page.errors, page.errors
    finally:
        page.close()


@pytest.mark.slow
@SIZES
def test_decision_panel(live_console, chromium, make_partner, make_reviewer, make_verification, width, height):
    p = make_partner(callback_url="https://partner.example/hook")
    scan_ref = make_verification(p.partner_id)
    page = browser_login(chromium, live_console, *make_reviewer(p.partner_id), width, height)
    try:
        page.goto(f"{live_console}/console/v/{scan_ref}")
        panel = page.locator("#review")
        if width >= 1000:
            # Beside the images, and still on screen after scrolling down to the MRZ.
            assert panel.bounding_box()["x"] > page.locator(".vmain").bounding_box()["x"] + 400
            page.evaluate("window.scrollTo(0, document.getElementById('compare').getBoundingClientRect().top"
                          " + window.scrollY - 100)")
            page.wait_for_timeout(200)
            box = panel.bounding_box()
            assert page.evaluate("window.scrollY") > 800 and 0 <= box["y"] < 50, box
        else:
            page.click("a.to-decision")
        page.check("input[name=decision][value=decline]")
        visible = page.evaluate("Array.from(document.querySelectorAll('#template optgroup'))"
                                ".filter(g => !g.hidden).map(g => g.getAttribute('data-decision'))")
        assert visible == ["decline"]
        page.select_option("#template", "face_mismatch")
        assert page.input_value("#reason") == "Face does not match the document"
        assert "FACE_MISMATCH" in page.inner_text("#sends") and "DENIED" in page.inner_text("#sends")
        # An inconsistent choice under Advanced is refused before it reaches the server.
        page.click("details.advanced summary")
        page.select_option("#advanced-face", "FACE_TOO_BLURRY")
        assert "Ask to resubmit" in page.inner_text("#sends")
        page.click("#submit-review")
        page.wait_for_timeout(300)
        assert "reviewed=1" not in page.url and row(scan_ref).status == "REVIEWING"
        assert page.locator("#review-form").count() == 1, "the browser must not send it (no error page)"
        page.select_option("#advanced-face", "")
        page.fill("#reason", "Face does not match: different nose and ears")
        page.click("#submit-review")
        page.wait_for_url(f"**/console/v/{scan_ref}?reviewed=1")
        assert page.inner_text("#overall-status") == "DENIED"
        v = row(scan_ref)
        assert (v.manual_face, v.review_reason) == ("FACE_MISMATCH", "Face does not match: different nose and ears")
        assert no_sideways_scroll(page)
        assert not page.errors, page.errors
    finally:
        page.close()


@pytest.mark.slow
@SIZES
def test_queue_filters_take_next_and_phone_layout(live_console, chromium, make_partner, make_reviewer,
                                                 make_verification, width, height):
    p = make_partner()
    mrz_case = make_verification(p.partner_id, auto_face="FACE_MATCH", decision_reasons=[
        {"check": "document", "outcome": "REVIEWING", "detail": "MRZ readings disagree on: document_number"}])
    face_case = make_verification(p.partner_id)
    page = browser_login(chromium, live_console, *make_reviewer(p.partner_id), width, height)
    try:
        assert no_sideways_scroll(page)
        # Every part of a row is on screen (nothing cut off at 390 px).
        for part in ("td.case", "td.why", "td.waiting", "td[data-label=Assigned]"):
            box = page.locator(f"#queue tr:has(a[href='/console/v/{face_case}']) {part}").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (part, box)
        assert "Face uncertain (similarity 61 %)" in page.inner_text(f"#queue tr:has(a[href='/console/v/{face_case}'])")
        assert " UTC" in page.inner_text(".counts")
        page.select_option("select[name=reason]", "mrz")
        page.click("#queue-filters button[type=submit]")
        page.wait_for_url("**/console/queue?reason=mrz*")
        shown = page.eval_on_selector_all("#queue a.ref", "links => links.map(a => a.getAttribute('href'))")
        assert shown == [f"/console/v/{mrz_case}"]
        page.click("#take-next")
        page.wait_for_url(f"**/console/v/{mrz_case}")
        assert "Assigned to you" in page.inner_text("#assignment")
        assert "MRZ readings disagree" in page.inner_text("#why")
        assert not page.errors, page.errors
    finally:
        page.close()


@pytest.mark.slow
@SIZES
def test_duplicates_search_export_dashboard(live_console, chromium, make_partner, make_reviewer, make_verification,
                                            width, height):
    import uuid

    p = make_partner()
    tag = uuid.uuid4().hex[:6]
    first = make_verification(p.partner_id, client_id=f"alice-{tag}", status="APPROVED",
                              document_data={"doc_name": "ALICE", "doc_surname": f"DUP{tag}", "doc_country": "LT",
                                             "doc_document_number": "LT1234"})
    second = make_verification(p.partner_id, client_id=f"mallory-{tag}", fraud_tags=["DUPLICATE_FACE"],
                               decision_reasons=[{"check": "duplicates", "outcome": "DUPLICATE_FACE",
                                                  "detail": "selfie face matches another clientId's selfie face",
                                                  "scores": {"distance": 0.3712, "matches": 1.0},
                                                  "matches": [{"scanRef": first, "clientId": f"alice-{tag}",
                                                               "kind": "selfie", "distance": 0.3712}]}])
    page = browser_login(chromium, live_console, *make_reviewer(p.partner_id), width, height)
    try:
        page.goto(f"{live_console}/console/v/{second}")
        pair = page.locator("#duplicates .pair").first
        assert pair.locator("img").count() == 2
        assert page.evaluate("Array.from(document.querySelectorAll('#duplicates img')).every(i => i.naturalWidth > 0)")
        pair.locator("a.match-link").click()
        page.wait_for_url(f"**/console/v/{first}")
        page.click("nav a:has-text('Search')")
        page.fill("input[name=name]", f"dup{tag}")
        page.click("form.search button[type=submit]")
        results = page.inner_text("#results")
        assert f"ALICE DUP{tag}".upper() in results.upper() and "LT1234" in results
        with page.expect_download() as download:
            page.click("#export")
        csv_text = open(download.value.path(), encoding="utf-8-sig").read()
        assert first in csv_text and "scanRef,clientId" in csv_text
        page.click("nav a:has-text('Dashboard')")
        page.wait_for_url("**/console/dashboard")
        assert page.locator("#approval-chart").is_visible() and page.locator("#funnel-chart rect").count() >= 1
        assert no_sideways_scroll(page)
        assert not page.errors, page.errors
    finally:
        page.close()


@pytest.mark.slow
@SIZES
def test_login_page_has_no_cli_instructions(live_console, chromium, width, height):
    page = chromium.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(live_console + "/console/login")
        text = page.inner_text("main")
        assert "openidv reviewer" not in text and "administrator" in text
        assert no_sideways_scroll(page)
    finally:
        page.close()
