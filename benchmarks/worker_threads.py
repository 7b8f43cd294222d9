"""What ``openidv worker --concurrency N`` buys: N analysis threads in one process.

    python benchmarks/worker_threads.py [--threads 1 2 4] [--jobs 12] [--rounds 3]

The worker's consumer runs each job in one of N threads that share one set of engines
(``openidv.pipeline.engines.Engines``). This script does the same without a server or a
database: the mix of ``benchmarks/end_to_end.py`` (a real passport specimen + selfie, a
synthetic ID card front + back + selfie), ``--jobs`` verifications submitted at once to a
pool of N threads sharing one ``Engines``, for each N in turn, and the N values alternated
round by round so that a change in the machine's load hits them alike. Per N it prints
throughput (verifications a minute), the per-verification wall time (p50 / max, queueing
excluded: from the moment a thread starts the job) and CPU seconds per verification (the
process's CPU time over the batch, divided by the jobs). Decoding is part of each job, as
in the worker. The load average at the start and the end is printed: on a machine shared
with other work, compare the N values of one run only.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def analyse_one(engines, decode_image, item) -> float:  # noqa: ANN001
    """One verification as the worker runs it: decode, analyse, conclude; its wall seconds."""
    from openidv.pipeline.run import analyse_images, conclude

    started = time.perf_counter()
    doc_type, country, b64_images = item
    images = {side: decode_image(base64.b64decode(b64)) for side, b64 in b64_images.items()}
    analysis = analyse_images(engines, images, token_type="IDENTIFICATION", declared_country=country,
                              declared_type=doc_type)
    conclude(analysis, token_type="IDENTIFICATION", token_request={})
    return time.perf_counter() - started


def run_batch(engines, decode_image, items, threads: int, jobs: int) -> dict[str, float]:  # noqa: ANN001
    batch = [items[i % len(items)] for i in range(jobs)]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-worker") as pool:
        walls = list(pool.map(lambda item: analyse_one(engines, decode_image, item), batch))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"per_minute": jobs / wall * 60, "p50": statistics.median(walls), "max": max(walls),
            "cpu_per_job": cpu / jobs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--jobs", type=int, default=12, help="verifications per batch (default 12)")
    parser.add_argument("--rounds", type=int, default=3, help="batches per thread count, alternated (default 3)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OPENIDV_TEST_DATA", "../shared/data")))
    args = parser.parse_args()

    from benchmarks.profile_pipeline import workload
    from openidv.pipeline.engines import Engines

    items, decode_image = workload(args.data)
    engines = Engines()
    load_before = os.getloadavg()[0]
    run_batch(engines, decode_image, items, max(args.threads), len(items) * 2)  # load the models, warm up
    results: dict[int, list[dict[str, float]]] = {n: [] for n in args.threads}
    for _ in range(args.rounds):
        for n in args.threads:
            results[n].append(run_batch(engines, decode_image, items, n, args.jobs))
    load_after = os.getloadavg()[0]

    print(f"{os.cpu_count()} CPUs; load average {load_before:.1f} at the start, {load_after:.1f} at the end; "
          f"{args.jobs} verifications per batch, {args.rounds} batches per thread count, alternated")
    print("| threads | verifications/min (median of batches) | wall per verification p50 / max (s) | CPU s per verification |")
    print("|---|---|---|---|")
    for n, runs in results.items():
        rate = statistics.median(r["per_minute"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        worst = max(r["max"] for r in runs)
        cpu = statistics.median(r["cpu_per_job"] for r in runs)
        print(f"| {n} | {rate:.1f} | {p50:.2f} / {worst:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
