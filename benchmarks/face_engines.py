"""Face embedding engines compared by the unseen-accuracy benchmarks.

Every engine takes a face region and the detector's box in it (dlib HOG, as the pipeline
finds it) and returns a vector; ``distance`` compares two vectors (smaller = more alike).
Only ``dlib`` is what openidv ships; the others are candidates, loaded only when named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from openidv.pipeline import face
from openidv.pipeline.results import Box


@dataclass(frozen=True)
class Engine:
    """An embedding engine: how to embed a face and how to compare two embeddings."""

    name: str
    embed: Callable[[np.ndarray, Box], np.ndarray]
    distance: Callable[[np.ndarray, np.ndarray], float]
    note: str = ""


def euclidean(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(1.0 - np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def dlib_engine() -> Engine:
    face.load_models()
    return Engine("dlib", face.embed_face, euclidean,
                  "dlib ResNet 128-d, mirror-averaged (openidv.pipeline.face.embed_face)")


ENGINES: dict[str, Callable[[], Engine]] = {"dlib": dlib_engine}


def load_engine(name: str) -> Engine:
    if name not in ENGINES:
        raise SystemExit(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    return ENGINES[name]()


def register(name: str) -> Callable[[Callable[[], Engine]], Callable[[], Engine]]:
    def add(factory: Callable[[], Engine]) -> Callable[[], Engine]:
        ENGINES[name] = factory
        return factory
    return add


def embed_or_none(engine: Engine, region: Optional[np.ndarray], box: Optional[Box]) -> Optional[np.ndarray]:
    if region is None or box is None:
        return None
    return engine.embed(region, box)
