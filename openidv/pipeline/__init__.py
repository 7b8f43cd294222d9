"""The verification pipeline: pure stages from decoded images to typed results (no database,
no HTTP), with every model in ``engines``."""

import os

# dlib's face embedding runs on OpenBLAS (scripts/install.sh). OpenBLAS reads this when dlib
# loads it, so it is set here, before any module of the package imports dlib. One thread:
# its helper threads kept spinning after each ~13 ms embedding, on the cores ONNX Runtime's
# OCR needs; per verification that cost ~200 ms of CPU for ~3 ms less latency per embedding.
# An operator's own OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
