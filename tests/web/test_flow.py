"""The hosted capture flow (/flow/<authToken>, GET /api/v2/redirect) against real servers.

Black-box: each test talks HTTP to a real `openidv serve` (embedded, and PostgreSQL + Redis
with a separate worker), as a browser would; the slow tests drive headless Chromium with a
fake camera (Playwright, Debian's chromium).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import shutil
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional

import httpx
import pytest
from PIL import Image

# The real-server fixtures of the API tests (each runs in both deployment modes).
from tests.conftest import jpeg_bytes
from tests.support.service import Partner, Service

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
DESKTOP_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Safari/537.36")
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
CHROMIUM = Path("/usr/bin/chromium")


# ----------------------------------------------------------------------------- helpers


def new_token(service: Service, partner: Partner, **fields: Any) -> dict[str, Any]:
    with service.client(partner) as c:
        r = c.post("/api/v2/token", json={"clientId": f"flow-{uuid.uuid4().hex[:6]}", **fields})
    assert r.status_code == 201, r.text
    return r.json()


def browser_client(service: Service, user_agent: str = DESKTOP_UA) -> httpx.Client:
    """A client that behaves like the flow's own pages: same-origin fetches, no redirects."""
    return httpx.Client(base_url=service.base_url, follow_redirects=False, timeout=60,
                        headers={"User-Agent": user_agent, "Sec-Fetch-Site": "same-origin"})


