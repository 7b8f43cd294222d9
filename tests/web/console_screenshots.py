"""Make the console screenshots of docs/console.md (log in, queue, verification, decision
panel, image tools, search, dashboard at 1280 and 390 px) against a real embedded
`openidv serve`, in headless Chromium.

    python -m tests.web.console_screenshots docs/

Everything shown is generated: a synthetic passport (tests.support.synthetic, needs
Debian's fonts-ocr-b) sent twice under two clientIds (so the duplicate check finds the
same document number), a drawn "selfie" and plain JPEGs for the rest of the queue; no real
person's image ends up in the documentation. All of it goes through the API and the
pipeline; the only database edit moves two cases back in time so the queue shows its
waiting-time colours. Needs `pip install playwright` and Debian's chromium.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import httpx

from tests.conftest import jpeg_bytes
from tests.support.service import Partner, Service, WebhookReceiver, start_service
from tests.web.conftest import csrf_of, login, version_of

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WIDTHS = ((1280, 800), (390, 844))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _token(service: Service, partner: Partner, fields: dict) -> dict:
    with service.client(partner) as c:
        return c.post("/api/v2/token", json=fields).json()


def _submit(service: Service, partner: Partner, token_fields: dict, images: dict, document_type: str) -> str:
    token = _token(service, partner, token_fields)
    with service.client(partner) as c:
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


def _seed(service: Service, acme: Partner, globex: Partner) -> tuple[str, list[str], list[str]]:
    """The verification to show (its document also under another clientId), a few more for
    the queue, unused tokens for the dashboard's drop-off."""
    for partner in (acme, globex):
        service.cli("partner", "policy", partner.api_key, "--review", "review_all")
    from openidv.pipeline.mrz import country_alpha2

    passport, truth = _synthetic_passport()
    country = country_alpha2(truth["issuer"]) or "LT"
    images = {"FRONT": _b64(passport), "FACE": _b64(_drawn_selfie())}
    earlier = _submit(service, acme, {"clientId": "customer-1007", "firstName": "Anna", "lastName": "Example",
                                      "country": country}, images, "PASSPORT")
    service.wait_for_status(acme, earlier, timeout=300)
    # The partner's data differs from the document on purpose: the page highlights it.
    shown = _submit(service, acme, {"clientId": "customer-1042", "firstName": "Anna", "lastName": "Exampel",
                                    "dateOfBirth": "1980-02-03", "country": country}, images, "PASSPORT")
    others = [
        _submit(service, partner, {"clientId": f"customer-{n}", "tokenType": "DOCUMENT", "firstName": name,
                                   "lastName": "Example"},
                {"FRONT": _b64(jpeg_bytes(800, 500, colour))}, "PASSPORT")
        for partner, n, name, colour in ((acme, 2001, "Ona", (150, 160, 170)), (acme, 2002, "Petras", (170, 160, 150)),
                                         (acme, 2003, "Ieva", (140, 150, 140)), (globex, 3001, "Jonas", (160, 150, 170)),
                                         (globex, 3002, "Rasa", (150, 170, 160)), (acme, 2004, "Tomas", (165, 155, 145)))
    ]
    for ref in [shown, *others]:
        service.wait_for_status(acme if ref not in others[3:5] else globex, ref, timeout=300)
    unused = [_token(service, acme, {"clientId": f"customer-{n}"}) for n in (4001, 4002, 4003)]
    httpx.get(unused[0]["redirectUrl"], follow_redirects=True, timeout=30)  # opened, then abandoned
    return shown, [earlier, *others], [t["scanRef"] for t in unused]


def _client(service: Service, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=service.base_url, timeout=60)
    login(client, email, password)
    return client


def _review(client: httpx.Client, scan_ref: str, decision: str, template: str) -> None:
    page = client.get(f"/console/v/{scan_ref}").text
    r = client.post(f"/console/v/{scan_ref}/review", data={
        "csrf": csrf_of(page), "version": str(version_of(page)), "decision": decision,
        "template": template, "note": "example review"})
    assert r.status_code == 303, r.text


