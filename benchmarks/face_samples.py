"""The inputs of the face benchmarks, made once and shared by every report of benchmarks/faces.py.

* face photos of shared/data/faces under capture conditions (news-like 250 px photos with
  small faces, heavy JPEG, blur), each with its main face as the selfie step detects it;
* document portraits: a photo cut to an ID-photo portrait, printed on the project's synthetic
  TD1 card (tests.support.synthetic) and found again by the pipeline's portrait search;
* presentation-attack images of shared/data/spoof and shared/data/extra/spoof, with the face
  box and the selfie check's code the pipeline gives them.

Every condition is made deterministically from the original file, so two runs (or two
embedding engines) see the same pixels. Prepared samples can be cached in a pickle.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TypeVar

import cv2
import numpy as np
from PIL import Image, ImageOps

from openidv.pipeline import face, selfie
from openidv.pipeline.document.portrait import find_document_face
from openidv.pipeline.engines import Engines
from openidv.pipeline.images import read_image_file
from openidv.pipeline.results import Box

REPO = Path(__file__).resolve().parent.parent
NEWS_SIDE_PX = 250  # LFW-style news photos: 250×250, the face centred in it
PORTRAIT_FACE_SHARE = 0.62  # face box width / portrait width on ID photos (ICAO: face 50–75 %)
PORTRAIT_FACE_PX = 100  # face width of the document portraits (a TD1 card photographed whole)
FACE_SOURCES = ("deepface", "face_recognition")  # first path component of shared/data/faces
ATTACK_SOURCES = ("nuaa", "biometrics-server", "trickyf0x-liveness", "apfol-liveness", "trueface-samples")

T = TypeVar("T")


def default_data_dir() -> Path:
    return Path(os.environ.get("OPENIDV_TEST_DATA", REPO.parent / "shared" / "data"))


def cached(path: Optional[Path], build: Callable[[], T]) -> T:
    """``build()``'s result, read from the pickle at ``path`` when it exists, else written there."""
    if path is not None and path.exists():
        return pickle.loads(path.read_bytes())
    value = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(value))
    return value


def progress(message: str) -> None:
    print(message, file=sys.stderr, end="\r")


def load_photo(path: Path) -> np.ndarray:
    """BGR, EXIF applied. Decoded with Pillow directly: the set holds one WEBP the API refuses."""
    with Image.open(path) as im:
        rgb = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


# ------------------------------------------------------------------ capture conditions


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
    Condition("news250_face160_q75", 160, 75, note="250×250, face 160 px, JPEG q75"),
    Condition("news250_face100_q75", 100, 75, note="250×250, face 100 px, JPEG q75 (LFW-like)"),
    Condition("news250_face64_q75", 64, 75, note="250×250, face 64 px, JPEG q75 (a far selfie)"),
    Condition("news250_face48_q75", 48, 75, note="250×250, face 48 px, JPEG q75 (below the small-face floor)"),
    Condition("news250_face100_q60", 100, 60, note="250×250, face 100 px, JPEG q60"),
    Condition("news250_face100_q25", 100, 25, note="250×250, face 100 px, JPEG q25"),
    Condition("photo1280_q25", None, 25, 1280, note="whole photo ≤ 1280 px, JPEG q25"),
    Condition("news250_face100_q75_blur1.2", 100, 75, blur_sigma=1.2, note="as LFW-like, blurred σ 1.2 px"),
    Condition("news250_face100_q75_blur2", 100, 75, blur_sigma=2.0, note="as LFW-like, blurred σ 2 px"),
)
CONDITION_BY_NAME = {c.name: c for c in CONDITIONS}
PORTRAIT = f"portrait_td1_face{PORTRAIT_FACE_PX}"


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


# ------------------------------------------------------------------ synthetic documents


