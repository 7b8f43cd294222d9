"""The hosted flow's capture experience in headless Chromium, at a phone's and a desktop's
size: consent, branding, live feedback and automatic capture from a fake camera, the back
side refused at capture, progress kept across a reload and Back, the session timer, and the
hand-off to a phone when there is no camera. Screenshots go to docs/ with DOCS_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import Image

from tests.web.test_flow import (
    BASE_ARGS, CHROMIUM, IPHONE_UA, b64, browser_client, landing, launch, new_token, only_embedded, playwright_api,
    run_sql, shot, still_approach_frames, wait_until,
)

__all__ = ["landing", "playwright_api"]  # fixtures used here

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def write_still_y4m(image: Any, path: Path, size: tuple[int, int] = (640, 480), frames: int = 10) -> None:
    """A fake camera showing one picture (BGR array), letterboxed on a grey table."""
    height, width = image.shape[:2]
    scale = min(size[0] * 0.9 / width, size[1] * 0.9 / height)
    picture = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    canvas = Image.new("RGB", size, (96, 92, 88))
    canvas.paste(Image.fromarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)),
                 ((size[0] - picture.shape[1]) // 2, (size[1] - picture.shape[0]) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(frame)


def context_for(browser: Any, size: str) -> Any:
    if size == "phone":
        return browser.new_context(viewport=SIZES[size], device_scale_factor=1, user_agent=IPHONE_UA,
                                   has_touch=True, is_mobile=True)
    return browser.new_context(viewport=SIZES[size], device_scale_factor=1)


def fits(page: Any, size: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]


@pytest.mark.slow
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_browser_consent_auto_capture_wrong_side_and_saved_progress(service, partner, playwright_api, landing,
                                                                      test_data_dir, tmp_path, size):
    only_embedded(service)
    documents = test_data_dir / "documents" / "passporteye"
    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 90), (10, 125, 79)).save(logo)
    service.cli("partner", "policy", partner.api_key, "--brand-color", "#0a7d4f", "--logo", str(logo))
    created = new_token(service, partner, tokenType="DOCUMENT", documents=["ID_CARD"], country="ES",
                        **landing.urls)
    camera = tmp_path / "card.y4m"
    write_still_y4m(cv2.imread(str(documents / "100_pass-cze.jpg")), camera)

    browser = launch(playwright_api, camera_allowed=True, video=camera)
    try:
        page = context_for(browser, size).new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("heading", name="Good and poor photos").wait_for()
        assert page.locator(".example-grid img").count() == 4
        assert page.locator("img.logo").evaluate("i => i.naturalWidth") > 0  # the logo loaded (CSP allows it)
        colour = page.get_by_role("button", name="Start").evaluate("b => getComputedStyle(b).backgroundColor")
        assert colour == "rgb(10, 125, 79)"  # the partner's colour, through the stylesheet
        fits(page, size)
        shot(page, f"1-start-{size}")
        page.get_by_role("button", name="Start").click()

        page.get_by_role("heading", name="Your consent").wait_for()
        accept = page.get_by_role("button", name="I agree, continue")
        for _ in range(20):  # by keyboard, so the focus ring shows
            page.keyboard.press("Tab")
            if accept.evaluate("b => b === document.activeElement"):
                break
        assert accept.evaluate("b => b.matches(':focus-visible')")
        fits(page, size)
        shot(page, f"2-consent-{size}")
        accept.click()

        front = page.locator("#step-FRONT")
        wait_until(lambda: front.locator("video").evaluate("v => v.videoWidth") > 0, "the camera")
        if size == "phone":  # the live camera fills the screen
            box = front.locator(".viewport").bounding_box()
            assert box["height"] > 0.45 * SIZES[size]["height"]
            page.wait_for_timeout(400)
            shot(page, "3-live-camera-phone")
        # Sharp and steady: taken by itself, and accepted by the server's check.
        wait_until(lambda: "Photo taken automatically" in front.locator(".notice").inner_text(),
                   "the automatic capture", timeout=90)
        assert "The photo looks good." in front.locator(".notice").inner_text()
        assert page.locator("#session-timer").is_visible()
        shot(page, f"3-auto-captured-{size}")
        front.get_by_role("button", name="Use this photo").click()

        # The same picture again as the back: refused while the camera keeps running.
        back = page.locator("#step-BACK")
        wait_until(lambda: "same photo as the front" in back.locator(".notice").inner_text(),
                   "the wrong-side message", timeout=90)
        assert back.locator("video").is_visible()
        shot(page, f"4-wrong-side-{size}")
        back.locator("input[type=file]").set_input_files(str(documents / "0_id-esp.png"))
        back.get_by_role("button", name="Use this photo").wait_for(timeout=60_000)
        back.get_by_role("button", name="Use this photo").click()
        page.locator("#step-REVIEW").get_by_role("button", name="Send").wait_for()

        # A reload keeps both photos: the review opens again, its pictures from the server.
        page.reload()
        review = page.locator("#step-REVIEW")
        review.locator(".thumbs img").nth(1).wait_for(timeout=30_000)
        assert all(review.locator(".thumbs img").nth(i).evaluate("i => i.naturalWidth") > 0 for i in range(2))
        shot(page, f"5-saved-after-reload-{size}")
        # Back, step by step: each step shows its saved photo.
        review.get_by_role("button", name="Back").click()
        wait_until(lambda: back.locator(".preview").is_visible(), "the saved back photo")
        back.locator(".step-back").click()
        wait_until(lambda: front.locator(".preview").is_visible(), "the saved front photo")
        assert front.locator(".preview").evaluate("i => i.naturalWidth") > 0
        front.get_by_role("button", name="Use this photo").click()
        back.get_by_role("button", name="Use this photo").click()
        review.get_by_role("button", name="Send").click()
        page.wait_for_url(re.compile(r".*/wait(\?.*)?$"), timeout=60_000)
    finally:
        browser.close()
    assert run_sql(service, "SELECT count(*) FROM flow_drafts d JOIN verifications v ON v.id = d.verification_id "
                            "WHERE v.scan_ref = :ref", ref=created["scanRef"])[0][0] == 0
    consent = run_sql(service, "SELECT consent_given_at FROM verifications WHERE scan_ref = :ref",
                      ref=created["scanRef"])[0][0]
    assert consent is not None


@pytest.mark.slow
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_browser_blurry_picture_is_not_taken_and_the_timer_warns(service, partner, playwright_api, test_data_dir,
                                                                 tmp_path, size):
    only_embedded(service)
    created = new_token(service, partner, tokenType="DOCUMENT", documents=["PASSPORT"], country="CZ",
                        sessionLength=600)
    camera = tmp_path / "blurry.y4m"
    passport = cv2.imread(str(test_data_dir / "documents" / "passporteye" / "100_pass-cze.jpg"))
    write_still_y4m(cv2.GaussianBlur(passport, (0, 0), 4), camera)
    browser = launch(playwright_api, camera_allowed=True, video=camera)
    try:
        page = context_for(browser, size).new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="I agree, continue").click()
        front = page.locator("#step-FRONT")
        wait_until(lambda: "the picture is blurry" in front.locator(".notice").inner_text(), "the blur hint")
        page.wait_for_timeout(3000)  # several good-frame periods: still nothing taken
        assert "blurry" in front.locator(".notice").inner_text()
        assert front.locator(".preview").is_hidden()
        shot(page, f"3-live-blurry-{size}")
        # Taken by hand anyway, the server's check refuses it (no document can be read).
        front.get_by_role("button", name="Take photo").click()
        wait_until(lambda: "error" in (front.locator(".notice").get_attribute("class") or ""), "the refusal")

        # Two minutes before the end of the session the page warns.
        started = run_sql(service, "SELECT flow_started_at FROM verifications WHERE scan_ref = :ref",
                          ref=created["scanRef"])[0][0]
        started = started if isinstance(started, dt.datetime) else dt.datetime.fromisoformat(str(started))
        run_sql(service, "UPDATE verifications SET flow_started_at = :t WHERE scan_ref = :ref",
                t=started - dt.timedelta(seconds=500), ref=created["scanRef"])
        page.reload()
        warning = page.locator("#session-warning")
        warning.wait_for(state="visible", timeout=15_000)
        assert "two minutes" in warning.inner_text()
        assert re.match(r"1:[0-5]\d", page.locator("#session-timer .timer-value").inner_text())
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"7-session-warning-{size}")
    finally:
        browser.close()


@pytest.mark.slow
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_browser_without_a_camera_offers_the_phone(service, partner, playwright_api, real_images, size):
    only_embedded(service)
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", locale="de")
    args = [a for a in BASE_ARGS if a != "--use-fake-device-for-media-stream"]
    browser = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
    try:
        page = context_for(browser, size).new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("button", name="Starten").click()
        page.get_by_role("button", name="Ich stimme zu, weiter").click()
        panel = page.locator("#handoff")
        panel.wait_for(state="visible", timeout=30_000)
        code = page.locator("#handoff-code").inner_text().replace(" ", "")
        assert re.fullmatch(r"\d{8}", code)
        wait_until(lambda: page.locator("#handoff-qr").evaluate("i => i.naturalWidth") > 0, "the QR code")
        assert "/flow" in page.locator("#handoff-where").inner_text()
        fits(page, size)
        panel.scroll_into_view_if_needed()
        shot(page, f"6-handoff-{size}")
        # The QR code, as a phone's camera would see it, holds a link to this flow.
        picture = cv2.imdecode(np.frombuffer(page.locator("#handoff-qr").screenshot(), np.uint8), cv2.IMREAD_COLOR)
        found = zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode)
        assert found, "the QR code could not be read"
        link = found[0].text
        assert link.startswith(f"{service.base_url}/flow/") and created["authToken"] not in link
        # The code opens the same flow on the phone, and so does the QR code's link.
        phone_browser = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=args, headless=True)
        try:
            phone = context_for(phone_browser, "phone").new_page()
            phone.goto(f"{service.base_url}/flow")
            phone.locator("#digitString").fill(code)
            phone.locator("button[type=submit]").click()
            phone.get_by_role("heading", name="Identität bestätigen").wait_for()
            phone.goto(link)
            phone.get_by_role("heading", name="Identität bestätigen").wait_for()
        finally:
            phone_browser.close()
        # The phone sends the photos: the desktop page follows on to the waiting page.
        capture_url = page.url
        with browser_client(service, IPHONE_UA) as phone_client:
            sent = phone_client.post(f"/flow/{link.rsplit('/', 1)[1]}/submit", json={
                "country": "CZ", "documentType": "PASSPORT", "frames": still_approach_frames(real_images["face"]),
                "images": {"FRONT": b64(real_images["passport"]), "FACE": b64(real_images["face"])}})
            assert sent.status_code == 200, sent.text
        # Even when the analysis is over before the computer's page next asks (the usual case
        # on a quick server), it leaves the capture page for the waiting page and the outcome.
        service.wait_for_status(partner, created["scanRef"])
        page.wait_for_url(re.compile(r".*/flow/[\w-]+/(wait|finish)(\?.*)?$"), timeout=30_000)
        assert page.url.split("/wait")[0].split("/finish")[0] == capture_url.split("/capture")[0]
    finally:
        browser.close()


@pytest.mark.slow
def test_browser_declined_consent_and_expiry_lead_back(service, partner, playwright_api, landing):
    only_embedded(service)
    created = new_token(service, partner, documents=["PASSPORT"], country="CZ", **landing.urls)
    browser = launch(playwright_api, camera_allowed=False, video=None)
    try:
        page = context_for(browser, "phone").new_page()
        page.goto(created["redirectUrl"])
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="I do not agree").click()
        page.get_by_role("heading", name="No photos were taken").wait_for()
        link = page.locator("#back-to-partner")
        assert link.get_attribute("href") == landing.urls["errorUrl"]
        assert page.locator("#reference").inner_text() == created["scanRef"]
        fits(page, "phone")
        shot(page, "8-consent-declined")
    finally:
        browser.close()
