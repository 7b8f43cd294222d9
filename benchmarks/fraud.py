"""Duplicate-face search speed as stored verifications grow.

    python benchmarks/fraud.py [--sizes 10000 100000] [--database-url URL]

Fills a fresh database (SQLite by default, PostgreSQL with --database-url) with random
128-d face descriptors for one partner, then times FaceIndex.search: the first search
(loads the index) and the steady state (one small query for new rows + one matrix-vector
product). Prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from openidv.config import Settings  # noqa: E402
from openidv.store.db import make_engine, migrate  # noqa: E402
from openidv.store.fraud import FaceIndex  # noqa: E402
from openidv.store.models import FaceEmbedding, Partner, Verification, utcnow  # noqa: E402


def fill(sessions, count: int) -> None:  # noqa: ANN001
    rng = np.random.default_rng(7)
    with sessions.begin() as s:
        s.add(Partner(id=1, name="bench", api_key="k", api_secret_hash="h", webhook_secret_encrypted=b""))
        s.flush()
        now = utcnow()
        batch = 5000
        for start in range(0, count, batch):
            n = min(batch, count - start)
            s.execute(insert(Verification), [
                dict(id=start + i + 1, scan_ref=f"bench-{start + i}", partner_id=1, client_id=f"c{start + i}",
                     auth_token_hash=f"{start + i:064d}", token_type="IDENTIFICATION", token_used=True,
                     token_expires_at=now, token_request={}, status="APPROVED", attempt_count=1,
                     fraud_tags=[], mismatch_tags=[], suspicion_reasons=[], document_data={},
                     manual_data={}, decision_reasons=[], version=0, processing_runs=1, created_at=now)
                for i in range(n)])
            vectors = rng.normal(0, 0.09, (n, 128)).astype("<f4")
            s.execute(insert(FaceEmbedding), [
                dict(partner_id=1, verification_id=start + i + 1, client_id=f"c{start + i}", kind="selfie",
                     vector=vectors[i].tobytes()) for i in range(n)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--searches", type=int, default=50)
    args = parser.parse_args()
    print("| stored descriptors | database | fill (s) | first search, loads index (ms) | search p50 (ms) | search p95 (ms) |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes:
        home = Path(tempfile.mkdtemp(prefix="openidv-fraud-bench-"))
        url = args.database_url
        if url:
            from tests.support.service import create_postgres_database

            url = create_postgres_database()
        settings = Settings(home=home, database_url=url, encryption_key="A" * 43 + "=")
        migrate(settings)
        engine = make_engine(settings)
        sessions = sessionmaker(bind=engine)
        t0 = time.perf_counter()
        fill(sessions, size)
        fill_s = time.perf_counter() - t0
        index = FaceIndex()
        query = np.random.default_rng(1).normal(0, 0.09, 128).astype(np.float32)
        with sessions() as s:
            t0 = time.perf_counter()
            index.search(s, 1, query, max_distance=0.5, exclude_client="x")
            first = time.perf_counter() - t0
            times = []
            for _ in range(args.searches):
                t0 = time.perf_counter()
                index.search(s, 1, query, max_distance=0.5, exclude_client="x")
                times.append(time.perf_counter() - t0)
        engine.dispose()
        if url:
            from tests.support.service import drop_postgres_database

            drop_postgres_database(url)
        kind = "PostgreSQL" if url else "SQLite"
        print(f"| {size:,} | {kind} | {fill_s:.1f} | {first * 1000:.0f} | {statistics.median(times) * 1000:.1f} | "
              f"{float(np.percentile(times, 95)) * 1000:.1f} |")


if __name__ == "__main__":
    main()
