"""Why a verification is in the review queue (or why it was decided), in a few words a
reviewer reads at a glance, from the reasons the decision recorded (`decision_reasons`).

Each short reason has a kind, so the queue can be filtered by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from openidv.core.vocab import FraudTag, Status


@dataclass(frozen=True)
class ShortReason:
    kind: str  # a key of REASON_KINDS
    text: str


# kind -> label of the queue's reason filter, in the order they are listed.
REASON_KINDS: dict[str, str] = {
    "face": "Face uncertain or not compared",
    "mrz": "MRZ unreadable, check digits or readings disagree",
    "printed": "Printed data differs from the MRZ",
    "document": "Document result not conclusive",
    "duplicate": "Duplicate face or document",
    "blocklist": "Document on the blocklist",
    "mismatch": "Partner's data differs",
    "aml": "Sanctions/PEP hit or screening failed",
    "policy": "Partner reviews every (failed) case",
    "error": "Processing failed",
}

_FRAUD_TEXT = {
    FraudTag.DUPLICATE_FACE: "Duplicate face",
    FraudTag.DUPLICATE_DOC_FACE: "Duplicate document portrait",
    FraudTag.DUPLICATE_PERSONAL_DATA: "Same document number as another client",
    FraudTag.DATA_IN_BLACKLIST: "Document number on the blocklist",
}


def _similarity_text(scores: dict[str, Any], fallback: Optional[float]) -> str:
    similarity = scores.get("similarity", fallback)
    return f" (similarity {float(similarity) * 100:.0f} %)" if similarity is not None else ""


# How the screening words a weak hit that sends a verification to review (services/aml_screening.py).
AML_REVIEW_PREFIX = "possible sanctions/PEP match"


def _aml_reason(entry: dict[str, Any]) -> Optional[ShortReason]:
    """The sanctions/PEP screening's entry in short: a strong hit, a failure, a weak hit."""
    outcome, detail = entry.get("outcome"), str(entry.get("detail") or "")
    if outcome == FraudTag.AML_SUSPECTION:
        return ShortReason("aml", f"Sanctions/PEP hit: {detail}")
    if outcome == FraudTag.AML_FAILED:
        return ShortReason("aml", f"Sanctions/PEP screening failed: {detail}")
    if outcome == Status.REVIEWING:
        return ShortReason("aml", detail[:1].upper() + detail[1:])
    return None


def _document_reason(detail: str) -> ShortReason:
    if detail.startswith(AML_REVIEW_PREFIX):  # the screening's, also recorded as its own entry
        return ShortReason("aml", detail[:1].upper() + detail[1:])
    lowered = detail.lower()
    if lowered.startswith("printed data differs"):
        return ShortReason("printed", detail[0].upper() + detail[1:])
    if "mrz" in lowered or "check digit" in lowered or "unreadable" in lowered:
        return ShortReason("mrz", detail[0].upper() + detail[1:])
    if detail.startswith("document result "):
        code = detail.split()[2]
        return ShortReason("document", f"Document {code}")
    return ShortReason("document", detail)


def _review_reason(entry: dict[str, Any], face_similarity: Optional[float]) -> Optional[ShortReason]:
    """A REVIEWING entry of decision_reasons in short."""
    check, detail = entry.get("check", ""), str(entry.get("detail") or "")
    if check == "face":
        code = detail.split()[2] if detail.startswith("face result ") else detail
        text = "Face uncertain" if code == "FACE_UNCERTAIN" else f"Face {code}"
        return ShortReason("face", text + _similarity_text(entry.get("scores") or {}, face_similarity))
    if check == "document":
        return _document_reason(detail)
    if check == "policy":
        automatic = detail.rsplit("automatic: ", 1)[-1].rstrip(")") if "automatic: " in detail else ""
        scope = "all" if detail.startswith("partner reviews all") else "failed"
        return ShortReason("policy", f"Partner reviews {scope} cases (automatic: {automatic})")
    if check == "pipeline":
        return ShortReason("error", f"Processing failed: {detail}")
    return None


