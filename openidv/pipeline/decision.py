"""The overall decision, as one pure function a reader can check line by line.

Input: the automatic document and face codes, tags, and the partner's policy.
Output: the overall status and the reasons (which check decided it, with its scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
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
class Match:
    """Another verification a cross-check matched, so a reviewer can open it."""

    scan_ref: str
    client_id: str
    kind: str = ""  # the face it matched: "selfie" or "document"; "" for a document number
    distance: Optional[float] = None  # face embedding distance

    def as_dict(self) -> dict:
        return {"scanRef": self.scan_ref, "clientId": self.client_id, "kind": self.kind, "distance": self.distance}


@dataclass(frozen=True)
class Reason:
    """One line of "why": the check, its outcome, the numbers behind it, and the other
    verifications it matched (duplicates)."""

    check: str
    outcome: str
    detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    matches: tuple[Match, ...] = ()

    def as_dict(self) -> dict:
        out = {"check": self.check, "outcome": self.outcome, "detail": self.detail, "scores": self.scores}
        if self.matches:
            out["matches"] = [m.as_dict() for m in self.matches]
        return out


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


class ReviewDecision(StrEnum):
    """What a reviewer decides: each one ends the verification in a final status."""

    APPROVE = "approve"  # APPROVED (SUSPECTED when fraud or mismatch tags remain)
    DECLINE = "decline"  # DENIED: do not try again
    RESUBMIT = "resubmit"  # DENIED with a photo-quality code: the user may try again


# A DENIED verification whose manual codes fail only for these reasons asks the user to try
# again with better photos (the partner creates a new token): the photos, not the person,
# were the problem.
RESUBMIT_DOCUMENT_CODES = frozenset({
    Doc.DOC_TOO_BLURRY, Doc.DOC_NOT_FULLY_VISIBLE, Doc.DOC_FACE_GLARED, Doc.DOC_NOT_FOUND,
    Doc.MRZ_NOT_FOUND, Doc.MRZ_OCR_READING_ERROR,
})
RESUBMIT_FACE_CODES = frozenset({Face.FACE_TOO_BLURRY, Face.NO_FACE_FOUND, Face.TOO_MANY_FACES})
# "The machine could not tell" is not a person's finding: never a manual result.
UNDECIDED_DOCUMENT_CODES = frozenset({Doc.AUTO_UNVERIFIABLE, Doc.DOC_ERROR, Doc.DOC_NOT_ANALYSED})
UNDECIDED_FACE_CODES = frozenset({Face.FACE_UNCERTAIN, Face.AUTO_UNVERIFIABLE, Face.FACE_ERROR})


class InconsistentReview(ValueError):
    """The manual codes do not support the decision the reviewer chose."""


def _face_passes(face: str, face_required: bool) -> bool:
    return face in PASSING_FACE_CODES or (not face_required and face == Face.FACE_NOT_ANALYSED)


def manual_decision(
    decision: str,
    manual_document: str,
    manual_face: str,
    *,
    face_required: bool,
    fraud_tags: tuple[str, ...] = (),
    mismatch_tags: tuple[str, ...] = (),
) -> Decision:
    """The overall status of a reviewer's decision; InconsistentReview when the codes
    contradict it. Every outcome is final (APPROVED, SUSPECTED or DENIED).

    * approve: both codes pass; APPROVED, or SUSPECTED while fraud or mismatch tags remain
      (the partner decides on those, as for an automatic result);
    * decline: DENIED; at least one code fails for a reason other than photo quality, or
      the verification carries fraud tags (a duplicate or blocklisted identity);
    * resubmit: DENIED; at least one code fails, and every failing code is a photo-quality
      code (RESUBMIT_*_CODES), so the partner can tell it from a decline.
    """
    if manual_document in UNDECIDED_DOCUMENT_CODES or manual_face in UNDECIDED_FACE_CODES:
        raise InconsistentReview(f"{manual_document} / {manual_face}: a manual result must be a finding, "
                                 "not \"could not tell\"")
    if face_required and manual_face == Face.FACE_NOT_ANALYSED:
        raise InconsistentReview("this verification has a selfie: give a face result")
    if not face_required and manual_face != Face.FACE_NOT_ANALYSED:
        raise InconsistentReview("a document-only verification has no selfie: its face result is FACE_NOT_ANALYSED")
    doc_ok = manual_document in PASSING_DOCUMENT_CODES
    face_ok = _face_passes(manual_face, face_required)
    failing = [code for code, ok in ((manual_document, doc_ok), (manual_face, face_ok)) if not ok]
    retake = [c for c in failing if c in RESUBMIT_DOCUMENT_CODES or c in RESUBMIT_FACE_CODES]
    codes = f"document {manual_document}, face {manual_face}"
    if decision == ReviewDecision.APPROVE:
        if failing:
            raise InconsistentReview(f"Approve needs passing results ({codes})")
        if fraud_tags or mismatch_tags:
            tags = ", ".join(tuple(fraud_tags) + tuple(mismatch_tags))
            reason = Reason("review", Status.SUSPECTED, f"approved by the reviewer; tags remain: {tags}")
            return Decision(Status.SUSPECTED, (reason,), final=True)
        return Decision(Status.APPROVED, (Reason("review", Status.APPROVED, f"approved by the reviewer ({codes})"),),
                        final=True)
    if decision == ReviewDecision.DECLINE:
        if len(retake) == len(failing) and not fraud_tags:
            raise InconsistentReview(
                f"Decline needs a failing result that is not about photo quality ({codes}); "
                "for unusable photos choose Ask to resubmit")
        return Decision(Status.DENIED, (Reason("review", Status.DENIED, f"declined by the reviewer ({codes})"),),
                        final=True)
    if decision == ReviewDecision.RESUBMIT:
        if not failing or len(retake) != len(failing):
            raise InconsistentReview(
                f"Ask to resubmit needs a photo-quality result and no other failure ({codes})")
        return Decision(Status.DENIED, (Reason("review", Status.DENIED, f"new photos requested ({codes})"),),
                        final=True)
    raise InconsistentReview(f"unknown decision {decision!r}")


def is_resubmission(status: str, manual_document: Optional[str], manual_face: Optional[str],
                    *, face_required: bool) -> bool:
    """Whether a reviewed verification asks for new photos (see manual_decision)."""
    if status != Status.DENIED or manual_document is None or manual_face is None:
        return False
    failing = [c for c, ok in ((manual_document, manual_document in PASSING_DOCUMENT_CODES),
                               (manual_face, _face_passes(manual_face, face_required))) if not ok]
    return bool(failing) and all(c in RESUBMIT_DOCUMENT_CODES or c in RESUBMIT_FACE_CODES for c in failing)
