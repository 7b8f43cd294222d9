"""The decision of SPEC section 6, as one pure function a reader can check line by line.

Input: the automatic document and face codes, tags, and the partner's policy.
Output: the overall status and the reasons (which check decided it, with its scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# SPEC 6 "DENIED: a hard failure": document not found / not supported / expired, country or
# type different from what was declared.
DENYING_DOCUMENT_CODES = frozenset(
    {
        "DOC_NOT_FOUND",
        "DOC_NOT_SUPPORTED",
        "DOC_EXPIRED",
        "COUNTRY_MISMATCH",
        "DOC_TYPE_MISMATCH",
        "DOC_FAKE",
        "DOC_FACE_NOT_FOUND",
    }
)
# ... face mismatch, no face, fake face.
DENYING_FACE_CODES = frozenset({"FACE_MISMATCH", "NO_FACE_FOUND", "FAKE_FACE", "TOO_MANY_FACES"})

PASSING_DOCUMENT_CODES = frozenset({"DOC_VALIDATED"})
PASSING_FACE_CODES = frozenset({"FACE_MATCH"})

REVIEW_POLICIES = ("automatic", "review_failed", "review_all")


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
    """Overall status from the automatic results (SPEC 6)."""
    reasons: list[Reason] = []
    face_ok = face in PASSING_FACE_CODES or (not face_required and face == "FACE_NOT_ANALYSED")
    doc_ok = document in PASSING_DOCUMENT_CODES

    if document in DENYING_DOCUMENT_CODES:
        reasons.append(Reason("document", "DENIED", f"document result {document} is a hard failure"))
    if face_required and face in DENYING_FACE_CODES:
        reasons.append(Reason("face", "DENIED", f"face result {face} is a hard failure"))

    if reasons:
        status = "DENIED"
    elif doc_ok and face_ok and not needs_review:
        if fraud_tags or mismatch_tags:
            status = "SUSPECTED"
            tags = ", ".join(fraud_tags + mismatch_tags)
            reasons.append(Reason("cross-checks", "SUSPECTED", f"tags: {tags}"))
        else:
            status = "APPROVED"
            reasons.append(Reason("all", "APPROVED", "document and face checks passed"))
    else:
        status = "REVIEWING"
        if not doc_ok:
            reasons.append(Reason("document", "REVIEWING", f"document result {document} is not conclusive"))
        if not face_ok:
            reasons.append(Reason("face", "REVIEWING", f"face result {face} is not conclusive"))
        for why in needs_review:
            reasons.append(Reason("document", "REVIEWING", why))

    if review_policy == "review_all" and status != "REVIEWING":
        reasons.append(Reason("policy", "REVIEWING", f"partner reviews all verifications (automatic: {status})"))
        status = "REVIEWING"
    elif review_policy == "review_failed" and status in ("DENIED", "SUSPECTED"):
        reasons.append(Reason("policy", "REVIEWING", f"partner reviews failed verifications (automatic: {status})"))
        status = "REVIEWING"
    return Decision(status=status, reasons=tuple(reasons), final=status != "REVIEWING")


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
        manual_document or auto_document or "DOC_NOT_ANALYSED",
        manual_face or auto_face or "FACE_NOT_ANALYSED",
        face_required=face_required,
        fraud_tags=fraud_tags,
        mismatch_tags=mismatch_tags,
    )
    return Decision(status=decision.status, reasons=decision.reasons, final=True)
