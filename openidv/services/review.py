"""A reviewer's work on one verification: the values a review may set, validating a review,
applying it (overall status recomputed, final webhook queued), and what the review page
shows beside the images (printed vs MRZ vs given data, the MRZ with its check digits)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy.orm import Session

from openidv.core.vocab import (
    DECIDED_STATUSES, DOCUMENT_CODES, DOCUMENT_TYPES, FACE_CODES, REVIEWABLE_STATUSES, TokenType, WebhookEvent,
)
from openidv.core.wire import MANUAL_KEYS
from openidv.pipeline import mrz as icao
from openidv.pipeline.decision import InconsistentReview, ReviewDecision, manual_decision
from openidv.services.review_templates import BY_KEY as TEMPLATES_BY_KEY
from openidv.services.review_templates import DECISION_LABELS
from openidv.store.audit import audit
from openidv.store.leases import update_if
from openidv.store.models import Reviewer, Verification, utcnow
from openidv.webhooks.outbox import add_webhook


# manual_* fields a reviewer may correct: key -> (label, kind, max length). Kinds validate.
MANUAL_FIELDS: dict[str, tuple[str, str, int]] = {
    "manual_name": ("First name", "text", 100),
    "manual_surname": ("Surname", "text", 100),
    "manual_date_of_birth": ("Date of birth", "date", 10),
    "manual_expiry_date": ("Expiry date", "date", 10),
    "manual_personal_code": ("Personal code", "text", 30),
    "manual_document_number": ("Document number", "text", 100),
    "manual_sex": ("Sex", "sex", 1),
    "manual_nationality": ("Nationality", "country", 2),
    "manual_document_type": ("Document type", "doctype", 30),
    "manual_date_of_issue": ("Date of issue", "date", 10),
    "manual_country": ("Issuing country", "country", 2),
    "manual_utility_address": ("Address", "text", 255),
}
assert set(MANUAL_KEYS) <= set(MANUAL_FIELDS)  # the console covers every full-status manual_* key


class ReviewInvalid(ValueError):
    """The submitted review has a value outside the vocabularies or a malformed field."""


class ReviewConflict(Exception):
    """The verification changed since the form was rendered (another reviewer won)."""


class ReviewNotAllowed(Exception):
    """The verification is not in a state a review applies to."""


REASON_MAX_CHARS = 200


@dataclass(frozen=True)
class ReviewInput:
    """A reviewer's decision: the codes are None when the reason template gives them."""

    decision: str
    reason: str
    template: Optional[str] = None
    manual_document: Optional[str] = None
    manual_face: Optional[str] = None
    manual_data: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class ReviewOutcome:
    status: str
    delivery_id: Optional[int]
    version: int


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _clean_manual_value(key: str, raw: str) -> Optional[str]:
    """A validated manual_* value, None when left empty; ReviewInvalid when malformed."""
    label, kind, max_len = MANUAL_FIELDS[key]
    value = " ".join(raw.split())
    if not value:
        return None
    if len(value) > max_len:
        raise ReviewInvalid(f"{label}: at most {max_len} characters")
    if kind == "date":
        try:
            if not _DATE.match(value):
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise ReviewInvalid(f"{label}: use YYYY-MM-DD") from None
    elif kind == "sex":
        value = value.upper()
        if value not in ("M", "F"):
            raise ReviewInvalid(f"{label}: M or F")
    elif kind == "country":
        value = value.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ReviewInvalid(f"{label}: a two-letter country code")
    elif kind == "doctype":
        if value not in DOCUMENT_TYPES:
            raise ReviewInvalid(f"{label}: one of {', '.join(DOCUMENT_TYPES)}")
    return value


