"""Face matching: TAR at FAR 0.1 % and the shipped thresholds, on the development pairs, by
source repository and under capture conditions (run through ``benchmarks/faces.py match``).

Pairs: every pair of the 77 shared/data/faces photos (selfie↔selfie, 158 same-person of
2 926) and every ordered portrait↔selfie pair (the first photo printed on a synthetic TD1
card, benchmarks/face_samples.py), for each capture condition. The selfie of a pair is its
second side; a soft selfie face (openidv.pipeline.selfie.is_soft_face) follows the policy's
FACE_TOO_BLURRY rule. Liveness is left out here (taken as LIVE): the end-to-end report has it.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from benchmarks.face_samples import FACE_SOURCES, PORTRAIT, FaceSample, face_pairs, load_photo
from openidv.core.vocab import FaceCode, Liveness
from openidv.pipeline import face, face_match, selfie
from openidv.pipeline.document.portrait import find_document_face
from openidv.pipeline.engines import Engines

FAR_TARGET = 0.001
MATCH_CANDIDATES = (0.45, 0.48, 0.50, 0.52, 0.53, 0.54, 0.55, 0.58)


@dataclass(frozen=True)
class PairSet:
    """Distances of one pair set, one entry per pair; inf where a side has no face (a same
    pair then counts as rejected, a different pair as not accepted)."""

    name: str
    same: np.ndarray  # bool per pair
    distance: np.ndarray
    source: np.ndarray  # source of both sides, "mixed" across sources
    min_width: np.ndarray  # the smaller face width of the two sides, px in its own image
    min_sharpness: np.ndarray
    selfie_soft: np.ndarray  # the selfie side (second) is soft: FACE_TOO_BLURRY unless it matches

    def where(self, mask: np.ndarray) -> "PairSet":
        return PairSet(self.name, self.same[mask], self.distance[mask], self.source[mask], self.min_width[mask],
                       self.min_sharpness[mask], self.selfie_soft[mask])

    @property
    def genuine(self) -> np.ndarray:
        return self.distance[self.same]

    @property
    def impostor(self) -> np.ndarray:
        return self.distance[~self.same]


def embed_samples(engines: Engines, samples: list[FaceSample]) -> list[Optional[np.ndarray]]:
    """The embedding the selfie-to-portrait decision compares (SFace, face_match.py)."""
    return [face_match.match_embedding(engines, s.region, s.box) if s.region is not None else None for s in samples]


def _soft(sample: FaceSample) -> bool:
    return sample.region is not None and (sample.width_px < selfie.FACE_MIN_WIDTH_PX
                                          or sample.sharpness < selfie.FACE_MIN_SHARPNESS)


def build_pairs(name: str, first: list[FaceSample], second: list[FaceSample], emb1: list, emb2: list,
                index_pairs) -> PairSet:  # noqa: ANN001
    rows = []
    for i, j in index_pairs:
        a, b = first[i], second[j]
        ea, eb = emb1[i], emb2[j]
        d = face_match.match_distance(ea, eb) if ea is not None and eb is not None else np.inf
        source = a.photo.source if a.photo.source == b.photo.source else "mixed"
        rows.append((a.photo.identity == b.photo.identity, d, source, min(a.width_px, b.width_px),
                     min(a.sharpness, b.sharpness), _soft(b)))
    cols = list(zip(*rows))
    return PairSet(name, np.array(cols[0]), np.array(cols[1]), np.array(cols[2]), np.array(cols[3]),
                   np.array(cols[4]), np.array(cols[5]))


def all_pair_sets(engines: Engines, samples: dict[str, list[FaceSample]]) -> list[PairSet]:
    """selfie↔selfie (unordered) and portrait↔selfie (ordered) for every condition."""
    embeddings = {name: embed_samples(engines, rows) for name, rows in samples.items()}
    n = len(samples[PORTRAIT])
    conditions = [c for c in samples if c != PORTRAIT]
    sets = [build_pairs(f"selfie↔selfie {c}", samples[c], samples[c], embeddings[c], embeddings[c],
                        itertools.combinations(range(n), 2)) for c in conditions]
    sets += [build_pairs(f"portrait↔selfie {c}", samples[PORTRAIT], samples[c], embeddings[PORTRAIT],
                         embeddings[c], itertools.permutations(range(n), 2)) for c in conditions]
    return sets


def development_pair_sets(engines: Engines, samples: dict[str, list[FaceSample]], data: Path) -> list[PairSet]:
    """The manifest's 316 labelled pairs (158 same, 158 different) on the original photos."""
    index = {s.photo.file: k for k, s in enumerate(samples["original"])}
    pairs = [(index[a], index[b]) for a, b, _ in face_pairs(data)]
    originals = samples["original"]
    emb = embed_samples(engines, originals)
    portraits = samples[PORTRAIT]
    emb_p = embed_samples(engines, portraits)
    return [build_pairs("selfie↔selfie (manifest pairs)", originals, originals, emb, emb, pairs),
            build_pairs("portrait↔selfie (manifest pairs)", portraits, originals, emb_p, emb, pairs)]


