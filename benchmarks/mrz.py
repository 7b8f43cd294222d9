"""MRZ reading benchmark: openidv's reader against PassportEye, same run, same images.

    python benchmarks/mrz.py [--data DIR] [--synthetic N] [--no-passporteye]

Prints a markdown table per image set (the real development specimens of
``DIR/documents`` and a generated set of degraded synthetic documents): exact-MRZ rate,
per-field accuracy, wrong-but-accepted count and seconds per image (median / p95).
PassportEye is measured as its users install it (``pip install PassportEye`` plus Debian's
``tesseract-ocr`` with the English model); its column is skipped, saying so, when absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from openidv.pipeline import mrz as mrzlib
from openidv.pipeline.document import read_mrz
from openidv.pipeline.engines import Engines
from openidv.pipeline.images import read_image_file

FIELDS = ("document_number", "date_of_birth", "date_of_expiry", "surname", "given_names",
          "nationality_code", "issuing_code", "sex")
TODAY = dt.date(2026, 11, 25)
ENGINES = Engines()  # fixed so date century results do not drift between runs


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    truth: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    lines: tuple[str, ...] | None
    fields: dict[str, str]
    accepted: bool  # the reader would hand this out without asking for review
    seconds: float
    cpu_seconds: float = 0.0  # process CPU time: less sensitive to other jobs on the machine


@dataclass
class Tally:
    exact: int = 0
    accepted_wrong: int = 0
    field_hits: dict[str, int] = field(default_factory=lambda: {f: 0 for f in FIELDS})
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    total: int = 0


def field_values_from_lines(lines: tuple[str, ...]) -> dict[str, str]:
    """Comparable field values (raw YYMMDD dates, names with spaces) from MRZ lines."""
    fmt = mrzlib.detect_format(lines)
    if fmt is None:
        return {}
    out = {}
    for spec in mrzlib.LAYOUTS[fmt]:
        out[spec.name] = lines[spec.line][spec.start : spec.end]
    surname, given = mrzlib.split_names(out.pop("names", ""))
    out["surname"], out["given_names"] = surname, given
    return {k: _norm(v) for k, v in out.items() if k in FIELDS}


def _norm(value: str) -> str:
    return " ".join(value.replace("<", " ").split())


def read_ours(path: Path) -> Reading:
    image = read_image_file(str(path))
    start, cpu_start = time.perf_counter(), time.process_time()
    result = read_mrz(ENGINES, image, today=TODAY)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    data = result.data
    if data is None:
        return Reading(None, {}, False, seconds, cpu)
    accepted = data.all_check_digits_valid and not data.unconfirmed_fields
    return Reading(tuple(data.lines), field_values_from_lines(tuple(data.lines)), accepted, seconds, cpu)


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
            return Reading(None, {}, False, seconds, cpu)
        raw = found.aux.get("raw_text", "")
        lines = tuple(line.replace(" ", "") for line in raw.split("\n") if line.strip())
        values = field_values_from_lines(lines)
        if not values:  # lines of the wrong shape: use PassportEye's own parsed fields
            d = found.to_dict()
            values = {"document_number": _norm(d.get("number", "")),
                      "date_of_birth": d.get("date_of_birth", ""),
                      "date_of_expiry": d.get("expiration_date", ""),
                      "surname": _norm(d.get("surname", "")), "given_names": _norm(d.get("names", "")),
                      "nationality_code": _norm(d.get("nationality", "")),
                      "issuing_code": _norm(d.get("country", "")), "sex": _norm(d.get("sex", ""))}
        return Reading(lines, values, bool(found.valid), seconds, cpu)

    return read


def _cpu_with_children() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def dev_samples(data_dir: Path) -> list[Sample]:
    manifest = json.loads((data_dir / "documents" / "manifest.json").read_text())
    return [Sample(item["file"], data_dir / "documents" / item["file"], tuple(item["mrz_lines"]))
            for item in manifest["items"] if item.get("has_mrz") and item.get("mrz_lines")]


def synthetic_samples(count: int, out_dir: Path, faces_dir: Path | None) -> list[Sample]:
    """Degraded synthetic documents, written as JPEG/PNG so both readers get the same files."""
    from tests.support import synthetic

    faces = sorted(faces_dir.glob("*.jpg"))[:20] if faces_dir and faces_dir.is_dir() else []
    rng = np.random.default_rng(2026)
    kinds = ("TD3", "TD3", "TD1", "TD2", "MRVA", "MRVB")
    samples = []
    for i in range(count):
        deg = synthetic.Degradation(
            rotation_deg=float(rng.uniform(-20, 20)),
            quarter_turns=int(rng.choice([0, 0, 0, 1, 2, 3])),
            perspective=float(rng.uniform(0, 0.06)),
            blur_sigma=float(rng.uniform(0, 2.0)),
            jpeg_quality=int(rng.integers(20, 90)),
            noise_sigma=float(rng.uniform(0, 12)),
            uneven_light=float(rng.uniform(0, 0.7)),
            scale=float(rng.uniform(0.4, 1.0)),
        )
        portrait = cv2.imread(str(faces[i % len(faces)])) if faces else None
        image, truth = synthetic.make_document(str(kinds[i % len(kinds)]), portrait=portrait,
                                               degradation=deg, seed=1000 + i)
        path = out_dir / f"synthetic_{i:03d}.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
        samples.append(Sample(path.name, path, truth.mrz_lines))
    return samples


def measure(samples: list[Sample], reader: Callable[[Path], Reading], verbose: bool) -> Tally:
    tally = Tally()
    for s in samples:
        r = reader(s.path)
        tally.total += 1
        tally.seconds.append(r.seconds)
        tally.cpu_seconds.append(r.cpu_seconds)
        exact = r.lines == s.truth
        tally.exact += exact
        truth_fields = field_values_from_lines(s.truth)
        for f in FIELDS:
            tally.field_hits[f] += r.fields.get(f) == truth_fields.get(f)
        if r.accepted and not exact:
            tally.accepted_wrong += 1
        if verbose and not exact:
            print(f"  miss {s.name}: {r.lines} {'ACCEPTED' if r.accepted else ''}", file=sys.stderr)
    return tally


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} % ({n}/{total})" if total else "-"


def table(title: str, results: dict[str, Tally]) -> str:
    names = list(results)
    rows = [f"### {title}", "", "| metric | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names)]
    rows.append("| exact MRZ | " + " | ".join(_pct(t.exact, t.total) for t in results.values()) + " |")
    for f in FIELDS:
        rows.append(f"| field {f} | " + " | ".join(_pct(t.field_hits[f], t.total) for t in results.values()) + " |")
    rows.append("| wrong but accepted | " + " | ".join(str(t.accepted_wrong) for t in results.values()) + " |")
    rows.append("| s/image median | " + " | ".join(f"{statistics.median(t.seconds):.3f}" for t in results.values()) + " |")
    rows.append("| s/image p95 | " + " | ".join(f"{float(np.percentile(t.seconds, 95)):.3f}" for t in results.values()) + " |")
    rows.append("| CPU-s/image median | " + " | ".join(f"{statistics.median(t.cpu_seconds):.3f}" for t in results.values()) + " |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    default_data = Path(os.environ.get("OPENIDV_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data, help="folder with documents/manifest.json")
    parser.add_argument("--synthetic", type=int, default=30, help="number of degraded synthetic documents (0 = none)")
    parser.add_argument("--no-passporteye", action="store_true", help="measure only our reader")
    parser.add_argument("--verbose", action="store_true", help="list the images a reader got wrong")
    args = parser.parse_args(argv)

    readers: dict[str, Callable[[Path], Reading]] = {"openidv": read_ours}
    if not args.no_passporteye:
        pe = passporteye_reader()
        if pe is not None:
            readers["PassportEye"] = pe
    # Warm-up: models load once per process; the first call is not a fair per-image time.
    sets: list[tuple[str, list[Sample]]] = []
    if (args.data / "documents" / "manifest.json").exists():
        sets.append((f"development set ({args.data / 'documents'})", dev_samples(args.data)))
    else:
        print(f"no development set at {args.data}/documents: skipped\n")
    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic:
            try:
                samples = synthetic_samples(args.synthetic, Path(tmp), args.data / "faces" / "deepface")
                sets.append((f"synthetic degraded set ({args.synthetic} generated documents)", samples))
            except RuntimeError as exc:
                print(f"synthetic set skipped: {exc}\n")
        if not sets:
            return 1
        for reader in readers.values():
            reader(sets[0][1][0].path)
        print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} at start\n")
        for title, samples in sets:
            results = {}
            for name, reader in readers.items():
                if args.verbose:
                    print(f"{name} on {title}:", file=sys.stderr)
                results[name] = measure(samples, reader, args.verbose)
            print(table(title, results))
            if "PassportEye" in results and results["PassportEye"].exact:
                ratio = results["openidv"].exact / results["PassportEye"].exact
                print(f"openidv / PassportEye exact-MRZ ratio: {ratio:.2f}x\n")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
