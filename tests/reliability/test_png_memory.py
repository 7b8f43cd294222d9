"""Large-pixel, small-file PNGs cost bounded memory: a 160 KB 7000×7000 PNG is refused before
decoding, PNGs under the cap are decoded a few at a time with the C heap trimmed after, and
the server answers /healthz throughout (issue: 24 such uploads took the RSS from 2.3 to
5.9 GB, 2.4 GB left afterwards)."""

from __future__ import annotations

import base64
import concurrent.futures
import io
import threading
import time

import httpx
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.support.service import start_service

CONCURRENT_UPLOADS = 24
RSS_GROWTH_LIMIT = 300 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def one_colour_png(side: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (side, side), (200, 190, 180)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


class Watch:
    """Samples the server's RSS and asks /healthz (2 s timeout) every 50 ms until stopped."""

    def __init__(self, pid: int, base_url: str) -> None:
        self.pid, self.base_url = pid, base_url
        self.peak = rss_bytes(pid)
        self.health_failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=2) as client:
            while not self._stop.is_set():
                self.peak = max(self.peak, rss_bytes(self.pid))
                try:
                    if client.get(self.base_url + "/healthz").status_code != 200:
                        self.health_failures.append("status")
                except httpx.HTTPError as exc:
                    self.health_failures.append(type(exc).__name__)
                time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
def test_concurrent_large_pixel_pngs_cost_bounded_memory(tmp_path):
    service = start_service("embedded", tmp_path / "png", worker=False)
    pid = service.processes[0].pid
    try:
        partner = service.create_partner("png")
        with service.client(partner, timeout=300) as c:
            tokens = [c.post("/api/v2/token", json={"clientId": f"png-{i}", "tokenType": "DOCUMENT"}).json()["authToken"]
                      for i in range(2 * CONCURRENT_UPLOADS + 1)]

            def upload(token: str, image: str) -> httpx.Response:
                return c.post("/api/v2/process", json={"authToken": token, "country": "LT",
                                                       "documentType": "PASSPORT", "images": {"FRONT": image}})

            # Warm up: photo validation's models are loaded and used once before measuring.
            upload(tokens.pop(), base64.b64encode(jpeg_bytes(1200, 800)).decode())
            service.wait_for_log("models loaded")
            baseline = rss_bytes(pid)
            bomb, under_cap = one_colour_png(7000), one_colour_png(3900)  # 49 MP (160 KB) and 15.2 MP
            watch = Watch(pid, service.base_url)
            try:
                with concurrent.futures.ThreadPoolExecutor(CONCURRENT_UPLOADS) as pool:
                    bombs = list(pool.map(upload, tokens[:CONCURRENT_UPLOADS], [bomb] * CONCURRENT_UPLOADS))
                    bomb_peak = watch.peak
                    accepted = list(pool.map(upload, tokens[CONCURRENT_UPLOADS:], [under_cap] * CONCURRENT_UPLOADS))
                time.sleep(1)
            finally:
                watch.stop()
            after = rss_bytes(pid)
            print(f"peak after the 49 MP round +{(bomb_peak - baseline) / 2**20:.0f} MB")
    finally:
        service.stop()
    assert {r.status_code for r in bombs} == {413} and {r.json()["identifier"] for r in bombs} == {"REQUEST_TOO_LARGE"}
    # Decoded (one-colour: no document found), not refused.
    assert {r.json().get("identifier") for r in accepted} == {"DOC_NOT_FOUND"}, accepted[0].text
    growth, left = watch.peak - baseline, after - baseline
    print(f"RSS baseline {baseline / 2**20:.0f} MB, peak +{growth / 2**20:.0f} MB, after +{left / 2**20:.0f} MB")
    assert growth < RSS_GROWTH_LIMIT, f"RSS grew {growth / 2**20:.0f} MB"
    assert watch.health_failures == []