# ------------------------------------------------------------------ metrics


def threshold_at_far(impostor: np.ndarray, far: float) -> float:
    """Largest accept-if-≤ threshold letting through at most far × n impostor pairs (with too
    few pairs for that: just below the closest impostor)."""
    finite = np.sort(impostor[np.isfinite(impostor)])
    allowed = int(np.floor(far * len(impostor)))
    return float(finite[allowed] - 1e-9) if allowed < len(finite) else float("inf")


def policy_codes(p: PairSet, match_max: float = selfie.FACE_MATCH_MAX_DISTANCE) -> np.ndarray:
    """The face code each pair gets under the shipped policy (liveness taken as LIVE)."""
    out = []
    for d, soft in zip(p.distance, p.selfie_soft):
        if not np.isfinite(d):
            out.append(FaceCode.NO_FACE_FOUND)
            continue
        code = (FaceCode.FACE_MATCH if d <= match_max else
                FaceCode.FACE_MISMATCH if d >= selfie.FACE_MISMATCH_MIN_DISTANCE else FaceCode.FACE_UNCERTAIN)
        out.append(selfie.face_code(code, Liveness.LIVE, bool(soft)))
    return np.array(out)


def pct(v: float) -> str:
    return f"{v:.1%}" if np.isfinite(v) else "–"


