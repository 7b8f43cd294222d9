"""Put MediaPipe's face-landmark model where openidv loads it (an install step, never run
by the service itself).

    python scripts/fetch_face_landmark_model.py [DEST] [--wheel mediapipe-0.10.21-....whl]

The model (face_landmark.tflite, 1.2 MB, Apache-2.0) ships inside the mediapipe 0.10.21
wheel; newer mediapipe wheels ship no models. Only that one file is taken out of the wheel
(mediapipe itself is not installed: it pins numpy<2). pip fetches the wheel from the
configured package index; one built for CPython 3.11 on Linux x86-64 is asked for whatever
runs this, since the model file is the same in all of them. DEST defaults to
<this Python's prefix>/share/openidv/face_landmark.tflite, where openidv looks for it.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
MEMBER = "mediapipe/modules/face_landmark/face_landmark.tflite"
SHA256 = "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"
DEFAULT_DEST = Path(sys.prefix) / "share" / "openidv" / "face_landmark.tflite"


def already_there(dest: Path) -> bool:
    return dest.is_file() and hashlib.sha256(dest.read_bytes()).hexdigest() == SHA256


def download_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "--dest", str(folder),
         WHEEL_REQUIREMENT],
        check=True,
    )
    wheels = sorted(folder.glob("mediapipe-0.10.21-*.whl"))
    if not wheels:
        raise SystemExit("pip download gave no mediapipe 0.10.21 wheel")
    return wheels[0]


def extract(wheel: Path, dest: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise SystemExit(f"{MEMBER} in {wheel.name} is not the expected file (SHA-256 differs)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(dest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--wheel", type=Path, help="a mediapipe 0.10.21 wheel already downloaded")
    args = parser.parse_args(argv)
    if already_there(args.dest):
        return 0
    if args.wheel is not None:
        extract(args.wheel, args.dest)
    else:
        with tempfile.TemporaryDirectory() as folder:
            extract(download_wheel(Path(folder)), args.dest)
    print(f"face-landmark model: {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
