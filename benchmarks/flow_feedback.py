"""The hosted flow's instant photo feedback on the shared images: what the back-side check
and the capture-quality checks say about real documents and real face photos.

    OPENIDV_TEST_DATA=/work/shared/data .venv/bin/python -m benchmarks.flow_feedback

Prints one table per check: how many photos of each kind got each verdict, and CPU seconds.
"""

from __future__ import annotations

import collections
import io
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from openidv.pipeline.engines import Engines
from openidv.pipeline.images import ImageRejected, decode_image

DATA = Path(os.environ.get("OPENIDV_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
PREVIEW_SIDE = 1600  # what the flow's check decodes to (services/uploads.PREVIEW_MAX_SIDE)


def _load(path: Path) -> np.ndarray | None:
    """The photo as the flow's check sees it; None for formats the flow does not take (WebP)."""
    try:
        return decode_image(path.read_bytes(), 50, max_side=PREVIEW_SIDE)
    except ImageRejected:
        return None


def _reencoded(image: np.ndarray, quality: int = 70) -> np.ndarray:
    rgb = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality)
    return decode_image(out.getvalue(), 50, max_side=PREVIEW_SIDE)


def _blurred(image: np.ndarray, sigma_share: float) -> np.ndarray:
    sigma = sigma_share * max(image.shape[:2])
    return cv2.GaussianBlur(image, (0, 0), sigma)


def _documents() -> list[tuple[str, Path, dict]]:
    found = []
    for folder in (DATA / "documents", DATA / "extra" / "documents"):
        manifest = json.loads((folder / "manifest.json").read_text())
        found += [(folder.name if folder.name != "documents" else "documents", folder / item["file"], item)
                  for item in manifest["items"]]
    return found


def _faces() -> list[Path]:
    manifest = json.loads((DATA / "faces" / "manifest.json").read_text())
    return [DATA / "faces" / item["file"] for item in manifest["items"]
            if item["file"].lower().endswith((".jpg", ".jpeg", ".png"))]


def _table(title: str, rows: dict[str, collections.Counter], seconds: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    verdicts = sorted({v for counter in rows.values() for v in counter})
    print("| photos | n | " + " | ".join(verdicts) + " | CPU s median / max |")
    print("|---|---|" + "---|" * len(verdicts) + "---|")
    for kind, counter in rows.items():
        times = sorted(seconds[kind])
        print(f"| {kind} | {sum(counter.values())} | " + " | ".join(str(counter.get(v, 0)) for v in verdicts)
              + f" | {times[len(times) // 2]:.2f} / {times[-1]:.2f} |")


def _timed(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    started = time.process_time()
    result = function(*args, **kwargs)
    return result, time.process_time() - started


def back_side(engines: Engines) -> None:
    from openidv.pipeline.document.sides import check_back

    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    seconds: dict[str, list[float]] = collections.defaultdict(list)
    for _, path, item in _documents():
        image = _load(path)
        if image is None:
            continue
        kind = "document with MRZ" if item.get("has_mrz") else "document without MRZ"
        result, cpu = _timed(check_back, engines, image, document_type="ID_CARD")
        rows[kind][result.problem or "accepted"] += 1
        seconds[kind].append(cpu)
        result, cpu = _timed(check_back, engines, _reencoded(image), front=image, document_type="ID_CARD")
        rows["the front again (re-encoded q70)"][result.problem or "accepted"] += 1
        seconds["the front again (re-encoded q70)"].append(cpu)
    for path in _faces():
        image = _load(path)
        if image is None:
            continue
        result, cpu = _timed(check_back, engines, image, document_type="ID_CARD")
        rows["face photo"][result.problem or "accepted"] += 1
        seconds["face photo"].append(cpu)
    _table("Back-side check (check_back, declared ID_CARD)", rows, seconds)


def capture_quality(engines: Engines) -> None:
    from openidv.pipeline.capture_quality import check_document_photo, check_face_photo

    rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    seconds: dict[str, list[float]] = collections.defaultdict(list)
    for _, path, _item in _documents():
        image = _load(path)
        if image is None:
            continue
        for kind, picture in (("document", image), ("document blurred σ=0.6 %", _blurred(image, 0.006)),
                              ("document cut in half", image[:, : image.shape[1] // 2])):
            result, cpu = _timed(check_document_photo, engines, picture)
            # No document at all is photo validation's answer (DOC_NOT_FOUND), not this check's.
            verdict = result.problem or ("accepted" if "text_hull_share" in result.scores else "no document")
            rows[kind][verdict] += 1
            seconds[kind].append(cpu)
    for path in _faces():
        image = _load(path)
        if image is None:
            continue
        for kind, picture in (("face photo", image), ("face blurred σ=0.8 %", _blurred(image, 0.008))):
            result, cpu = _timed(check_face_photo, engines, picture)
            rows[kind][result.problem or ("accepted" if result.scores.get("faces") else "no face")] += 1
            seconds[kind].append(cpu)
    _table("Capture quality (check_document_photo / check_face_photo)", rows, seconds)


if __name__ == "__main__":
    print(f"load average {open('/proc/loadavg').read().split()[:3]}")
    shared = Engines()
    if "--quality-only" not in sys.argv:
        back_side(shared)
    try:
        import openidv.pipeline.capture_quality  # noqa: F401
    except ImportError:
        pass
    else:
        capture_quality(shared)