def _assign(client: httpx.Client, scan_ref: str) -> None:
    page = client.get(f"/console/v/{scan_ref}").text
    client.post(f"/console/v/{scan_ref}/assign", data={"csrf": csrf_of(page), "action": "take"})


def _backdate(home: Path, scan_refs: dict[str, float]) -> None:
    """Move cases back in the queue (hours) so the waiting-time colours show."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from openidv.config import Settings
    from openidv.store.db import make_engine
    from openidv.store.models import Verification, utcnow

    engine = make_engine(Settings(home=home))
    with Session(engine) as session, session.begin():
        for ref, hours in scan_refs.items():
            session.execute(update(Verification).where(Verification.scan_ref == ref)
                            .values(finish_time=utcnow() - dt.timedelta(hours=hours)))
    engine.dispose()


def _shrink(path: Path) -> None:
    """256-colour PNGs: a fraction of the size, still sharp for text and tables."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _shoot(page, out_dir: Path, name: str, width: int, full_page: bool = True) -> None:  # noqa: ANN001
    page.screenshot(path=str(out_dir / f"console-{name}-{width}.png"), full_page=full_page)


def _pages(browser, base: str, out_dir: Path, email: str, password: str, shown: str) -> None:  # noqa: ANN001
    for width, height in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(base + "/console/login")
        _shoot(page, out_dir, "login", width, full_page=False)
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/console/queue")
        _shoot(page, out_dir, "queue", width)
        page.goto(f"{base}/console/v/{shown}")
        page.wait_for_load_state("networkidle")
        page.check("input[name=decision][value=resubmit]")
        page.select_option("#template", "no_face")
        _shoot(page, out_dir, "verification", width)
        # The decision panel beside the duplicates, the page scrolled (1280), or the panel (390).
        target = "duplicates" if width > 1000 else "review"
        page.evaluate(f"window.scrollTo(0, document.getElementById('{target}').getBoundingClientRect().top"
                      " + window.scrollY - 10)")
        _shoot(page, out_dir, "decision", width, full_page=False)
        page.evaluate("window.scrollTo(0, 0)")
        page.click("a.zoomable >> nth=0")
        page.wait_for_function("document.querySelector('canvas.view') && document.querySelector('canvas.view').width > 0")
        page.focus("input[name=contrast]")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.click(".lightbox button:has-text('Magnifier')")
        box = page.locator("canvas.view").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.86)
        _shoot(page, out_dir, "tools", width, full_page=False)
        page.keyboard.press("Escape")
        page.goto(base + "/console/search?name=example")
        _shoot(page, out_dir, "search", width)
        page.goto(base + "/console/dashboard")
        _shoot(page, out_dir, "dashboard", width)
        page.close()


def main(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    receiver = WebhookReceiver()
    home = Path(tempfile.mkdtemp(prefix="openidv-shots-"))
    service = start_service("embedded", home)
    try:
        partners = []
        for name in ("Acme Bank", "Globex Pay"):
            created = json.loads(service.cli("partner", "create", name, "--callback-url", receiver.url("/hook")).stdout)
            partners.append(Partner(created["name"], created["apiKey"], created["apiSecret"], created["webhookSecret"]))
        acme, globex = partners
        shown, others, _ = _seed(service, acme, globex)
        lead = json.loads(service.cli("reviewer", "create", "lead@openidv.example").stdout)
        anna = json.loads(service.cli("reviewer", "create", "anna@acme.example", "--partner-key", acme.api_key).stdout)
        with closing(_client(service, anna["email"], anna["password"])) as client:
            _review(client, others[1], "approve", "verified")
            _review(client, others[2], "resubmit", "doc_blurry")
            _assign(client, others[3])
        with closing(_client(service, lead["email"], lead["password"])) as client:
            _review(client, others[4], "decline", "doc_fake")
        _backdate(home, {others[0]: 30, others[3]: 3})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            _pages(browser, service.base_url, out_dir, lead["email"], lead["password"], shown)
            browser.close()
        for png in out_dir.glob("console-*.png"):
            _shrink(png)
    finally:
        service.stop()
        receiver.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
