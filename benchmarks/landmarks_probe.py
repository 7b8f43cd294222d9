"""Research probe, not part of the face benchmark: MediaPipe face mesh (468 landmarks)
offline — does it find the face, how fast, how stable a head-turn cue it gives, on the face
photos under the benchmark's capture conditions (a candidate for an active check).

    pip install ai-edge-litert
    pip download --no-deps mediapipe==0.10.21 && unzip -j mediapipe-0.10.21-*.whl \\
        mediapipe/modules/face_landmark/face_landmark.tflite
    python benchmarks/landmarks_probe.py face_landmark.tflite [--cache FILE]

(ai-edge-litert is a dependency of openidv.)

The model runs on a square crop 1.6× the dlib HOG box, 192 px, RGB 0..1 (its input). The
yaw cue is where the nose tip (landmark 1) sits between the two cheek contour points (234,
454): 0 frontal, ±0.5 the nose on a contour. It should change sign on the mirrored image
and barely move when the photo is made small and compressed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.face_samples import CONDITIONS, cached, default_data_dir, prepare_face_samples  # noqa: E402
from openidv.pipeline import liveness  # noqa: E402
from openidv.pipeline.engines import Engines  # noqa: E402

INPUT_PX = 192
CROP_SCALE = 1.6
NOSE_TIP, RIGHT_CONTOUR, LEFT_CONTOUR = 1, 234, 454
CONDITION_NAMES = ("original", "news250_face100_q75", "news250_face100_q25", "news250_face100_q75_blur2")


class FaceMesh:
    """The tflite face-landmark model behind ai-edge-litert's interpreter (one thread)."""

    def __init__(self, model: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(model), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = self.interpreter.get_output_details()
        self.landmarks = next(o["index"] for o in outputs if int(np.prod(o["shape"])) == 468 * 3)
        self.flag = next(o["index"] for o in outputs if int(np.prod(o["shape"])) == 1)

    def run(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, float]:
        """468 (x, y, z) in crop pixels, and the model's face-presence probability."""
        x = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
        self.interpreter.set_tensor(self.input, x)
        self.interpreter.invoke()
        points = self.interpreter.get_tensor(self.landmarks).reshape(468, 3)
        flag = float(self.interpreter.get_tensor(self.flag).ravel()[0])
        return points, 1.0 / (1.0 + np.exp(-flag))


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def yaw_cue(points: np.ndarray) -> float:
    right, left, nose = points[RIGHT_CONTOUR, 0], points[LEFT_CONTOUR, 0], points[NOSE_TIP, 0]
    return float((nose - right) / (left - right + 1e-9) - 0.5)


def mesh_crop(region: np.ndarray, box) -> np.ndarray:  # noqa: ANN001
    crop = liveness.crop_face_square(region, box, scale=CROP_SCALE)
    interp = cv2.INTER_AREA if crop.shape[0] > INPUT_PX else cv2.INTER_CUBIC
    return cv2.resize(crop, (INPUT_PX, INPUT_PX), interpolation=interp)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="face_landmark.tflite from the mediapipe 0.10.21 wheel")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--cache", type=Path, help="face_samples.pkl of benchmarks/faces.py --cache-dir")
    args = parser.parse_args(argv)
    cpu, rss = time.process_time(), rss_mb()
    mesh = FaceMesh(args.model)
    mesh.run(np.zeros((INPUT_PX, INPUT_PX, 3), np.uint8))
    print(f"model load and first run: {1000 * (time.process_time() - cpu):.0f} ms CPU, "
          f"+{rss_mb() - rss:.0f} MB resident")
    samples = cached(args.cache, lambda: prepare_face_samples(
        Engines(), args.data, tuple(c for c in CONDITIONS if c.name in CONDITION_NAMES)))
    print("\n| condition | faces | landmarks found (presence > 0.5) | CPU ms median | yaw range | "
          "median \\|yaw + yaw(mirror)\\| | \\|yaw − yaw(original)\\| median / max |")
    print("|---|---|---|---|---|---|---|")
    reference = None
    for name in CONDITION_NAMES:
        rows = [s for s in samples.get(name, []) if s.region is not None]
        yaws, mirrored, found, times = [], [], 0, []
        for s in rows:
            crop = mesh_crop(s.region, s.box)
            started = time.process_time()
            points, presence = mesh.run(crop)
            times.append(time.process_time() - started)
            found += presence > 0.5
            yaws.append(yaw_cue(points))
            mirrored.append(yaw_cue(mesh.run(np.ascontiguousarray(crop[:, ::-1]))[0]))
        y, m = np.array(yaws), np.array(mirrored)
        if name == "original":
            reference = {s.photo.file: v for s, v in zip(rows, y)}
        drift = np.array([abs(v - reference[s.photo.file]) for s, v in zip(rows, y) if s.photo.file in reference])
        print(f"| {name} | {len(rows)} | {found} | {1000 * np.median(times):.1f} | {y.min():+.2f} … {y.max():+.2f} | "
              f"{np.median(np.abs(y + m)):.3f} | {np.median(drift):.3f} / {drift.max():.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
