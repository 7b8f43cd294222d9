"""Face benchmark, the one entry point: matching, attack detection, end-to-end decisions, speed.

    python benchmarks/faces.py [match|attacks|decisions|speed|all] [--data DIR] [--cache-dir DIR]
                               [--features v1 v1+quality ...]

* ``match``: TAR at FAR 0.1 % and at the shipped thresholds on the development pairs, by
  source repository, under low-resolution, JPEG and blur conditions (face_match.py);
* ``attacks``: the packaged liveness model under the shipped rule, and leave-one-source-out
  APCER per attack type and BPCER at stated operating points (face_attacks.py);
* ``decisions``: genuine / impostor / attack selfies against synthetic documents through the
  worker's face stage and decision: genuine DENIED, wrong APPROVED (face_decisions.py);
* ``speed``: CPU and wall time of each face step on the original photos.

Inputs are made by face_samples.py; ``--cache-dir`` keeps them between runs (pickles).
Prints Markdown tables; figures go to docs/benchmarks-faces.md with the command and machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import face_attacks, face_decisions, face_match  # noqa: E402
from benchmarks.face_samples import (  # noqa: E402
    PORTRAIT_FACE_PX,
    cached,
    default_data_dir,
    load_attack_samples,
    load_photo,
    load_photos,
    portrait_from_photo,
    prepare_face_samples,
    synthetic_card,
)
from openidv.pipeline import face, liveness  # noqa: E402
from openidv.pipeline import face_match as face_match_model  # noqa: E402
from openidv.pipeline.document.portrait import embed_document_portrait  # noqa: E402
from openidv.pipeline.engines import Engines  # noqa: E402

REPORTS = ("match", "attacks", "decisions", "speed")


def speed_report(engines: Engines, data: Path) -> None:
    """Median CPU and wall milliseconds per photo of each face step (the original photos)."""
    started = time.perf_counter()
    engines.load_all()
    load_ms = 1000 * (time.perf_counter() - started)
    steps: dict[str, list[tuple[float, float]]] = {k: [] for k in (
        "detect (quick pass, full pass when needed)", "dlib embed (face and mirror)", "SFace match embed (landmarks, align, embed)",
        "has_face (photo validation)",
        "liveness (face box known)", "document portrait search + both embeds (synthetic TD1, box given)")}

    def timed(name: str, fn: Callable[[], object]) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        steps[name].append((1000 * (time.process_time() - cpu), 1000 * (time.perf_counter() - wall)))
        return value

    for index, item in enumerate(load_photos(data)):
        photo = load_photo(data / "faces" / item.file)
        faces = timed("detect (quick pass, full pass when needed)", lambda: face.detect_faces(engines, photo))
        if not faces:
            continue
        box = faces[0].box
        timed("dlib embed (face and mirror)", lambda: face.embed_face(engines, photo, box))
        timed("SFace match embed (landmarks, align, embed)", lambda: face_match_model.match_embedding(engines, photo, box))
        timed("has_face (photo validation)", lambda: face.has_face(engines, photo))
        timed("liveness (face box known)", lambda: liveness.check_liveness(engines.liveness_model(), photo, box))
        card, portrait_box = synthetic_card(portrait_from_photo(photo, box, PORTRAIT_FACE_PX), PORTRAIT_FACE_PX, index)
        timed("document portrait search + both embeds (synthetic TD1, box given)",
              lambda: embed_document_portrait(engines, card, portrait_box))
    print("## Speed (median per photo, the 77 original photos 240–4600 px)\n")
    print(f"model load (once per process): {load_ms:.0f} ms wall\n")
    print(face_match.table(["step", "CPU ms", "wall ms"], [
        [name, f"{statistics.median(c for c, _ in v):.0f}", f"{statistics.median(w for _, w in v):.0f}"]
        for name, v in steps.items()]))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="all", choices=REPORTS + ("all",))
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--cache-dir", type=Path, help="keep the prepared samples here (pickles) between runs")
    parser.add_argument("--features", nargs="+", default=["v1", "v1+quality+moire"],
                        help="feature sets compared leave-one-source-out (attack_features.py)")
    args = parser.parse_args(argv)
    chosen = REPORTS if args.report == "all" else (args.report,)
    cache = (lambda name: args.cache_dir / name) if args.cache_dir else (lambda name: None)

    engines = Engines()
    started, cpu = time.perf_counter(), time.process_time()
    print(f"# Face benchmark ({', '.join(chosen)})\n")
    needs_faces = {"match", "attacks"} & set(chosen)
    faces = cached(cache("face_samples.pkl"), lambda: prepare_face_samples(engines, args.data)) if needs_faces else {}
    attacks = (cached(cache("attack_samples.pkl"), lambda: load_attack_samples(engines, args.data))
               if {"attacks", "decisions"} & set(chosen) else [])
    if "match" in chosen:
        face_match.report(engines, faces, args.data)
    if "attacks" in chosen:
        print()
        face_attacks.report(engines, attacks, faces["original"], args.features)
    if "decisions" in chosen:
        print()
        face_decisions.report(engines, args.data, attacks)
    if "speed" in chosen:
        print()
        speed_report(engines, args.data)
    print(f"\n{time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU; machine: {machine()}; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
