"""Decisions end to end (pipeline level, no server) for genuine, impostor and attack selfies
against synthetic documents (run through ``benchmarks/faces.py decisions``).

Each person gets a synthetic TD1 identity card (tilt ±4°, blur, noise, JPEG q55) carrying a
portrait cut from one of their photos, face 100 px wide. The card is read once by the
document stage; then every selfie goes through the face stage and the decision as the worker
runs them (``analyse_face_images`` → ``conclude``):

* genuine: the person's other photos under every capture condition of face_samples.py;
* impostor: every photo of every other person, under every condition;
* spoof sources: per subject a card from a live image (or, for people seen only in prints,
  from the attack image itself: the attacker holds the victim's picture); the subject's
  other live images are genuine, the attack images attacks.

Counts the dangerous outcomes: a genuine user DENIED, a wrong APPROVED, an impostor labelled
FAKE_FACE instead of FACE_MISMATCH.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Optional

import numpy as np

from benchmarks.face_match import table
from benchmarks.face_samples import (
    CONDITIONS,
    PORTRAIT_FACE_PX,
    AttackSample,
    apply_condition,
    load_photo,
    load_photos,
    portrait_from_photo,
    progress,
    synthetic_card,
)
from openidv.core.vocab import FaceCode, Status, Step, TokenType
from openidv.pipeline import face, run
from openidv.pipeline.document import analyse_document
from openidv.pipeline.document.portrait import embed_document_portrait
from openidv.pipeline.engines import Engines
from openidv.pipeline.results import DocumentResult, PortraitFace
from openidv.pipeline.selfie import SelfieAnalysis, analyse_selfie


@dataclass(frozen=True)
class Outcome:
    """One selfie against one card: who it is, what came out, and the numbers behind it."""

    group: str  # genuine / impostor (faces set); live / attack (spoof sources)
    subset: str  # condition, or "source (framing)"
    selfie: str
    status: str
    face_result: str
    liveness_score: Optional[float]
    distance: Optional[float]
    document: str  # the card's document result (all DOC_VALIDATED when the cards read well)


@dataclass
class Card:
    """A synthetic card, read once: the image, the document result and the portrait's face."""

    image: np.ndarray
    document: DocumentResult
    portrait: Optional[PortraitFace]


def make_card(engines: Engines, photo: np.ndarray, seed: int) -> Optional[Card]:
    faces = face.detect_faces(engines, photo)
    if not faces:
        return None
    image, _ = synthetic_card(portrait_from_photo(photo, faces[0].box, PORTRAIT_FACE_PX), PORTRAIT_FACE_PX, seed)
    document = analyse_document(engines, image)
    portrait = None
    if document.portrait_image == Step.FRONT and document.portrait_box is not None:
        portrait = embed_document_portrait(engines, image, document.portrait_box)
    return Card(image, document, portrait)


def outcome(engines: Engines, group: str, subset: str, name: str, card: Card, selfie_image: np.ndarray,
            analysed: SelfieAnalysis) -> Outcome:
    """The worker's face stage and decision for one selfie against one card."""
    images = {Step.FRONT: card.image, Step.FACE: selfie_image}
    portraits = {card.document.portrait_box: card.portrait} if card.portrait is not None else None
    face_result = run.analyse_face_images(engines, images, card.document, face_required=True, selfie=analysed,
                                          portrait_faces=portraits)
    image_analysis = run.ImageAnalysis(document=card.document, face=face_result,
                                       document_data=run.document_fields(card.document),
                                       detected_type=card.document.document_type, additional_steps=None)
    analysis = run.conclude(image_analysis, token_type=TokenType.IDENTIFICATION, token_request={})
    return Outcome(group, subset, name, analysis.decision.status, face_result.result, face_result.liveness_score,
                   face_result.distance, analysis.document.validity)


def faces_outcomes(engines: Engines, data) -> list[Outcome]:  # noqa: ANN001
    photos = load_photos(data)
    by_identity: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(photos):
        by_identity[p.identity].append(i)
    originals = {i: load_photo(data / "faces" / p.file) for i, p in enumerate(photos)}
    selfies: dict[tuple[str, int], tuple[np.ndarray, SelfieAnalysis]] = {}
    for i, original in originals.items():
        faces = face.detect_faces(engines, original)
        box = faces[0].box if faces else None
        for condition in CONDITIONS:
            image = apply_condition(original, box, condition)
            if image is not None:
                selfies[(condition.name, i)] = (image, analyse_selfie(engines, image))
        progress(f"selfies {i + 1}/{len(originals)}")
    out = []
    for n, (identity, members) in enumerate(sorted(by_identity.items())):
        holder = members[0]
        card = make_card(engines, originals[holder], seed=n)
        if card is None:
            continue
        progress(f"cards {n + 1}/{len(by_identity)}")
        for (condition, i), (image, analysed) in selfies.items():
            if i != holder:
                group = "genuine" if photos[i].identity == identity else "impostor"
                out.append(outcome(engines, group, condition, photos[i].file, card, image, analysed))
    return out