def portrait_from_photo(photo: np.ndarray, box: Box, face_width: int) -> np.ndarray:
    """An ID-photo style crop (3:4, face ≈ 62 % of the width, eyes a little above the middle),
    scaled so the face is face_width px wide; edges replicated where the window leaves the photo."""
    x, y, w, h = box
    win_w = w / PORTRAIT_FACE_SHARE
    width = int(round(face_width / PORTRAIT_FACE_SHARE))
    win_h = win_w * 4 / 3
    x0 = int(round(x + w / 2 - win_w / 2))
    y0 = int(round(y + h * 0.45 - win_h / 2))
    pad = int(max(win_w, win_h))
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    window = padded[y0 + pad : y0 + pad + int(win_h), x0 + pad : x0 + pad + int(win_w)]
    return cv2.resize(window, (width, int(round(width * 4 / 3))), interpolation=cv2.INTER_AREA)


def synthetic_card(portrait: np.ndarray, face_width: int, seed: int) -> tuple[np.ndarray, Box]:
    """The project's synthetic TD1 ID card with this portrait, photographed with print and
    camera degradation (tilt ±4°, 1 % perspective, blur σ 0.7, noise σ 3, uneven light,
    JPEG q55) and scaled so the face is face_width px wide. Returns the photo and the portrait
    box the document stage would report."""
    from tests.support import synthetic

    try:
        synthetic.ocr_b_font_path()
    except synthetic.FontUnavailable as exc:
        raise SystemExit(f"the synthetic documents need the OCR-B font: {exc}") from None
    fields = synthetic.random_fields("TD1", seed=seed)
    _, box = synthetic.render_page(fields, portrait, seed=seed)  # portrait box at 8 px/mm
    scale = face_width / (PORTRAIT_FACE_SHARE * box[2])
    degradation = synthetic.Degradation(
        rotation_deg=float(np.random.default_rng(seed).uniform(-4, 4)), perspective=0.01,
        blur_sigma=0.7, noise_sigma=3.0, jpeg_quality=55, uneven_light=0.2, scale=scale,
    )
    image, truth = synthetic.make_document("TD1", fields=fields, portrait=portrait, degradation=degradation, seed=seed)
    return image, truth.portrait_box


# ------------------------------------------------------------------ face samples


@dataclass(frozen=True)
class Photo:
    """One labelled photo of the faces set."""

    file: str
    identity: str
    source: str  # first path component: "deepface" or "face_recognition"


@dataclass
class FaceSample:
    """A photo under a condition, with its main face as the pipeline detects it.

    ``region`` is a crop around the face (one face size of context each way), enough for any
    engine's alignment; ``box`` is the face in region's pixels. No face found: both None.
    """

    photo: Photo
    condition: str
    region: Optional[np.ndarray]
    box: Optional[Box]
    width_px: float = 0.0  # face width in the test image (before any resampling by an engine)
    sharpness: float = 0.0
    detect_score: float = 0.0
    problem: Optional[str] = None  # the selfie check's code (NO_FACE_FOUND …) if any


def load_photos(data: Path) -> list[Photo]:
    manifest = json.loads((data / "faces" / "manifest.json").read_text())
    return [Photo(i["file"], i["identity"], i["file"].split("/")[0]) for i in manifest["items"]]


def face_pairs(data: Path) -> list[tuple[str, str, bool]]:
    """The manifest's labelled development pairs (a, b, same person)."""
    manifest = json.loads((data / "faces" / "manifest.json").read_text())
    return [(p["a"], p["b"], bool(p["same"])) for p in manifest["pairs"]]


def face_region(image: np.ndarray, box: Box) -> tuple[np.ndarray, Box]:
    """A crop of the face with one face size of context on every side (edges replicated)."""
    x, y, w, h = box
    m = max(w, h)
    pad = m + 2
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = x - m + pad, y - m + pad
    region = padded[y0 : y0 + h + 2 * m, x0 : x0 + w + 2 * m].copy()
    return region, (m, m, w, h)


def sample_from_image(engines: Engines, photo: Photo, condition: str, image: np.ndarray) -> FaceSample:
    """Detect as the selfie step does (largest face) and keep the region around it."""
    faces = face.detect_faces(engines, image)
    problem = selfie.selfie_face_problem(faces)
    if not faces:
        return FaceSample(photo, condition, None, None, problem=problem)
    main = faces[0]
    region, box = face_region(image, main.box)
    return FaceSample(photo, condition, region, box, float(main.width), main.sharpness, main.score, problem)


