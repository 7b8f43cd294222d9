"""Operating points for the face decision, from the outcomes unseen_end_to_end.py saved.

    python benchmarks/unseen_end_to_end.py --save /tmp/e2e.pkl
    python benchmarks/decision_policy.py /tmp/e2e.pkl

For each candidate "confident attack" liveness threshold it counts the live selfies that
would be DENIED (press photos, 250 px news-like photos, live frames of the attack sources)
and the attacks still denied outright; the rest of the low scores would go to REVIEWING.
For the match threshold it counts genuine matches and impostors accepted, by selfie
sharpness, to show whether a soft face needs a stricter threshold.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.unseen_end_to_end import Outcome  # noqa: E402,F401 - needed to unpickle

LIVENESS_CANDIDATES = (0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.467)
MATCH_CANDIDATES = (0.45, 0.48, 0.50, 0.52, 0.55)


def liveness_rows(outcomes: list) -> list[str]:  # noqa: ANN001
    scored = [o for o in outcomes if o.liveness_score is not None]
    groups = {
        "live: press photos (faces set, both conditions)": [o for o in scored if o.group == "genuine"],
        "live: attack sources, full frames": [o for o in scored if o.group == "live" and "full_frame" in o.subset],
        "live: attack sources, face crops": [o for o in scored if o.group == "live" and "face_crop" in o.subset],
        "attack: full frames": [o for o in scored if o.group == "attack" and "full_frame" in o.subset],
        "attack: face crops": [o for o in scored if o.group == "attack" and "face_crop" in o.subset],
    }
    lines = []
    for name, rows in groups.items():
        s = np.array([o.liveness_score for o in rows])
        cells = [f"{int((s < t).sum())}" for t in LIVENESS_CANDIDATES]
        lines.append(f"| {name} | {len(s)} | {s.min() if len(s) else float('nan'):.3f} | " + " | ".join(cells) + " |")
    return lines


def match_rows(outcomes: list) -> list[str]:  # noqa: ANN001
    rows = [o for o in outcomes if o.distance is not None and o.group in ("genuine", "impostor")]
    lines = []
    for lo, hi in ((0, 20), (20, 60), (60, 1e9)):
        sel = [o for o in rows if o.sharpness is not None and lo <= o.sharpness < hi]
        g = np.array([o.distance for o in sel if o.group == "genuine"])
        i = np.array([o.distance for o in sel if o.group == "impostor"])
        if not len(g) and not len(i):
            continue
        cells = [f"{(g <= t).mean() if len(g) else float('nan'):.1%} / {int((i <= t).sum())}" for t in MATCH_CANDIDATES]
        lines.append(f"| {lo}–{hi if hi < 1e9 else '∞'} | {len(g)} / {len(i)} | "
                     f"{i.min() if len(i) else float('nan'):.3f} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    outcomes = pickle.loads(Path(argv[0]).read_bytes())
    print("## Liveness score (packaged model): selfies below each threshold\n")
    print("| selfies | n | lowest score | " + " | ".join(f"< {t}" for t in LIVENESS_CANDIDATES) + " |")
    print("|---|---|---|" + "---|" * len(LIVENESS_CANDIDATES))
    print("\n".join(liveness_rows(outcomes)))
    print("\n## Match threshold by selfie sharpness (portrait on a synthetic card ↔ selfie)\n")
    print("| sharpness | genuine / impostor | closest impostor | "
          + " | ".join(f"≤ {t}: TAR / impostors" for t in MATCH_CANDIDATES) + " |")
    print("|---|---|---|" + "---|" * len(MATCH_CANDIDATES))
    print("\n".join(match_rows(outcomes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
