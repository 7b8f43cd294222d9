"""The hosted flow's "move closer" check (openidv.pipeline.active_liveness) on real captures
and on still photos moved like a held-up print; prints tables for docs/liveness.md.

    OPENIDV_TEST_DATA=/work/shared/data python benchmarks/active_liveness.py [--per-photo 2]

1. biometrics-server far/near pairs (real phone captures: 16 live, 28 print/screen attacks);
   the selfie embedding is the far shot's, as in the flow (the selfie is taken at arm's length).
2. Flat stills: each photo of shared/data/faces brought 1.25–1.8× nearer in 4 frames while
   tilted (±25° about both axes), rolled (±12°) and shifted; every other one also bent like a
   curled page. None may pass.
3. Time per challenge (6 frames of 480×640, CPU seconds) and the memory the landmark model
   adds to a process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.moving_faces import approach_poses, bend, biometrics_server_pairs, flat_move  # noqa: E402
from openidv.pipeline import active_liveness as al  # noqa: E402
from openidv.pipeline.engines import Engines  # noqa: E402
from openidv.pipeline.face import detect_faces, main_face_embedding  # noqa: E402


def default_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO.parent / "shared" / "data"))


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fmt(scores: dict[str, float], key: str) -> str:
    return f"{scores[key]:+.3f}" if key in scores else "–"


def capture_pairs(engines: Engines, data: Path) -> list[tuple]:
    print("\n### biometrics-server far/near pairs\n")
    print("| pair | kind | outcome | why | approach | gain eyes/mouth | gain nose | identity distance |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for pair in biometrics_server_pairs(data):
        far, near = cv2.imread(str(pair.far)), cv2.imread(str(pair.near))
        result = al.check_move_closer(engines, [far, near], main_face_embedding(engines, far))
        kind = "live" if pair.live else pair.attack_type
        rows.append((pair, kind, result))
        s = result.scores
        print(f"| {pair.name} | {kind} | {result.outcome} | {result.why} | {s.get('approach', 0):.2f} | "
              f"{fmt(s, 'depth_gain_eyes_mouth')} | {fmt(s, 'depth_gain_nose')} | {s.get('identity_distance', float('nan')):.3f} |")
    print("\n| kind | n | PASSED | INCONCLUSIVE | FAILED |")
    print("|---|---|---|---|---|")
    for kind in ("live", "print_photo", "screen_replay", "unknown"):
        outcomes = Counter(str(r.outcome) for _, k, r in rows if k == kind)
        n = sum(outcomes.values())
        print(f"| {kind} | {n} | {outcomes['PASSED']} | {outcomes['INCONCLUSIVE']} | {outcomes['FAILED']} |")
    return rows


def flat_stills(engines: Engines, data: Path, per_photo: int, seed: int) -> list[tuple]:
    import json

    rng = np.random.default_rng(seed)
    manifest = json.loads((data / "faces" / "manifest.json").read_text())
    rows = []
    for item in manifest["items"]:
        photo = cv2.imread(str(data / "faces" / item["file"]))
        faces = detect_faces(engines, photo)
        if not faces:
            continue
        for k in range(per_photo):
            frames = [flat_move(photo, faces[0].box, pose) for pose in approach_poses(rng)]
            kind = "flat"
            if k % 2 == 1:
                radius = rng.uniform(0.6, 1.5)
                frames = [bend(f, radius) for f in frames]
                kind = "bent"
            result = al.check_move_closer(engines, frames, main_face_embedding(engines, frames[0]))
            rows.append((item["file"], kind, result))
    print(f"\n### Still photos moved as a flat or bent print (shared/data/faces, seed {seed})\n")
    print("| kind | n | PASSED | INCONCLUSIVE | FAILED | gain eyes/mouth p50 / p99 / max | gain nose p50 / p99 / max |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("flat", "bent"):
        chosen = [r for _, k, r in rows if k == kind]
        outcomes = Counter(str(r.outcome) for r in chosen)
        em = np.array([r.scores["depth_gain_eyes_mouth"] for r in chosen if "depth_gain_eyes_mouth" in r.scores])
        no = np.array([r.scores["depth_gain_nose"] for r in chosen if "depth_gain_nose" in r.scores])
        print(f"| {kind} | {len(chosen)} | {outcomes['PASSED']} | {outcomes['INCONCLUSIVE']} | {outcomes['FAILED']} | "
              f"{np.median(em):+.3f} / {np.percentile(em, 99):+.3f} / {em.max():+.3f} | "
              f"{np.median(no):+.3f} / {np.percentile(no, 99):+.3f} / {no.max():+.3f} |")
    why = Counter(r.why for _, _, r in rows if r.outcome != al.ActiveOutcome.FAILED)
    print(f"\nnot FAILED, by reason: {dict(why)}")
    return rows


def timing(engines: Engines, data: Path, repeats: int) -> None:
    pairs = [p for p in biometrics_server_pairs(data) if p.live]
    cpu, wall = [], []
    for pair in pairs[:repeats]:
        far, near = (cv2.resize(cv2.imread(str(p)), (480, 640)) for p in (pair.far, pair.near))
        selfie = main_face_embedding(engines, far)
        frames = [far, far, near, near, near, near]
        c, w = time.process_time(), time.perf_counter()
        al.check_move_closer(engines, frames, selfie)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    print(f"\none challenge (6 frames 480×640, incl. detection, mesh, 6 embeddings): median CPU "
          f"{1000 * np.median(cpu):.0f} ms, wall {1000 * np.median(wall):.0f} ms (n={len(cpu)}); "
          f"load average {open('/proc/loadavg').read().split()[:3]}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--per-photo", type=int, default=2, help="moved stills per face photo")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--skip-stills", action="store_true")
    args = parser.parse_args(argv)
    engines = Engines()
    engines.face_detectors.ensure_one()
    engines.face_embedders.ensure_one()
    engines.shape_predictor()
    before, cpu = rss_mb(), time.process_time()
    engines.face_landmarkers.ensure_one()
    print(f"face-landmark model: loaded in {1000 * (time.process_time() - cpu):.0f} ms CPU, "
          f"+{rss_mb() - before:.0f} MB resident (peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    capture_pairs(engines, args.data)
    if not args.skip_stills:
        flat_stills(engines, args.data, args.per_photo, args.seed)
    timing(engines, args.data, repeats=16)
    print(f"\nRSS after the runs: {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
