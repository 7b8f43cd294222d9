"""Long-lived helper threads, so that work which needs nothing from the step in progress
runs beside it.

ONNX Runtime's OCR, Tesseract and dlib's face detector and embedding all run without
holding the GIL, and most of them on one core: on 2 cores a job's single-threaded steps
leave one core idle unless something else runs then. Each helper is one thread, created
on first use and kept for the life of the process (no thread start per job).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_executors: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def helper_thread(name: str) -> ThreadPoolExecutor:
    """The process's one helper thread called ``name`` (work submitted to it runs in order)."""
    with _lock:
        if name not in _executors:
            _executors[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"openidv-{name}")
        return _executors[name]
