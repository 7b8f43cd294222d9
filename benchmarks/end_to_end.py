"""End-to-end speed: from `/process` accepted to the automatic decision stored.

    python benchmarks/end_to_end.py [--mode embedded|scaleout] [--count 20] [--workers 1 2]

Submits a realistic mix one at a time (latency) and then all at once (throughput): a real
passport specimen + a real selfie, and a synthetic ID card (front + back) + selfie made with
tests.support.synthetic. Latency is the server's own: the verification's start_time (set
when /process accepts the upload) to its finish_time (set when the automatic decision is
committed), read from the database afterwards. The client only polls /status to know when
to send the next one (every --poll seconds; a fast poll costs the server and the client CPU
on the same cores and slows what it measures: at 20 ms it added ~0.2 s here). The client's
own view (200 from /process → /status no longer ACTIVE) is printed beside it. Per-stage
times come from the server's /metrics histograms; worker memory from /proc. Prints tables.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import bindparam
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.service import METRICS_TOKEN, drop_postgres_database, start_service  # noqa: E402


def b64_file(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def b64_array(image: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(image[:, :, ::-1]).save(buf, "JPEG", quality=90)
    return base64.b64encode(buf.getvalue()).decode()


def workload(data: Path) -> list[dict]:
    from openidv.pipeline.images import read_image_file
    from tests.support.synthetic import make_document

    selfie_a, selfie_b = data / "faces/deepface/img1.jpg", data / "faces/deepface/img2.jpg"
    portrait = read_image_file(str(selfie_b))
    front, _ = make_document("TD1", portrait=portrait, seed=3)
    back, _ = make_document("TD1", portrait=None, seed=3)
    return [
        {"documentType": "PASSPORT", "country": "CZ",
         "images": {"FRONT": b64_file(data / "documents/passporteye/100_pass-cze.jpg"), "FACE": b64_file(selfie_a)}},
        {"documentType": "ID_CARD", "country": "DE",
         "images": {"FRONT": b64_array(front), "BACK": b64_array(back), "FACE": b64_file(selfie_b)}},
    ]


def submit(c: httpx.Client, body: dict) -> tuple[str, float]:
    token = c.post("/api/v2/token", json={"clientId": str(uuid.uuid4())}).json()
    r = c.post("/api/v2/process", json={"authToken": token["authToken"], "skipAnalysis": True, **body})
    if r.status_code != 200:
        raise SystemExit(f"/process: {r.status_code} {r.text[:200]}")
    return token["scanRef"], time.perf_counter()


POLL_SECONDS = 0.25
IDLE_SECONDS = 15.0


def wait_done(c: httpx.Client, scan_refs: dict[str, float]) -> dict[str, float]:
    done: dict[str, float] = {}
    while len(done) < len(scan_refs):
        for ref, started in scan_refs.items():
            if ref not in done and c.post("/api/v2/status", json={"scanRef": ref}).json()["status"] != "ACTIVE":
                done[ref] = time.perf_counter() - started
        time.sleep(POLL_SECONDS)
    return done


def stage_means(base_url: str) -> dict[str, tuple[float, int]]:
    text = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    sums = dict(re.findall(r'openidv_pipeline_stage_seconds_sum\{stage="([^"]+)"\} ([0-9.e+-]+)', text))
    counts = dict(re.findall(r'openidv_pipeline_stage_seconds_count\{stage="([^"]+)"\} ([0-9.e+-]+)', text))
    return {k: (float(sums[k]) / max(float(counts[k]), 1), int(float(counts[k]))) for k in sums}


def server_latencies(database_url: str, scan_refs: list[str]) -> dict[str, float]:
    """finish_time − start_time of each verification, in seconds, from the service's database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT scan_ref, start_time, finish_time FROM verifications WHERE scan_ref IN :refs")
                .bindparams(bindparam("refs", expanding=True)), {"refs": list(scan_refs)}).all()
    finally:
        engine.dispose()

    def as_datetime(value):  # noqa: ANN001, ANN202 - SQLite returns text
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value

    return {ref: (as_datetime(finish) - as_datetime(start)).total_seconds() for ref, start, finish in rows}


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(mode: str, workers: int, count: int, data: Path) -> dict:
    home = Path(tempfile.mkdtemp(prefix="openidv-e2e-"))
    service = start_service(mode, home)
    try:
        if mode == "scaleout":
            # Model calls are serialised inside a process, so throughput grows with worker
            # processes: replace the default worker by N single-threaded ones.
            import signal

            from tests.support.service import _spawn

            service.processes[-1].send_signal(signal.SIGTERM)
            service.processes[-1].wait()
            service.processes[-1:] = [_spawn(["worker", "--concurrency", "1"], service.env, home / f"w{i}.log")
                                      for i in range(workers)]
        worker_pid = service.processes[-1].pid
        partner = service.create_partner("bench")
        bodies = workload(data)
        with service.client(partner, timeout=120) as c:
            time.sleep(8)  # models load in the background at start; measure the warm state
            refs = dict(submit(c, bodies[0]) for _ in range(1))
            wait_done(c, refs)  # warm-up
            client_view = {b["documentType"]: [] for b in bodies}
            mix_of: dict[str, str] = {}
            for i in range(count):
                body = bodies[i % len(bodies)]
                ref, started = submit(c, body)
                mix_of[ref] = body["documentType"]
                client_view[body["documentType"]].extend(wait_done(c, {ref: started}).values())
            rss_idle = rss_mb(worker_pid)
            started = time.perf_counter()
            burst = dict(submit(c, bodies[i % len(bodies)]) for i in range(count))
            wait_done(c, burst)
            per_minute = count / (time.perf_counter() - started) * 60
            rss_loaded = rss_mb(worker_pid)
            # A verification arriving at a quiet service: the queue must not make it wait
            # for the worker's next poll (Huey backs off to 10 s between empty polls).
            time.sleep(IDLE_SECONDS)
            idle_ref, _ = submit(c, bodies[0])
            wait_done(c, {idle_ref: 0.0})
        stages = stage_means(service.base_url)
        database_url = service.env.get("OPENIDV_DATABASE_URL") or f"sqlite:///{home / 'openidv.db'}"
        measured = server_latencies(database_url, list(mix_of) + [idle_ref])
        latencies = {mix: [measured[ref] for ref, m in mix_of.items() if m == mix] for mix in client_view}
    finally:
        service.stop()
        if mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
    return {"latencies": latencies, "client_view": client_view, "per_minute": per_minute, "stages": stages,
            "rss_idle": rss_idle, "rss_loaded": rss_loaded, "after_idle": measured[idle_ref]}


