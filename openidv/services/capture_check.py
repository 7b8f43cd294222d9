"""The hosted flow's feedback on one captured photo, beyond "is there a document / a face":
the right side of the document, and (for the instant check) whether the photo is sharp,
close enough, whole and free of glare — with the pipeline's own measures, so that what the
check accepts is what the analysis can use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from openidv.core.vocab import Step
from openidv.pipeline.capture_quality import check_document_photo, check_face_photo
from openidv.pipeline.document.sides import SideCheck, check_back
from openidv.pipeline.engines import Engines

# Message keys of the flow's translations, by problem code.
SIDE_MESSAGES = {
    "NOT_A_DOCUMENT": "back_not_document",
    "FACE_NOT_BACK": "back_is_face",
    "SAME_AS_FRONT": "back_same_as_front",
    "LOOKS_LIKE_FRONT": "back_looks_like_front",
    "NO_BARCODE": "back_no_barcode",
}


@dataclass(frozen=True)
class Feedback:
    """What the person is told about a photo: nothing (fine), a warning they may overrule,
    or a refusal (``identifier`` WRONG_SIDE or PHOTO_QUALITY) with the message to show."""

    refused: bool = False
    warning: bool = False
    identifier: Optional[str] = None
    message_key: Optional[str] = None
    scores: dict[str, float] = field(default_factory=dict)


def back_feedback(result: SideCheck) -> Feedback:
    if result.problem is None:
        return Feedback(scores=result.scores)
    key = SIDE_MESSAGES[result.problem]
    if result.refused:
        return Feedback(refused=True, identifier="WRONG_SIDE", message_key=key, scores=result.scores)
    return Feedback(warning=True, identifier="WRONG_SIDE", message_key=key, scores=result.scores)


def check_back_side(engines: Engines, back: np.ndarray, *, front: Optional[np.ndarray], document_type: str,
                    country: Optional[str]) -> Feedback:
    """Is ``back`` the back of the document (see pipeline.document.sides)?"""
    return back_feedback(check_back(engines, back, front=front, document_type=document_type, country=country))


def check_capture(engines: Engines, step: str, pixels: np.ndarray, *, front: Optional[np.ndarray],
                  document_type: str, country: Optional[str]) -> Feedback:
    """The instant check's feedback on one photo of ``step`` (FRONT, BACK or FACE; other
    steps get none): quality first (a blurry back cannot show its MRZ), then the side."""
    if step == Step.FACE:
        quality = check_face_photo(engines, pixels)
    elif step in (Step.FRONT, Step.BACK):
        quality = check_document_photo(engines, pixels)
    else:
        return Feedback()
    if quality.problem is not None:
        return Feedback(refused=True, identifier="PHOTO_QUALITY", message_key=f"quality_{'face' if step == Step.FACE else 'doc'}_{quality.problem}",
                        scores=quality.scores)
    if step == Step.BACK:
        return check_back_side(engines, pixels, front=front, document_type=document_type, country=country)
    return Feedback(scores=quality.scores)
