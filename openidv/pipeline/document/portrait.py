"""The portrait on a document: where it is on the page (a quick search on the working image,
run beside the OCR) and its face at a resolution the embedding can use (the same detector
again, inside that box, or over the whole document when the box gave nothing)."""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from openidv.pipeline.document.geometry import WorkImage, _apply
from openidv.pipeline.engines import Engines
from openidv.pipeline.face import DETECT_MIN_SCORE, detect_at, embed_face, expand_box
from openidv.pipeline.face_match import match_embedding
from openidv.pipeline.results import Box, DocumentFace, PortraitFace

# dlib's HOG detector finds faces of >= ~80 px; portraits on small scans are ~60 px, so the
# page is enlarged until its long side is at least this for the quick search.
PORTRAIT_MIN_LONG_SIDE_PX = 1000
# The portrait box is grown by this fraction of its size on every side for the face search,
# because the quick search's boxes are often tight and the detector needs some context.
PORTRAIT_BOX_MARGIN = 0.3
PORTRAIT_SEARCH_SIDE_PX = 400  # the grown portrait box is resampled to this long side
# Inside the portrait box a face is expected, so a weaker HOG response is accepted there.
# dev: a head bowed and tilted on a synthetic card (deepface img59) scores below 0 at 100 px.
PORTRAIT_BOX_MIN_SCORE = -0.5
DOCUMENT_SEARCH_SIDE_PX = 1000  # fallback: the whole document resampled to this long side
# In the whole-document search a face narrower than this share of the document's long side is
# not the portrait. dev: real portraits ≥ 9 % (a US card, 52 of 580 px); a false detection on
# a Swiss ID back side 4 %.
DOCUMENT_FACE_MIN_SHARE = 0.06


def find_portrait(engines: Engines, work: WorkImage) -> tuple[Box, float] | None:
    """Largest face in an upright working image, as a box in *original* image pixels, and
    its detector score."""
    img = work.image
    long_side = max(img.shape[:2])
    scale = max(1.0, PORTRAIT_MIN_LONG_SIDE_PX / long_side)
    if scale > 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    with engines.face_detectors.borrow() as detector:
        rects, scores, _ = detector.run(rgb, 0, 0.0)
    if not rects:
        return None
    best = max(range(len(rects)), key=lambda i: rects[i].area())
    r = rects[best]
    corners = np.array([[r.left(), r.top()], [r.right(), r.top()], [r.right(), r.bottom()],
                        [r.left(), r.bottom()]], dtype=np.float64) / scale
    original = _apply(np.linalg.inv(work.matrix), corners)
    x0, y0 = original.min(axis=0)
    x1, y1 = original.max(axis=0)
    return (int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))), float(scores[best])


def find_document_face(engines: Engines, document_image: np.ndarray,
                       portrait_box: Optional[Box]) -> Optional[DocumentFace]:
    """The portrait's face on a document, or None when no search finds one.

    1. inside the given portrait box grown by 30 %, resampled to 400 px on its long side
       (document portraits are often ≈100 px and HOG needs ≈80 px faces);
    2. the whole document resampled to 1000 px, where upsampling once finds faces down to
       ≈4 % of the long side; a face under 6 % of the long side is not taken as the portrait;
    3. the same on the document turned 90° either way (a page photographed sideways).
    dev (shared/data/documents, whole-document search, no box): portrait found on all 46
    documents labelled with one (3 only when turned), and on 2 of the 8 labelled without: one
    false (a Slovenian ID back side, turned) and one true (25_pass-uto does show a portrait).
    """
    if portrait_box is not None and portrait_box[2] > 0 and portrait_box[3] > 0:
        x, y, w, h = expand_box(portrait_box, PORTRAIT_BOX_MARGIN, document_image.shape)
        crop = document_image[y : y + h, x : x + w]
        if crop.size:
            found = _search(engines, crop, PORTRAIT_SEARCH_SIDE_PX, "portrait_box", min_share=0.0,
                            min_score=PORTRAIT_BOX_MIN_SCORE)
            if found is not None:
                return found
    searches = (
        ("whole_document", document_image),
        ("whole_document_turned_cw", cv2.rotate(document_image, cv2.ROTATE_90_CLOCKWISE)),
        ("whole_document_turned_ccw", cv2.rotate(document_image, cv2.ROTATE_90_COUNTERCLOCKWISE)),
    )
    for method, image in searches:
        found = _search(engines, image, DOCUMENT_SEARCH_SIDE_PX, method, DOCUMENT_FACE_MIN_SHARE)
        if found is not None:
            return found
    return None


def embed_document_portrait(engines: Engines, document_image: np.ndarray,
                            portrait_box: Optional[Box]) -> PortraitFace:
    """Find the portrait's face on the document and embed it (dlib and SFace)."""
    found = find_document_face(engines, document_image, portrait_box)
    if found is None:
        return PortraitFace(None, None)
    return PortraitFace(found, embed_face(engines, found.image, found.box),
                        match_embedding(engines, found.image, found.box))


def _search(engines: Engines, region: np.ndarray, target_side: int, method: str, min_share: float,
            min_score: float = DETECT_MIN_SCORE) -> Optional[DocumentFace]:
    """The most face-like detection in region resampled to target_side px, if it is at least
    min_share of that side (a document holds one portrait; its ghost copy scores lower)."""
    factor = target_side / max(region.shape[:2])
    region = cv2.resize(
        region,
        (max(1, round(region.shape[1] * factor)), max(1, round(region.shape[0] * factor))),
        interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA,
    )
    # Inside the portrait box, without upsampling first: a portrait filling its grown box is
    # ≥ 80 px at 400 px. The whole-document searches look for smaller faces among others.
    faces = []
    for upsample in (0, 1) if method == "portrait_box" else (1,):
        faces = [f for f in detect_at(engines, region, max(region.shape[:2]), upsample, min_score)
                 if f.width >= min_share * target_side]
        if faces:
            break
    if not faces:
        return None
    best = max(faces, key=lambda f: f.score)
    return DocumentFace(image=region, box=best.box, scale=factor, method=method)
