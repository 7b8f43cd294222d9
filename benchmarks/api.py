"""API speed on this machine: /status requests per second and /process latency for a 6 MB image.

    python benchmarks/api.py [--mode embedded|scaleout] [--seconds 10] [--concurrency 16]

Starts a real `openidv serve` (and `openidv worker` in scale-out mode) on loopback, creates a
partner with the CLI, and drives the API with httpx. Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.service import drop_postgres_database, start_service  # noqa: E402


def six_mb_jpeg() -> bytes:
    """A photo-like JPEG of about 6 MB (noise on gradients does not compress well)."""
    rng = np.random.default_rng(1)
    h, w = 3000, 4000
    base = np.linspace(0, 255, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)
    img = np.clip(base + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    for quality in (97, 95, 93, 90, 85, 80):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=quality)
        if buf.tell() <= 6 * 1024 * 1024 - 4096:
            return buf.getvalue()
    raise RuntimeError("could not make a 6 MB JPEG")


async def rps(base_url: str, path: str, auth, body: dict, seconds: float, concurrency: int):  # noqa: ANN001, ANN201
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, auth=auth, limits=limits, timeout=30) as client:

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                r = await client.post(path, json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


def bare_starlette_rps(seconds: float, concurrency: int):  # noqa: ANN201
    """The same load against a bare Starlette endpoint served by uvicorn the same way."""
    import subprocess

    from tests.support.service import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.support.bare_starlette:app", "--port", str(port),
         "--log-level", "warning"], cwd=Path(__file__).resolve().parent.parent)
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/hello", json={}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return asyncio.run(rps(f"http://127.0.0.1:{port}", "/hello", None, {"scanRef": "x"}, seconds, concurrency))
    finally:
        proc.terminate()
        proc.wait()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--process-runs", type=int, default=10)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="openidv-bench-"))
    service = start_service(args.mode, home)
    try:
        partner = service.create_partner("bench")
        image = six_mb_jpeg()
        encoded = base64.b64encode(image).decode()
        with service.client(partner, timeout=120) as c:
            scan_ref = c.post("/api/v2/token", json={"clientId": "bench"}).json()["scanRef"]
            status_rate, lat, errors = asyncio.run(rps(service.base_url, "/api/v2/status", partner.auth,
                                                       {"scanRef": scan_ref}, args.seconds, args.concurrency))
            process_times: dict[str, list[float]] = {"skipAnalysis": [], "photo validation": []}
            for label, skip in (("skipAnalysis", True), ("photo validation", False)):
                for _ in range(args.process_runs):
                    token = c.post("/api/v2/token", json={"clientId": "bench", "tokenType": "DOCUMENT"}).json()
                    body = {"authToken": token["authToken"], "country": "LT", "images": {"FRONT": encoded},
                            "skipAnalysis": skip}
                    t0 = time.perf_counter()
                    r = c.post("/api/v2/process", json=body)
                    process_times[label].append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        raise SystemExit(f"/process failed: {r.status_code} {r.text[:200]}")
    finally:
        service.stop()
        if args.mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
    bare_rate, bare_lat, _ = bare_starlette_rps(args.seconds, args.concurrency)

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; mode {args.mode}")
    print(f"image: {len(image) / 1024 / 1024:.2f} MB JPEG 4000x3000 (base64 {len(encoded) / 1024 / 1024:.2f} MB)")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| /status requests per second ({args.concurrency} connections, {args.seconds:g} s) | {status_rate:.0f} |")
    print(f"| /status latency p50 / p99 (ms) | {percentile(lat, 50) * 1000:.1f} / {percentile(lat, 99) * 1000:.1f} |")
    print(f"| bare Starlette POST, same client: requests per second | {bare_rate:.0f} |")
    print(f"| bare Starlette latency p50 / p99 (ms) | {percentile(bare_lat, 50) * 1000:.1f} / "
          f"{percentile(bare_lat, 99) * 1000:.1f} |")
    print(f"| /status as a share of bare Starlette | {status_rate / bare_rate:.0%} |")
    print(f"| /status errors | {errors} |")
    for label, times in process_times.items():
        print(f"| /process 6 MB, {label}: median / p95 / max (ms) | {statistics.median(times) * 1000:.0f} / "
              f"{percentile(times, 95) * 1000:.0f} / {max(times) * 1000:.0f} |")


if __name__ == "__main__":
    main()
