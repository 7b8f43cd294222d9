"""End-to-end speed: from `/process` accepted to the automatic decision stored (issue 9).

    python benchmarks/end_to_end.py [--mode embedded|scaleout] [--count 20] [--workers 1 2]

Submits a realistic mix one at a time (latency) and then all at once (throughput): a real
passport specimen + a real selfie, and a synthetic ID card (front + back) + selfie made with
openidv.pipeline.synthetic. Latency is measured by the client: /process returning 200 until
/status leaves ACTIVE (polled every 20 ms). Per-stage times come from the server's own
/metrics histograms; worker memory from /proc. Prints tables.
"""

from __future__ import annotations

import argparse
import base64
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
    from openidv.pipeline.synthetic import make_document

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


def wait_done(c: httpx.Client, scan_refs: dict[str, float]) -> dict[str, float]:
    done: dict[str, float] = {}
    while len(done) < len(scan_refs):
        for ref, started in scan_refs.items():
            if ref not in done and c.post("/api/v2/status", json={"scanRef": ref}).json()["status"] != "ACTIVE":
                done[ref] = time.perf_counter() - started
        time.sleep(0.02)
    return done


def stage_means(base_url: str) -> dict[str, tuple[float, int]]:
    text = httpx.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    sums = dict(re.findall(r'openidv_pipeline_stage_seconds_sum\{stage="([^"]+)"\} ([0-9.e+-]+)', text))
    counts = dict(re.findall(r'openidv_pipeline_stage_seconds_count\{stage="([^"]+)"\} ([0-9.e+-]+)', text))
    return {k: (float(sums[k]) / max(float(counts[k]), 1), int(float(counts[k]))) for k in sums}


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
            latencies = {b["documentType"]: [] for b in bodies}
            for i in range(count):
                body = bodies[i % len(bodies)]
                ref, started = submit(c, body)
                latencies[body["documentType"]].extend(wait_done(c, {ref: started}).values())
            rss_idle = rss_mb(worker_pid)
            started = time.perf_counter()
            burst = dict(submit(c, bodies[i % len(bodies)]) for i in range(count))
            wait_done(c, burst)
            per_minute = count / (time.perf_counter() - started) * 60
            rss_loaded = rss_mb(worker_pid)
        stages = stage_means(service.base_url)
    finally:
        service.stop()
        if mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
    return {"latencies": latencies, "per_minute": per_minute, "stages": stages,
            "rss_idle": rss_idle, "rss_loaded": rss_loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1],
                        help="scale-out: numbers of worker processes to try (embedded: one process)")
    parser.add_argument("--data", default=os.environ.get("OPENIDV_TEST_DATA",
                                                          str(Path(__file__).resolve().parents[2] / "shared/data")))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; mode {args.mode}; {args.count} verifications per run\n")
    print("| worker processes | mix | p50 (s) | p95 (s) | throughput (verifications/min) | worker RSS idle / loaded (MB) |")
    print("|---|---|---|---|---|---|")
    last = None
    for workers in args.workers:
        result = run(args.mode, workers, args.count, Path(args.data))
        all_lat = [x for v in result["latencies"].values() for x in v]
        for mix, lat in list(result["latencies"].items()) + [("all", all_lat)]:
            print(f"| {workers} | {mix} | {statistics.median(lat):.2f} | {float(np.percentile(lat, 95)):.2f} | "
                  f"{result['per_minute']:.1f} | {result['rss_idle']:.0f} / {result['rss_loaded']:.0f} |")
        last = result
    print("\n| stage | mean seconds | count |\n|---|---|---|")
    for stage, (mean, n) in sorted(last["stages"].items(), key=lambda kv: -kv[1][0]):
        print(f"| {stage} | {mean:.3f} | {n} |")


if __name__ == "__main__":
    main()
