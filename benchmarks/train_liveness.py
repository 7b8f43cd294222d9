"""Train the presentation-attack model (openidv/pipeline/models/liveness_v1.json) from shared/data/spoof.

    python benchmarks/train_liveness.py [--data DIR] [--out PATH] [--check-faces]

Reads the spoof manifest (live vs printed-photo attacks, NUAA layout), re-crops each sample
around dlib's face box exactly as production does, computes the hand-crafted features of
openidv.pipeline.liveness, and fits an L2 logistic regression (Newton's method, numpy only:
deterministic, so the JSON is reproducible bit for bit). It prints leave-one-subject-out
APCER/BPCER, with the regularisation strength picked inside each training fold (nested), and
chooses the FACE_UNCERTAIN band from the out-of-fold scores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from openidv.pipeline import liveness  # noqa: E402
from openidv.pipeline.engines import LIVENESS_MODEL_RESOURCE, Engines  # noqa: E402
from openidv.pipeline.face import detect_faces as detect_with  # noqa: E402
from openidv.pipeline.images import read_image_file  # noqa: E402

DEFAULT_OUT = REPO / "openidv" / "pipeline" / "models" / LIVENESS_MODEL_RESOURCE
_ENGINES = Engines()


def detect_faces(image: np.ndarray):  # noqa: ANN201
    return detect_with(_ENGINES, image)
L2_GRID = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)  # ridge strength on standardised features
# Decision band targets on the out-of-fold scores: LIVE only above the score where at most
# this share of attacks would pass; FAKE_FACE only below the score where at most this share
# of live faces would be refused. In between: FACE_UNCERTAIN.
TARGET_APCER = 0.02
TARGET_BPCER = 0.05


def default_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO.parent / "shared" / "data"))


def sample_features(path: Path) -> tuple[np.ndarray, bool]:
    """Features of one training crop, re-cropped around the detected face when one is found."""
    image = read_image_file(str(path))
    faces = detect_faces(image)
    # No face found (a few attack crops): the sample is a face crop already, use it whole.
    crop = liveness.face_crop_for_liveness(image, faces[0].box) if faces else liveness.normalise_crop(image)
    return liveness.liveness_features(crop), bool(faces)


def load_spoof_set(data_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """X (features), y (1 = live), subject ids, file names — in manifest order."""
    manifest = json.loads((data_dir / "spoof" / "manifest.json").read_text())
    rows, labels, subjects, files, detected = [], [], [], [], 0
    for item in manifest["items"]:
        feats, found = sample_features(data_dir / "spoof" / item["file"])
        detected += found
        rows.append(feats)
        labels.append(1 if item["label"] == "live" else 0)
        subjects.append(item["subject"])
        files.append(item["file"])
    print(f"{len(rows)} samples, face re-detected in {detected}", file=sys.stderr)
    return np.array(rows), np.array(labels), np.array(subjects), files


# ------------------------------------------------------------------ model fitting


def standardiser(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # constant features (an LBP bin never seen) contribute nothing
    return mean, scale


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (intercept not penalised)."""
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xa @ w, -50, 50)))
        grad = xa.T @ (p - y) / n + penalty * w / n
        hess = (xa * (p * (1 - p))[:, None]).T @ xa / n + np.diag(penalty) / n + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], float(w[-1])


def fit_standardised(x: np.ndarray, y: np.ndarray, l2: float):
    mean, scale = standardiser(x)
    coef, intercept = fit_logistic((x - mean) / scale, y, l2)
    return mean, scale, coef, intercept


def predict(model, x: np.ndarray) -> np.ndarray:
    mean, scale, coef, intercept = model
    z = ((x - mean) / scale) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def equal_error_loss(scores: np.ndarray, y: np.ndarray) -> float:
    """Half total error at the best single threshold (used only to pick the L2 strength)."""
    best = 1.0
    for t in np.unique(scores):
        apcer = float((scores[y == 0] >= t).mean())
        bpcer = float((scores[y == 1] < t).mean())
        best = min(best, (apcer + bpcer) / 2)
    return best


