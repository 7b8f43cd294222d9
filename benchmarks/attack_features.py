"""Candidate feature sets for attack detection, beside the shipped liveness_v1 features
(compared leave-one-source-out by ``benchmarks/faces.py attacks --features``).

* ``v1``: openidv.pipeline.liveness.liveness_features (LBP in Y/Cr/Cb/S, FFT bands, colour).
* ``quality``: image-distortion cues that printing and re-capture leave whatever the face:
  chromatic moments, colour diversity, specular highlights, blur measured two ways, contrast,
  white balance.
* ``moire``: periodic structure a screen's pixel grid or a print's halftone adds: peaks of
  the log spectrum above its radial mean, and how the high-frequency energy is oriented.
"""

from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np

from openidv.pipeline import liveness
from openidv.pipeline.results import Box

NATIVE_SIDE_PX = 160  # the quality/moire crops: the face box region resampled to this side


def production_crop(image: np.ndarray, box: Box | None) -> np.ndarray:
    """The 96×96 crop liveness_v1 scores (the whole image when no face was found)."""
    if box is None:
        return liveness.normalise_crop(image)
    return liveness.face_crop_for_liveness(image, box)


def inner_face(image: np.ndarray, box: Box | None, side: int = NATIVE_SIDE_PX) -> np.ndarray:
    """The face box itself (no background), resampled to side × side."""
    if box is None:
        h, w = image.shape[:2]
        m = min(h, w)
        box = ((w - m) // 2, (h - m) // 2, m, m)
    crop = liveness.crop_face_square(image, box, scale=1.0)
    interp = cv2.INTER_AREA if crop.shape[0] > side else cv2.INTER_CUBIC
    return cv2.resize(crop, (side, side), interpolation=interp)


def _skew(v: np.ndarray) -> float:
    s = v.std()
    return float(((v - v.mean()) ** 3).mean() / (s ** 3 + 1e-9))


def quality_features(image: np.ndarray, box: Box | None) -> np.ndarray:
    """22 image-distortion numbers of the inner face."""
    crop = inner_face(image, box)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV).astype(np.float64)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float64)
    feats = []
    for ch, scale in ((0, 180.0), (1, 255.0), (2, 255.0)):
        v = hsv[:, :, ch].ravel() / scale
        feats += [v.mean(), v.std(), _skew(v)]
    q = (crop // 32).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
    counts = np.sort(np.bincount(codes, minlength=512))[::-1]
    feats += [float((counts > 0).sum()) / 512, float(counts[:10].sum() / counts.sum())]
    s, v = hsv[:, :, 1] / 255, hsv[:, :, 2] / 255
    spec = (v > 0.85) & (s < 0.2)
    feats += [float(spec.mean()), float(v[spec].mean()) if spec.any() else 0.0]
    lap = cv2.Laplacian(grey, cv2.CV_64F)
    blurred = cv2.GaussianBlur(grey, (0, 0), 1.5)
    grad = lambda g: float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())  # noqa: E731
    feats += [math.log(lap.var() + 1), grad(blurred) / (grad(grey) + 1e-9)]
    y = grey / 255
    feats += [float(y.std()), float(np.percentile(y, 99) - np.percentile(y, 1)), float(y.mean())]
    b, g, r = (crop[:, :, k].astype(np.float64).mean() + 1 for k in range(3))
    feats += [math.log(b / r), math.log(g / r)]
    feats += [float(np.percentile(s, 90)), float(np.percentile(v, 95))]
    return np.array(feats)


def moire_features(image: np.ndarray, box: Box | None) -> np.ndarray:
    """12 numbers on periodic structure in the luma of the inner face."""
    grey = cv2.cvtColor(inner_face(image, box), cv2.COLOR_BGR2GRAY).astype(np.float64)
    n = grey.shape[0]
    g = (grey - grey.mean()) * np.outer(np.hanning(n), np.hanning(n))
    logp = np.log(np.abs(np.fft.fftshift(np.fft.fft2(g))) ** 2 + 1e-6)
    f = np.fft.fftshift(np.fft.fftfreq(n))
    fy, fx = np.meshgrid(f, f, indexing="ij")
    radius = np.hypot(fy, fx)
    ring = np.minimum((radius * n).astype(int), n // 2)
    radial_mean = np.bincount(ring.ravel(), logp.ravel()) / np.maximum(np.bincount(ring.ravel()), 1)
    residual = logp - radial_mean[ring]
    feats = []
    for lo, hi in ((0.08, 0.2), (0.2, 0.35), (0.35, 0.5)):
        band = residual[(radius >= lo) & (radius < hi)]
        feats += [float(band.max()), float(np.percentile(band, 99)), float((band > 2.5).mean())]
    power = np.exp(logp)
    high = radius >= 0.2
    horiz = (np.abs(fy) < 0.02) & high
    vert = (np.abs(fx) < 0.02) & high
    diag = (np.abs(np.abs(fx) - np.abs(fy)) < 0.02) & high
    total = power[high].sum() + 1e-9
    feats += [float(power[horiz].sum() / total), float(power[vert].sum() / total), float(power[diag].sum() / total)]
    return np.array(feats)


FEATURE_SETS: dict[str, tuple[Callable[[np.ndarray, Box | None], np.ndarray], ...]] = {
    "v1": (lambda im, b: liveness.liveness_features(production_crop(im, b)),),
    "quality": (quality_features,),
    "moire": (moire_features,),
}


def combined(names: tuple[str, ...]) -> Callable[[np.ndarray, Box | None], np.ndarray]:
    parts = [fn for n in names for fn in FEATURE_SETS[n]]
    return lambda image, box: np.concatenate([fn(image, box) for fn in parts])
