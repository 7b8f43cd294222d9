"""Attack detection on capture set-ups it was not trained on (run through
``benchmarks/faces.py attacks``).

Five spoof sources (benchmarks/face_samples.py: nuaa prints as face crops, biometrics-server
prints and screens as full frames, trickyf0x and apfol screen replays as face crops,
trueface replays as full frames), plus the 77 live press photos of shared/data/faces.
Reports:

1. the packaged liveness_v1 (trained on nuaa only) under the shipped rule — LIVE at or above
   its threshold, FACE_UNCERTAIN (review) below, never FAKE_FACE: APCER per attack type, live
   faces sent to review, per source;
2. the scores behind any "confident attack" cut-off: per group the lowest score and how many
   fall below candidate thresholds — a refusal would need one below which no live face falls;
3. leave-one-source-out: a logistic regression per feature set trained on four sources and
   scored on the fifth, at two operating points chosen inside the four (BPCER ≤ 3 % by inner
   leave-one-source-out, and "no live face refused" = below the lowest inner live score):
   APCER per attack type and BPCER on the held-out source, and its ROC AUC.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from benchmarks import train_liveness
from benchmarks.attack_features import combined
from benchmarks.face_match import table
from benchmarks.face_samples import ATTACK_SOURCES, AttackSample, FaceSample
from openidv.core.vocab import Liveness
from openidv.pipeline import liveness
from openidv.pipeline.engines import Engines

TARGET_BPCER = 0.03
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
SCORE_CUTS = (0.01, 0.03, 0.05, 0.1, 0.2, 0.3)
ATTACK_TYPES = ("print_photo", "screen_replay", "unknown")


def packaged_scores(model: liveness.LivenessModel, samples: list[AttackSample]) -> np.ndarray:
    """The packaged model's score of each sample, on the crop production would score."""
    return np.array([model.score(liveness.liveness_features(liveness.face_crop_for_liveness(s.image, s.box)))
                     for s in samples])


def press_photo_scores(model: liveness.LivenessModel, faces: list[FaceSample]) -> np.ndarray:
    """The live press photos (shared/data/faces, as published), scored on the detected face."""
    return np.array([model.score(liveness.liveness_features(liveness.face_crop_for_liveness(s.region, s.box)))
                     for s in faces if s.region is not None])


def auc(scores: np.ndarray, live: np.ndarray) -> float:
    """Probability that a live sample scores above an attack (ties count half)."""
    pos, neg = scores[live], scores[~live]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + (pos[:, None] == neg[None, :]).mean() / 2)


def rate(mask: np.ndarray) -> str:
    return f"{mask.mean():.1%} ({int(mask.sum())}/{len(mask)})" if len(mask) else "–"


def shipped_rule_table(model: liveness.LivenessModel, samples: list[AttackSample], scores: np.ndarray,
                       press: np.ndarray) -> str:
    rows = []
    decisions = np.array([model.decide(s) for s in scores])
    for source in ATTACK_SOURCES:
        m = np.array([s.source == source and s.reaches_liveness for s in samples])
        kind = np.array([s.attack_type or "" for s in samples])
        live = np.array([s.live for s in samples])
        stops: dict[str, int] = {}
        for s in samples:
            if s.source == source and s.problem:
                key = f"{'live' if s.live else 'attack'} {s.problem}"
                stops[key] = stops.get(key, 0) + 1
        rows.append([source, *(rate(decisions[m & (kind == k)] == Liveness.LIVE) for k in ATTACK_TYPES),
                     rate(decisions[m & live] == Liveness.FACE_UNCERTAIN), rate(decisions[m & live] == Liveness.FAKE_FACE),
                     ", ".join(f"{k} {v}" for k, v in sorted(stops.items())) or "–"])
    press_decisions = np.array([model.decide(s) for s in press])
    rows.append(["faces (press photos, live only)", "–", "–", "–", rate(press_decisions == Liveness.FACE_UNCERTAIN),
                 rate(press_decisions == Liveness.FAKE_FACE), "–"])
    return table(["source", "APCER print (→ LIVE)", "APCER screen", "APCER unknown", "live → FACE_UNCERTAIN (review)",
                  "live → FAKE_FACE (refused)", "selfie check stops (not scored if a full frame)"], rows)


def score_floor_table(samples: list[AttackSample], scores: np.ndarray, press: np.ndarray) -> str:
    """How many selfies of each group score below candidate cut-offs."""
    groups: list[tuple[str, np.ndarray]] = [("live: press photos (faces set)", press)]
    for live in (True, False):
        for framing in ("full_frame", "face_crop"):
            m = np.array([s.live == live and s.framing == framing and s.reaches_liveness for s in samples])
            groups.append((f"{'live' if live else 'attack'}: {framing.replace('_', ' ')}s (spoof sources)", scores[m]))
    rows = [[name, str(len(s)), f"{s.min():.3f}" if len(s) else "–", *(str(int((s < t).sum())) for t in SCORE_CUTS)]
            for name, s in groups]
    return table(["selfies", "n", "lowest score", *(f"< {t}" for t in SCORE_CUTS)], rows)


