"""Hostile input: each kind is refused with a clear error, and the server's memory does not
grow by more than 100 MB over it."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.support.service import start_service

MB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def encoded(img: Image.Image, fmt: str, **kw) -> str:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory):
    service = start_service("embedded", tmp_path_factory.mktemp("hostile"))
    yield service
    service.stop()


def hostile_requests():
    big_png = encoded(Image.new("L", (10_000, 10_000)), "PNG")  # 100 MP, ~100 KB
    big_jpeg = encoded(Image.new("L", (10_000, 10_000)), "JPEG", quality=10)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8))
    truncated = encoded(noise, "JPEG")[:20_000]
    return {
        "100 MP PNG bomb": ({"images": {"FRONT": big_png}}, 413, "REQUEST_TOO_LARGE"),
        "100 MP JPEG bomb": ({"images": {"FRONT": big_jpeg}}, 413, "REQUEST_TOO_LARGE"),
        "truncated JPEG": ({"images": {"FRONT": truncated}}, 400, "ENCODING_ERROR"),
        "PDF posing as JPEG": ({"images": {"FRONT": "data:image/jpeg;base64,"
                                           + base64.b64encode(b"%PDF-1.7\n1 0 obj\n").decode()}}, 400, "ENCODING_ERROR"),
        "SVG posing as JPEG": ({"images": {"FRONT": base64.b64encode(
            b"<svg xmlns='http://www.w3.org/2000/svg' width='99999' height='99999'/>").decode()}}, 400, "ENCODING_ERROR"),
        "huge country string": ({"country": "L" * (5 * MB), "images": {"FRONT": "x"}}, 400, "BAD_VALUE"),
    }


@pytest.mark.slow
def test_hostile_inputs_are_refused_without_memory_growth(hostile_service):
    service = hostile_service
    partner = service.create_partner("hostile")
    pid = service.processes[0].pid
    # The models load in the background after start; their ~150 MB is not the hostile
    # inputs' doing (on a busy CI machine they were still loading when this measured).
    service.wait_for_log("models loaded")
    with service.client(partner, timeout=120) as c:
        c.post("/api/v2/token", json={"clientId": "warm-up"})
        before = rss_bytes(pid)
        peak_growth = 0
        for name, (body, status, identifier) in hostile_requests().items():
            for _ in range(3):
                token = c.post("/api/v2/token", json={"clientId": "h", "tokenType": "DOCUMENT"}).json()["authToken"]
                r = c.post("/api/v2/process", json={"authToken": token, "country": "LT", "skipAnalysis": True,
                                                    **body})
                assert (r.status_code, r.json()["identifier"]) == (status, identifier), name
            peak_growth = max(peak_growth, rss_bytes(pid) - before)
        raw_bodies = {
            "21 MB body": b'{"x":"' + b"a" * (21 * MB) + b'"}',
            "JSON nesting bomb": b"[" * 200_000 + b"]" * 200_000,
            "huge string in every field": json.dumps({k: "z" * (2 * MB) for k in (
                "clientId", "firstName", "lastName", "address", "externalRef", "locale")}).encode(),
        }
        for name, raw in raw_bodies.items():
            r = c.post("/api/v2/token", content=raw, headers={"content-type": "application/json"})
            assert r.status_code in (400, 413) and r.json()["identifier"] in (
                "REQUEST_TOO_LARGE", "JSON_ERROR", "BAD_VALUE"), name
            peak_growth = max(peak_growth, rss_bytes(pid) - before)
    print(f"server RSS growth over hostile inputs: {peak_growth / MB:.1f} MB")
    assert peak_growth < 100 * MB, f"server memory grew by {peak_growth / MB:.0f} MB"