def give_consent(client: httpx.Client, key: str) -> None:
    """Agree to the consent notice (nothing is photographed before)."""
    r = client.post(f"/flow/{key}/consent", data={"decision": "accept"})
    assert r.status_code == 303 and "/capture" in r.headers["location"], r.text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def still_approach_frames(face_jpeg: bytes, count: int = 3) -> list[str]:
    """"Move closer" frames made of a still photo that only grows (what a print held up and
    brought nearer looks like): 480×640 JPEGs, base64."""
    photo = Image.open(io.BytesIO(face_jpeg)).convert("RGB")
    frames = []
    for i in range(count):
        zoom = 1.0 + 0.35 * i
        canvas = Image.new("RGB", (480, 640), (90, 90, 90))
        picture = photo.copy()
        picture.thumbnail((int(300 * zoom), int(400 * zoom)))
        canvas.paste(picture, ((480 - picture.width) // 2, (640 - picture.height) // 2))
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=80)
        frames.append(b64(out.getvalue()))
    return frames


def database_url(service: Service) -> str:
    url = service.env.get("OPENIDV_DATABASE_URL") or f"sqlite:///{service.env['OPENIDV_HOME']}/openidv.db"
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def run_sql(service: Service, sql: str, **params: Any) -> list[Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(service))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def wait_for_outcome(client: httpx.Client, key: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/flow/{key}/status").json()
        if state["done"]:
            return state
        time.sleep(0.5)
    raise AssertionError(f"flow did not finish within {timeout}s")


EXPECTED_PAGE = {"APPROVED": "success", "REVIEWING": "success", "DENIED": "unverified",
                 "SUSPECTED": "unverified"}


def landing_urls(tag: str) -> dict[str, str]:
    return {"successUrl": f"https://partner.example/{tag}/success",
            "errorUrl": f"https://partner.example/{tag}/error",
            "unverifiedUrl": f"https://partner.example/{tag}/unverified"}


# ----------------------------------------------------------------------------- entry


def test_redirect_url_leads_to_the_flow_with_security_headers(service, partner):
    created = new_token(service, partner)
    with browser_client(service) as c:
        r = c.get(created["redirectUrl"])
        assert r.status_code == 303
        assert r.headers["location"] == f"/flow/{created['authToken']}"
        page = c.get(r.headers["location"])
    assert page.status_code == 200
    assert "Verify your identity" in page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp and "default-src 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"


def test_redirect_without_a_token_opens_the_code_entry_page(service):
    with browser_client(service) as c:
        r = c.get("/api/v2/redirect")
        assert r.status_code == 303 and r.headers["location"] == "/flow"
        page = c.get("/flow")
    assert page.status_code == 200 and 'name="digitString"' in page.text
    assert '<label for="digitString">' in page.text


def test_digit_string_opens_the_same_flow(service, partner):
    created = new_token(service, partner, generateDigitString=True, locale="de")
    digits = created["digitString"]
    assert re.fullmatch(r"\d{8}", digits)
    with browser_client(service) as c:
        r = c.post("/flow", data={"digitString": digits})
        assert r.status_code == 303
        handle_url = r.headers["location"]
        assert handle_url.startswith("/flow/") and created["authToken"] not in handle_url
        page = c.get(handle_url)
        assert page.status_code == 200 and "Identität bestätigen" in page.text  # the token's locale
        assert '<option value="DE">Deutschland</option>' in page.text  # countries named in German too

        wrong = f"{(int(digits) + 1) % 10**8:08d}"
        bad = c.post("/flow", data={"digitString": wrong})
        assert bad.status_code == 400 and "This code is not valid" in bad.text


def test_cross_site_posts_are_refused(service, partner):
    created = new_token(service, partner, generateDigitString=True)
    with httpx.Client(base_url=service.base_url, follow_redirects=False) as c:
        r = c.post("/flow", data={"digitString": created["digitString"]},
                   headers={"Sec-Fetch-Site": "cross-site"})
        assert r.status_code == 403
        r = c.post("/flow", data={"digitString": created["digitString"]},
                   headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        # A form (not JSON) aimed at the submit endpoint is refused even with the token.
        r = c.post(f"/flow/{created['authToken']}/submit", data={"images": "x"})
        assert r.status_code == 403


# ----------------------------------------------------------------------------- the token decides


def test_choices_are_asked_only_when_the_token_leaves_them(service, partner):
    open_token = new_token(service, partner, documents=["PASSPORT", "ID_CARD"])
    fixed_token = new_token(service, partner, documents=["PASSPORT"], country="LT")
    with browser_client(service) as c:
        open_page = c.get(f"/flow/{open_token['authToken']}").text
        fixed_page = c.get(f"/flow/{fixed_token['authToken']}").text
    assert 'name="document" value="PASSPORT"' in open_page and 'name="document" value="ID_CARD"' in open_page
    assert 'name="document" value="DRIVER_LICENSE"' not in open_page
    assert '<select id="country" name="country"' in open_page
    assert '<select id="country"' not in fixed_page and 'type="radio"' not in fixed_page
    assert 'type="hidden" name="country" value="LT"' in fixed_page


def test_document_token_skips_the_selfie(service, partner):
    doc_only = new_token(service, partner, tokenType="DOCUMENT", documents=["PASSPORT"], country="CZ",
                         showInstructions=False)
    full = new_token(service, partner, documents=["ID_CARD"], country="CZ")
    with browser_client(service) as c:
        r = c.get(f"/flow/{doc_only['authToken']}")
        # Nothing to choose and no instructions wanted: straight to the consent, then the camera.
        assert r.status_code == 303 and "/consent" in r.headers["location"]
        give_consent(c, doc_only["authToken"])
        give_consent(c, full["authToken"])
        r = c.get(f"/flow/{doc_only['authToken']}/capture")
        assert r.status_code == 200
        assert 'id="step-FRONT"' in r.text and 'id="step-FACE"' not in r.text and 'id="step-BACK"' not in r.text
        both = c.get(f"/flow/{full['authToken']}/capture").text
    assert all(f'id="step-{s}"' in both for s in ("FRONT", "BACK", "FACE"))
    assert both.index('id="step-FRONT"') < both.index('id="step-BACK"') < both.index('id="step-FACE"')
    assert 'data-facing="user"' in both and 'data-facing="environment"' in both


def test_additional_steps_become_upload_steps(service, partner):
    steps = {"ALL": {"ALL": {"PROOF_OF_ADDRESS": {"type": "UPLOAD"}}}}
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", additionalSteps=steps)
    with browser_client(service) as c:
        give_consent(c, created["authToken"])
        page = c.get(f"/flow/{created['authToken']}/capture").text
    assert 'id="step-PROOF_OF_ADDRESS"' in page
    assert "Additional document: Proof Of Address" in page
    assert page.index('id="step-FACE"') < page.index('id="step-PROOF_OF_ADDRESS"')


def test_language_follows_the_token_and_the_switch(service, partner):
    created = new_token(service, partner, locale="de", documents=["PASSPORT"], country="CZ")
    key = created["authToken"]
    with browser_client(service) as c:
        give_consent(c, key)
        german = c.get(f"/flow/{key}").text
        english = c.get(f"/flow/{key}?lang=en").text
        unknown = c.get(f"/flow/{key}?lang=xx").text
        capture_en = c.get(f"/flow/{key}/capture?lang=en").text
    assert '<html lang="de">' in german and "Bevor Sie beginnen" in german
    assert '<html lang="en">' in english and "Before you start" in english
    assert '<html lang="de">' in unknown
    # The switch keeps the user where they are.
    assert 'href="?lang=de&amp;document=PASSPORT&amp;country=CZ"' in capture_en
    assert '"camera_denied": "Camera access was denied' in capture_en


# ----------------------------------------------------------------------------- unusable links


def test_unknown_used_and_expired_tokens_show_a_clear_page(service, partner):
    used = new_token(service, partner, tokenType="DOCUMENT")
    with service.client(partner) as api:
        r = api.post("/api/v2/process", json={"authToken": used["authToken"], "country": "CZ",
                                              "documentType": "PASSPORT", "skipAnalysis": True,
                                              "images": {"FRONT": b64(jpeg_bytes())}})
        assert r.status_code == 200, r.text
    expired = new_token(service, partner, expiryTime=1)
    time.sleep(1.5)
    with browser_client(service) as c:
        unknown = c.get("/flow/NoSuchTokenNoSuchToken1234")
        used_page = c.get(f"/flow/{used['authToken']}")
        expired_page = c.get(f"/flow/{expired['authToken']}")
        garbage = c.get("/flow/%22%3E%3Cscript%3Ealert(1)%3C%3Escript%3E")
    assert unknown.status_code == 404 and "This link does not work" in unknown.text
    assert used_page.status_code == 410 and "already been used" in used_page.text
    assert expired_page.status_code == 410 and "This link has expired" in expired_page.text
    assert garbage.status_code == 404 and "<script>alert" not in garbage.text
    assert garbage.headers["content-type"].startswith("text/html")
    for page in (unknown, used_page, expired_page):
        assert "frame-ancestors" in page.headers["content-security-policy"]


def test_session_starts_once_and_expires_after_session_length(service, partner):
    created = new_token(service, partner, sessionLength=60, documents=["PASSPORT"], country="CZ")
    key, scan_ref = created["authToken"], created["scanRef"]
    query = "SELECT flow_started_at FROM verifications WHERE scan_ref = :ref"
    assert run_sql(service, query, ref=scan_ref)[0][0] is None  # redirectUrl not opened yet
    with browser_client(service) as c:
        assert c.get(f"/flow/{key}").status_code == 200
        first = run_sql(service, query, ref=scan_ref)[0][0]
        assert first is not None
        give_consent(c, key)
        assert c.get(f"/flow/{key}/capture").status_code == 200
        assert run_sql(service, query, ref=scan_ref)[0][0] == first  # started once, not moved

        # 61 seconds later (moved back in the database instead of waiting).
        started = first if isinstance(first, dt.datetime) else dt.datetime.fromisoformat(str(first))
        run_sql(service, "UPDATE verifications SET flow_started_at = :t WHERE scan_ref = :ref",
                t=started - dt.timedelta(seconds=61), ref=scan_ref)
        page = c.get(f"/flow/{key}/capture")
        assert page.status_code == 410 and "Your session has expired" in page.text
        r = c.post(f"/flow/{key}/submit", json={"country": "CZ", "documentType": "PASSPORT",
                                               "images": {"FRONT": b64(jpeg_bytes())}})
        assert r.status_code == 410
    with service.client(partner) as api:
        assert api.post("/api/v2/status", json={"scanRef": scan_ref}).json()["status"] == "ACTIVE"


# ----------------------------------------------------------------------------- checking and submitting


def test_instant_check_answers_like_photo_validation(service, partner, real_images):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", locale="de")
    check = f"/flow/{created['authToken']}/check"
    blank = b64(jpeg_bytes(800, 600, (250, 250, 250)))
    with browser_client(service) as c:
        no_doc = c.post(check, json={"step": "FRONT", "image": blank}).json()
        doc = c.post(check, json={"step": "FRONT", "image": b64(real_images["passport"])}).json()
        no_face = c.post(check, json={"step": "FACE", "image": blank}).json()
        face = c.post(check, json={"step": "FACE", "image": b64(real_images["face"])}).json()
        broken = c.post(check, json={"step": "FRONT", "image": b64(b"not an image at all")}).json()
        too_big = c.post(check, json={"step": "FRONT", "image": "A" * (9 * 1024 * 1024)})
    assert no_doc["ok"] is False and no_doc["identifier"] == "DOC_NOT_FOUND"
    assert "kein Dokument" in no_doc["message"]
    assert doc["ok"] is True and doc["checked"] is True and "warning" not in doc
    assert no_face["ok"] is False and no_face["identifier"] == "NO_FACE_FOUND"
    assert face["ok"] is True and face["checked"] is True and "warning" not in face
    assert broken["ok"] is False and broken["identifier"] == "ENCODING_ERROR"
    assert too_big.status_code == 200 and too_big.json()["identifier"] == "REQUEST_TOO_LARGE"
    with service.client(partner) as api:  # checking stores nothing and uses nothing
        assert api.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()["status"] == "ACTIVE"


def test_failed_photo_validation_keeps_the_token(service, partner, real_images):
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    key = created["authToken"]
    blank = b64(jpeg_bytes(800, 600, (250, 250, 250)))
    with browser_client(service) as c:
        frames = still_approach_frames(real_images["face"])
        r = c.post(f"/flow/{key}/submit", json={"images": {"FRONT": blank, "FACE": b64(real_images["face"])},
                                                "frames": frames})
        assert r.status_code == 200
        assert r.json() == {"ok": False, "identifier": "DOC_NOT_FOUND", "step": "FRONT",
                            "message": "We could not see a document on this photo. Please retake it with "
                                       "the whole document in the frame."}
        missing = c.post(f"/flow/{key}/submit", json={"images": {"FRONT": blank}}).json()
        assert missing["identifier"] == "MISSING_VALUE" and missing["step"] == "FACE"
        # A selfie without its "move closer" frames is refused, not accepted without the check.
        no_frames = c.post(f"/flow/{key}/submit", json={"images": {"FRONT": b64(real_images["passport"]),
                                                                   "FACE": b64(real_images["face"])}}).json()
        assert no_frames["identifier"] == "MISSING_VALUE" and no_frames["step"] == "FACE"
        too_many = c.post(f"/flow/{key}/submit", json={"images": {"FRONT": blank, "FACE": b64(real_images["face"])},
                                                       "frames": frames * 3}).json()
        assert too_many["identifier"] == "BAD_VALUE"
        assert c.get(f"/flow/{key}").status_code == 200  # still usable


@pytest.mark.parametrize("token_type, user_agent, platform", [
    ("IDENTIFICATION", IPHONE_UA, "MOBILE"),
    ("DOCUMENT", DESKTOP_UA, "PC"),
])
def test_upload_submission_reaches_a_final_status_and_the_webhook(service, partner, receiver, real_images,
                                                                   token_type, user_agent, platform):
    tag = uuid.uuid4().hex[:8]
    created = new_token(service, partner, tokenType=token_type, documents=["PASSPORT", "ID_CARD"],
                        **landing_urls(tag))
    key, scan_ref = created["authToken"], created["scanRef"]
    images = {"FRONT": b64(real_images["passport"])}
    frames: list[str] = []
    if token_type == "IDENTIFICATION":
        images["FACE"] = b64(real_images["face"])
        frames = still_approach_frames(real_images["face"])
    with browser_client(service, user_agent) as c:
        r = c.post(f"/flow/{key}/submit", json={"country": "cz", "documentType": "PASSPORT", "images": images,
                                                "frames": frames})
        assert r.status_code == 200 and r.json() == {"ok": True, "next": f"/flow/{key}/wait"}, r.text
        assert c.get(f"/flow/{key}/wait").status_code == 200
        state = wait_for_outcome(c, key)
        # Opening the link again shows the outcome, not the start page; a second submit is refused.
        assert c.get(f"/flow/{key}").headers["location"] == f"/flow/{key}/wait"
        again = c.post(f"/flow/{key}/submit", json={"country": "CZ", "documentType": "PASSPORT", "images": images})
        assert again.status_code == 410
        finish = c.get(f"/flow/{key}/finish")
    status = service.wait_for_status(partner, scan_ref)
    expected = EXPECTED_PAGE[status["status"]]
    assert state["redirect"] == landing_urls(tag)[f"{expected}Url"]
    assert finish.status_code == 303 and finish.headers["location"] == state["redirect"]

    hooks = receiver.wait_for(lambda h: h.json().get("scanRef") == scan_ref, timeout=120)
    payload = hooks[0].json()
    assert payload["platform"] == platform
    assert payload["status"]["overall"] == status["status"]
    # The challenge frames are stored (encrypted) beside the photos, for the reviewer.
    assert set(payload["fileUrls"]) == set(images) | {f"FACE_CHALLENGE_{i + 1}" for i in range(len(frames))}
    with service.client(partner) as api:
        explained = api.post("/api/v2/full-status", json={"scanRef": scan_ref, "includeReasons": True}).json()
    reasons = {r["check"]: r for r in explained["openidv"]["decision_reasons"]}
    if token_type == "IDENTIFICATION":
        # A still photo that only grows: the active check sees a flat picture.
        assert reasons["active_liveness"]["outcome"] == "FAILED", reasons
        assert "FLAT_IMAGE" in reasons["active_liveness"]["detail"]
        assert "FAKE_PHOTO" in payload["status"]["fraudTags"]
    else:
        assert "active_liveness" not in reasons
    for log in service.logs:  # the token is a bearer secret: never in a log line
        assert key not in log.read_text(errors="replace"), log


def test_content_security_policy_follows_the_partner_setting():
    from openidv.web.security import PagePolicy, frame_ancestors

    def content_security_policy(ancestors: str) -> str:
        return PagePolicy(frame_ancestors=ancestors, media=True).headers()["Content-Security-Policy"]

    assert frame_ancestors(None) == "'self'"
    assert frame_ancestors("https://shop.example https://*.shop.example:8443") == \
        "https://shop.example https://*.shop.example:8443"
    # Anything that could add a directive or a script source is dropped.
    assert frame_ancestors("https://a.example; script-src *") == "'self'"
    assert frame_ancestors("https://a.example 'unsafe-inline' ;script-src data:") == "https://a.example"
    assert frame_ancestors("'unsafe-inline' javascript:") == "'self'"
    assert "frame-ancestors https://a.example;" in content_security_policy("https://a.example") + ";"


def test_pages_load_nothing_from_other_sites():
    web = Path(__file__).resolve().parents[2] / "openidv" / "web"
    files = list((web / "templates" / "flow").glob("*.html")) + [
        p for p in (web / "static" / "flow").rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path
        assert "@import" not in text and "url(http" not in text, path
        assert "<script>" not in text, f"{path}: inline scripts are blocked by the CSP"


# ----------------------------------------------------------------------------- in a real browser


class LandingPages:
    """The partner's success / error / unverified pages: a plain HTTP server on loopback."""

    def __init__(self) -> None:
        self.embedded_url = ""
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = f"<!doctype html><title>landed</title><h1>{self.path.split('?')[0]}</h1>".encode()
                if self.path == "/embed":  # a partner page that puts the flow in an iframe
                    body = (f'<!doctype html><title>shop</title><iframe src="{pages.embedded_url}" '
                            'allow="camera" width="390" height="700"></iframe>').encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.urls = {"successUrl": f"{base}/success", "errorUrl": f"{base}/error",
                     "unverifiedUrl": f"{base}/unverified"}


@pytest.fixture(scope="module")
def playwright_api() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install playwright)")
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def landing() -> Iterator[LandingPages]:
    pages = LandingPages()
    yield pages
    pages.server.shutdown()


BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--use-fake-device-for-media-stream"]


def launch(playwright: Any, *, camera_allowed: bool, video: Optional[Path]) -> Any:
    args = list(BASE_ARGS)
    if camera_allowed:
        args.append("--use-fake-ui-for-media-stream")
    else:
        args.append("--deny-permission-prompts")
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    return playwright.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
                                      args=args, headless=True)


def shot(page: Any, name: str) -> None:
    """Rendering each step proves it paints; the file lands in docs/ only when asked
    (DOCS_SCREENSHOTS=1), so a test run leaves the work tree unchanged."""
    png = page.screenshot()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        DOCS_DIR.mkdir(exist_ok=True)
        (DOCS_DIR / f"flow-{name}.png").write_bytes(png)


def wait_until(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def only_embedded(service: Service) -> None:
    if service.mode != "embedded":
        pytest.skip("the browser tests run once, against the embedded mode")


def write_approach_y4m(far: Path, near: Path, path: Path, size: tuple[int, int] = (480, 640),
                       far_frames: int = 15, near_frames: int = 45) -> None:
    """A 10 fps YUV4MPEG2 loop of a real capture: the far shot for 1.5 s, then the near shot
    of the same attempt for 4.5 s. A marker block in the top-left corner is white during the
    far part, so the test can start the challenge when the loop begins again."""
    def frame(source: Path, marker: int) -> bytes:
        picture = Image.open(source).convert("RGB").resize(size)
        picture.paste((marker, marker, marker), (0, 0, size[0] // 6, size[1] // 6))
        y, cb, cr = picture.convert("YCbCr").split()
        half = (size[0] // 2, size[1] // 2)
        return b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()

    far_frame, near_frame = frame(far, 255), frame(near, 0)
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(far_frames):
            fh.write(far_frame)
        for _ in range(near_frames):
            fh.write(near_frame)


# The top-left pixel of the camera picture (read through Playwright, not the page's scripts).
MARKER_JS = ("v => { const c = document.createElement('canvas'); c.width = 6; c.height = 6; "
             "const g = c.getContext('2d'); g.drawImage(v, 0, 0, 6, 6); return g.getImageData(0, 0, 1, 1).data[0]; }")


def start_when_the_loop_restarts(face: Any) -> None:
    """Press Start just after the fake camera's loop went from the near to the far shot, so
    the challenge sees the far shot first and the near one while it captures."""
    video = face.locator("video")
    wait_until(lambda: video.evaluate(MARKER_JS) < 100, "the near part of the camera loop", timeout=30)
    wait_until(lambda: video.evaluate(MARKER_JS) > 150, "the far part of the camera loop", timeout=30)
    face.get_by_role("button", name="Start").click()


@pytest.mark.slow
def test_browser_full_verification_with_the_move_closer_challenge(service, partner, receiver, real_images,
                                                                  playwright_api, landing, tmp_path, test_data_dir):
    only_embedded(service)
    live = test_data_dir / "extra" / "spoof" / "biometrics-server" / "real" / "test1"
    if not live.exists():
        pytest.skip("extra/spoof/biometrics-server not in the test data")
    # The partner reviews failed verifications, so the user is sent to successUrl whatever
    # the automatic result (the selfie is not the specimen passport's holder).
    service.cli("partner", "policy", partner.api_key, "--review", "review_failed")
    created = new_token(service, partner, documents=["PASSPORT"], **landing.urls)
    scan_ref = created["scanRef"]
    video = tmp_path / "approach.y4m"
    write_approach_y4m(live / "image.jpeg", live / "zoomedImage.jpeg", video)
    front_file = tmp_path / "passport.jpg"
    front_file.write_bytes(real_images["passport"])

    browser = launch(playwright_api, camera_allowed=True, video=video)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                      user_agent=IPHONE_UA, has_touch=True, is_mobile=True)
        page = context.new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("heading", name="Verify your identity").wait_for()
        page.get_by_label("Country that issued the document").select_option("CZ")
        shot(page, "1-start")
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="I agree, continue").click()

        front = page.locator("#step-FRONT")
        front.locator(".capture").wait_for(state="visible", timeout=30_000)
        wait_until(lambda: front.locator("video").evaluate("v => v.videoWidth") > 0, "the camera shows frames")
        front.locator("input[type=file]").set_input_files(str(front_file))  # documents may still be uploaded
        front.get_by_role("button", name="Use this photo").wait_for(timeout=60_000)
        assert "The photo looks good." in front.locator(".notice").inner_text()
        shot(page, "3-checked")
        front.get_by_role("button", name="Use this photo").click()

        face = page.locator("#step-FACE")
        face.locator(".capture").wait_for(state="visible", timeout=30_000)
        wait_until(lambda: face.locator("video").evaluate("v => v.videoWidth") > 0, "the selfie camera")
        assert face.locator("label.upload").count() == 0  # the selfie is camera only
        assert "bring the phone slowly closer" in face.inner_text()
        page.wait_for_timeout(500)  # let a frame be painted for the screenshot
        shot(page, "4-challenge-phone")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.wait_for_timeout(300)
        shot(page, "4-challenge-desktop")
        page.set_viewport_size({"width": 390, "height": 844})
        start_when_the_loop_restarts(face)
        wait_until(lambda: "fills the large oval" in face.locator(".notice").inner_text(), "the closer prompt")
        page.wait_for_timeout(2600)  # the oval has grown
        shot(page, "4-challenge-closer")
        face.get_by_role("button", name="Use this photo").wait_for(timeout=90_000)
        assert "The photo looks good." in face.locator(".notice").inner_text()
        face.get_by_role("button", name="Use this photo").click()

        review = page.locator("#step-REVIEW")
        review.locator(".thumbs img").nth(1).wait_for()
        shot(page, "5-review")
        review.get_by_role("button", name="Send").click()
        page.wait_for_url(re.compile(r".*/wait(\?.*)?$"), timeout=60_000)
        shot(page, "6-waiting")
        page.wait_for_url(landing.urls["successUrl"], timeout=180_000)
    finally:
        browser.close()

    status = service.wait_for_status(partner, scan_ref)
    assert status["status"] in ("APPROVED", "REVIEWING")
    hook = receiver.wait_for(lambda h: h.json().get("scanRef") == scan_ref, timeout=120)[0].json()
    assert hook["platform"] == "MOBILE"
    assert {"FRONT", "FACE", "FACE_CHALLENGE_1", "FACE_CHALLENGE_6"} <= set(hook["fileUrls"])
    with service.client(partner) as api:
        explained = api.post("/api/v2/full-status", json={"scanRef": scan_ref, "includeReasons": True}).json()
    reasons = {r["check"]: r for r in explained["openidv"]["decision_reasons"]}
    assert reasons["active_liveness"]["outcome"] == "PASSED", reasons["active_liveness"]


@pytest.mark.slow
def test_browser_camera_denied_falls_back_to_upload_for_documents_only(service, partner, real_images,
                                                                        playwright_api, tmp_path):
    only_embedded(service)
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    front_file = tmp_path / "front.jpg"
    front_file.write_bytes(real_images["passport"])

    browser = launch(playwright_api, camera_allowed=False, video=None)
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        page = context.new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="I agree, continue").click()
        front = page.locator("#step-FRONT")
        notice = front.locator(".notice")
        # (page.wait_for_function would need eval, which the page's CSP rightly forbids)
        wait_until(lambda: "Camera access was denied" in notice.inner_text(), "the camera-denied message")
        assert front.locator(".viewport").is_hidden()
        assert front.locator("label.upload").is_visible()
        assert front.locator("label.upload").inner_text() == "Upload a photo instead"
        shot(page, "7-camera-denied")
        front.locator("input[type=file]").set_input_files(str(front_file))
        front.get_by_role("button", name="Use this photo").wait_for(timeout=60_000)
        assert "looks good" in notice.inner_text()
        front.get_by_role("button", name="Use this photo").click()
        # The selfie cannot be replaced by a file: the person is told why and how to go on.
        face = page.locator("#step-FACE")
        wait_until(lambda: "The selfie needs your camera" in face.locator(".notice").inner_text(),
                   "the selfie's camera-needed message")
        assert "cannot be completed" in face.locator(".notice").inner_text()
        assert face.locator("input[type=file]").count() == 0
        assert face.get_by_role("button", name="Try again").is_visible()
        assert face.get_by_role("button", name="Use this photo").is_hidden()
        shot(page, "7-selfie-camera-denied")
    finally:
        browser.close()
    with service.client(partner) as api:  # nothing was handed in
        assert api.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()["status"] == "ACTIVE"


@pytest.mark.slow
def test_browser_refuses_to_frame_the_flow_on_another_site_by_default(service, partner, playwright_api, landing):
    only_embedded(service)
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ")
    landing.embedded_url = created["redirectUrl"]
    browser = launch(playwright_api, camera_allowed=True, video=None)
    try:
        page = browser.new_page()
        page.goto(landing.urls["successUrl"].rsplit("/", 1)[0] + "/embed")
        page.wait_for_load_state("load")
        frame = page.frames[1]
        # frame-ancestors 'self': Chromium shows its error page instead of the flow.
        wait_until(lambda: frame.url.startswith("chrome-error://") or "flow" in frame.url, "the iframe to settle")
        assert frame.url.startswith("chrome-error://"), frame.url
        assert "Verify your identity" not in frame.content()
    finally:
        browser.close()


@pytest.mark.slow
def test_browser_other_pages_fit_a_phone_screen(service, partner, playwright_api):
    only_embedded(service)
    fresh = new_token(service, partner, generateDigitString=True, locale="de", documents=["ID_CARD", "PASSPORT"])
    expiring = new_token(service, partner, sessionLength=60, documents=["PASSPORT"], country="CZ")
    browser = launch(playwright_api, camera_allowed=False, video=None)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)

        def fits(name: str) -> None:
            # No sideways scrolling on a 390 px wide phone.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
            shot(page, name)

        page.goto(f"{service.base_url}/flow")
        page.get_by_label("8-digit code").fill(fresh["digitString"])
        fits("0-code-entry")
        page.get_by_role("button", name="Start").click()
        page.get_by_role("heading", name="Identität bestätigen").wait_for()
        fits("1-start-de")

        page.goto(f"{service.base_url}/flow/{expiring['authToken']}")
        page.get_by_role("heading", name="Verify your identity").wait_for()
        started = run_sql(service, "SELECT flow_started_at FROM verifications WHERE scan_ref = :ref",
                          ref=expiring["scanRef"])[0][0]
        started = started if isinstance(started, dt.datetime) else dt.datetime.fromisoformat(str(started))
        run_sql(service, "UPDATE verifications SET flow_started_at = :t WHERE scan_ref = :ref",
                t=started - dt.timedelta(seconds=61), ref=expiring["scanRef"])
        page.reload()
        page.get_by_role("heading", name="Your session has expired").wait_for()
        fits("8-session-expired")

        page.goto(f"{service.base_url}/flow/NoSuchTokenNoSuchToken1234")
        page.get_by_role("heading", name="This link does not work").wait_for()
        fits("9-unknown-link")
    finally:
        browser.close()
