"""Presentation-attack samples from every spoof source, cropped as the selfie step crops them.

Sources: shared/data/spoof (NUAA-layout print attacks, face crops) and the four sources of
shared/data/extra/spoof (biometrics-server full frames with prints and screens, trickyf0x and
apfol screen replays as face crops, trueface full frames). Each sample keeps its source,
label, attack type, framing, the selfie check's code and the face box the pipeline finds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from openidv.pipeline import face
from openidv.pipeline.images import read_image_file
from openidv.pipeline.results import Box

SOURCES = ("nuaa", "biometrics-server", "trickyf0x-liveness", "apfol-liveness", "trueface-samples")


@dataclass
class AttackSample:
    """One image: live or attack, and what the selfie step sees in it."""

    file: str  # path relative to the data folder
    source: str
    live: bool
    attack_type: Optional[str]  # print_photo / screen_replay / unknown; None when live
    framing: str  # face_crop / full_frame
    subject: str
    image: np.ndarray  # BGR, as decoded
    box: Optional[Box]  # the face the selfie step would use (None: no face detected)
    problem: Optional[str]  # NO_FACE_FOUND / TOO_MANY_FACES / FACE_TOO_BLURRY or None


def _items(data: Path) -> list[tuple[str, dict, str]]:
    """(path relative to data, manifest item, source) for every spoof image."""
    out = []
    main = json.loads((data / "spoof" / "manifest.json").read_text())
    out += [(f"spoof/{i['file']}", i, "nuaa") for i in main["items"]]
    extra = json.loads((data / "extra" / "spoof" / "manifest.json").read_text())
    out += [(f"extra/spoof/{i['file']}", i, i["file"].split("/")[0]) for i in extra["items"]]
    return out


def load_attack_samples(data: Path, progress: Optional[Callable[[str], None]] = None) -> list[AttackSample]:
    samples = []
    items = _items(data)
    for n, (rel, item, source) in enumerate(items):
        image = read_image_file(str(data / rel))
        faces = face.detect_faces(image)
        framing = item.get("framing", "face_crop")
        problem = face.selfie_face_problem(faces)
        box = faces[0].box if faces else None
        samples.append(AttackSample(
            file=rel, source=source, live=item["label"] == "live",
            attack_type=None if item["label"] == "live" else (item.get("attack_type") or "unknown"),
            framing=framing, subject=item.get("subject", ""), image=image, box=box, problem=problem,
        ))
        if progress:
            progress(f"{n + 1}/{len(items)}")
    return samples
