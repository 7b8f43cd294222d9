"""Challenge frames for the "move closer" check, from real photos: a still photo moved in 2-D
as a held-up print or screen would be (the attack), and the far/near pairs of the
biometrics-server source (real phone captures of live people and of print/screen attacks).

A flat picture brought nearer the camera, tilted or waved, is seen through one homography
per frame: ``flat_move`` renders exactly that (plane rotated about both axes, pinhole
projection), optionally with the page bent like a curled print (``bend``). Nothing here
renders a 3-D head: frames where the head really comes closer are only taken from the
biometrics-server captures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

FRAME_SIZE = (480, 640)  # width, height: what the flow's page sends from a phone held upright


@dataclass(frozen=True)
class Pose:
    """Where a flat picture is in one frame: face width (px), tilt about the horizontal and
    vertical axes and in-plane rotation (degrees), offset of its centre (px)."""

    face_px: float
    tilt_x: float = 0.0
    tilt_y: float = 0.0
    roll: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)


def plane_homography(pose: Pose, focal: float = 600.0) -> np.ndarray:
    """Homography of a plane rotated by the pose's angles, seen by a pinhole camera."""
    ax, ay, az = np.radians([pose.tilt_x, pose.tilt_y, pose.roll])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    r = rz @ ry @ rx
    h = np.diag([focal, focal, 1.0]) @ np.column_stack([r[:, 0], r[:, 1], [0, 0, focal]])
    return h / h[2, 2]


def flat_move(photo: np.ndarray, face_box: tuple[int, int, int, int], pose: Pose, quality: int = 80) -> np.ndarray:
    """One frame of ``photo`` held up flat in front of the camera at ``pose``, JPEG-compressed."""
    x, y, w, h = face_box
    scale = pose.face_px / w
    width, height = FRAME_SIZE
    cx, cy = width / 2 + pose.shift[0], height * 0.45 + pose.shift[1]
    to_centre = np.array([[scale, 0, -scale * (x + w / 2)], [0, scale, -scale * (y + h / 2)], [0, 0, 1.0]])
    to_frame = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1.0]])
    matrix = to_frame @ plane_homography(pose) @ to_centre
    frame = cv2.warpPerspective(photo, matrix, FRAME_SIZE, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
    return jpeg(frame, quality)


def bend(frame: np.ndarray, radius: float, quality: int = 80) -> np.ndarray:
    """The frame as if the page were curled around a vertical axis of ``radius`` (in frame
    widths) and seen by a pinhole camera: the sides recede and shrink."""
    h, w = frame.shape[:2]
    focal, r, cx = 1.2 * w, radius * w, w / 2
    arc = np.linspace(-1.5 * w, 1.5 * w, 6000)
    keep = np.abs(arc / r) < 1.4
    depth = r * (1 - np.cos(arc / r))
    image_x = focal * r * np.sin(arc / r) / (focal + depth)
    shrink = focal / (focal + depth)
    xs = np.arange(w, dtype=np.float64) - cx
    source_x = np.interp(xs, image_x[keep], arc[keep])
    source_scale = np.interp(xs, image_x[keep], shrink[keep])
    map_x = np.tile((source_x + cx).astype(np.float32), (h, 1))
    ys = np.arange(h, dtype=np.float64) - h / 2
    map_y = (ys[:, None] / source_scale[None, :] + h / 2).astype(np.float32)
    return jpeg(cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), quality)


def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def approach_poses(rng: np.random.Generator, frames: int = 4) -> list[Pose]:
    """A flat picture brought 1.25–1.8× nearer over ``frames`` frames while being tilted and
    turned more and more (up to ±25° about each axis, ±12° in plane), as a waved print."""
    far_px, growth = rng.uniform(110, 170), rng.uniform(1.25, 1.8)
    end = (rng.uniform(-25, 25), rng.uniform(-25, 25), rng.uniform(-12, 12))
    start = (rng.uniform(-10, 10), rng.uniform(-10, 10), rng.uniform(-5, 5))
    shift_end = (rng.uniform(-40, 40), rng.uniform(-40, 40))
    poses = []
    for i in range(frames):
        t = i / (frames - 1)
        angles = [a + (b - a) * t for a, b in zip(start, end)]
        poses.append(Pose(far_px * (1 + (growth - 1) * t), *angles, shift=(shift_end[0] * t, shift_end[1] * t)))
    return poses


@dataclass(frozen=True)
class CapturePair:
    """A far and a near shot of one biometrics-server attempt."""

    name: str
    live: bool
    attack_type: Optional[str]
    subject: str
    far: Path
    near: Path


def biometrics_server_pairs(data_dir: Path) -> list[CapturePair]:
    """The 44 far/near pairs (16 live, 28 attacks) of extra/spoof/biometrics-server."""
    spoof = data_dir / "extra" / "spoof"
    manifest = json.loads((spoof / "manifest.json").read_text())
    pairs = []
    for item in manifest["items"]:
        if not item["file"].startswith("biometrics-server/") or not item["file"].endswith("/image.jpeg"):
            continue
        folder = (spoof / item["file"]).parent
        pairs.append(CapturePair(str(Path(item["file"]).parent), item["label"] == "live", item.get("attack_type"),
                                 item["subject"], folder / "image.jpeg", folder / "zoomedImage.jpeg"))
    return pairs
