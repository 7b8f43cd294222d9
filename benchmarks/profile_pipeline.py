"""Where the pipeline's time goes, from a profiler run.

    python benchmarks/profile_pipeline.py [--rounds 10] [--top 25]

Runs the same realistic mix as benchmarks/end_to_end.py (a real passport specimen + selfie,
a synthetic ID card front + back + selfie) through ``openidv.pipeline.run.analyse_images``
in this process, once to warm the models up, ``--rounds`` times plainly (wall and CPU time
per verification), then ``--rounds`` times under cProfile.
Prints a table of the pipeline's steps (decode, document find, MRZ readings, visual-zone
OCR, portrait, face detect, embed, liveness, decision) as milliseconds per verification,
measured as the cumulative time of the function that does each step, and then the
heaviest functions overall. The selfie, the front's portrait search and Tesseract run in
helper threads beside the main one (each profiled on its own), so rows from different
threads overlap in wall time. No server, no database: this is the pipeline alone.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (step, module file suffix, function name): the function whose cumulative time is the step.
STEPS = [
    ("decode (base64 → pixels)", "pipeline/images.py", "decode_image"),
    ("document: text-line detection", "pipeline/ocr.py", "detect_text_lines"),
    ("document: OCR recognition (all)", "pipeline/ocr.py", "recognize_lines"),
    ("document: MRZ find + primary reading", "document/mrz_zone.py", "locate_mrz"),
    ("document: MRZ second reading (Tesseract, helper thread)", "document/mrz_read.py", "secondary_reading"),
    ("document: MRZ third reading", "document/mrz_read.py", "third_reading"),
    ("document: visual-zone OCR", "document/visual_zone.py", "read_visual_zone"),
    ("document: portrait find (dlib HOG, helper thread)", "document/portrait.py", "find_portrait"),
    ("document: total", "document/analyse.py", "analyse_document"),
    ("face: selfie analysis (helper thread)", "pipeline/selfie.py", "analyse_selfie"),
    ("face: detect", "pipeline/face.py", "detect_at"),
    ("face: embed", "pipeline/face.py", "embed_face"),
    ("face: liveness", "pipeline/liveness.py", "check_liveness"),
    ("face: total after the document (portrait face + comparison)", "pipeline/run.py", "analyse_face_images"),
    ("decision (tags, cross-checks)", "pipeline/run.py", "conclude"),
]


# The pipeline's helper threads (openidv.pipeline.threads), each profiled on its own.
HELPER_THREADS = ("face", "portrait", "tesseract")


def switch_helper_profilers(profilers: dict[str, cProfile.Profile], *, on: bool) -> None:
    from openidv.pipeline.threads import helper_thread

    for name, profile in profilers.items():
        helper_thread(name).submit(profile.enable if on else profile.disable).result()


def workload(data: Path):
    from benchmarks.end_to_end import workload as bodies
    from openidv.pipeline.images import decode_image

    out = []
    for body in bodies(data):
        out.append((body["documentType"], body["country"], body["images"]))
    return out, decode_image


_ENGINES = None


def run_once(items, decode_image) -> None:
    global _ENGINES
    from openidv.pipeline.engines import Engines
    from openidv.pipeline.run import analyse_images, conclude

    _ENGINES = _ENGINES or Engines()
    for doc_type, country, b64_images in items:
        images = {side: decode_image(base64.b64decode(b64)) for side, b64 in b64_images.items()}
        analysis = analyse_images(_ENGINES, images, token_type="IDENTIFICATION", declared_country=country,
                                  declared_type=doc_type)
        conclude(analysis, token_type="IDENTIFICATION", token_request={})


def step_table(stats: pstats.Stats, per: int) -> list[tuple[str, float, float]]:
    rows = []
    for label, suffix, name in STEPS:
        total, calls = 0.0, 0
        for (filename, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            if func == name and filename.endswith(suffix):
                total += ct
                calls += nc
        rows.append((label, total / per * 1000, calls / max(per, 1)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("OPENIDV_TEST_DATA", "../shared/data")))
    args = parser.parse_args()
    if not (args.data / "documents").is_dir():
        raise SystemExit(f"test images not found under {args.data} (set OPENIDV_TEST_DATA)")

    items, decode_image = workload(args.data)
    started = time.perf_counter()
    run_once(items, decode_image)  # loads every model
    print(f"warm-up (model loading + first run): {time.perf_counter() - started:.1f} s")

    # Without the profiler first: wall and process CPU time per verification (all threads).
    started, cpu_before = time.perf_counter(), os.times()
    for _ in range(args.rounds):
        run_once(items, decode_image)
    wall, cpu_after = time.perf_counter() - started, os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    n = args.rounds * len(items)
    print(f"without profiler: {wall / n * 1000:.0f} ms wall and {cpu / n * 1000:.0f} ms CPU per verification "
          f"({cpu / wall:.2f} cores busy on average)")

    profiler = cProfile.Profile()
    # cProfile sees only the thread that enables it: each helper thread gets its own.
    helpers = {name: cProfile.Profile() for name in HELPER_THREADS}
    started = time.perf_counter()
    switch_helper_profilers(helpers, on=True)
    profiler.enable()
    for _ in range(args.rounds):
        run_once(items, decode_image)
    profiler.disable()
    switch_helper_profilers(helpers, on=False)
    wall = time.perf_counter() - started
    verifications = args.rounds * len(items)
    print(f"{verifications} verifications in {wall:.1f} s under the profiler "
          f"({wall / verifications * 1000:.0f} ms each, profiler overhead included)\n")

    stats = pstats.Stats(profiler, *helpers.values())
    # A helper thread waiting for its next task is idle, not work: leave it out of the list.
    for key in [k for k in stats.stats if "SimpleQueue" in k[2]]:
        del stats.stats[key]
    stats.total_tt = sum(tt for _cc, _nc, tt, _ct, _callers in stats.stats.values())
    print("| step | ms per verification | calls per verification |")
    print("|---|---|---|")
    for label, ms, calls in step_table(stats, verifications):
        print(f"| {label} | {ms:.0f} | {calls:.1f} |")
    print(f"\nHeaviest {args.top} functions by own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
