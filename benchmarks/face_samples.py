"""Face photos of shared/data/faces under capture conditions (news-like 250 px, heavy JPEG),
and the document portraits made from them: the inputs of the unseen-accuracy benchmarks.

Every condition is made deterministically from the original photo, so two runs (or two
embedding engines) see the same pixels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np

from benchmarks.faces import load_photo, make_synthetic_document, portrait_from_photo
from openidv.pipeline import face
from openidv.pipeline.results import Box

NEWS_SIDE_PX = 250  # LFW-style news photos: 250×250, the face centred in it


@dataclass(frozen=True)
class Condition:
    """How a face photo is turned into a test image; ``face_px`` None keeps the photo's scale."""

    name: str
    face_px: Optional[int] = None  # face box width in a NEWS_SIDE_PX square
    jpeg_quality: Optional[int] = None
    max_side: Optional[int] = None  # whole photo resampled to this long side first
    blur_sigma: float = 0.0  # Gaussian blur (px of the test image) before the JPEG step: a soft selfie
    note: str = ""


CONDITIONS = (
    Condition("original", note="the photo as published (240–4600 px)"),
    Condition("news250_face100_q75", 100, 75, note="250×250, face 100 px, JPEG q75 (LFW-like)"),
    Condition("news250_face160_q75", 160, 75, note="250×250, face 160 px, JPEG q75"),
    Condition("news250_face100_q60", 100, 60, note="250×250, face 100 px, JPEG q60"),
    Condition("news250_face100_q25", 100, 25, note="250×250, face 100 px, JPEG q25"),
    Condition("photo1280_q25", None, 25, 1280, note="whole photo ≤ 1280 px, JPEG q25"),
    Condition("news250_face100_q75_blur1.2", 100, 75, blur_sigma=1.2, note="as LFW-like, blurred σ 1.2 px"),
    Condition("news250_face100_q75_blur2", 100, 75, blur_sigma=2.0, note="as LFW-like, blurred σ 2 px"),
)
CONDITION_BY_NAME = {c.name: c for c in CONDITIONS}


@dataclass(frozen=True)
class Photo:
    """One labelled photo of the faces set."""

    file: str
    identity: str
    source: str  # first path component: "deepface" or "face_recognition"


@dataclass
class FaceSample:
    """A photo under a condition, with its main face as the pipeline detects it.

    ``region`` is a crop around the face (twice its size each way), enough for any engine's
    alignment; ``box`` is the face in region's pixels. No face found: region and box None.
    """

    photo: Photo
    condition: str
    region: Optional[np.ndarray]
    box: Optional[Box]
    width_px: float = 0.0  # face width in the test image (before any resampling by an engine)
    sharpness: float = 0.0
    detect_score: float = 0.0
    problem: Optional[str] = None  # the selfie check's code (FACE_TOO_BLURRY …) if any


def load_photos(data: Path) -> list[Photo]:
    manifest = json.loads((data / "faces" / "manifest.json").read_text())
    return [Photo(i["file"], i["identity"], i["file"].split("/")[0]) for i in manifest["items"]]


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def news_photo(photo: np.ndarray, box: Box, face_px: int) -> np.ndarray:
    """A NEWS_SIDE_PX square centred on the face, scaled so the face box is face_px wide."""
    x, y, w, h = box
    side = w * NEWS_SIDE_PX / face_px
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    pad = int(side) + 2
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    window = padded[y0 + pad : y0 + pad + int(round(side)), x0 + pad : x0 + pad + int(round(side))]
    interp = cv2.INTER_AREA if window.shape[0] > NEWS_SIDE_PX else cv2.INTER_CUBIC
    return cv2.resize(window, (NEWS_SIDE_PX, NEWS_SIDE_PX), interpolation=interp)


def apply_condition(photo: np.ndarray, original_box: Optional[Box], condition: Condition) -> Optional[np.ndarray]:
    """The test image for a condition (None when it needs a face box and the photo has none)."""
    image = photo
    if condition.max_side and max(image.shape[:2]) > condition.max_side:
        f = condition.max_side / max(image.shape[:2])
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    if condition.face_px is not None:
        if original_box is None:
            return None
        image = news_photo(photo, original_box, condition.face_px)
    if condition.blur_sigma:
        image = cv2.GaussianBlur(image, (0, 0), condition.blur_sigma)
    if condition.jpeg_quality:
        image = jpeg(image, condition.jpeg_quality)
    return image


def face_region(image: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    """A crop of the face with one face size of context on every side (edges replicated)."""
    x, y, w, h = box
    m = max(w, h)
    pad = m + 2
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = x - m + pad, y - m + pad
    region = padded[y0 : y0 + h + 2 * m, x0 : x0 + w + 2 * m].copy()
    return region, (m, m, w, h)


def sample_from_image(photo: Photo, condition: str, image: np.ndarray) -> FaceSample:
    """Detect as the selfie step does (largest face) and keep the region around it."""
    faces = face.detect_faces(image)
    problem = face.selfie_face_problem(faces)
    if not faces:
        return FaceSample(photo, condition, None, None, problem=problem)
    main = faces[0]
    region, box = face_region(image, main.box)
    return FaceSample(photo, condition, region, box, float(main.width), main.sharpness, main.score, problem)


def portrait_sample(photo: Photo, original: np.ndarray, box: Box, face_px: int, seed: int) -> FaceSample:
    """The photo printed as the portrait of a synthetic TD1 card (face face_px wide), found
    again by the pipeline's own portrait search."""
    portrait = portrait_from_photo(original, box, face_px)
    made = make_synthetic_document(portrait, face_px, seed=seed)
    if made is None:
        raise SystemExit("the synthetic documents need the OCR-B font (apt-get install fonts-ocr-b)")
    card, portrait_box = made
    found = face.find_document_face(card, portrait_box)
    name = f"portrait_td1_face{face_px}"
    if found is None:
        return FaceSample(photo, name, None, None)
    region, rbox = face_region(found.image, found.box)
    return FaceSample(photo, name, region, rbox, found.width_in_document_px,
                      face.face_sharpness(found.image, found.box))


def prepare_samples(
    data: Path, conditions: tuple[Condition, ...], portrait_px: tuple[int, ...] = (100,),
    progress: Optional[Callable[[str], None]] = None,
) -> dict[str, list[FaceSample]]:
    """condition name → one FaceSample per photo (manifest order); portraits included."""
    photos = load_photos(data)
    out: dict[str, list[FaceSample]] = {c.name: [] for c in conditions}
    for px in portrait_px:
        out[f"portrait_td1_face{px}"] = []
    for index, photo in enumerate(photos):
        original = load_photo(data / "faces" / photo.file)
        faces = face.detect_faces(original)
        box = faces[0].box if faces else None
        for condition in conditions:
            image = apply_condition(original, box, condition)
            if image is None:
                out[condition.name].append(FaceSample(photo, condition.name, None, None))
            else:
                out[condition.name].append(sample_from_image(photo, condition.name, image))
        for px in portrait_px:
            name = f"portrait_td1_face{px}"
            out[name].append(portrait_sample(photo, original, box, px, seed=index) if box else
                             FaceSample(photo, name, None, None))
        if progress:
            progress(f"{index + 1}/{len(photos)} {photo.file}")
    return out
