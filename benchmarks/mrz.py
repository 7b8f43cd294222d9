"""MRZ reading benchmark: openidv's reader on real and synthetic documents, scored so that
nothing it was tuned on gives a headline figure.

    python benchmarks/mrz.py                  # everything, full size (the docs figures)
    python benchmarks/mrz.py --quick          # a few minutes: small grid, 40 stress samples
    options: --data DIR  --stress N  --stress-seed S  --loso full|zone|quick|off  --no-extra
             --synthetic N  --no-passporteye  --verbose (misses to stderr)  --json-out FILE
             --report-from FILE (re-print the tables of a --json-out file without reading)

Sets and what each tells:
* development images (``DIR/documents``): the reader was tuned on them; also scored
  leave-one-source-out — each source (``source.repo``) read with constants chosen on the
  other sources from a small grid (benchmarks/mrzeval/loso.py lists every constant);
* extra images (``DIR/extra/documents``): other sources, frozen code, never used to choose
  anything; two show no MRZ and must come back unread, several print failing check digits;
* stress set (benchmarks/mrzstress): generated on the fly by code that shares nothing with
  the reader — five formats, 60+ states, non-Latin names, phone-photo degradations, and
  deliberately malformed zones that must not be accepted; reported per format and per
  condition;
* the reader's own synthetic set (``tests/support/synthetic.py``) and PassportEye, as before.

"Accepted" means handed out without review: every check digit passes, the two readings
agree on every field without a check digit, and both dates exist. The dangerous errors
are counted apart: wrong but accepted; accepted although the truth is invalid (failing
check digits, impossible dates) or absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.mrzeval import loso, report  # noqa: E402
from benchmarks.mrzeval.scoring import Item, Outcome, Reading, read_openidv, score  # noqa: E402
from benchmarks.mrzstress import icao  # noqa: E402
from benchmarks.mrzstress.generate import generate  # noqa: E402

TODAY = dt.date(2026, 11, 25)  # fixed so date century results do not drift between runs


def read_ours(path: Path) -> Reading:
    return read_openidv(path, TODAY)


def passporteye_reader() -> Callable[[Path], Reading] | None:
    """PassportEye's read_mrz, or None (with the reason printed) when it is not installed."""
    try:
        from passporteye import read_mrz as pe_read_mrz
    except ImportError:
        print("PassportEye not installed (pip install PassportEye): its column is skipped.\n")
        return None
    if shutil.which("tesseract") is None:
        print("Debian tesseract-ocr not installed: PassportEye's column is skipped.\n")
        return None

    def read(path: Path) -> Reading:
        # PassportEye runs the tesseract binary in a child process: count its CPU time too.
        start, cpu_start = time.perf_counter(), _cpu_with_children()
        try:
            found = pe_read_mrz(str(path))
        except Exception:  # noqa: BLE001  PassportEye raises many kinds on some inputs: not read
            found = None
        seconds, cpu = time.perf_counter() - start, _cpu_with_children() - cpu_start
        if found is None:
            return Reading(None, {}, False, False, seconds, cpu)
        raw = found.aux.get("raw_text", "")
        lines = tuple(line.replace(" ", "") for line in raw.split("\n") if line.strip())
        values = icao.fields(lines)
        if not values:  # lines of the wrong shape: use PassportEye's own parsed fields
            d = found.to_dict()
            norm = lambda v: " ".join(v.replace("<", " ").split())  # noqa: E731
            values = {"document_number": norm(d.get("number", "")), "date_of_birth": d.get("date_of_birth", ""),
                      "date_of_expiry": d.get("expiration_date", ""), "surname": norm(d.get("surname", "")),
                      "given_names": norm(d.get("names", "")), "nationality_code": norm(d.get("nationality", "")),
                      "issuing_code": norm(d.get("country", "")), "sex": norm(d.get("sex", ""))}
        return Reading(lines, values, bool(found.valid), bool(found.valid), seconds, cpu)

    return read


def _cpu_with_children() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def manifest_items(folder: Path) -> list[Item]:
    """Images of a manifest folder; those without an MRZ get truth None."""
    manifest = json.loads((folder / "manifest.json").read_text())
    return [Item(it["file"], folder / it["file"],
                 tuple(it["mrz_lines"]) if it.get("has_mrz") and it.get("mrz_lines") else None,
                 it["source"]["repo"]) for it in manifest["items"]]


