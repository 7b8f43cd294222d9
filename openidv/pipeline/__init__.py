"""The verification pipeline: pure functions from images to typed results (no database, no HTTP)."""

import os
import threading

# dlib's detectors and networks and the OCR engines keep per-call state inside the model
# objects; the process shares one copy of each, so calls into them are serialised. (A heap
# corruption was seen when the embedded worker and /process photo validation ran at once.)
MODELS_LOCK = threading.RLock()

# dlib's face embedding runs on OpenBLAS (scripts/install.sh). OpenBLAS reads this when dlib
# loads it, so it is set here, before any module of the package imports dlib. One thread:
# its helper threads kept spinning after each ~13 ms embedding, on the cores ONNX Runtime's
# OCR needs; per verification that cost ~200 ms of CPU for ~3 ms less latency per
# embedding (benchmarks/profile_pipeline.py: 1,500 → 1,300 CPU-ms, wall time unchanged).
# An operator's own OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
