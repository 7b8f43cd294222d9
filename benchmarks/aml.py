"""Sanctions/PEP screening at list scale: load time, screening latency, memory, and how
often name variants are found (recall) against plain exact matching.

    python benchmarks/aml.py [--entities 1000000] [--sample 300] [--negatives 300] [--seed 2]
                             [--postgres] [--keep]

Writes `--entities` synthetic persons (benchmarks/support/aml_names.py: Russian, Arabic,
Chinese, Latin-European/Turkish and English names; about half with an alias in the original
script or another romanisation; dates of birth, 15 % year only; nationalities) as an
OpenSanctions FtM JSON-lines file, loads it with `openidv.services.aml.load_list` into a
scratch SQLite database (and, with `--postgres`, a scratch PostgreSQL database
`openidv_bench_aml_…` that is dropped afterwards), then screens:

- for `--sample` listed persons, each variant kind that applies to them (another
  transliteration or the original script, diacritics stripped or transcribed, one typo,
  surname first, middle names dropped), once by name only and once with the person's date
  of birth and nationality;
- `--negatives` persons drawn the same way but not on the list (with their own dates).

A variant is found when the listed person is among the hits. Exact matching is the plain
alternative: the name case-folded, spaces collapsed, equal to one of the entry's names.
Prints markdown tables; figures go to docs/aml.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.support.aml_names import VARIANT_KINDS, Identity, random_identity, variant  # noqa: E402
from benchmarks.support.load_client import machine_line  # noqa: E402
from openidv.aml.records import PartialDate, ScreenedPerson  # noqa: E402
from openidv.config import Settings  # noqa: E402
from openidv.services import aml  # noqa: E402
from openidv.store.db import make_engine, migrate  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("OPENIDV_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def exact_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@dataclass
class Listed:
    entity_id: str
    identity: Identity
    names: tuple[str, ...]


def write_list(path: Path, count: int, sample: int, rng: random.Random) -> list[Listed]:
    """The synthetic list file; returns the entries picked for variant queries."""
    picked = set(rng.sample(range(count), sample))
    kept = []
    with path.open("w") as out:
        for i in range(count):
            who = random_identity(rng)
            names = [who.written("list")]
            styles = who.alternative_styles()
            if styles and rng.random() < 0.5:
                names.append(who.written(rng.choice(styles)))
            dob = who.birth_date if rng.random() < 0.85 else who.birth_date[:4]
            entity_id = f"SYN-{i}"
            out.write(json.dumps({"id": entity_id, "schema": "Person", "properties": {
                "name": names[:1], "alias": names[1:], "birthDate": [dob],
                "nationality": [who.nationality], "topics": ["sanction"]}}, ensure_ascii=False) + "\n")
            if i in picked:
                kept.append(Listed(entity_id, who, tuple(names)))
    return kept


@dataclass
class Query:
    kind: str
    name: str
    target: str | None  # entity id, None for a person not on the list
    exact_found: bool
    birth_date: str
    nationality: str


def make_queries(listed: list[Listed], negatives: int, rng: random.Random) -> list[Query]:
    queries = []
    for entry in listed:
        for kind in VARIANT_KINDS:
            name = variant(entry.identity, kind, rng)
            if name is None or name in entry.names:  # the list already has this very spelling
                continue
            found = exact_key(name) in {exact_key(n) for n in entry.names}
            queries.append(Query(kind, name, entry.entity_id, found, entry.identity.birth_date,
                                 entry.identity.nationality))
    for _ in range(negatives):
        who = random_identity(rng)
        queries.append(Query("not_listed", who.written("list"), None, False, who.birth_date, who.nationality))
    return queries


def exact_false_alerts(path: Path, queries: list[Query]) -> set[str]:
    """Names of not-listed persons that exact matching would flag (equal to a listed name)."""
    wanted = {exact_key(q.name) for q in queries if q.target is None}
    flagged = set()
    with path.open() as lines:
        for line in lines:
            props = json.loads(line)["properties"]
            for name in props["name"] + props["alias"]:
                if exact_key(name) in wanted:
                    flagged.add(exact_key(name))
    return flagged


@dataclass
class Screened:
    query: Query
    with_facts: bool
    found: bool
    alerts: int
    wall_ms: float
    cpu_ms: float


def screen_all(sessions, queries: list[Query]) -> list[Screened]:  # noqa: ANN001
    results = []
    with sessions() as session:
        for q in queries:
            for with_facts in (False, True):
                person = ScreenedPerson((q.name,), PartialDate.parse(q.birth_date) if with_facts else None,
                                        q.nationality if with_facts else None)
                wall, cpu = time.perf_counter(), time.process_time()
                hits = aml.screen(session, person)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                found = q.target is not None and any(h.entity.entity_id == q.target for h in hits)
                results.append(Screened(q, with_facts, found, len(hits), wall * 1000, cpu * 1000))
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_database(label: str, settings: Settings, list_path: Path, queries: list[Query]) -> dict:
    from sqlalchemy.orm import sessionmaker

    migrate(settings)
    engine = make_engine(settings)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    rss_before, _ = memory_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    with sessions() as session:
        report = aml.load_list(session, list_path, "synthetic")
    load_wall, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_after_load, peak_after_load = memory_mb()
    aml.screen(sessions(), ScreenedPerson(("warm up",)))
    results = screen_all(sessions, queries)
    rss_end, peak_end = memory_mb()
    engine.dispose()
    return {"label": label, "report": report, "load_wall": load_wall, "load_cpu": load_cpu,
            "rss_before": rss_before, "rss_after_load": rss_after_load, "peak_load": peak_after_load,
            "rss_end": rss_end, "peak_end": peak_end, "results": results}


def print_run(run: dict, db_size_mb: float | None) -> None:
    r = run["report"]
    walls = [s.wall_ms for s in run["results"]]
    cpus = [s.cpu_ms for s in run["results"]]
    print(f"\n### {run['label']}: {r.entities:,} entries\n")
    print("| load wall (s) | load CPU (s) | database (MB) | screening p50 / p95 wall (ms) | p50 / p95 CPU (ms) | "
          "RSS before load / after load / end (MB) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|")
    size = f"{db_size_mb:,.0f}" if db_size_mb is not None else "–"
    print(f"| {run['load_wall']:.0f} | {run['load_cpu']:.0f} | {size} | {percentile(walls, 50):.1f} / "
          f"{percentile(walls, 95):.1f} | {percentile(cpus, 50):.1f} / {percentile(cpus, 95):.1f} | "
          f"{run['rss_before']:.0f} / {run['rss_after_load']:.0f} / {run['rss_end']:.0f} | {run['peak_end']:.0f} |")


def print_quality(results: list[Screened], exact_flagged: set[str]) -> None:
    by_kind: dict[tuple[str, bool], list[Screened]] = defaultdict(list)
    for s in results:
        by_kind[(s.query.kind, s.with_facts)].append(s)
    print("\n| variant | queries | exact matching found | found, name only | found, with DOB + nationality | "
          "alerts per query, name only / with facts |")
    print("|---|---|---|---|---|---|")
    for kind in (*VARIANT_KINDS, "all listed"):
        name_only = [s for (k, f), v in by_kind.items() if not f and (k == kind or (kind == "all listed" and k != "not_listed")) for s in v]
        facts = [s for (k, f), v in by_kind.items() if f and (k == kind or (kind == "all listed" and k != "not_listed")) for s in v]
        if not name_only:
            continue
        n = len(name_only)
        exact = sum(s.query.exact_found for s in name_only)
        print(f"| {kind} | {n} | {exact / n:.1%} | {sum(s.found for s in name_only) / n:.1%} | "
              f"{sum(s.found for s in facts) / n:.1%} | {statistics.mean(s.alerts for s in name_only):.2f} / "
              f"{statistics.mean(s.alerts for s in facts):.2f} |")
    negatives = by_kind[("not_listed", False)]
    negatives_facts = by_kind[("not_listed", True)]
    n = len(negatives)
    exact_fp = sum(exact_key(s.query.name) in exact_flagged for s in negatives)
    print(f"| not on the list | {n} | {exact_fp / n:.1%} flagged | {sum(s.alerts > 0 for s in negatives) / n:.1%} "
          f"flagged | {sum(s.alerts > 0 for s in negatives_facts) / n:.1%} flagged | "
          f"{statistics.mean(s.alerts for s in negatives):.2f} / {statistics.mean(s.alerts for s in negatives_facts):.2f} |")
    for with_facts in (False, True):
        subset = [s for s in results if s.with_facts is with_facts]
        true_hits = sum(s.found for s in subset)
        alerts = sum(s.alerts for s in subset)
        print(f"\nprecision {'with DOB + nationality' if with_facts else 'name only'}: "
              f"{true_hits}/{alerts} alerts are the listed person looked for ({true_hits / max(alerts, 1):.1%}); "
              "the others are namesakes on the list or, for persons not listed, false alerts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--negatives", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    print(machine_line())
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="openidv-aml-bench-"))
    list_path = work / "synthetic.ftm.json"
    started = time.perf_counter()
    listed = write_list(list_path, args.entities, args.sample, rng)
    queries = make_queries(listed, args.negatives, rng)
    print(f"list written in {time.perf_counter() - started:.0f} s: {list_path.stat().st_size / 1e6:,.0f} MB, "
          f"{len(queries)} queries ({Counter(q.kind for q in queries)})")
    key = base64.b64encode(os.urandom(32)).decode()
    runs = [(run_database("SQLite", Settings(home=work / "home", encryption_key=key), list_path, queries),
             (work / "home" / "openidv.db").stat().st_size / 1e6)]
    if args.postgres:
        from tests.support.service import create_postgres_database, drop_postgres_database

        url = create_postgres_database("openidv_bench_aml_", POSTGRES_ADMIN_URL)
        try:
            runs.append((run_database("PostgreSQL", Settings(home=work / "home-pg", database_url=url,
                                                             encryption_key=key), list_path, queries), None))
        finally:
            drop_postgres_database(url, POSTGRES_ADMIN_URL)
    print(f"load average after the runs: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for run, size in runs:
        print_run(run, size)
    print_quality(runs[0][0]["results"], exact_false_alerts(list_path, queries))
    if args.keep:
        print(f"kept: {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