def validate_review(
    decision: str,
    template: str,
    reason: str,
    manual_document: str,
    manual_face: str,
    data: dict[str, str],
    note: str,
) -> ReviewInput:
    """The submitted form, checked against the vocabularies (its consistency with the
    verification is checked when it is applied). Empty codes come from the template."""
    if decision not in tuple(ReviewDecision):
        raise ReviewInvalid("Choose Approve, Decline or Ask to resubmit")
    chosen = TEMPLATES_BY_KEY.get(template) if template else None
    if template and (chosen is None or chosen.decision != decision):
        raise ReviewInvalid(f"Choose a reason of {DECISION_LABELS[decision]} from the list")
    if manual_document and manual_document not in DOCUMENT_CODES:
        raise ReviewInvalid("Choose a document result from the list")
    if manual_face and manual_face not in FACE_CODES:
        raise ReviewInvalid("Choose a face result from the list")
    if chosen is None and not (manual_document and manual_face):
        raise ReviewInvalid("Choose a reason, or a document and a face result under Advanced")
    reason = " ".join(reason.split()) or (chosen.label if chosen else "")
    if decision != ReviewDecision.APPROVE and not reason:
        raise ReviewInvalid("Give the reason for the decision")
    if len(reason) > REASON_MAX_CHARS:
        raise ReviewInvalid(f"The reason is limited to {REASON_MAX_CHARS} characters")
    if len(note) > 5000:
        raise ReviewInvalid("The note is limited to 5000 characters")
    cleaned: dict[str, str] = {}
    for key in MANUAL_FIELDS:
        value = _clean_manual_value(key, data.get(key, "") or "")
        if value is not None:
            cleaned[key] = value
    return ReviewInput(decision, reason or "Document and face verified", template or None,
                       manual_document or None, manual_face or None, cleaned, note.strip())


def review_codes(verification: Verification, review: ReviewInput) -> tuple[str, str]:
    """(manualDocument, manualFace): as given under Advanced, else from the reason template."""
    face_required = verification.token_type == TokenType.IDENTIFICATION
    template_codes = TEMPLATES_BY_KEY[review.template].codes(face_required) if review.template else (None, None)
    document = review.manual_document or template_codes[0]
    face = review.manual_face or template_codes[1]
    if document is None or face is None:
        raise ReviewInvalid("Choose a reason, or a document and a face result under Advanced")
    return document, face


def apply_review(
    session: Session,
    reviewer: Reviewer,
    verification: Verification,
    expected_version: int,
    review: ReviewInput,
) -> ReviewOutcome:
    """Record a reviewer's decision, set the overall status, queue the final webhook.

    ReviewInvalid when the codes contradict the decision (nothing written). The UPDATE is
    conditional on the version the reviewer saw: of two reviewers submitting at once,
    exactly one changes the row; the other gets ReviewConflict (nothing written). The
    caller commits and then enqueues the webhook delivery it gets back.
    """
    if verification.status not in REVIEWABLE_STATUSES:
        raise ReviewNotAllowed(f"A {verification.status} verification cannot be reviewed")
    if verification.version != expected_version:
        raise ReviewConflict()
    manual_document, manual_face = review_codes(verification, review)
    try:
        decision = manual_decision(
            review.decision, manual_document, manual_face,
            face_required=verification.token_type == TokenType.IDENTIFICATION,
            fraud_tags=tuple(verification.fraud_tags or ()),
            mismatch_tags=tuple(verification.mismatch_tags or ()),
        )
    except InconsistentReview as exc:
        raise ReviewInvalid(str(exc)) from None
    # Every decision ends the review: a status that is not final would leave the partner
    # with a "final" webhook that is not (and the verification in the queue).
    assert decision.final and decision.status in DECIDED_STATUSES
    now = utcnow()
    reasons = list(verification.decision_reasons or [])
    reasons.append({
        "check": "manual review",
        "outcome": decision.status,
        "detail": f"{reviewer.email}: {DECISION_LABELS[review.decision]}: {review.reason} "
                  f"(document {manual_document}, face {manual_face})",
        "scores": {},
    })
    reasons += [dict(r.as_dict(), check=f"after review: {r.check}") for r in decision.reasons]
    before = {"status": verification.status, "manualDocument": verification.manual_document,
              "manualFace": verification.manual_face, "manualData": dict(verification.manual_data or {})}
    reviewed = update_if(
        session, Verification,
        Verification.id == verification.id,
        Verification.version == expected_version,
        Verification.status.in_(REVIEWABLE_STATUSES),
        status=decision.status,
        manual_document=manual_document,
        manual_face=manual_face,
        manual_data=review.manual_data,
        review_note=review.note or None,
        review_decision=review.decision,
        review_reason=review.reason,
        reviewer_id=reviewer.id,
        review_time=now,
        decision_reasons=reasons,
        assigned_to=None,
        assigned_at=None,
        version=Verification.version + 1,
    )
    if not reviewed:
        raise ReviewConflict()
    session.refresh(verification)
    delivery_id = add_webhook(session, verification, WebhookEvent.MANUAL, final=decision.final)
    audit(session, reviewer.email, "review", verification.id, {
        "before": before,
        "after": {"status": decision.status, "decision": review.decision, "reason": review.reason,
                  "template": review.template, "manualDocument": manual_document,
                  "manualFace": manual_face, "manualData": review.manual_data},
        "note": review.note,
        "webhook": delivery_id,
    })
    return ReviewOutcome(decision.status, delivery_id, verification.version)


