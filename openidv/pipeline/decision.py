"""The overall decision, as one pure function a reader can check line by line.

Input: the automatic document and face codes, tags, and the partner's policy.
Output: the overall status and the reasons (which check decided it, with its scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from openidv.core.vocab import DocumentCode as Doc
from openidv.core.vocab import FaceCode as Face
from openidv.core.vocab import ReviewPolicy, Status

# DENIED is for hard failures: document not found / not supported / expired / fake, country
# or type different from what was declared, no portrait on it...
DENYING_DOCUMENT_CODES = frozenset({
    Doc.DOC_NOT_FOUND, Doc.DOC_NOT_SUPPORTED, Doc.DOC_EXPIRED, Doc.COUNTRY_MISMATCH,
    Doc.DOC_TYPE_MISMATCH, Doc.DOC_FAKE, Doc.DOC_FACE_NOT_FOUND,
})
# ... face mismatch, no face, fake face, several faces. FAKE_FACE comes from a reviewer: the
# passive liveness model only ever says LIVE or FACE_UNCERTAIN (no operating point refuses no
# live face of another capture set-up), and a doubt is never a denial.
DENYING_FACE_CODES = frozenset({Face.FACE_MISMATCH, Face.NO_FACE_FOUND, Face.FAKE_FACE, Face.TOO_MANY_FACES})

PASSING_DOCUMENT_CODES = frozenset({Doc.DOC_VALIDATED})
PASSING_FACE_CODES = frozenset({Face.FACE_MATCH})


@dataclass(frozen=True)
class Reason:
    """One line of "why": the check, its outcome, and the numbers behind it."""

    check: str
    outcome: str
    detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"check": self.check, "outcome": self.outcome, "detail": self.detail, "scores": self.scores}


@dataclass(frozen=True)
class Decision:
    status: str  # APPROVED | DENIED | SUSPECTED | REVIEWING
    reasons: tuple[Reason, ...]
    # True when the automatic result is final (no manual review follows).
    final: bool


def decide(
    document: str,
    face: str,
    *,
    face_required: bool,
    fraud_tags: tuple[str, ...] = (),
    mismatch_tags: tuple[str, ...] = (),
    needs_review: tuple[str, ...] = (),
    review_policy: str = "automatic",
) -> Decision:
    """Overall status from the automatic results."""
    reasons: list[Reason] = []
    face_ok = face in PASSING_FACE_CODES or (not face_required and face == Face.FACE_NOT_ANALYSED)
    doc_ok = document in PASSING_DOCUMENT_CODES

    if document in DENYING_DOCUMENT_CODES:
        reasons.append(Reason("document", Status.DENIED, f"document result {document} is a hard failure"))
    if face_required and face in DENYING_FACE_CODES:
        reasons.append(Reason("face", Status.DENIED, f"face result {face} is a hard failure"))

    if reasons:
        status = Status.DENIED
    elif doc_ok and face_ok and not needs_review:
        if fraud_tags or mismatch_tags:
            status = Status.SUSPECTED
            tags = ", ".join(fraud_tags + mismatch_tags)
            reasons.append(Reason("cross-checks", Status.SUSPECTED, f"tags: {tags}"))
        else:
            status = Status.APPROVED
            reasons.append(Reason("all", Status.APPROVED, "document and face checks passed"))
    else:
        status = Status.REVIEWING
        if not doc_ok:
            reasons.append(Reason("document", Status.REVIEWING, f"document result {document} is not conclusive"))
        if not face_ok:
            reasons.append(Reason("face", Status.REVIEWING, f"face result {face} is not conclusive"))
        for why in needs_review:
            reasons.append(Reason("document", Status.REVIEWING, why))

    if review_policy == ReviewPolicy.REVIEW_ALL and status != Status.REVIEWING:
        reasons.append(Reason("policy", Status.REVIEWING, f"partner reviews all verifications (automatic: {status})"))
        status = Status.REVIEWING
    elif review_policy == ReviewPolicy.REVIEW_FAILED and status in (Status.DENIED, Status.SUSPECTED):
        reasons.append(Reason("policy", Status.REVIEWING, f"partner reviews failed verifications (automatic: {status})"))
        status = Status.REVIEWING
    return Decision(status=status, reasons=tuple(reasons), final=status != Status.REVIEWING)


def overall_after_review(
    auto_document: Optional[str],
    auto_face: Optional[str],
    manual_document: Optional[str],
    manual_face: Optional[str],
    *,
    face_required: bool,
    fraud_tags: tuple[str, ...] = (),
    mismatch_tags: tuple[str, ...] = (),
) -> Decision:
    """A reviewer's results replace the automatic ones; the reviewer's word is final."""
    decision = decide(
        manual_document or auto_document or Doc.DOC_NOT_ANALYSED,
        manual_face or auto_face or Face.FACE_NOT_ANALYSED,
        face_required=face_required,
        fraud_tags=fraud_tags,
        mismatch_tags=mismatch_tags,
    )
    return Decision(status=decision.status, reasons=decision.reasons, final=True)
