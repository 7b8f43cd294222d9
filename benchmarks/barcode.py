"""PDF417 / AAMVA benchmark: read rate, time and field accuracy on generated driver licence
backs under photographed-looking conditions, and false finds on images without the barcode.

    python benchmarks/barcode.py [--per-condition N] [--payloads-per-version N] [--seed S]
                                 [--budget CPU_SECONDS] [--data DIR]

Cards come from ``benchmarks/support/aamva_cards.py`` (written independently of the parser);
the default seed differs from the ones the reader was tuned on (``1000-…``, ``test-…``).
A *wrong parse* is a payload that ``parse_aamva`` returns as valid with any field different
from the generated truth: it must stay 0. The real images of ``DIR/documents`` and
``DIR/extra/documents`` (passports and ID cards without an AAMVA barcode) measure false finds
and the time spent on images that have no barcode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.support.aamva_cards import (CONDITIONS, VERSIONS, aamva_payload, card_back, card_front,  # noqa: E402
                                            expected_fields, photograph, random_holder)
from openidv.pipeline.aamva import AamvaData, AamvaError, parse_aamva  # noqa: E402
from openidv.pipeline.barcode import DEFAULT_BUDGET_S, read_pdf417  # noqa: E402
from openidv.pipeline.images import read_image_file  # noqa: E402

FIELDS = ("first_name", "middle_name", "last_name", "date_of_birth", "date_of_issue", "date_of_expiry",
          "document_number", "sex", "street", "city", "jurisdiction", "postal_code", "country",
          "issuing_jurisdiction", "document_type", "version", "categories")


def parsed_fields(data: AamvaData) -> dict[str, str]:
    """The parse as plain strings, in the shape of ``expected_fields``."""
    iso = lambda d: d.isoformat() if d else ""  # noqa: E731
    return {
        "first_name": data.first_name or "", "middle_name": data.middle_name or "", "last_name": data.last_name,
        "date_of_birth": iso(data.date_of_birth), "date_of_issue": iso(data.date_of_issue),
        "date_of_expiry": iso(data.date_of_expiry), "document_number": data.document_number,
        "sex": data.sex.value if data.sex else "", "street": data.address.street or "",
        "city": data.address.city or "", "jurisdiction": data.address.jurisdiction or "",
        "postal_code": data.address.postal_code or "", "country": data.country,
        "issuing_jurisdiction": data.issuing_jurisdiction, "document_type": data.document_type.value,
        "version": str(data.version), "categories": ",".join(data.categories),
    }


@dataclass
class Tally:
    images: int = 0
    read: int = 0
    misread: int = 0  # decoded text differs from the payload printed
    parsed: int = 0
    refused: Counter = field(default_factory=Counter)
    wrong_parse: int = 0
    all_fields_right: int = 0
    field_right: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    miss_seconds: list[float] = field(default_factory=list)
    variants: Counter = field(default_factory=Counter)

    def add_parse(self, payload_or_text: str, expected: dict[str, str]) -> None:
        try:
            data = parse_aamva(payload_or_text)
        except AamvaError as exc:
            self.refused[exc.reason.value] += 1
            return
        self.parsed += 1
        got = parsed_fields(data)
        right = [name for name in FIELDS if got[name] == expected[name]]
        self.field_right.update(right)
        if len(right) == len(FIELDS):
            self.all_fields_right += 1
        else:
            self.wrong_parse += 1
            print(f"  WRONG PARSE: {[n for n in FIELDS if n not in right]} {got} != {expected}", file=sys.stderr)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values: list[float], q: float) -> str:
    return f"{1000 * quantile(values, q):.0f}" if values else "–"


def read_timed(image, budget: float):
    started, cpu_started = time.perf_counter(), time.process_time()
    result = read_pdf417(image, budget_s=budget)
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def record(tally: Tally, result, wall: float, cpu: float, payload: str, expected: dict[str, str]) -> None:
    tally.images += 1
    tally.seconds.append(wall)
    tally.cpu_seconds.append(cpu)
    if result is None:
        tally.miss_seconds.append(wall)
        return
    tally.read += 1
    tally.variants[result.variant.split("-")[0].split("+")[0]] += 1
    if result.text != payload:
        tally.misread += 1
    tally.add_parse(result.text, expected)


def run_conditions(per_condition: int, seed: str, budget: float) -> tuple[dict[str, Tally], dict[str, Tally]]:
    by_condition: dict[str, Tally] = {c: Tally() for c in CONDITIONS}
    by_size: dict[str, Tally] = {"600–999 px": Tally(), "1000–1600 px": Tally()}
    for condition in CONDITIONS:
        for i in range(per_condition):
            rng = random.Random(f"{seed}-{condition}-{i}")
            holder = random_holder(rng)
            payload = aamva_payload(holder, rng)
            image = photograph(card_back(holder, payload, rng=rng), condition, rng)
            expected = expected_fields(holder)
            outcome = read_timed(image, budget)
            record(by_condition[condition], *outcome, payload, expected)
            if condition != "flat":
                bucket = "600–999 px" if max(image.shape[:2]) < 1000 else "1000–1600 px"
                by_size[bucket].images += 1
                by_size[bucket].read += outcome[0] is not None
    return by_condition, by_size


def run_payloads(per_version: int, seed: str) -> dict[int, Tally]:
    tallies = {}
    for version in VERSIONS:
        tally = Tally()
        for i in range(per_version):
            rng = random.Random(f"{seed}-payload-{version}-{i}")
            holder = random_holder(rng, version=version)
            tally.images += 1
            tally.add_parse(aamva_payload(holder, rng), expected_fields(holder))
        tallies[version] = tally
    return tallies


def run_negatives(data_dir: Path, fronts: int, seed: str, budget: float) -> list[tuple[str, Tally, list[str]]]:
    rows = []
    tally, found = Tally(), []
    for i in range(fronts):
        rng = random.Random(f"{seed}-front-{i}")
        image = photograph(card_front(random_holder(rng), rng=rng), rng.choice(CONDITIONS[1:]), rng)
        _negative(image, tally, found, f"front {i}", budget)
    rows.append(("generated card fronts (no barcode)", tally, found))
    for folder in ("documents", "extra/documents"):
        manifest = data_dir / folder / "manifest.json"
        if not manifest.exists():
            continue
        tally, found = Tally(), []
        for item in json.loads(manifest.read_text())["items"]:
            image = read_image_file(str(data_dir / folder / item["file"]), max_side=2000)
            _negative(image, tally, found, item["file"], budget)
        rows.append((f"real images `{folder}/` (passports, ID cards)", tally, found))
    return rows


def _negative(image, tally: Tally, found: list[str], name: str, budget: float) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    result = read_pdf417(image, budget_s=budget)
    tally.images += 1
    tally.seconds.append(time.perf_counter() - started)
    tally.cpu_seconds.append(time.process_time() - cpu_started)
    if result is not None:
        tally.read += 1
        try:
            parse_aamva(result.text)
            verdict = "parsed as AAMVA"
        except AamvaError as exc:
            verdict = f"refused {exc.reason.value}"
        found.append(f"{name} ({result.variant}, {verdict})")


def machine() -> str:
    model = "unknown CPU"
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores {model}, Python {platform.python_version()}"


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-condition", type=int, default=40)
    parser.add_argument("--payloads-per-version", type=int, default=200)
    parser.add_argument("--fronts", type=int, default=40)
    parser.add_argument("--seed", default="benchmark")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OPENIDV_TEST_DATA", REPO_ROOT.parent / "shared" / "data")))
    args = parser.parse_args()
    print(f"machine: {machine()}; load average before: {loadavg()}; budget {args.budget} s; seed {args.seed!r}\n")

    by_condition, by_size = run_conditions(args.per_condition, args.seed, args.budget)
    print("| condition | images | read | misread | parsed valid | wrong parse | all fields right | "
          "wall ms median / p95 | process CPU ms median / p95 | not-found wall ms median | decoded by |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    total = Tally()
    for name, tally in list(by_condition.items()) + [("**all**", None)]:
        if tally is None:
            tally = total
        else:
            for attr in ("images", "read", "misread", "parsed", "wrong_parse", "all_fields_right"):
                setattr(total, attr, getattr(total, attr) + getattr(tally, attr))
            total.seconds += tally.seconds
            total.cpu_seconds += tally.cpu_seconds
            total.miss_seconds += tally.miss_seconds
            total.variants += tally.variants
            total.field_right += tally.field_right
            total.refused += tally.refused
        variants = ", ".join(f"{k} {v}" for k, v in tally.variants.most_common())
        print(f"| {name} | {tally.images} | {pct(tally.read, tally.images)} | {tally.misread} | {tally.parsed} | "
              f"{tally.wrong_parse} | {tally.all_fields_right} | {ms(tally.seconds, .5)} / {ms(tally.seconds, .95)} | "
              f"{ms(tally.cpu_seconds, .5)} / {ms(tally.cpu_seconds, .95)} | {ms(tally.miss_seconds, .5)} | {variants} |")

    print("\n| photo size (all conditions but flat) | images | read |")
    print("|---|---|---|")
    for name, tally in by_size.items():
        print(f"| {name} | {tally.images} | {pct(tally.read, tally.images)} |")

    print("\nField accuracy over the barcodes read and parsed: "
          + ", ".join(f"{n} {pct(total.field_right[n], total.parsed)}" for n in FIELDS))
    if total.refused:
        print(f"Refused after reading: {dict(total.refused)}")

    payloads = run_payloads(args.payloads_per_version, args.seed)
    print("\n| AAMVA version (payloads, no imaging) | payloads | parsed valid | wrong parse | refused |")
    print("|---|---|---|---|---|")
    for version, tally in payloads.items():
        print(f"| {version:02d} | {tally.images} | {tally.parsed} | {tally.wrong_parse} | {dict(tally.refused) or 0} |")

    print("\n| images without an AAMVA barcode | images | PDF417 found | wall ms median / p95 / max | CPU ms median / p95 |")
    print("|---|---|---|---|---|")
    for name, tally, found in run_negatives(args.data, args.fronts, args.seed, args.budget):
        print(f"| {name} | {tally.images} | {tally.read}{': ' + '; '.join(found) if found else ''} | "
              f"{ms(tally.seconds, .5)} / {ms(tally.seconds, .95)} / {ms(tally.seconds, 1)} | "
              f"{ms(tally.cpu_seconds, .5)} / {ms(tally.cpu_seconds, .95)} |")
    print(f"\nload average after: {loadavg()}")
    wrong = total.wrong_parse + total.misread + sum(t.wrong_parse for t in payloads.values())
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