@dataclass(frozen=True)
class FieldComparison:
    """One personal-data field as printed, in the MRZ, given by the partner, corrected."""

    label: str
    printed: Optional[str]
    mrz: Optional[str]
    given: Optional[str]
    manual: Optional[str]
    mismatch: bool


# label, doc key, mrz key, token_request key, manual key
_COMPARED: tuple[tuple[str, str, str, Optional[str], str], ...] = (
    ("First name", "doc_name", "mrz_name", "firstName", "manual_name"),
    ("Surname", "doc_surname", "mrz_surname", "lastName", "manual_surname"),
    ("Date of birth", "doc_date_of_birth", "mrz_date_of_birth", "dateOfBirth", "manual_date_of_birth"),
    ("Document number", "doc_document_number", "mrz_document_number", "documentNumber", "manual_document_number"),
    ("Personal code", "doc_personal_code", "mrz_personal_code", "personalNumber", "manual_personal_code"),
    ("Expiry date", "doc_expiry_date", "mrz_expiry_date", "dateOfExpiry", "manual_expiry_date"),
    ("Date of issue", "doc_date_of_issue", "mrz_date_of_issue", "dateOfIssue", "manual_date_of_issue"),
    ("Sex", "doc_sex", "mrz_sex", "sex", "manual_sex"),
    ("Nationality", "doc_nationality", "mrz_nationality", "nationality", "manual_nationality"),
    ("Issuing country", "doc_country", "mrz_country", "country", "manual_country"),
    ("Document type", "doc_document_type", "mrz_document_type", None, "manual_document_type"),
)


def _normalised(value: Optional[str]) -> str:
    text = " ".join(str(value).replace("<", " ").upper().split())
    return {"MALE": "M", "FEMALE": "F"}.get(text, text)


def _text(value: Any) -> Optional[str]:
    return None if value in (None, "") else str(value)


def compare_fields(v: Verification) -> list[FieldComparison]:
    """Printed vs MRZ vs partner-given values; a mismatch is two present values that differ."""
    data, req, manual = v.document_data or {}, v.token_request or {}, v.manual_data or {}
    rows = []
    for label, doc_key, mrz_key, req_key, manual_key in _COMPARED:
        printed, mrz = _text(data.get(doc_key)), _text(data.get(mrz_key))
        # A country list given at token creation declares no one country to compare with.
        given = _text(req.get(req_key)) if req_key and not isinstance(req.get(req_key), list) else None
        present = {_normalised(x) for x in (printed, mrz, given) if x is not None}
        rows.append(FieldComparison(label, printed, mrz, given, _text(manual.get(manual_key)), len(present) > 1))
    return rows


def mrz_lines(mrz_string: Optional[str]) -> list[str]:
    """Split the concatenated MRZ (as stored) into its lines by the ICAO line lengths."""
    if not mrz_string:
        return []
    text = mrz_string.strip()
    if "\n" in text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    for n_lines, length in ((3, 30), (2, 44), (2, 36)):
        if len(text) == n_lines * length:
            return [text[i * length:(i + 1) * length] for i in range(n_lines)]
    return [text]


@dataclass(frozen=True)
class MrzCell:
    char: str
    # None: an ordinary character; True/False: a check digit that verifies / does not.
    check_ok: Optional[bool] = None
    field: str = ""


def mark_check_digits(lines: Sequence[str]) -> tuple[Optional[str], list[list[MrzCell]]]:
    """Each MRZ character, with every check digit recomputed and marked (ICAO 9303)."""
    cells = [[MrzCell(ch) for ch in line] for line in lines]
    fmt = icao.detect_format(list(lines)) if lines else None
    if fmt is None:
        return None, cells
    try:
        results = icao.verify_check_digits(list(lines), fmt)
        for spec in icao.LAYOUTS[fmt]:
            if spec.check is not None and spec.name in results:
                cells[spec.line][spec.check] = MrzCell(lines[spec.line][spec.check], results[spec.name], spec.name)
        if fmt in icao.COMPOSITES and "composite" in results:
            line, col = icao.COMPOSITES[fmt][1]
            cells[line][col] = MrzCell(lines[line][col], results["composite"], "composite")
    except (ValueError, IndexError, KeyError):
        return fmt, [[MrzCell(ch) for ch in line] for line in lines]
    return fmt, cells