def synthetic_items(count: int, out_dir: Path, faces_dir: Path | None) -> list[Item]:
    """The reader's own degraded synthetic documents (tests/support/synthetic.py), as before."""
    from tests.support import synthetic

    faces = sorted(faces_dir.glob("*.jpg"))[:20] if faces_dir and faces_dir.is_dir() else []
    rng = np.random.default_rng(2026)
    kinds = ("TD3", "TD3", "TD1", "TD2", "MRVA", "MRVB")
    items = []
    for i in range(count):
        deg = synthetic.Degradation(
            rotation_deg=float(rng.uniform(-20, 20)), quarter_turns=int(rng.choice([0, 0, 0, 1, 2, 3])),
            perspective=float(rng.uniform(0, 0.06)), blur_sigma=float(rng.uniform(0, 2.0)),
            jpeg_quality=int(rng.integers(20, 90)), noise_sigma=float(rng.uniform(0, 12)),
            uneven_light=float(rng.uniform(0, 0.7)), scale=float(rng.uniform(0.4, 1.0)))
        portrait = cv2.imread(str(faces[i % len(faces)])) if faces else None
        image, truth = synthetic.make_document(str(kinds[i % len(kinds)]), portrait=portrait,
                                               degradation=deg, seed=1000 + i)
        path = out_dir / f"synthetic_{i:03d}.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        items.append(Item(path.name, path, tuple(truth.mrz_lines), "tests/support/synthetic.py"))
    return items


def measure(items: Sequence[Item], reader: Callable[[Path], Reading] = read_ours) -> list[Outcome]:
    return [score(it, reader(it.path)) for it in items]


def measure_stress(seed: int, count: int, tmp: Path) -> tuple[list[Outcome], dict[str, dict]]:
    """Generate, write, read and forget one stress sample at a time."""
    outcomes, meta = [], {}
    for index in range(count):
        sample = generate(seed, index)
        path = tmp / sample.name
        path.write_bytes(sample.jpeg)
        record = sample.record()
        item = Item(sample.name, path, sample.truth.lines, "stress", record["conditions"])
        outcomes.append(score(item, read_ours(path)))
        meta[sample.name] = record
        path.unlink()
        if (index + 1) % 100 == 0:
            done = outcomes
            print(f"  stress {index + 1}/{count}: exact {sum(o.exact for o in done)}, "
                  f"wrong-accepted {sum(o.wrong_accepted or o.invalid_accepted for o in done)}",
                  file=sys.stderr, flush=True)
    return outcomes, meta


def _dump(path: Path, sets: dict[str, list[Outcome]], meta: dict[str, dict]) -> None:
    rows = []
    for name, outcomes in sets.items():
        for o in outcomes:
            rows.append({"set": name, "image": o.item.name, "source": o.item.source,
                         "truth": list(o.item.truth) if o.item.truth else None, "truth_valid": o.item.truth_valid,
                         "read": list(o.reading.lines) if o.reading.lines else None,
                         "exact": o.exact, "accepted": o.reading.accepted, "checks_pass": o.reading.checks_pass,
                         "cause": o.cause, "diff": o.diff, "detail": o.reading.detail,
                         "seconds": round(o.reading.seconds, 4), "cpu_seconds": round(o.reading.cpu_seconds, 4),
                         "sample": meta.get(o.item.name)})
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


def load_dump(path: Path) -> tuple[dict[str, list[Outcome]], dict[str, dict]]:
    """Outcomes and stress records from a --json-out file (to re-tabulate without reading)."""
    sets: dict[str, list[Outcome]] = {}
    meta: dict[str, dict] = {}
    for row in json.loads(path.read_text()):
        lines = tuple(row["read"]) if row["read"] else None
        reading = Reading(lines, icao.fields(lines) if lines else {}, row["accepted"], row["checks_pass"],
                          row["seconds"], row["cpu_seconds"], row["detail"])
        conditions = row["sample"]["conditions"] if row["sample"] else {}
        item = Item(row["image"], Path(row["image"]), tuple(row["truth"]) if row["truth"] else None,
                    row["source"], conditions)
        sets.setdefault(row["set"], []).append(score(item, reading))
        if row["sample"]:
            meta[row["image"]] = row["sample"]
    return sets, meta


def print_from_dump(path: Path) -> int:
    sets, meta = load_dump(path)
    print("### Summary (from " + str(path) + "; leave-one-source-out folds are not in the dump)\n")
    print("\n".join([report.SUMMARY_HEAD] + [report.summary_row(name, outs) for name, outs in sets.items()]) + "\n")
    for name, outcomes in sets.items():
        print(report.causes_table(name, outcomes))
    if "stress" in sets:
        print(report.stress_tables(sets["stress"], meta))
    for name in ("development", "extra"):
        if name in sets:
            print(report.field_table(f"{name} set, per field", {"openidv": sets[name]}))
    return 0


