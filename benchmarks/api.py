"""API speed on this machine, each against a bare Starlette endpoint in the same run:
/status requests per second, and /process ingest latency for a 1 MB and a 6 MB JPEG.

    python benchmarks/api.py [--mode embedded|scaleout] [--seconds 10] [--concurrency 16]
                             [--rounds 2] [--ingest-runs 100] [--validation-runs 10] [--with-worker]

Starts a real `openidv serve` on loopback (embedded: SQLite and local encrypted files;
scale-out: PostgreSQL and Redis), creates a partner with the CLI, and drives the API with
httpx; beside it, benchmarks/support/bare_starlette.py served by uvicorn the same way.

- /status: `--concurrency` keep-alive connections for `--seconds` against /status, and the
  same against the bare "hello" endpoint, in `--rounds` alternating slices (so a change in
  background load hits both alike).
- ingest: `--ingest-runs` sequential /process calls per image size with `skipAnalysis`
  (base64 and decode check, encrypt, store, use the token, queue the job), interleaved
  one for one with the same JSON body (same size) posted to the bare endpoint, which only
  parses it and base64-decodes the image (which of the two goes first alternates). Each
  call's token is created and its body serialised beforehand, untimed.
- photo validation: `--validation-runs` /process calls for the 6 MB image without
  `skipAnalysis` (document detection on FRONT).

No worker consumes the queue during the run unless `--with-worker`: each upload queues an
analysis of a noise image, and a worker running those on the same cores would be measured
instead of the ingest path (end_to_end.py measures the analysis). Prints two tables.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Callable

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.support.load_client import (  # noqa: E402
    BareStarlette,
    machine_line,
    ms,
    percentile,
    rps,
    timed,
    wait_until_quiet,
)
from tests.support.service import drop_postgres_database, start_service  # noqa: E402

MB = 1024 * 1024
# (label, width, height, upper bound of the file size): a phone-sized photo and one at the
# default 6 MB per-image cap (OPENIDV_MAX_IMAGE_BYTES).
IMAGES = (("1 MB", 1600, 1200, 1 * MB), ("6 MB", 4000, 3000, 6 * MB - 4096))


def photo_jpeg(width: int, height: int, max_bytes: int) -> bytes:
    """A photo-like JPEG just under `max_bytes` (noise on gradients does not compress well)."""
    rng = np.random.default_rng(1)
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    img = Image.fromarray(np.clip(base + rng.normal(0, 40, (height, width, 3)), 0, 255).astype(np.uint8))
    for quality in range(97, 40, -1):
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        if buf.tell() <= max_bytes:
            return buf.getvalue()
    raise RuntimeError(f"could not make a {max_bytes} byte JPEG")


def process_body(auth_token: str, encoded: str, skip: bool) -> bytes:
    return json.dumps({"authToken": auth_token, "country": "LT", "images": {"FRONT": encoded},
                       "skipAnalysis": skip}).encode()


JSON_HEADERS = {"content-type": "application/json"}


def timed_post(client: httpx.Client, path: str, content: Callable[[], bytes]) -> float:
    """One POST, timed; `content()` (untimed) gives the body, anew if the call is repeated."""

    def post(body: bytes) -> None:
        r = client.post(path, content=body, headers=JSON_HEADERS)
        if r.status_code != 200:
            raise SystemExit(f"{path} failed: {r.status_code} {r.text[:200]}")

    return timed(post, content)


def new_token(c: httpx.Client) -> str:
    r = c.post("/api/v2/token", json={"clientId": "bench", "tokenType": "DOCUMENT"})
    if r.status_code != 201:
        raise SystemExit(f"/token failed: {r.status_code} {r.text[:200]}")
    return r.json()["authToken"]


def drop_redis_queue(env: dict[str, str]) -> None:
    """The jobs left queued (no worker ran them), the queue and the rate-limit counters."""
    import redis
    from huey import RedisHuey

    RedisHuey(env["OPENIDV_QUEUE_NAME"], url=env["OPENIDV_QUEUE_URL"]).storage.flush_all()
    client = redis.Redis.from_url(env["OPENIDV_QUEUE_URL"])
    for key in client.scan_iter(f"{env['OPENIDV_QUEUE_NAME']}:*"):
        client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--seconds", type=float, default=10, help="/status and bare hello, each (in all rounds)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="alternating /status / bare slices")
    parser.add_argument("--ingest-runs", type=int, default=100, help="timed /process calls per image size")
    parser.add_argument("--ingest-warmup", type=int, default=5, help="untimed calls first, per size and server")
    parser.add_argument("--validation-runs", type=int, default=10, help="6 MB /process with photo validation")
    parser.add_argument("--with-worker", action="store_true", help="let a worker analyse the uploads meanwhile")
    args = parser.parse_args()

    images = [(label, w, h, photo_jpeg(w, h, cap)) for label, w, h, cap in IMAGES]
    print(machine_line(), f"; mode {args.mode}", sep="")
    home = Path(tempfile.mkdtemp(prefix="openidv-bench-"))
    # The default partner rate limit (10,000 requests an hour) would cut the /status run short.
    service = start_service(args.mode, home, {"OPENIDV_RATE_LIMIT_PER_HOUR": "1000000000"},
                            worker=args.with_worker)
    bare = None
    finished = False
    try:
        bare = BareStarlette()
        partner = service.create_partner("bench")
        wait_until_quiet(service.processes[0].pid)
        with service.client(partner, timeout=120) as c, httpx.Client(base_url=bare.base_url, timeout=120) as b:
            scan_ref = c.post("/api/v2/token", json={"clientId": "bench"}).json()["scanRef"]
            # /status and bare hello, alternating.
            status_lat: list[float] = []
            bare_lat: list[float] = []
            status_n = bare_n = 0
            status_s = bare_s = 0.0
            errors = 0
            slice_s = args.seconds / args.rounds
            for _ in range(args.rounds):
                rate, lat, errs = asyncio.run(rps(service.base_url, "/api/v2/status", partner.auth,
                                                  {"scanRef": scan_ref}, slice_s, args.concurrency))
                status_lat += lat
                status_n += len(lat)
                status_s += len(lat) / rate if rate else 0.0
                errors += errs
                rate, lat, _ = asyncio.run(rps(bare.base_url, "/hello", None, {"scanRef": "x"}, slice_s,
                                               args.concurrency))
                bare_lat += lat
                bare_n += len(lat)
                bare_s += len(lat) / rate if rate else 0.0
            status_rate, bare_rate = status_n / status_s, bare_n / bare_s

            # Ingest: /process with skipAnalysis and the bare endpoint, interleaved.
            ingest: dict[str, tuple[list[float], list[float], int]] = {}
            for label, _w, _h, image in images:
                encoded = base64.b64encode(image).decode()
                bare_body = process_body("x" * 32, encoded, True)

                def ours_body(encoded: str = encoded, skip: bool = True) -> bytes:
                    return process_body(new_token(c), encoded, skip)

                for _ in range(args.ingest_warmup):
                    timed_post(c, "/api/v2/process", ours_body)
                    timed_post(b, "/ingest", lambda: bare_body)
                ours: list[float] = []
                theirs: list[float] = []
                for i in range(args.ingest_runs):
                    # Alternate which server goes first, so neither always follows the other.
                    if i % 2:
                        theirs.append(timed_post(b, "/ingest", lambda: bare_body))
                        ours.append(timed_post(c, "/api/v2/process", ours_body))
                    else:
                        ours.append(timed_post(c, "/api/v2/process", ours_body))
                        theirs.append(timed_post(b, "/ingest", lambda: bare_body))
                ingest[label] = (ours, theirs, len(bare_body))

            validation: list[float] = []
            if args.validation_runs:
                encoded = base64.b64encode(images[-1][3]).decode()

                def validated_body() -> bytes:
                    return process_body(new_token(c), encoded, False)

                timed_post(c, "/api/v2/process", validated_body)  # loads the detector
                for _ in range(args.validation_runs):
                    validation.append(timed_post(c, "/api/v2/process", validated_body))
        finished = True
    finally:
        if bare is not None:
            bare.stop()
        service.stop()
        if args.mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
            drop_redis_queue(service.env)
        if finished:
            shutil.rmtree(home)  # the uploads: hundreds of MB
        else:
            print(f"server log and data kept in {home}", file=sys.stderr)

    worker = "a worker analysing the uploads meanwhile" if args.with_worker else "no worker consuming the queue"
    print(f"openidv serve ({args.mode}), {worker}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| /status requests per second ({args.concurrency} connections, {args.seconds:g} s) | {status_rate:.0f} |")
    print(f"| /status latency p50 / p99 (ms) | {ms(status_lat, 50)} / {ms(status_lat, 99)} |")
    print(f'| bare Starlette "hello", same client: requests per second | {bare_rate:.0f} |')
    print(f"| bare Starlette latency p50 / p99 (ms) | {ms(bare_lat, 50)} / {ms(bare_lat, 99)} |")
    print(f"| **/status as a share of bare Starlette** | **{status_rate / bare_rate:.0%}** |")
    print(f"| /status errors | {errors} |")
    if validation:
        label, w, h, image = images[-1]
        print(f"| /process {len(image) / MB:.1f} MB JPEG, photo validation: median / p95 / max (ms) | "
              f"{statistics.median(validation) * 1000:.0f} / {percentile(validation, 95) * 1000:.0f} / "
              f"{max(validation) * 1000:.0f} |")
    print()
    print(f"Ingest, {args.ingest_runs} sequential calls per size, each server in turn "
          "(times in ms, client-side):")
    print()
    print("| JPEG | JSON body | /process skipAnalysis p50 | p99 | bare Starlette p50 | p99 | "
          "**p99 ratio (openidv / bare)** |")
    print("|---|---|---|---|---|---|---|")
    for label, w, h, image in images:
        ours, theirs, body_size = ingest[label]
        print(f"| {len(image) / MB:.2f} MB, {w}×{h} | {body_size / MB:.2f} MB | {ms(ours, 50)} | {ms(ours, 99)} | "
              f"{ms(theirs, 50)} | {ms(theirs, 99)} | **{percentile(ours, 99) / percentile(theirs, 99):.1f}×** |")


if __name__ == "__main__":
    main()
