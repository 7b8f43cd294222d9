"""Make the console screenshots of docs/console.md (login, queue, verification, dashboard at
1280 and 390 px) against a real embedded `openidv serve`, in headless Chromium.

    python -m tests.web.console_screenshots docs/

Everything shown is generated: a synthetic passport (tests.support.synthetic, needs
Debian's fonts-ocr-b), a drawn "selfie" and plain JPEGs for the rest of the queue; no
real person's image ends up in the documentation. Needs `pip install playwright` and
Debian's chromium.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx

from tests.conftest import jpeg_bytes
from tests.support.service import Partner, Service, WebhookReceiver, start_service
from tests.web.conftest import csrf_of, login, version_of

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WIDTHS = ((1280, 900), (390, 844))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _submit(service: Service, partner: Partner, token_fields: dict, images: dict, document_type: str) -> str:
    with service.client(partner) as c:
        token = c.post("/api/v2/token", json=token_fields).json()
        r = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": token_fields.get("country", "CZ"),
                                            "documentType": document_type, "skipAnalysis": True, "images": images})
        r.raise_for_status()
    return token["scanRef"]


def _synthetic_passport() -> tuple[bytes, dict]:
    from tests.support.synthetic import make_document

    image, truth = make_document("TD3", seed=7, surname="EXAMPLE", given_names="ANNA MARIA")
    return _jpeg(image[:, :, ::-1]), {"surname": truth.fields.surname, "issuer": truth.fields.issuing_code}


def _jpeg(rgb) -> bytes:  # noqa: ANN001
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=88)
    return out.getvalue()


def _drawn_selfie() -> bytes:
    """A cartoon face: the console shows what the pipeline made of it (no face found)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 640), (205, 220, 235))
    d = ImageDraw.Draw(img)
    d.ellipse((120, 140, 360, 460), fill=(236, 200, 170))
    d.ellipse((180, 250, 210, 280), fill=(60, 60, 60))
    d.ellipse((270, 250, 300, 280), fill=(60, 60, 60))
    d.arc((190, 320, 290, 400), 20, 160, fill=(150, 60, 60), width=6)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def _seed(service: Service, partner: Partner) -> tuple[str, list[str]]:
    """A verification to show, and a few more for the queue and the dashboard."""
    service.cli("partner", "policy", partner.api_key, "--review", "review_all")
    from openidv.pipeline.mrz import country_alpha2

    passport, truth = _synthetic_passport()
    country = country_alpha2(truth["issuer"]) or "LT"
    # The partner's data differs from the document on purpose: the page highlights it.
    shown = _submit(service, partner, {"clientId": "customer-1042", "firstName": "Anna", "lastName": "Exampel",
                                       "dateOfBirth": "1980-02-03", "country": country},
                    {"FRONT": _b64(passport), "FACE": _b64(_drawn_selfie())}, "PASSPORT")
    others = [
        _submit(service, partner, {"clientId": f"customer-{n}", "tokenType": "DOCUMENT", "firstName": name,
                                   "lastName": "Example"},
                {"FRONT": _b64(jpeg_bytes(800, 500, colour))}, "PASSPORT")
        for n, name, colour in ((2001, "Ona", (150, 160, 170)), (2002, "Petras", (170, 160, 150)),
                                (2003, "Ieva", (140, 150, 140)))
    ]
    for ref in [shown, *others]:
        service.wait_for_status(partner, ref, timeout=300)
    return shown, others


def _review_one(service: Service, email: str, password: str, scan_ref: str, decision: str, template: str) -> None:
    with httpx.Client(base_url=service.base_url, timeout=60) as client:
        login(client, email, password)
        page = client.get(f"/console/v/{scan_ref}").text
        client.post(f"/console/v/{scan_ref}/review", data={
            "csrf": csrf_of(page), "version": str(version_of(page)), "decision": decision,
            "template": template, "note": "example review"})


def _shrink(path: Path) -> None:
    """256-colour PNGs: a fraction of the size, still sharp for text and tables."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    receiver = WebhookReceiver()
    service = start_service("embedded", Path(tempfile.mkdtemp(prefix="openidv-shots-")))
    try:
        created = json.loads(service.cli("partner", "create", "Acme Bank", "--callback-url", receiver.url("/hook")).stdout)
        partner = Partner(created["name"], created["apiKey"], created["apiSecret"], created["webhookSecret"])
        shown, others = _seed(service, partner)
        reviewer = json.loads(service.cli("reviewer", "create", "reviewer@acme.example",
                                          "--partner-key", partner.api_key).stdout)
        email, password = reviewer["email"], reviewer["password"]
        _review_one(service, email, password, others[0], "approve", "verified")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for width, height in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(service.base_url + "/console/login")
                page.screenshot(path=str(out_dir / f"console-login-{width}.png"))
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_url("**/console/queue")
                page.screenshot(path=str(out_dir / f"console-queue-{width}.png"), full_page=True)
                page.goto(f"{service.base_url}/console/v/{shown}")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out_dir / f"console-verification-{width}.png"), full_page=True)
                page.goto(service.base_url + "/console/dashboard")
                page.screenshot(path=str(out_dir / f"console-dashboard-{width}.png"), full_page=True)
                page.close()
            browser.close()
        for png in out_dir.glob("console-*.png"):
            _shrink(png)
    finally:
        service.stop()
        receiver.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
