"""Make the /docs screenshots of docs/integration.md (Swagger UI at 1280 and 390 px: the
Authorize button, and POST /api/v2/status expanded with its lock, example and error answers)
against a real embedded `openidv serve`, in headless Chromium.

    python -m tests.api.docs_screenshots docs/

Needs `pip install playwright` and Debian's chromium (no browser download).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tests.support.service import start_service

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Width, viewport height, and how much of the page to keep (the expanded endpoint is long).
SIZES = ((1280, 800, 1900), (390, 844, 2600))
OPERATION = "#operations-Partner_API-status_api_v2_status_post"


def take(base_url: str, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width, height, keep in SIZES:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base_url}/docs", wait_until="networkidle")
            page.wait_for_selector(".btn.authorize")
            page.click(f"{OPERATION} .opblock-summary-control")
            page.wait_for_selector(f"{OPERATION} .responses-table")
            page.wait_for_timeout(300)
            full = page.evaluate("document.documentElement.scrollHeight")
            path = out_dir / f"api-docs-{width}.png"
            page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width,
                                                                  "height": min(keep, full)})
            written.append(path)
        browser.close()
    return written


def main(out_dir: str) -> None:
    with tempfile.TemporaryDirectory() as home:
        service = start_service("embedded", Path(home) / "openidv")
        try:
            for path in take(service.base_url, Path(out_dir)):
                print(path)
        finally:
            service.stop()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs")