def attack_outcomes(engines: Engines, samples: list[AttackSample]) -> list[Outcome]:
    by_subject: dict[str, list[AttackSample]] = defaultdict(list)
    for s in samples:
        by_subject[f"{s.source}:{s.subject}"].append(s)
    out = []
    for n, (_, rows) in enumerate(sorted(by_subject.items())):
        holder = (next((s for s in rows if s.live and s.box is not None), None)
                  or next((s for s in rows if s.box is not None), None))
        card = make_card(engines, holder.image, seed=1000 + n) if holder is not None else None
        if card is None:
            continue
        progress(f"spoof cards {n + 1}/{len(by_subject)}")
        for s in rows:
            if s is not holder:
                out.append(outcome(engines, "live" if s.live else "attack", f"{s.source} ({s.framing})", s.file, card,
                                   s.image, analyse_selfie(engines, s.image)))
    return out


def dangerous_table(outcomes: list[Outcome]) -> str:
    genuine = [o for o in outcomes if o.group in ("genuine", "live")]
    wrong = [o for o in outcomes if o.group in ("impostor", "attack") and o.status == Status.APPROVED]
    impostors = [o for o in outcomes if o.group == "impostor"]
    denied = [o for o in genuine if o.status == Status.DENIED]
    # No face found on a tight face crop (or a heavily blurred photo) is DENIED by the product
    # rules whatever the policy; counted apart from the denials the face policy decides.
    no_face = (FaceCode.NO_FACE_FOUND, FaceCode.TOO_MANY_FACES)
    judged = [o for o in denied if o.face_result not in no_face]
    rows = [
        ("genuine user DENIED by the face policy (faces set, every condition; live images of the spoof sources)",
         judged, genuine, Counter(f"{o.group} {o.subset}: {o.face_result}" for o in judged)),
        ("genuine user DENIED: no face detected (NO_FACE_FOUND / TOO_MANY_FACES)",
         [o for o in denied if o.face_result in no_face], genuine,
         Counter(f"{o.group} {o.subset}: {o.face_result}" for o in denied if o.face_result in no_face)),
        ("FAKE_FACE given to anyone", [o for o in outcomes if o.face_result == FaceCode.FAKE_FACE], outcomes, ""),
        ("impostor labelled FAKE_FACE instead of FACE_MISMATCH",
         [o for o in impostors if o.face_result == FaceCode.FAKE_FACE], impostors, ""),
        ("wrong APPROVED (impostor or attack)", wrong, [o for o in outcomes if o.group in ("impostor", "attack")],
         Counter(f"{o.group} {o.subset}" for o in wrong)),
        ("impostor APPROVED", [o for o in wrong if o.group == "impostor"], impostors, ""),
    ]
    return table(["what", "count", "why"], [[name, f"**{len(k)}** / {len(n)}", str(dict(why)) if why else ""]
                                            for name, k, n, why in rows])


def summary_table(outcomes: list[Outcome]) -> str:
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.group, o.subset)].append(o)
    rows = []
    for (group, subset), items in sorted(groups.items()):
        status = Counter(o.status for o in items)
        result = Counter(o.face_result for o in items)
        rows.append([group, subset, str(len(items)),
                     " / ".join(str(status.get(k, 0)) for k in (Status.APPROVED, Status.REVIEWING, Status.SUSPECTED,
                                                                 Status.DENIED)),
                     ", ".join(f"{k} {v}" for k, v in result.most_common())])
    return table(["group", "selfies", "n", "APPROVED / REVIEWING / SUSPECTED / DENIED", "face results"], rows)


def report(engines: Engines, data, attack_samples: list[AttackSample]) -> list[Outcome]:  # noqa: ANN001
    outcomes = faces_outcomes(engines, data) + attack_outcomes(engines, attack_samples)
    print(f"## End-to-end decisions ({len(outcomes)} selfie/card pairs)\n")
    print(dangerous_table(outcomes))
    print()
    print(summary_table(outcomes))
    print(f"\ndocument results over the pairs: {dict(Counter(o.document for o in outcomes))}")
    return outcomes
