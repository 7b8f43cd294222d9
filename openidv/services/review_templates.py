"""The reasons a reviewer picks from: for each decision (approve, decline, ask to resubmit) a
short list of reason texts, each mapped to the manual document and face codes it sends.

One table, so the console's buttons, the server's checks and the documentation agree. A
template fixes the code of the side it is about; the other side gets its passing code (the
reviewer looked at it), and both stay editable under "Advanced".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from openidv.core.vocab import DocumentCode as Doc
from openidv.core.vocab import FaceCode as Face
from openidv.pipeline.decision import ReviewDecision


@dataclass(frozen=True)
class ReasonTemplate:
    key: str
    decision: ReviewDecision
    label: str  # the reason text the form starts with (the reviewer may edit it)
    document: Optional[str] = None  # the manualDocument it sends; None: DOC_VALIDATED
    face: Optional[str] = None  # the manualFace it sends; None: the passing face code
    needs_selfie: bool = False  # about the selfie: offered only when there is one
    needs_fraud_tags: bool = False  # about a duplicate/blocklisted identity: only when tagged

    def codes(self, face_required: bool) -> tuple[str, str]:
        """(manualDocument, manualFace) this reason sends for a verification."""
        passing_face = Face.FACE_MATCH if face_required else Face.FACE_NOT_ANALYSED
        return self.document or Doc.DOC_VALIDATED, (self.face if face_required and self.face else passing_face)

    def applies_to(self, face_required: bool, fraud_tags: tuple[str, ...]) -> bool:
        return (face_required or not self.needs_selfie) and (bool(fraud_tags) or not self.needs_fraud_tags)


_A, _D, _R = ReviewDecision.APPROVE, ReviewDecision.DECLINE, ReviewDecision.RESUBMIT

TEMPLATES: tuple[ReasonTemplate, ...] = (
    ReasonTemplate("verified", _A, "Document and face verified"),
    ReasonTemplate("verified_corrected", _A, "Verified; data read by the machine corrected"),
    ReasonTemplate("doc_expired", _D, "Document expired", Doc.DOC_EXPIRED),
    ReasonTemplate("doc_fake", _D, "Document forged or altered", Doc.DOC_FAKE),
    ReasonTemplate("doc_damaged", _D, "Document damaged", Doc.DOC_DAMAGED),
    ReasonTemplate("doc_not_supported", _D, "Document not accepted", Doc.DOC_NOT_SUPPORTED),
    ReasonTemplate("country_mismatch", _D, "Issuing country is not the one declared", Doc.COUNTRY_MISMATCH),
    ReasonTemplate("doc_type_mismatch", _D, "Document type is not the one declared", Doc.DOC_TYPE_MISMATCH),
    ReasonTemplate("data_mismatch", _D, "Personal data does not match the customer's", Doc.DOC_INFO_MISMATCH),
    ReasonTemplate("no_portrait", _D, "No portrait on the document", Doc.DOC_FACE_NOT_FOUND),
    ReasonTemplate("face_mismatch", _D, "Face does not match the document", face=Face.FACE_MISMATCH,
                   needs_selfie=True),
    ReasonTemplate("fake_face", _D, "Photo of a photo or of a screen", face=Face.FAKE_FACE, needs_selfie=True),
    ReasonTemplate("duplicate", _D, "Same person or document as another customer", needs_fraud_tags=True),
    ReasonTemplate("doc_blurry", _R, "Document photo is blurry", Doc.DOC_TOO_BLURRY),
    ReasonTemplate("doc_cut_off", _R, "Document not fully in the picture", Doc.DOC_NOT_FULLY_VISIBLE),
    ReasonTemplate("doc_glare", _R, "Glare hides the document portrait", Doc.DOC_FACE_GLARED),
    ReasonTemplate("doc_missing", _R, "No document in the photo", Doc.DOC_NOT_FOUND),
    ReasonTemplate("mrz_unreadable", _R, "Machine-readable zone unreadable", Doc.MRZ_OCR_READING_ERROR),
    ReasonTemplate("face_blurry", _R, "Selfie blurry or too small", face=Face.FACE_TOO_BLURRY, needs_selfie=True),
    ReasonTemplate("no_face", _R, "No face in the selfie", face=Face.NO_FACE_FOUND, needs_selfie=True),
    ReasonTemplate("many_faces", _R, "More than one face in the selfie", face=Face.TOO_MANY_FACES,
                   needs_selfie=True),
)
BY_KEY: dict[str, ReasonTemplate] = {t.key: t for t in TEMPLATES}

DECISION_LABELS: dict[str, str] = {
    ReviewDecision.APPROVE: "Approve",
    ReviewDecision.DECLINE: "Decline",
    ReviewDecision.RESUBMIT: "Ask to resubmit",
}


def templates_for(face_required: bool, fraud_tags: tuple[str, ...]) -> dict[str, list[ReasonTemplate]]:
    """The reasons offered for one verification, grouped by decision (in the table's order)."""
    grouped: dict[str, list[ReasonTemplate]] = {d: [] for d in ReviewDecision}
    for template in TEMPLATES:
        if template.applies_to(face_required, fraud_tags):
            grouped[template.decision].append(template)
    return grouped