def leave_subjects_out_scores(
    x: np.ndarray, y: np.ndarray, subjects: np.ndarray, l2: Optional[float] = None
) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold live scores, one fold per subject; L2 picked by inner LOSO when l2 is None."""
    scores = np.zeros(len(y))
    chosen = []
    for held in sorted(set(subjects)):
        train, test = subjects != held, subjects == held
        strength = l2 if l2 is not None else pick_l2(x[train], y[train], subjects[train])
        chosen.append(strength)
        scores[test] = predict(fit_standardised(x[train], y[train], strength), x[test])
    return scores, chosen


def pick_l2(x: np.ndarray, y: np.ndarray, subjects: np.ndarray) -> float:
    losses = [equal_error_loss(leave_subjects_out_scores(x, y, subjects, l2)[0], y) for l2 in L2_GRID]
    return L2_GRID[int(np.argmin(losses))]  # first (weakest) on ties


def rates(scores: np.ndarray, y: np.ndarray, fake_below: float, live_from: float) -> dict[str, float]:
    """APCER: attacks accepted as LIVE. BPCER: live faces refused as FAKE_FACE. Plus uncertain shares."""
    live, attack = scores[y == 1], scores[y == 0]
    return {
        "APCER": float((attack >= live_from).mean()),
        "BPCER": float((live < fake_below).mean()),
        "attack_uncertain": float(((attack >= fake_below) & (attack < live_from)).mean()),
        "live_uncertain": float(((live >= fake_below) & (live < live_from)).mean()),
    }


def apcer_at_bpcer(scores: np.ndarray, y: np.ndarray, bpcer: float) -> tuple[float, float]:
    """APCER at the single threshold refusing at most `bpcer` of live faces, and that threshold."""
    live = np.sort(scores[y == 1])
    threshold = float(live[int(np.floor(bpcer * len(live)))])
    return float((scores[y == 0] >= threshold).mean()), threshold


def choose_band(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """live_from: lowest score with APCER ≤ target; fake_below: highest with BPCER ≤ target."""
    attack = np.sort(scores[y == 0])
    live = np.sort(scores[y == 1])
    k_attack = int(np.floor(TARGET_APCER * len(attack)))
    live_from = float(attack[len(attack) - 1 - k_attack]) + 1e-6  # that many attacks remain above
    k_live = int(np.floor(TARGET_BPCER * len(live)))
    fake_below = float(live[k_live]) - 1e-6  # that many live faces are below
    if fake_below > live_from:  # the classes separate: one threshold, no band needed there
        middle = (fake_below + live_from) / 2
        fake_below = live_from = middle
    # Rounded for the JSON, outward so the rounding never moves a sample across a threshold.
    return float(np.floor(fake_below * 1e6) / 1e6), float(np.ceil(live_from * 1e6) / 1e6)


def check_face_photos(data_dir: Path, model: liveness.LivenessModel) -> dict[str, int]:
    """How the real face photos (all live) are classified when cropped as in production."""
    from PIL import Image, ImageOps

    manifest = json.loads((data_dir / "faces" / "manifest.json").read_text())
    counts = {"LIVE": 0, "FACE_UNCERTAIN": 0, "FAKE_FACE": 0}
    for item in manifest["items"]:
        path = data_dir / "faces" / item["file"]
        with Image.open(path) as im:  # one WEBP in the set: decode it without the API's format gate
            rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
        image = np.ascontiguousarray(rgb[:, :, ::-1])
        faces = detect_faces(image)
        crop = liveness.face_crop_for_liveness(image, faces[0].box if faces else None, model.crop_scale)
        counts[model.decide(model.score(liveness.liveness_features(crop)))] += 1
    return counts


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check-faces", action="store_true", help="also score shared/data/faces")
    args = parser.parse_args(argv)

    x, y, subjects, _ = load_spoof_set(args.data)
    oof, chosen = leave_subjects_out_scores(x, y, subjects)
    fake_below, live_from = choose_band(oof, y)
    single = rates(oof, y, 0.5, 0.5)
    banded = rates(oof, y, fake_below, live_from)
    print(f"nested leave-one-subject-out (8 folds), L2 chosen per fold: {chosen}")
    print(f"  threshold 0.5:        APCER {single['APCER']:.1%}  BPCER {single['BPCER']:.1%}")
    apcer5, t5 = apcer_at_bpcer(oof, y, 0.05)
    print(f"  at BPCER 5% (threshold {t5:.3f}): APCER {apcer5:.1%}")
    print(
        f"  band [{fake_below:.3f}, {live_from:.3f}): APCER {banded['APCER']:.1%}  "
        f"BPCER {banded['BPCER']:.1%}  uncertain: live {banded['live_uncertain']:.1%} "
        f"attacks {banded['attack_uncertain']:.1%}  (band chosen on these same out-of-fold scores)"
    )

    l2 = pick_l2(x, y, subjects)
    mean, scale, coef, intercept = fit_standardised(x, y, l2)
    model = {
        "version": "liveness_v1",
        "feature_version": liveness.FEATURE_VERSION,
        "crop_scale": liveness.CROP_SCALE,
        "crop_size_px": liveness.CROP_SIZE_PX,
        "trained_on": "shared/data/spoof (NUAA layout, CASIA-FASD frames): 120 live, 120 print, 8 subjects",
        "l2": l2,
        "mean": [float(f"{v:.8g}") for v in mean],
        "scale": [float(f"{v:.8g}") for v in scale],
        "coef": [float(f"{v:.8g}") for v in coef],
        "intercept": float(f"{intercept:.8g}"),
        "thresholds": {"fake_below": fake_below, "live_from": live_from},
        "cv": {
            "protocol": "nested leave-one-subject-out",
            "threshold_0_5": {k: round(v, 4) for k, v in single.items()},
            "band": {k: round(v, 4) for k, v in banded.items()},
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=1) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), final L2 {l2}")

    if args.check_faces:
        counts = check_face_photos(args.data, liveness.LivenessModel.from_dict(model))
        total = sum(counts.values())
        print(
            f"shared/data/faces ({total} live photos): "
            + ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in counts.items())
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