def bodies_label(result: dict) -> str:
    return next(iter(result["latencies"]))  # the first body of the mix is the one sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="scale-out: numbers of worker processes to try (embedded: one process)")
    parser.add_argument("--data", default=os.environ.get("OPENIDV_TEST_DATA",
                                                          str(Path(__file__).resolve().parents[2] / "shared/data")))
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS,
                        help="seconds the service stays quiet before the last, single verification")
    parser.add_argument("--poll", type=float, default=POLL_SECONDS,
                        help="seconds between /status polls (each poll costs the server CPU too)")
    args = parser.parse_args()
    globals()["POLL_SECONDS"] = args.poll
    globals()["IDLE_SECONDS"] = args.idle
    print(f"machine: {os.cpu_count()} cores; mode {args.mode}; {args.count} verifications per run\n")
    print("| worker processes | mix | p50 (s) | p95 (s) | client's view p50 / p95 (s) | throughput (verifications/min) | worker RSS idle / loaded (MB) |")
    print("|---|---|---|---|---|---|---|")
    last = None
    for workers in args.workers:
        result = run(args.mode, workers, args.count, Path(args.data))
        all_lat = [x for v in result["latencies"].values() for x in v]
        all_client = [x for v in result["client_view"].values() for x in v]
        for mix, lat in list(result["latencies"].items()) + [("all", all_lat)]:
            seen = result["client_view"].get(mix, all_client)
            print(f"| {workers} | {mix} | {statistics.median(lat):.2f} | {float(np.percentile(lat, 95)):.2f} | "
                  f"{statistics.median(seen):.2f} / {float(np.percentile(seen, 95)):.2f} | "
                  f"{result['per_minute']:.1f} | {result['rss_idle']:.0f} / {result['rss_loaded']:.0f} |")
        last = result
        print(f"| {workers} | {bodies_label(result)} after {IDLE_SECONDS:.0f} s idle | {result['after_idle']:.2f} | | | | |")
    print("\n| stage | mean seconds | count |\n|---|---|---|")
    for stage, (mean, n) in sorted(last["stages"].items(), key=lambda kv: -kv[1][0]):
        print(f"| {stage} | {mean:.3f} | {n} |")


if __name__ == "__main__":
    main()