def _closest(values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    return f"{finite.min():.3f}" if len(finite) else "–"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def development_table(sets: list[PairSet]) -> str:
    rows = []
    for p in sets:
        t1, t01 = threshold_at_far(p.impostor, 0.01), threshold_at_far(p.impostor, FAR_TARGET)
        lo = selfie.FACE_MATCH_MAX_DISTANCE
        rows.append([p.name, f"{len(p.genuine)} / {len(p.impostor)}",
                     f"{pct(float((p.genuine <= t1).mean()))} (t={t1:.3f})",
                     f"{pct(float((p.genuine <= t01).mean()))} (t={t01:.3f})",
                     f"{pct(float((p.genuine <= lo).mean()))} / {int((p.impostor <= lo).sum())}",
                     _closest(p.impostor)])
    return table(["pairs", "same / diff", "TAR@FAR1% (self-calibrated)", "TAR@FAR0.1% (self-calibrated)",
                  f"at FACE_MATCH ≤ {selfie.FACE_MATCH_MAX_DISTANCE}: TAR / diff accepted", "closest diff"], rows)


def outcome_cells(p: PairSet) -> list[str]:
    """Genuine MATCH / UNCERTAIN / TOO_BLURRY / MISMATCH shares, impostors accepted / denied."""
    codes = policy_codes(p)
    g, i = codes[p.same], codes[~p.same]
    share = lambda c: pct(float((g == c).mean()))  # noqa: E731
    lost = int((g == FaceCode.NO_FACE_FOUND).sum())
    return [f"{share(FaceCode.FACE_MATCH)} / {share(FaceCode.FACE_UNCERTAIN)} / {share(FaceCode.FACE_TOO_BLURRY)} / "
            f"**{int((g == FaceCode.FACE_MISMATCH).sum())}**" + (f" (+{lost} no face)" if lost else ""),
            f"**{int((i == FaceCode.FACE_MATCH).sum())}** / {pct(float((i == FaceCode.FACE_MISMATCH).mean()))}"]


def condition_table(sets: list[PairSet]) -> str:
    rows = []
    for p in sets:
        t = threshold_at_far(p.impostor, FAR_TARGET)
        rows.append([p.name, f"{len(p.genuine)} / {len(p.impostor)}", f"{pct(float((p.genuine <= t).mean()))}",
                     *outcome_cells(p), _closest(p.impostor)])
    return table(["pairs", "same / diff", "TAR@FAR0.1% (self-calibrated)",
                  "same: MATCH / UNCERTAIN / TOO_BLURRY / MISMATCH (n)", "diff: accepted (n) / MISMATCH",
                  "closest diff"], rows)


def source_table(sets: list[PairSet]) -> str:
    """Per source repository and pair kind, every condition pooled."""
    rows = []
    for kind in ("selfie↔selfie", "portrait↔selfie"):
        kind_sets = [p for p in sets if p.name.startswith(kind)]
        for source in FACE_SOURCES:
            parts = [p.where(p.source == source) for p in kind_sets]
            pooled = PairSet(f"{kind} {source}", *(np.concatenate([getattr(q, k) for q in parts]) for k in
                                                    ("same", "distance", "source", "min_width", "min_sharpness",
                                                     "selfie_soft")))
            worst_tar = min(float((q.genuine <= selfie.FACE_MATCH_MAX_DISTANCE).mean()) for q in parts)
            rows.append([pooled.name, f"{len(pooled.genuine)} / {len(pooled.impostor)}",
                         f"{pct(float((pooled.genuine <= threshold_at_far(pooled.impostor, FAR_TARGET)).mean()))}",
                         f"{pct(float((pooled.genuine <= selfie.FACE_MATCH_MAX_DISTANCE).mean()))} "
                         f"(worst condition {pct(worst_tar)})", *outcome_cells(pooled), _closest(pooled.impostor)])
    return table(["pairs (all conditions)", "same / diff", "TAR@FAR0.1% (self-calibrated)",
                  f"TAR at ≤ {selfie.FACE_MATCH_MAX_DISTANCE}", "same: MATCH / UNCERTAIN / TOO_BLURRY / MISMATCH (n)",
                  "diff: accepted (n) / MISMATCH", "closest diff"], rows)


def cross_source_table(sets: list[PairSet]) -> str:
    """A threshold at FAR ≤ 0.1 % on one source's different pairs (all conditions pooled),
    applied to the other source: what calibrating on one set-up predicts for another."""
    rows = []
    for cal, test in itertools.permutations(FACE_SOURCES, 2):
        cal_impostors = np.concatenate([p.impostor[p.source[~p.same] == cal] for p in sets])
        tested = [p.where(p.source == test) for p in sets]
        for rule, t in (("FAR 0.1 %", threshold_at_far(cal_impostors, FAR_TARGET)),
                        ("no different pair", float(cal_impostors.min()) - 1e-6)):
            tars = [float((q.genuine <= t).mean()) for q in tested if len(q.genuine)]
            pooled = np.concatenate([q.genuine for q in tested])
            accepted = [int((q.impostor <= t).sum()) for q in tested]
            rows.append([cal, rule, f"{t:.3f}", test, f"{pct(float((pooled <= t).mean()))} "
                         f"({pct(min(tars))}–{pct(max(tars))})",
                         f"{min(accepted)}–{max(accepted)} per set ({sum(accepted)} in all)"])
    return table(["calibrated on", "threshold at", "threshold", "scored on", "TAR pooled (range over the sets)",
                  "diff accepted"], rows)


def sweep_table(sets: list[PairSet]) -> str:
    """Candidate FACE_MATCH thresholds over every set: the different pairs accepted, and TAR."""
    rows = []
    for t in MATCH_CANDIDATES:
        accepted = [int((p.impostor <= t).sum()) for p in sets]
        selfie_tar = [float((p.genuine <= t).mean()) for p in sets if p.name.startswith("selfie")]
        portrait_tar = [float((p.genuine <= t).mean()) for p in sets if p.name.startswith("portrait")]
        rows.append([f"{t:.2f}" + (" (shipped)" if t == selfie.FACE_MATCH_MAX_DISTANCE else ""),
                     f"{sum(1 for a in accepted if a)} / {len(sets)}", str(sum(accepted)),
                     f"{pct(min(selfie_tar))}–{pct(max(selfie_tar))} (mean {pct(statistics.fmean(selfie_tar))})",
                     f"{pct(min(portrait_tar))}–{pct(max(portrait_tar))} (mean {pct(statistics.fmean(portrait_tar))})"])
    return table(["FACE_MATCH ≤", "sets with a diff accepted", "diff accepted (all sets)",
                  "TAR selfie↔selfie", "TAR portrait↔selfie"], rows)


WIDTH_BUCKETS = ((0, 60), (60, 80), (80, 100), (100, 130), (130, 200), (200, 10_000))
SHARPNESS_BUCKETS = ((0, 8), (8, 12), (12, 20), (20, 40), (40, 10_000))


def quality_table(sets: list[PairSet], attribute: str, buckets: tuple) -> str:
    """Distances by the pair's lower face width or sharpness, all sets pooled."""
    same = np.concatenate([p.same for p in sets])
    dist = np.concatenate([p.distance for p in sets])
    value = np.concatenate([getattr(p, attribute) for p in sets])
    rows = []
    for lo, hi in buckets:
        m = (value >= lo) & (value < hi) & np.isfinite(dist)
        s, d = dist[m & same], dist[m & ~same]
        if not len(s) and not len(d):
            continue
        q = lambda v, k: f"{np.percentile(v, k):.3f}" if len(v) else "–"  # noqa: E731
        rows.append([f"{lo}–{hi if hi < 10_000 else '∞'}", str(len(s)), q(s, 50), q(s, 95), q(s, 100),
                     str(len(d)), q(d, 0), q(d, 1)])
    return table([attribute.replace("_", " "), "same n", "same median", "same p95", "same max", "diff n",
                  "diff min", "diff p1"], rows)


def far_genuine_table(sets: list[PairSet]) -> str:
    """Genuine pairs at or past FACE_MISMATCH: would any be DENIED (a sharp selfie)?"""
    rows = []
    for p in sets:
        far = p.where(p.same & np.isfinite(p.distance) & (p.distance >= selfie.FACE_MISMATCH_MIN_DISTANCE))
        if len(far.distance):
            rows.append([p.name, str(len(far.distance)), ", ".join(f"{d:.3f}" for d in far.distance),
                         str(int(far.selfie_soft.sum())), f"**{int((~far.selfie_soft).sum())}**"])
    return table(["pairs", f"genuine ≥ {selfie.FACE_MISMATCH_MIN_DISTANCE}", "distances", "selfie soft (→ TOO_BLURRY)",
                  "selfie sharp (→ MISMATCH, DENIED)"], rows) if rows else "none"


def selfie_check_table(samples: dict[str, list[FaceSample]]) -> str:
    rows = []
    for name, items in samples.items():
        found = [s for s in items if s.region is not None]
        rows.append([name, f"{len(found)}/{len(items)}", str(sum(_soft(s) for s in found)),
                     f"{np.median([s.width_px for s in found]):.0f}",
                     f"{min(s.sharpness for s in found):.1f} / {np.median([s.sharpness for s in found]):.1f}"])
    return table(["condition", "face found", "soft face", "median face width px", "sharpness min / median"], rows)


def document_portrait_search(engines: Engines, data: Path) -> str:
    """find_document_face without a box on shared/data/documents, against face_on_document."""
    manifest = json.loads((data / "documents" / "manifest.json").read_text())
    found, total, flagged, times = {True: 0, False: 0}, {True: 0, False: 0}, [], []
    for item in manifest["items"]:
        image = load_photo(data / "documents" / item["file"])
        started = time.process_time()
        portrait = find_document_face(engines, image, None)
        times.append(1000 * (time.process_time() - started))
        labelled = bool(item["face_on_document"])
        total[labelled] += 1
        if portrait is not None:
            found[labelled] += 1
            if not labelled:
                flagged.append(f"{item['file']} ({portrait.method}, {portrait.width_in_document_px:.0f} px)")
    return (f"labelled with a portrait: found {found[True]}/{total[True]}; labelled without: a face reported on "
            f"{found[False]}/{total[False]} {flagged}; CPU median {statistics.median(times):.0f} ms, "
            f"max {max(times):.0f} ms")


def report(engines: Engines, samples: dict[str, list[FaceSample]], data: Path) -> None:
    print("## Face matching (dlib ResNet, mirror-averaged; shipped FACE_MATCH ≤ "
          f"{selfie.FACE_MATCH_MAX_DISTANCE}, FACE_MISMATCH ≥ {selfie.FACE_MISMATCH_MIN_DISTANCE})\n")
    print("### The selfie check under each condition\n")
    print(selfie_check_table(samples))
    print("\n### Development pairs (manifest, original photos)\n")
    print(development_table(development_pair_sets(engines, samples, data)))
    sets = all_pair_sets(engines, samples)
    print("\n### Every pair, per condition (policy outcome at the shipped thresholds, liveness taken as LIVE)\n")
    print(condition_table(sets))
    print("\n### By source repository (all conditions pooled)\n")
    print(source_table(sets))
    print("\n### Calibrated on one source, scored on the other\n")
    print(cross_source_table(sets))
    print("\n### FACE_MATCH threshold candidates over all sets\n")
    print(sweep_table(sets))
    print("\n### Genuine pairs past FACE_MISMATCH\n")
    print(far_genuine_table(sets))
    print("\n### Distance by the smaller face width of the pair (all sets)\n")
    print(quality_table(sets, "min_width", WIDTH_BUCKETS))
    print("\n### Distance by the lower sharpness of the pair (all sets)\n")
    print(quality_table(sets, "min_sharpness", SHARPNESS_BUCKETS))
    print("\n### Portrait search on real documents (whole document, no box given)\n")
    print(document_portrait_search(engines, data))
