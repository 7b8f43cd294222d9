"""Decisions end to end (pipeline level, no server) for genuine, impostor and attack selfies.

    python benchmarks/unseen_end_to_end.py [--data DIR] [--attacks-cache FILE]

Each person gets a synthetic TD1 identity card (openidv.pipeline.synthetic, tilt ±4°, blur,
noise, JPEG q55) carrying a portrait cut from one of their photos, face 100 px wide. The
card is read once by the document step (analyse_document_images); then every selfie goes
through the face step and the decision exactly as the worker runs them
(analyse_face_images → conclude):

* genuine: the person's other photos, as published and as a 250×250 news-like photo
  (face 100 px, JPEG q75);
* impostor: every photo of every other person;
* attack sources: per subject a card from a live image (or, for people seen only in
  prints, from the attack image itself: the attacker holds the victim's picture); the
  subject's other live images are genuine, the attack images attacks.

Counts the dangerous outcomes: genuine DENIED (and why), wrong APPROVED, FAKE_FACE given to
genuine users, FACE_TOO_BLURRY on ordinary 250 px selfies.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.attack_samples import AttackSample, load_attack_samples  # noqa: E402
from benchmarks.face_samples import CONDITION_BY_NAME, apply_condition, load_photos  # noqa: E402
from benchmarks.faces import load_photo, make_synthetic_document, portrait_from_photo  # noqa: E402
from openidv.pipeline import face, run  # noqa: E402

SELFIE_CONDITIONS = ("original", "news250_face100_q75")
PORTRAIT_FACE_PX = 100


@dataclass(frozen=True)
class Outcome:
    """One selfie against one card: who it is, what came out, and the numbers behind it."""

    group: str  # genuine / impostor / attack / live (attack sources)
    subset: str  # condition or source
    selfie: str
    status: str
    face_result: str
    liveness: Optional[str]
    liveness_score: Optional[float]
    distance: Optional[float]
    face_width: Optional[float]
    sharpness: Optional[float]
    document: str


@dataclass
class Card:
    """A synthetic card, read once: the image, the document result and the portrait's face."""

    image: np.ndarray
    document: object  # DocumentResult
    portrait: object  # PortraitFace (or None when the document step gave no box)


def default_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO.parent / "shared" / "data"))


def make_card(photo: np.ndarray, seed: int) -> Optional[Card]:
    faces = face.detect_faces(photo)
    if not faces:
        return None
    portrait = portrait_from_photo(photo, faces[0].box, PORTRAIT_FACE_PX)
    made = make_synthetic_document(portrait, PORTRAIT_FACE_PX, seed=seed)
    if made is None:
        raise SystemExit("the synthetic documents need the OCR-B font (apt-get install fonts-ocr-b)")
    image, _ = made
    document = run.analyse_document_images({"FRONT": image}, declared_country=None, declared_type=None)
    portrait_face = None
    if document.portrait_image == "FRONT" and document.portrait_box is not None:
        portrait_face = face.embed_document_portrait(image, document.portrait_box)
    return Card(image, document, portrait_face)


def decide(card: Card, selfie: np.ndarray, analysed) -> tuple:  # noqa: ANN001
    """The worker's face step and decision for one selfie against one card."""
    images = {"FRONT": card.image, "FACE": selfie}
    portraits = {card.document.portrait_box: card.portrait} if card.portrait is not None else None
    face_result = run.analyse_face_images(images, card.document, face_required=True, selfie=analysed,
                                          portrait_faces=portraits)
    image_analysis = run.ImageAnalysis(document=card.document, face=face_result,
                                       document_data=run.document_fields(card.document),
                                       detected_type=card.document.document_type, additional_steps=None)
    analysis = run.conclude(image_analysis, token_type="IDENTIFICATION", token_request={})
    return analysis, face_result


def outcome(group: str, subset: str, name: str, card: Card, selfie: np.ndarray, analysed) -> Outcome:  # noqa: ANN001
    analysis, f = decide(card, selfie, analysed)
    return Outcome(group, subset, name, analysis.decision.status, f.result, f.liveness, f.liveness_score,
                   f.distance, f.scores.get("selfie_face_width"), f.scores.get("selfie_sharpness"),
                   analysis.document.validity)


def faces_outcomes(data: Path, log) -> list[Outcome]:  # noqa: ANN001
    photos = load_photos(data)
    by_identity: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(photos):
        by_identity[p.identity].append(i)
    originals = {i: load_photo(data / "faces" / p.file) for i, p in enumerate(photos)}
    selfies: dict[tuple[str, int], tuple[np.ndarray, object]] = {}
    for i, original in originals.items():
        faces = face.detect_faces(original)
        box = faces[0].box if faces else None
        for c in SELFIE_CONDITIONS:
            image = apply_condition(original, box, CONDITION_BY_NAME[c])
            if image is not None:
                selfies[(c, i)] = (image, face.analyse_selfie(image))
    out = []
    for n, (identity, members) in enumerate(sorted(by_identity.items())):
        holder = members[0]
        card = make_card(originals[holder], seed=n)
        if card is None:
            continue
        log(f"card {n + 1}/{len(by_identity)} {identity}: {card.document.validity}")
        for (c, i), (image, analysed) in selfies.items():
            if i == holder:
                continue
            same = photos[i].identity == identity
            if not same and c != "original":
                continue
            out.append(outcome("genuine" if same else "impostor", c, photos[i].file, card, image, analysed))
    return out


