"""Write a stress set to a folder (images plus manifest.json) to look at it; never commit it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.mrzstress.generate import generate_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9303)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    records = []
    for sample in generate_set(args.seed, args.count, args.start):
        (args.out / sample.name).write_bytes(sample.jpeg)
        records.append(sample.record())
    (args.out / "manifest.json").write_text(json.dumps({"seed": args.seed, "items": records}, indent=1, ensure_ascii=False))
    print(f"{len(records)} samples in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