def main(argv: list[str] | None = None) -> int:
    default_data = Path(os.environ.get("OPENIDV_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data, help="folder with documents/manifest.json")
    parser.add_argument("--stress", type=int, default=1000, help="stress samples (0 = none)")
    parser.add_argument("--stress-seed", type=int, default=9303)
    parser.add_argument("--loso", choices=("full", "zone", "quick", "off"),
                        help="leave-one-source-out grid: full (27 combinations, default), zone (the 3 values "
                             "of ZONE_LINE_HEIGHT_PX) or quick (2)")
    parser.add_argument("--no-extra", action="store_true", help="skip DIR/extra/documents")
    parser.add_argument("--synthetic", type=int, default=30, help="the reader's own synthetic set (0 = none)")
    parser.add_argument("--no-passporteye", action="store_true", help="measure only our reader")
    parser.add_argument("--quick", action="store_true", help="--stress 40 --loso quick --synthetic 0 --no-passporteye")
    parser.add_argument("--verbose", action="store_true", help="list every miss on stderr")
    parser.add_argument("--json-out", type=Path, help="write every scored image (with reader internals) here")
    parser.add_argument("--report-from", type=Path, help="print the tables of a --json-out file, read nothing")
    args = parser.parse_args(argv)
    if args.report_from:
        return print_from_dump(args.report_from)
    if args.quick:
        args.stress, args.synthetic, args.no_passporteye = min(args.stress, 40), 0, True
    args.loso = args.loso or ("quick" if args.quick else "full")

    dev_dir, extra_dir = args.data / "documents", args.data / "extra" / "documents"
    dev = manifest_items(dev_dir) if (dev_dir / "manifest.json").exists() else []
    extra = manifest_items(extra_dir) if not args.no_extra and (extra_dir / "manifest.json").exists() else []
    if not dev:
        print(f"no development set at {dev_dir}: leave-one-source-out skipped\n")
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"started {started}; nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}\n")
    read_ours(dev[0].path if dev else next(iter(extra)).path)  # warm-up: models load once per process

    sets: dict[str, list[Outcome]] = {}
    meta: dict[str, dict] = {}
    summary = [report.SUMMARY_HEAD]
    sections: list[str] = []
    default_combo = None
    if dev:
        grid = {"full": loso.GRID, "zone": loso.ZONE_GRID, "quick": loso.QUICK_GRID, "off": {}}[args.loso]
        defaults = loso.current_values(list(loso.GRID))
        default_combo = tuple((k, defaults[k]) for k in grid)
        results = loso.run_grid(dev, grid, measure) if grid else {}
        dev_default = results.get(default_combo) or measure(dev)
        sets["development"] = dev_default
        summary.append(report.summary_row("development, reader's constants (tuned on it)", dev_default))
        if results:
            folds = loso.leave_one_source_out(results, grid)
            pooled = [o for f in folds for o in f.outcomes]
            sets["development LOSO"] = pooled
            summary.append(report.summary_row("development, leave-one-source-out", pooled))
            sections += ["### Leave-one-source-out (development images)", "",
                         f"Grid ({len(results)} combinations): " + ", ".join(f"{k} {v}" for k, v in grid.items())
                         + f"; reader's values: {defaults}.", "", report.loso_table(folds, dev_default),
                         "All combinations on all development images (for reference, not a result):", "",
                         report.grid_table(results, len(dev))]
    if extra:
        sets["extra"] = measure(extra)
        summary.append(report.summary_row("extra (other sources, frozen code)", sets["extra"]))
    with tempfile.TemporaryDirectory() as tmp:
        if args.stress:
            print(f"stress set: {args.stress} samples, seed {args.stress_seed}", file=sys.stderr, flush=True)
            stress, meta = measure_stress(args.stress_seed, args.stress, Path(tmp))
            sets["stress"] = stress
            summary.append(report.summary_row(f"stress (seed {args.stress_seed})", stress))
            sections += [f"### Stress set ({args.stress} samples, seed {args.stress_seed})", "",
                         report.stress_tables(stress, meta)]
        readers: dict[str, Callable[[Path], Reading]] = {"openidv": read_ours}
        if not args.no_passporteye:
            pe = passporteye_reader()
            if pe is not None:
                readers["PassportEye"] = pe
        compare: list[tuple[str, list[Item]]] = []
        if dev and len(readers) > 1:
            compare.append((f"development set ({dev_dir})", dev))
        if args.synthetic:
            try:
                compare.append((f"reader's synthetic set ({args.synthetic} documents)",
                                synthetic_items(args.synthetic, Path(tmp), args.data / "faces" / "deepface")))
            except RuntimeError as exc:
                print(f"synthetic set skipped: {exc}\n")
        for title, items in compare:
            results_by_reader = {name: (sets["development"] if name == "openidv" and items is dev else measure(items, r))
                                 for name, r in readers.items()}
            sections.append(report.field_table(title, results_by_reader))
    print("### Summary\n")
    print("\n".join(summary) + "\n")
    for name, outcomes in sets.items():
        print(report.causes_table(name, outcomes))
    print("\n".join(sections))
    if "development" in sets:
        print(report.field_table("development set, per field (reader's constants)", {"openidv": sets["development"]}))
    if "extra" in sets:
        print(report.field_table("extra set, per field (frozen code)", {"openidv": sets["extra"]}))
    if args.verbose:
        for name, outcomes in sets.items():
            for line in report.miss_lines(name, outcomes):
                print(line, file=sys.stderr)
    if args.json_out:
        _dump(args.json_out, sets, meta)
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
