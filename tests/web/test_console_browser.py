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