def attack_outcomes(samples: list[AttackSample], log) -> list[Outcome]:  # noqa: ANN001
    by_subject: dict[str, list[AttackSample]] = defaultdict(list)
    for s in samples:
        by_subject[f"{s.source}:{s.subject}"].append(s)
    out = []
    for n, (subject, rows) in enumerate(sorted(by_subject.items())):
        holder = next((s for s in rows if s.live and s.box is not None), None) or \
            next((s for s in rows if s.box is not None), None)
        if holder is None:
            continue
        card = make_card(holder.image, seed=1000 + n)
        if card is None:
            continue
        log(f"attack card {n + 1}/{len(by_subject)} {subject}")
        for s in rows:
            if s is holder:
                continue
            out.append(outcome("live" if s.live else "attack", f"{s.source} ({s.framing})", s.file, card,
                               s.image, face.analyse_selfie(s.image)))
    return out


def summary_rows(outcomes: list[Outcome]) -> list[str]:
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.group, o.subset)].append(o)
    lines = []
    for (group, subset), rows in sorted(groups.items()):
        status = Counter(o.status for o in rows)
        result = Counter(o.face_result for o in rows)
        lines.append(f"| {group} | {subset} | {len(rows)} | "
                     + " / ".join(str(status.get(k, 0)) for k in ("APPROVED", "REVIEWING", "SUSPECTED", "DENIED"))
                     + f" | {', '.join(f'{k} {v}' for k, v in result.most_common())} |")
    return lines


def dangerous_rows(outcomes: list[Outcome]) -> list[str]:
    genuine = [o for o in outcomes if o.group == "genuine"]
    live = [o for o in outcomes if o.group == "live"]
    wrong = [o for o in outcomes if o.group in ("impostor", "attack") and o.status == "APPROVED"]
    news = [o for o in genuine if o.subset.startswith("news250")]
    denied = [o for o in genuine if o.status == "DENIED"]
    denied_live_full = [o for o in live if o.status == "DENIED" and "full_frame" in o.subset]
    rows = [
        ("genuine (faces set) DENIED", len(denied), len(genuine), Counter(o.face_result for o in denied)),
        ("genuine given FAKE_FACE", sum(o.face_result == "FAKE_FACE" for o in genuine), len(genuine), ""),
        ("250 px news-like selfie FACE_TOO_BLURRY", sum(o.face_result == "FACE_TOO_BLURRY" for o in news),
         len(news), ""),
        ("live full-frame selfie (attack sources) DENIED", len(denied_live_full),
         sum("full_frame" in o.subset for o in live), Counter(o.face_result for o in denied_live_full)),
        ("wrong APPROVED (impostor or attack)", len(wrong), sum(o.group in ("impostor", "attack") for o in outcomes),
         Counter(f"{o.group} {o.subset}" for o in wrong)),
        ("impostor answered FAKE_FACE instead of FACE_MISMATCH",
         sum(o.group == "impostor" and o.face_result == "FAKE_FACE" for o in outcomes),
         sum(o.group == "impostor" for o in outcomes), ""),
    ]
    return [f"| {name} | **{k}** / {n} | {dict(why) if why else ''} |" for name, k, n, why in rows]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--attacks-cache", type=Path, help="pickle written by unseen_attacks.py --cache")
    parser.add_argument("--save", type=Path, help="write every outcome here (pickle)")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731

    started, cpu0 = time.perf_counter(), time.process_time()
    face.load_models()
    outcomes = faces_outcomes(args.data, log)
    if args.attacks_cache is not None and args.attacks_cache.exists():
        samples = pickle.loads(args.attacks_cache.read_bytes())
    else:
        samples = load_attack_samples(args.data)
    outcomes += attack_outcomes(samples, log)
    if args.save is not None:
        args.save.write_bytes(pickle.dumps(outcomes))
    print(f"# End-to-end decisions ({len(outcomes)} selfie/card pairs; "
          f"{time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu0:.0f} s CPU)\n")
    print("| what | count | why |\n|---|---|---|")
    print("\n".join(dangerous_rows(outcomes)))
    print("\n| group | selfies | n | APPROVED / REVIEWING / SUSPECTED / DENIED | face results |")
    print("|---|---|---|---|---|")
    print("\n".join(summary_rows(outcomes)))
    docs = Counter(o.document for o in outcomes)
    print(f"\ndocument results over the pairs: {dict(docs)}")
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
