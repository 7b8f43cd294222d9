"""Face benchmark: verification accuracy (selfie↔selfie, portrait↔selfie), attack detection, speed.

    python benchmarks/faces.py [--data DIR] [--portrait-face-width 100] [--skip-liveness-cv] [--own-card]

Selfie↔selfie: the labelled pairs of shared/data/faces/manifest.json. Portrait↔selfie: for
each pair (A, B), photo A is cut to an ID-photo portrait whose face is ``--portrait-face-width``
px wide (the portrait ≈1.6× that), printed
onto a synthetic card (print blur, desaturation, halftone noise, JPEG) and found again on the
card by openidv's own portrait search; it is compared with photo B. Attacks: nested
leave-one-subject-out CV on shared/data/spoof (as benchmarks/train_liveness.py) and the
packaged model's decisions on the live face photos. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from openidv.pipeline import face, liveness, selfie  # noqa: E402
from openidv.pipeline.document.portrait import find_document_face  # noqa: E402
from openidv.pipeline.engines import Engines  # noqa: E402

ENGINES = Engines()
from openidv.pipeline.results import Box  # noqa: E402


def default_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO.parent / "shared" / "data"))


def load_photo(path: Path) -> np.ndarray:
    """BGR, EXIF applied. Decoded with Pillow directly: the set holds one WEBP the API refuses."""
    with Image.open(path) as im:
        rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


# ------------------------------------------------------------------ synthetic documents


PORTRAIT_FACE_SHARE = 0.62  # face box width / portrait width on ID photos (ICAO: face 50–75 %)


def portrait_from_photo(photo: np.ndarray, box: Box, face_width: int) -> np.ndarray:
    """An ID-photo style crop (3:4, face ≈ 62 % of the width, eyes a little above the middle),
    scaled so the face is face_width px wide; edges replicated where the window leaves the photo."""
    x, y, w, h = box
    win_w = w / PORTRAIT_FACE_SHARE
    width = int(round(face_width / PORTRAIT_FACE_SHARE))
    win_h = win_w * 4 / 3
    x0 = int(round(x + w / 2 - win_w / 2))
    y0 = int(round(y + h * 0.45 - win_h / 2))
    pad = int(max(win_w, win_h))
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    window = padded[y0 + pad : y0 + pad + int(win_h), x0 + pad : x0 + pad + int(win_w)]
    return cv2.resize(window, (width, int(round(width * 4 / 3))), interpolation=cv2.INTER_AREA)


def make_card(portrait: np.ndarray, seed: int) -> tuple[np.ndarray, Box]:
    """A document-like card (ID-1 proportions) with the portrait printed on it, degraded.

    Returns the card (BGR) and the portrait box on it, as the document stage would report.
    """
    rng = np.random.default_rng(seed)
    ph, pw = portrait.shape[:2]
    card_w = int(pw * 6.0)
    card_h = int(card_w * 54 / 85.6)
    base = np.array([205, 225, 235], np.float64) + rng.uniform(-15, 15, 3)
    ramp = np.linspace(-12, 12, card_w)[None, :, None]
    card = np.clip(base[None, None, :] + ramp + rng.normal(0, 3, (card_h, card_w, 3)), 0, 255)
    card = card.astype(np.uint8)
    # Printed text lines and an MRZ-like band: the detector must ignore them.
    for i in range(5):
        cv2.putText(card, "SPECIMEN NAME 0123", (int(pw * 1.6), int(card_h * 0.2) + i * int(card_h * 0.1)),
                    cv2.FONT_HERSHEY_SIMPLEX, card_h / 900, (60, 50, 40), 1, cv2.LINE_AA)
    for i in range(2):
        cv2.putText(card, "IDUTO<<ERIKSSON<<ANNA<MARIA<<<<", (int(pw * 0.3), int(card_h * 0.8) + i * int(card_h * 0.09)),
                    cv2.FONT_HERSHEY_PLAIN, card_h / 330, (30, 30, 30), 1, cv2.LINE_AA)
    # Print degradation of the portrait: lower saturation and contrast, blur, halftone-like noise.
    hsv = cv2.cvtColor(portrait, cv2.COLOR_BGR2HSV).astype(np.float64)
    hsv[:, :, 1] *= 0.7
    printed = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float64)
    printed = printed * 0.85 + 25
    printed = cv2.GaussianBlur(printed, (0, 0), 0.7)
    printed += rng.normal(0, 4, printed.shape)
    px, py = int(pw * 0.25), int((card_h - ph) * 0.35)
    card[py : py + ph, px : px + pw] = np.clip(printed, 0, 255).astype(np.uint8)
    # Capture: JPEG at quality 55.
    ok, jpeg = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 55])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR), (px, py, pw, ph)


def make_synthetic_document(portrait: np.ndarray, face_width: int, seed: int) -> Optional[tuple[np.ndarray, Box]]:
    """The project's synthetic TD1 ID card (tests.support.synthetic) with this portrait,
    photographed with print/camera degradation and scaled so the face is face_width px wide.
    None when that module or its OCR-B font is not available."""
    try:
        from tests.support import synthetic

        synthetic.ocr_b_font_path()
    except Exception:  # module absent or FontUnavailable: fall back to make_card
        return None
    fields = synthetic.random_fields("TD1", seed=seed)
    _, box = synthetic.render_page(fields, portrait, seed=seed)  # portrait box at 8 px/mm
    scale = face_width / (PORTRAIT_FACE_SHARE * box[2])
    degradation = synthetic.Degradation(
        rotation_deg=float(np.random.default_rng(seed).uniform(-4, 4)), perspective=0.01,
        blur_sigma=0.7, noise_sigma=3.0, jpeg_quality=55, uneven_light=0.2, scale=scale,
    )
    image, truth = synthetic.make_document("TD1", fields=fields, portrait=portrait, degradation=degradation, seed=seed)
    return image, truth.portrait_box


# ------------------------------------------------------------------ metrics


def tar_at_far(same: np.ndarray, diff: np.ndarray, far: float) -> tuple[float, float]:
    """Best TAR with FAR ≤ far, and the distance threshold achieving it (accept if d ≤ t)."""
    diff_sorted = np.sort(diff)
    allowed = int(np.floor(far * len(diff)))  # impostor pairs that may be accepted
    # Threshold just below the (allowed+1)-th smallest impostor distance.
    t = diff_sorted[allowed] - 1e-9 if allowed < len(diff) else np.inf
    return float((same <= t).mean()), float(t)


def eer(same: np.ndarray, diff: np.ndarray) -> float:
    best = (2.0, 1.0)
    for t in np.unique(np.concatenate([same, diff])):
        frr = float((same > t).mean())
        far = float((diff <= t).mean())
        best = min(best, (abs(frr - far), (frr + far) / 2))
    return best[1]


def verification_row(name: str, same: np.ndarray, diff: np.ndarray) -> dict[str, str]:
    tar1, t1 = tar_at_far(same, diff, 0.01)
    tar01, t01 = tar_at_far(same, diff, 0.001)
    at_match = float((same <= selfie.FACE_MATCH_MAX_DISTANCE).mean())
    far_match = float((diff <= selfie.FACE_MATCH_MAX_DISTANCE).mean())
    same_mis = float((same >= selfie.FACE_MISMATCH_MIN_DISTANCE).mean())
    found = same[np.isfinite(same)]  # a same pair with no face found is a rejection (inf)
    diff_unc = float(((diff > selfie.FACE_MATCH_MAX_DISTANCE) & (diff < selfie.FACE_MISMATCH_MIN_DISTANCE)).mean())
    return {
        "set": name,
        "pairs": f"{len(same)} same / {len(diff)} diff",
        "TAR@FAR1%": f"{tar1:.1%} (t={t1:.3f})",
        "TAR@FAR0.1%": f"{tar01:.1%} (t={t01:.3f})",
        "EER": f"{eer(same, diff):.2%}",
        "at FACE_MATCH ≤ %.2f" % selfie.FACE_MATCH_MAX_DISTANCE: f"TAR {at_match:.1%} FAR {far_match:.2%}",
        "same→MISMATCH / diff→UNCERTAIN": f"{same_mis:.1%} / {diff_unc:.1%}",
        "distance same / diff": f"{found.mean():.3f}±{found.std():.3f} (max {found.max():.3f}) / "
        f"{diff.mean():.3f}±{diff.std():.3f} (min {diff.min():.3f})"
        + (f"; {len(same) - len(found)} same pairs without a face" if len(found) < len(same) else ""),
    }


def markdown_table(rows: list[dict[str, str]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(r[k] for k in keys) + " |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def run(
    data: Path, portrait_face_width: int, skip_liveness_cv: bool, dump: Optional[Path] = None, own_card: bool = False
) -> None:
    manifest = json.loads((data / "faces" / "manifest.json").read_text())
    t0 = time.perf_counter()
    ENGINES.load_all()
    load_ms = (time.perf_counter() - t0) * 1000

    selfie_emb: dict[str, np.ndarray] = {}
    portrait_emb: dict[str, Optional[np.ndarray]] = {}
    detect_ms, embed_ms, validate_ms, live_ms, portrait_ms = [], [], [], [], []
    portrait_methods: dict[str, int] = {}
    live_counts = {"LIVE": 0, "FACE_UNCERTAIN": 0, "FAKE_FACE": 0}
    no_face = []
    for index, item in enumerate(manifest["items"]):
        photo = load_photo(data / "faces" / item["file"])
        t = time.perf_counter()
        faces = face.detect_faces(ENGINES, photo)
        detect_ms.append((time.perf_counter() - t) * 1000)
        if not faces:
            no_face.append(item["file"])
            continue
        t = time.perf_counter()
        selfie_emb[item["file"]] = face.embed_face(ENGINES, photo, faces[0].box)
        embed_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        face.has_face(ENGINES, photo)
        validate_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        verdict = liveness.check_liveness(ENGINES.liveness_model(), photo, faces[0].box)
        live_ms.append((time.perf_counter() - t) * 1000)
        live_counts[verdict.result] += 1

        portrait = portrait_from_photo(photo, faces[0].box, portrait_face_width)
        made = None if own_card else make_synthetic_document(portrait, portrait_face_width, seed=index)
        card_kind = "tests.support.synthetic TD1" if made is not None else "benchmark card (make_card)"
        card, box = made if made is not None else make_card(portrait, seed=index)
        t = time.perf_counter()
        found = find_document_face(ENGINES, card, box)
        if found is None:
            portrait_emb[item["file"]] = None
            portrait_methods["not found"] = portrait_methods.get("not found", 0) + 1
        else:
            portrait_emb[item["file"]] = face.embed_face(ENGINES, found.image, found.box)
            portrait_methods[found.method] = portrait_methods.get(found.method, 0) + 1
        portrait_ms.append((time.perf_counter() - t) * 1000)

    def distances(first: dict, second: dict) -> tuple[np.ndarray, np.ndarray, int]:
        same, diff, missing = [], [], 0
        for pair in manifest["pairs"]:
            ea, eb = first.get(pair["a"]), second.get(pair["b"])
            if ea is None or eb is None:
                missing += 1  # counted as a failure below: a same pair not accepted
                if pair["same"]:
                    same.append(np.inf)
                continue
            (same if pair["same"] else diff).append(float(np.linalg.norm(ea - eb)))
        return np.array(same), np.array(diff), missing

    s_same, s_diff, s_missing = distances(selfie_emb, selfie_emb)
    p_same, p_diff, p_missing = distances(portrait_emb, selfie_emb)
    if dump is not None:
        dump.write_text(json.dumps({"selfie": [s_same.tolist(), s_diff.tolist()],
                                    "portrait": [p_same.tolist(), p_diff.tolist()]}))
    rows = [
        verification_row("selfie↔selfie", s_same, s_diff),
        verification_row(f"portrait(face {portrait_face_width}px)↔selfie", p_same, p_diff),
    ]
    print(f"## Verification (dlib ResNet, {len(manifest['items'])} photos, {len(manifest['pairs'])} pairs)\n")
    print(markdown_table(rows))
    print(
        f"\nphotos without a detected face: {len(no_face)} {no_face}; pairs missing an embedding: "
        f"selfie {s_missing}, portrait {p_missing} (a missing same pair counts as rejected)"
    )
    print(f"portrait documents: {card_kind}; portrait found via: {portrait_methods}")

    print("\n## Portrait search on real documents (whole document, no box given)\n")
    print(document_portrait_search(data))

    print("\n## Presentation attacks (print), liveness_v1\n")
    model = ENGINES.liveness_model()
    if not skip_liveness_cv:
        sys.path.insert(0, str(REPO / "benchmarks"))
        import train_liveness

        x, y, subjects, _ = train_liveness.load_spoof_set(data)
        oof, _ = train_liveness.leave_subjects_out_scores(x, y, subjects)
        hard = train_liveness.rates(oof, y, 0.5, 0.5)
        band = train_liveness.rates(oof, y, model.fake_below, model.live_from)
        print("| protocol | APCER | BPCER | live → UNCERTAIN | attack → UNCERTAIN |")
        print("|---|---|---|---|---|")
        print(f"| nested leave-one-subject-out, threshold 0.5 | {hard['APCER']:.1%} | {hard['BPCER']:.1%} | – | – |")
        apcer5, t5 = train_liveness.apcer_at_bpcer(oof, y, 0.05)
        print(f"| same, threshold {t5:.3f} (BPCER ≤ 5 %) | {apcer5:.1%} | ≤ 5.0% | – | – |")
        print(
            f"| same, packaged band [{model.fake_below:.3f}, {model.live_from:.3f}) | {band['APCER']:.1%} | "
            f"{band['BPCER']:.1%} | {band['live_uncertain']:.1%} | {band['attack_uncertain']:.1%} |"
        )
    total = sum(live_counts.values())
    print(
        "\nreal face photos (shared/data/faces, all live), packaged model on the detected face: "
        + ", ".join(f"{k} {v}/{total} ({v / max(total, 1):.0%})" for k, v in live_counts.items())
    )

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values):.0f} ms (mean {statistics.fmean(values):.0f})"

    print("\n## Speed (median per photo; photos 240–4600 px)\n")
    print("| step | time |\n|---|---|")
    print(f"| model load (once per process) | {load_ms:.0f} ms |")
    print(f"| detect (HOG, ≤800 px, upsample 1) | {ms(detect_ms)} |")
    print(f"| embed (5-point align + ResNet) | {ms(embed_ms)} |")
    print(f"| detect + embed | {ms([a + b for a, b in zip(detect_ms, embed_ms)])} |")
    print(f"| has_face (photo validation) | {ms(validate_ms)} |")
    print(f"| liveness (crop + features + model, face box given) | {ms(live_ms)} |")
    print(f"| document portrait search + embed | {ms(portrait_ms)} |")
    print(f"\nmachine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")


def document_portrait_search(data: Path) -> str:
    """find_document_face without a box on shared/data/documents, against face_on_document."""
    manifest = json.loads((data / "documents" / "manifest.json").read_text())
    found = {True: 0, False: 0}
    total = {True: 0, False: 0}
    methods: dict[str, int] = {}
    times, flagged = [], []
    for item in manifest["items"]:
        image = load_photo(data / "documents" / item["file"])
        start = time.perf_counter()
        portrait = find_document_face(ENGINES, image, None)
        times.append((time.perf_counter() - start) * 1000)
        labelled = bool(item["face_on_document"])
        total[labelled] += 1
        if portrait is not None:
            found[labelled] += 1
            methods[portrait.method] = methods.get(portrait.method, 0) + 1
            if not labelled:
                flagged.append(f"{item['file']} ({portrait.method}, {portrait.width_in_document_px:.0f} px)")
    return (
        f"labelled with a portrait: found {found[True]}/{total[True]}; labelled without: a face reported on "
        f"{found[False]}/{total[False]} {flagged}\nby search: {methods}; median {statistics.median(times):.0f} ms, "
        f"max {max(times):.0f} ms"
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--portrait-face-width", type=int, default=100, help="face width in the card portrait, px")
    parser.add_argument("--skip-liveness-cv", action="store_true")
    parser.add_argument("--dump", type=Path, help="write the pair distances (JSON) here")
    parser.add_argument("--own-card", action="store_true", help="use the benchmark's simple card, not synthetic.py")
    args = parser.parse_args(argv)
    run(args.data, args.portrait_face_width, args.skip_liveness_cv, args.dump, args.own_card)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