def portrait_sample(engines: Engines, photo: Photo, original: np.ndarray, box: Box, seed: int) -> FaceSample:
    """The photo printed as the portrait of a synthetic TD1 card, found again by the
    pipeline's own portrait search."""
    card, portrait_box = synthetic_card(portrait_from_photo(original, box, PORTRAIT_FACE_PX), PORTRAIT_FACE_PX, seed)
    found = find_document_face(engines, card, portrait_box)
    if found is None:
        return FaceSample(photo, PORTRAIT, None, None)
    region, rbox = face_region(found.image, found.box)
    return FaceSample(photo, PORTRAIT, region, rbox, found.width_in_document_px,
                      face.face_sharpness(found.image, found.box))


def prepare_face_samples(engines: Engines, data: Path,
                         conditions: tuple[Condition, ...] = CONDITIONS) -> dict[str, list[FaceSample]]:
    """condition name → one FaceSample per photo (manifest order), the portraits included."""
    photos = load_photos(data)
    out: dict[str, list[FaceSample]] = {c.name: [] for c in conditions}
    out[PORTRAIT] = []
    for index, photo in enumerate(photos):
        original = load_photo(data / "faces" / photo.file)
        faces = face.detect_faces(engines, original)
        box = faces[0].box if faces else None
        for condition in conditions:
            image = apply_condition(original, box, condition)
            out[condition.name].append(FaceSample(photo, condition.name, None, None) if image is None
                                       else sample_from_image(engines, photo, condition.name, image))
        out[PORTRAIT].append(portrait_sample(engines, photo, original, box, seed=index) if box
                             else FaceSample(photo, PORTRAIT, None, None))
        progress(f"face samples {index + 1}/{len(photos)}")
    return out


# ------------------------------------------------------------------ attack samples


@dataclass
class AttackSample:
    """One image of a spoof source: live or attack, and what the selfie step sees in it."""

    file: str  # path relative to the data folder
    source: str
    live: bool
    attack_type: Optional[str]  # print_photo / screen_replay / unknown; None when live
    framing: str  # face_crop / full_frame
    subject: str
    image: np.ndarray  # BGR, as decoded
    box: Optional[Box]  # the face the selfie step would use (None: no face detected)
    problem: Optional[str]  # NO_FACE_FOUND / TOO_MANY_FACES / FACE_TOO_BLURRY or None

    @property
    def reaches_liveness(self) -> bool:
        """Full frames where the selfie step finds no usable face never reach the attack
        check; face crops without a detected face are scored whole (as in training)."""
        return not (self.framing == "full_frame" and self.problem is not None)


def _attack_items(data: Path) -> list[tuple[str, dict, str]]:
    """(path relative to data, manifest item, source) for every spoof image."""
    main = json.loads((data / "spoof" / "manifest.json").read_text())
    extra = json.loads((data / "extra" / "spoof" / "manifest.json").read_text())
    return ([(f"spoof/{i['file']}", i, "nuaa") for i in main["items"]]
            + [(f"extra/spoof/{i['file']}", i, i["file"].split("/")[0]) for i in extra["items"]])


def load_attack_samples(engines: Engines, data: Path) -> list[AttackSample]:
    samples = []
    items = _attack_items(data)
    for n, (rel, item, source) in enumerate(items):
        image = read_image_file(str(data / rel))
        faces = face.detect_faces(engines, image)
        samples.append(AttackSample(
            file=rel, source=source, live=item["label"] == "live",
            attack_type=None if item["label"] == "live" else (item.get("attack_type") or "unknown"),
            framing=item.get("framing", "face_crop"), subject=item.get("subject", ""), image=image,
            box=faces[0].box if faces else None, problem=selfie.selfie_face_problem(faces),
        ))
        progress(f"attack samples {n + 1}/{len(items)}")
    return samples
