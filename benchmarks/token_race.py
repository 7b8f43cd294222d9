"""One token, many concurrent /process calls, many trials: exactly one may win.

    python benchmarks/token_race.py [--mode embedded|scaleout] [--trials 1000] [--concurrency 6]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import io
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.service import drop_postgres_database, start_service  # noqa: E402


async def trial(client: httpx.AsyncClient, image: str, concurrency: int) -> tuple[int, ...]:
    token = (await client.post("/api/v2/token", json={"clientId": "race", "tokenType": "DOCUMENT"})).json()
    body = {"authToken": token["authToken"], "country": "LT", "images": {"FRONT": image}, "skipAnalysis": True}
    answers = await asyncio.gather(*(client.post("/api/v2/process", json=body) for _ in range(concurrency)))
    return tuple(sorted(r.status_code for r in answers))


async def run(base_url: str, auth: tuple[str, str], trials: int, concurrency: int) -> collections.Counter:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buf, "JPEG")
    image = base64.b64encode(buf.getvalue()).decode()
    outcomes: collections.Counter = collections.Counter()
    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, auth=auth, timeout=60, limits=limits) as client:
        for _ in range(trials):
            outcomes[await trial(client, image, concurrency)] += 1
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["embedded", "scaleout"], default="embedded")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=6)
    args = parser.parse_args()
    service = start_service(args.mode, Path(tempfile.mkdtemp(prefix="openidv-race-")),
                            {"OPENIDV_RATE_LIMIT_PER_HOUR": "1000000"})
    started = time.monotonic()
    try:
        partner = service.create_partner("race")
        outcomes = asyncio.run(run(service.base_url, partner.auth, args.trials, args.concurrency))
    finally:
        service.stop()
        if args.mode == "scaleout":
            drop_postgres_database(service.env["OPENIDV_DATABASE_URL"])
    expected = tuple(sorted([200] + [400] * (args.concurrency - 1)))
    print("| mode | trials | concurrent calls per token | exactly one 200 | other outcomes | minutes |")
    print("|---|---|---|---|---|---|")
    others = {k: v for k, v in outcomes.items() if k != expected}
    print(f"| {args.mode} | {args.trials} | {args.concurrency} | {outcomes[expected]} | {others or 'none'} | "
          f"{(time.monotonic() - started) / 60:.1f} |")
    if others:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