# The hard failures in plain words (the code follows in brackets).
_FAILURE_TEXT = {
    "DOC_NOT_FOUND": "No document found", "DOC_NOT_SUPPORTED": "Document not supported",
    "DOC_EXPIRED": "Document expired", "COUNTRY_MISMATCH": "Not the declared country",
    "DOC_TYPE_MISMATCH": "Not the declared document type", "DOC_FAKE": "Document fake",
    "DOC_FACE_NOT_FOUND": "No portrait on the document", "FACE_MISMATCH": "Face does not match",
    "NO_FACE_FOUND": "No face in the selfie", "FAKE_FACE": "Photo of a photo or screen",
    "TOO_MANY_FACES": "Several faces in the selfie",
}


def _hard_failure(check: str, detail: str) -> ShortReason:
    code = detail.split()[2] if detail.startswith(f"{check} result ") else detail
    text = _FAILURE_TEXT.get(code, f"{check.capitalize()} {code}")
    return ShortReason(check if check == "face" else "document", f"{text} ({code}, would deny)")


def _fraud_reason(entry: dict[str, Any]) -> Optional[ShortReason]:
    outcome = entry.get("outcome")
    if outcome not in _FRAUD_TEXT:
        return None
    kind = "blocklist" if outcome == FraudTag.DATA_IN_BLACKLIST else "duplicate"
    distance = (entry.get("scores") or {}).get("distance")
    suffix = f" (distance {float(distance):.2f})" if distance is not None else ""
    return ShortReason(kind, _FRAUD_TEXT[outcome] + suffix)


def queue_reasons(v: Any) -> list[ShortReason]:
    """Why a verification waits for a reviewer: the inconclusive checks, the fraud findings,
    the partner's data that differs, the partner's policy. (Works on any row: for one that
    was decided it says why it had been sent to review, if it was.)"""
    out: list[ShortReason] = []
    for entry in v.decision_reasons or []:
        check = str(entry.get("check", ""))
        if check.startswith("after review") or check == "manual review":
            continue
        outcome = entry.get("outcome")
        if check in ("duplicates", "blocklist"):
            short = _fraud_reason(entry)
        elif check == "aml":
            short = _aml_reason(entry)
        elif outcome == Status.REVIEWING:
            short = _review_reason(entry, v.face_similarity)
        elif outcome == Status.DENIED and check in ("document", "face"):
            # A hard failure a partner's policy sent to review instead of denying.
            short = _hard_failure(check, str(entry.get("detail") or ""))
        else:
            short = None
        if short is not None and short not in out:
            out.append(short)
    if v.mismatch_tags:
        out.append(ShortReason("mismatch", "Partner's data differs: " + ", ".join(v.mismatch_tags)))
    return out


def decided_reasons(v: Any) -> list[ShortReason]:
    """Why a decided verification has its status: the reviewer's decision, else the checks
    that gave the automatic status."""
    if v.review_time is not None and v.review_reason:
        label = {"approve": "Approved", "decline": "Declined", "resubmit": "New photos requested"}.get(
            v.review_decision or "", "Reviewed")
        return [ShortReason("review", f"{label}: {v.review_reason}")]
    out: list[ShortReason] = []
    for entry in v.decision_reasons or []:
        if entry.get("outcome") != v.status or entry.get("check") in ("document", "face") and \
                "hard failure" not in str(entry.get("detail", "")):
            continue
        out.append(ShortReason("decision", str(entry.get("detail") or entry.get("check"))))
    return out or [r for r in queue_reasons(v) if r.kind in ("duplicate", "blocklist", "mismatch")]


def reasons_for(v: Any) -> list[ShortReason]:
    """The reasons to show beside a verification, whatever its status."""
    return queue_reasons(v) if v.status == Status.REVIEWING else decided_reasons(v)
