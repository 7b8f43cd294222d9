"""Hold the partner API at a fixed request rate while workers process images.

    python benchmarks/load.py [--mode embedded|scaleout] [--rate 20] [--seconds 300] [--process-every 5]

Sends `--rate` requests per second on an open-loop schedule (a late request does not delay
the next): /status, /token and /data in turn, plus one /process with a real passport and
selfie every `--process-every` seconds. At the end it waits for every submitted verification
to reach a final status and reports p50/p99 latency and errors per endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.service import drop_postgres_database, start_service  # noqa: E402


async def main_async(base_url: str, auth, rate: float, seconds: float, process_every: float, data: Path):  # noqa: ANN001, ANN201
    images = {"FRONT": base64.b64encode((data / "documents/passporteye/100_pass-cze.jpg").read_bytes()).decode(),
              "FACE": base64.b64encode((data / "faces/deepface/img1.jpg").read_bytes()).decode()}
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    kinds_of_failure: dict[str, int] = defaultdict(int)
    submitted: list[str] = []
    tasks = []
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=60, limits=limits) as client:
        seed = (await client.post("/api/v2/token", json={"clientId": "load"})).json()["scanRef"]

        async def call(name: str, path: str, body: dict) -> httpx.Response | None:
            t0 = time.perf_counter()
            try:
                r = await client.post(path, json=body)
            except httpx.HTTPError as exc:
                errors[name] += 1
                kinds_of_failure[f"{name}: {type(exc).__name__}"] += 1
                return None
            latencies[name].append(time.perf_counter() - t0)
            if r.status_code >= 400:
                errors[name] += 1
            return r

        async def process_one() -> None:
            r = await call("token", "/api/v2/token", {"clientId": str(uuid.uuid4())})
            if r is None or r.status_code != 201:
                return
            token = r.json()
            r = await call("process", "/api/v2/process", {"authToken": token["authToken"], "country": "CZ",
                                                          "documentType": "PASSPORT", "images": images})
            if r is not None and r.status_code == 200 and not r.content:
                submitted.append(token["scanRef"])

        kinds = [("status", "/api/v2/status", {"scanRef": seed}), ("data", "/api/v2/data", {"scanRef": seed}),
                 ("token", "/api/v2/token", {"clientId": "load"})]
        start = time.perf_counter()
        next_process = start
        i = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + i / rate
            if due > now:
                await asyncio.sleep(due - now)
            name, path, body = kinds[i % len(kinds)]
            tasks.append(asyncio.create_task(call(name, path, body)))
            if time.perf_counter() >= next_process:
                tasks.append(asyncio.create_task(process_one()))
                next_process += process_every
            i += 1
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 600
        pending = set(submitted)
        while pending and time.perf_counter() < deadline:
            for ref in list(pending):
                r = await client.post("/api/v2/status", json={"scanRef": ref})
                if r.json()["status"] != "ACTIVE":
                    pending.discard(ref)
            await asyncio.sleep(1)
    if kinds_of_failure:
        print("client-side failures:", dict(kinds_of_failure))
    return latencies, errors, submitted, pending, i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--process-every", type=float, default=5)
    parser.add_argument("--data", default=os.environ.get("OPENIDV_TEST_DATA",
                                                          str(Path(__file__).resolve().parents[2] / "shared/data")))
    args = parser.parse_args()
    service = start_service(args.mode, Path(tempfile.mkdtemp(prefix="openidv-load-")),
                            {"OPENIDV_RATE_LIMIT_PER_HOUR": "10000000"})
    try:
        partner = service.create_partner("load")
        latencies, errors, submitted, pending, sent = asyncio.run(
            main_async(service.base_url, partner.auth, args.rate, args.seconds, args.process_every, Path(args.data)))
    finally:
        service.stop()
        if args.mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
    print(f"mode {args.mode}: {sent} requests at {args.rate:g}/s for {args.seconds:g} s, "
          f"plus /process every {args.process_every:g} s\n")
    print("| endpoint | requests | errors | p50 (ms) | p99 (ms) |")
    print("|---|---|---|---|---|")
    for name, lat in sorted(latencies.items()):
        print(f"| {name} | {len(lat)} | {errors[name]} | {np.percentile(lat, 50) * 1000:.1f} | "
              f"{np.percentile(lat, 99) * 1000:.1f} |")
    print(f"\nverifications submitted {len(submitted)}, still not final after the run: {len(pending)}")
    if pending or any(errors.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