# ------------------------------------------------------------------ leave one source out


def _fit(x: np.ndarray, y: np.ndarray, l2: float):  # noqa: ANN202
    return train_liveness.fit_standardised(x, y.astype(float), l2)


def grouped_oof(x: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float) -> np.ndarray:
    out = np.zeros(len(y))
    for g in np.unique(groups):
        test = groups == g
        out[test] = train_liveness.predict(_fit(x[~test], y[~test], l2), x[test])
    return out


def choose_l2(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, np.ndarray]:
    """L2 with the best mean per-group AUC in leave-one-group-out, and its out-of-fold scores."""
    best = None
    for l2 in L2_GRID:
        oof = grouped_oof(x, y, groups, l2)
        score = float(np.nanmean([auc(oof[groups == g], y[groups == g]) for g in np.unique(groups)]))
        if best is None or score > best[0]:
            best = (score, l2, oof)
    return best[1], best[2]


def leave_one_source_out(x: np.ndarray, y: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, dict]:
    """Held-out scores for every sample and, per fold, the L2 and the two thresholds chosen
    without the held-out source: at BPCER ≤ 3 %, and just below the lowest live score."""
    scores = np.zeros(len(y))
    folds = {}
    for held in ATTACK_SOURCES:
        test = sources == held
        l2, inner = choose_l2(x[~test], y[~test], sources[~test])
        live_inner = np.sort(inner[y[~test]])
        at_bpcer = float(live_inner[int(np.floor(TARGET_BPCER * len(live_inner)))])
        scores[test] = train_liveness.predict(_fit(x[~test], y[~test], l2), x[test])
        folds[held] = (l2, at_bpcer, float(live_inner[0]) - 1e-9)
    return scores, folds


def loso_table(samples: list[AttackSample], scores: np.ndarray, threshold: Callable[[str], float]) -> str:
    """Per held-out source: APCER per attack type (attack scored ≥ its threshold), BPCER, AUC."""
    live = np.array([s.live for s in samples])
    src = np.array([s.source for s in samples])
    kind = np.array([s.attack_type or "" for s in samples])
    passed = scores >= np.array([threshold(s.source) for s in samples])
    rows = []
    for source in ATTACK_SOURCES + ("all",):
        m = np.ones(len(samples), bool) if source == "all" else src == source
        rows.append([source, *(rate(passed[m & (kind == k)]) for k in ATTACK_TYPES), rate(~passed[m & live]),
                     f"{auc(scores[m], live[m]):.3f}"])
    return table(["held-out source", "APCER print", "APCER screen", "APCER unknown", "BPCER", "AUC"], rows)


def report(engines: Engines, samples: list[AttackSample], faces: list[FaceSample], feature_sets: list[str]) -> None:
    model = engines.liveness_model()
    scores = packaged_scores(model, samples)
    press = press_photo_scores(model, faces)
    print(f"## Attack detection ({len(samples)} spoof-source images, {len(press)} press photos)\n")
    print(f"### Packaged liveness_v1 under the shipped rule (LIVE ≥ {model.live_from}, below: FACE_UNCERTAIN)\n")
    print(shipped_rule_table(model, samples, scores, press))
    print("\n### Scores behind a \"confident attack\" cut-off (packaged model)\n")
    print(score_floor_table(samples, scores, press))
    kept = [s for s in samples if s.reaches_liveness]
    y = np.array([s.live for s in kept])
    sources = np.array([s.source for s in kept])
    for spec in feature_sets:
        fn = combined(tuple(spec.split("+")))
        started = time.process_time()
        x = np.array([fn(s.image, s.box) for s in kept])
        feature_ms = 1000 * (time.process_time() - started) / len(kept)
        held_out, folds = leave_one_source_out(x, y, sources)
        print(f"\n### Leave-one-source-out: {spec} ({x.shape[1]} features, {feature_ms:.1f} ms CPU per image)\n")
        print("fold: L2, threshold at BPCER ≤ 3 % / below the lowest live score, both on the other four: "
              + "; ".join(f"{k} {l2:g}, {t:.3f} / {t0:.3f}" for k, (l2, t, t0) in folds.items()) + "\n")
        print("At BPCER ≤ 3 % inside the training sources:\n")
        print(loso_table(kept, held_out, lambda source: folds[source][1]))
        print("\nBelow the lowest live score of the training sources (the candidate \"confident attack\" "
              "cut-off: BPCER here = live faces of the held-out source that would be refused):\n")
        print(loso_table(kept, held_out, lambda source: folds[source][2]))
