"""Typed results that flow between the pipeline stages, the decision and the store.

Every stage returns a frozen dataclass that says what it found *and how* (``method``,
``scores``, ``notes``), so the decision and a reviewer can show why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from openidv.pipeline.aamva import AamvaData

# A box in image pixel coordinates: (x, y, width, height).
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class MrzData:
    """Fields read from a machine-readable zone (ICAO 9303), after repair and checks.

    Dates are ISO ``YYYY-MM-DD`` strings (century resolved with the ICAO rules);
    countries are the 3-letter codes as printed (``D`` for Germany, ``UTO`` …) plus the
    alpha-2 code where one exists.
    """

    format: str  # TD1, TD2, TD3, MRVA, MRVB
    lines: tuple[str, ...]
    document_code: str  # first two characters, e.g. "P<", "ID", "V<"
    document_type: Optional[str]  # PASSPORT, ID_CARD, RESIDENCE_PERMIT, DRIVER_LICENSE, OTHER
    issuing_code: str  # 3 letters as printed
    issuing_country: Optional[str]  # alpha-2
    surname: str
    given_names: str
    document_number: str
    nationality_code: str
    nationality: Optional[str]  # alpha-2
    date_of_birth: Optional[str]
    sex: str  # M, F or < (unspecified)
    date_of_expiry: Optional[str]
    personal_number: str
    optional_data: str
    check_digits: dict[str, bool]  # field name -> check digit verified
    # Fields without a check digit that two independent readings did not agree on.
    unconfirmed_fields: tuple[str, ...] = ()
    method: str = ""
    # Fields no check digit covers whose characters have look-alikes (O/0, I/1 …) that both
    # engines confuse the same way: their readings agreeing is no proof, a person must look.
    unprotected_fields: tuple[str, ...] = ()

    @property
    def all_check_digits_valid(self) -> bool:
        return all(self.check_digits.values())

    @property
    def mrz_string(self) -> str:
        return "".join(self.lines)


@dataclass(frozen=True)
class VisualZoneData:
    """Text read from the printed (non-MRZ) part of the document, as far as it was found."""

    surname: Optional[str] = None
    given_names: Optional[str] = None
    document_number: Optional[str] = None
    date_of_birth: Optional[str] = None
    date_of_expiry: Optional[str] = None
    date_of_issue: Optional[str] = None
    raw_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentResult:
    """The document half of the pipeline: one ``document_validity`` code and what was read."""

    validity: str  # one DocumentCode
    document_type: Optional[str] = None  # detected type: PASSPORT, ID_CARD, ...
    issuing_country: Optional[str] = None  # alpha-2
    mrz: Optional[MrzData] = None
    barcode: Optional[AamvaData] = None  # a North American licence's barcode, when read
    visual: Optional[VisualZoneData] = None
    # Where the document portrait is, in which image ("FRONT" or "BACK"), for the face stage.
    portrait_image: Optional[str] = None
    portrait_box: Optional[Box] = None
    # True when the automatic reading is uncertain and a human should look.
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    method: str = ""
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FaceResult:
    """The face half of the pipeline: one face vocabulary code and the evidence for it."""

    result: str  # one FaceCode
    similarity: Optional[float] = None  # 0..1, higher = more alike
    distance: Optional[float] = None  # embedding distance behind the similarity
    liveness: Optional[str] = None  # LIVE or FACE_UNCERTAIN (the passive model never says FAKE_FACE)
    liveness_score: Optional[float] = None
    document_face_found: Optional[bool] = None
    selfie_embedding: Optional[tuple[float, ...]] = None  # for duplicate-face search
    document_embedding: Optional[tuple[float, ...]] = None  # the document portrait's, likewise
    method: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # the rules that gave ``result``, with their numbers


@dataclass(frozen=True)
class DocumentFace:
    """The portrait found on a document: the (enlarged) region searched, the face box in it,
    the enlargement factor from document pixels, and which search found it."""

    image: np.ndarray
    box: Box
    scale: float
    method: str  # "portrait_box", "whole_document" or "whole_document_turned_cw"/"_ccw"

    @property
    def width_in_document_px(self) -> float:
        return self.box[2] / self.scale


@dataclass(frozen=True)
class PortraitFace:
    """The document portrait's face and its embeddings (all None when no search found one):
    dlib's for the duplicate-face index, SFace's for the match (None also when SFace's
    landmark model finds no face in the portrait)."""

    face: Optional[DocumentFace]
    embedding: Optional[np.ndarray]
    match_embedding: Optional[np.ndarray] = None
