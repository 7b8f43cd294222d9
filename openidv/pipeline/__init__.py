"""The verification pipeline: pure functions from images to typed results (no database, no HTTP)."""

import threading

# dlib's detectors and networks and the OCR engines keep per-call state inside the model
# objects; the process shares one copy of each, so calls into them are serialised. (A heap
# corruption was seen when the embedded worker and /process photo validation ran at once.)
MODELS_LOCK = threading.RLock()
