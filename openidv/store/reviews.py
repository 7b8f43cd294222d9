"""Review-console operations on the database: reviewers, scoping, audit, queue, search,
dashboard figures and applying a manual review. No HTTP here (the console in
openidv/web/console.py is a thin layer over these functions).

Tenant isolation lives here, in one place: every query that returns verifications goes
through `_scoped`, which limits a partner's reviewer to that partner's rows (an operator,
a reviewer without partner, sees all).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from sqlalchemy import String, Select, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session

from openidv.api.views import MANUAL_KEYS
from openidv.pipeline.decision import overall_after_review
from openidv.store.models import (
    AuditEntry,
    Partner,
    Reviewer,
    Verification,
    WebhookDelivery,
    utcnow,
)
from openidv.store.verifications import add_webhook

# Vocabularies (SPEC 4, seed 003): what a reviewer may set.
DOCUMENT_RESULTS: tuple[str, ...] = (
    "DOC_VALIDATED", "DOC_INFO_MISMATCH", "DOC_NOT_FOUND", "DOC_NOT_FULLY_VISIBLE",
    "DOC_NOT_SUPPORTED", "DOC_FACE_NOT_FOUND", "DOC_TOO_BLURRY", "DOC_FACE_GLARED",
    "MRZ_NOT_FOUND", "MRZ_OCR_READING_ERROR", "DOC_EXPIRED", "COUNTRY_MISMATCH",
    "DOC_TYPE_MISMATCH", "DOC_DAMAGED", "DOC_FAKE", "DOC_ERROR", "AUTO_UNVERIFIABLE",
    "DOC_NOT_ANALYSED", "DOC_NAME_ERROR", "DOC_SURNAME_ERROR", "DOC_EXPIRY_ERROR",
    "DOC_DOB_ERROR", "DOC_PERSONAL_NUMBER_ERROR", "DOC_NUMBER_ERROR",
    "DOC_DATE_OF_ISSUE_ERROR", "DOC_SEX_ERROR", "DOC_NATIONALITY_ERROR",
)
FACE_RESULTS: tuple[str, ...] = (
    "FACE_MATCH", "FACE_MISMATCH", "NO_FACE_FOUND", "TOO_MANY_FACES", "FACE_TOO_BLURRY",
    "FACE_UNCERTAIN", "FACE_NOT_ANALYSED", "FACE_ERROR", "AUTO_UNVERIFIABLE", "FAKE_FACE",
)
STATUSES: tuple[str, ...] = (
    "ACTIVE", "APPROVED", "DENIED", "SUSPECTED", "REVIEWING", "EXPIRED", "DELETED",
)
DOCUMENT_TYPES: tuple[str, ...] = ("ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER")
# A review may overrule any decided verification; not one still in flight or erased.
DECIDED_STATUSES = frozenset({"APPROVED", "DENIED", "SUSPECTED"})
REVIEWABLE_STATUSES = frozenset({"REVIEWING", "APPROVED", "DENIED", "SUSPECTED"})

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

# Login throttling: failures per e-mail within the window (counted from the audit log, so
# every API process of a scale-out deployment sees the same count).
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5

QUEUE_LIMIT = 200
SEARCH_LIMIT = 200
# Name search matches inside JSON columns; the SQL pre-filter is coarse, so rows are
# confirmed in Python and at most this many candidates are looked at.
SEARCH_SCAN_LIMIT = 2000


class ReviewInvalid(ValueError):
    """The submitted review has a value outside the vocabularies or a malformed field."""


class ReviewConflict(Exception):
    """The verification changed since the form was rendered (another reviewer won)."""


class ReviewNotAllowed(Exception):
    """The verification is not in a state a review applies to."""


# ----------------------------------------------------------------------------- reviewers


def reviewer_by_email(session: Session, email: str) -> Optional[Reviewer]:
    return session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))


def reviewer_label(reviewer: Reviewer) -> str:
    return "operator" if reviewer.partner_id is None else "reviewer"


def recent_login_failures(session: Session, email: str, now: Optional[dt.datetime] = None) -> int:
    since = (now or utcnow()) - LOGIN_FAILURE_WINDOW
    return int(
        session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "login_failed",
                AuditEntry.actor == _actor(email),
                AuditEntry.at >= since,
            )
        )
        or 0
    )


def login_locked(session: Session, email: str) -> bool:
    return recent_login_failures(session, email) >= LOGIN_MAX_FAILURES


# ----------------------------------------------------------------------------- audit


def _actor(email: str) -> str:
    return email.strip().lower()[:254]


def audit(
    session: Session,
    actor: str,
    action: str,
    verification_id: Optional[int] = None,
    detail: Optional[dict[str, Any]] = None,
) -> None:
    """Append one audit entry (in the caller's transaction: no change without its entry)."""
    session.add(
        AuditEntry(
            actor=_actor(actor),
            action=action[:40],
            verification_id=verification_id,
            detail=detail or {},
            at=utcnow(),
        )
    )


def audit_trail(session: Session, verification_id: int, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.verification_id == verification_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    )


# ----------------------------------------------------------------------------- scoping


def _scoped(stmt: Select, reviewer: Reviewer) -> Select:
    if reviewer.partner_id is None:
        return stmt
    return stmt.where(Verification.partner_id == reviewer.partner_id)


def verification_for(session: Session, reviewer: Reviewer, scan_ref: str) -> Optional[Verification]:
    """A verification the reviewer may see; another partner's is as absent as a missing one."""
    return session.scalar(_scoped(select(Verification).where(Verification.scan_ref == scan_ref), reviewer))


def partner_names(session: Session, reviewer: Reviewer) -> dict[int, str]:
    stmt = select(Partner.id, Partner.name)
    if reviewer.partner_id is not None:
        stmt = stmt.where(Partner.id == reviewer.partner_id)
    return {pid: name for pid, name in session.execute(stmt)}


def webhook_deliveries(session: Session, verification_id: int) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.verification_id == verification_id)
            .order_by(WebhookDelivery.id)
        )
    )


# ----------------------------------------------------------------------------- queue


def _waiting_since():  # noqa: ANN202 - a SQL expression
    # When the automatic decision was made; older rows may lack finish_time.
    return func.coalesce(Verification.finish_time, Verification.start_time, Verification.created_at)


@dataclass(frozen=True)
class QueuePage:
    items: list[Verification]
    total: int
    by_partner: dict[str, int]
    oldest: Optional[dt.datetime]


def review_queue(session: Session, reviewer: Reviewer, limit: int = QUEUE_LIMIT) -> QueuePage:
    """REVIEWING verifications, the longest waiting first."""
    base = select(Verification).where(Verification.status == "REVIEWING")
    items = list(
        session.scalars(_scoped(base, reviewer).order_by(_waiting_since().asc(), Verification.id.asc()).limit(limit))
    )
    counts = _scoped(
        select(Verification.partner_id, func.count(Verification.id)).where(Verification.status == "REVIEWING"),
        reviewer,
    ).group_by(Verification.partner_id)
    names = partner_names(session, reviewer)
    by_partner = {names.get(pid, f"#{pid}"): int(n) for pid, n in session.execute(counts)}
    oldest = session.scalar(_scoped(select(func.min(_waiting_since())).where(Verification.status == "REVIEWING"), reviewer))
    return QueuePage(items, sum(by_partner.values()), by_partner, oldest)


# ----------------------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchFilters:
    scan_ref: str = ""
    client_id: str = ""
    name: str = ""
    document_number: str = ""
    status: str = ""
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None

    def is_empty(self) -> bool:
        return not any((self.scan_ref, self.client_id, self.name, self.document_number, self.status,
                        self.date_from, self.date_to))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def normalise_document_number(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


_NAME_KEYS_REQUEST = ("firstName", "lastName")
_NAME_KEYS_DATA = ("doc_name", "doc_surname", "mrz_name", "mrz_surname")
_NAME_KEYS_MANUAL = ("manual_name", "manual_surname")


def _names_of(v: Verification) -> list[str]:
    values = [(v.token_request or {}).get(k) for k in _NAME_KEYS_REQUEST]
    values += [(v.document_data or {}).get(k) for k in _NAME_KEYS_DATA]
    values += [(v.manual_data or {}).get(k) for k in _NAME_KEYS_MANUAL]
    return [str(x) for x in values if x]


def name_matches(v: Verification, query: str) -> bool:
    """Every word of the query appears in one of the names (given, printed, MRZ, corrected)."""
    names = " ".join(_names_of(v)).upper().replace("<", " ")
    return all(word in names for word in query.upper().split())


def _document_numbers_of(v: Verification) -> list[str]:
    values = [v.document_number_key, (v.token_request or {}).get("documentNumber")]
    values += [(v.document_data or {}).get(k) for k in ("doc_document_number", "mrz_document_number")]
    values.append((v.manual_data or {}).get("manual_document_number"))
    return [normalise_document_number(str(x)) for x in values if x]


def search_verifications(
    session: Session, reviewer: Reviewer, filters: SearchFilters, limit: int = SEARCH_LIMIT
) -> list[Verification]:
    """Newest first. Exact fields filter in SQL; name and document number are pre-filtered
    on the JSON text in SQL and confirmed on the values in Python (JSON layout differs
    between SQLite and PostgreSQL, so no JSON operators)."""
    stmt = _scoped(select(Verification), reviewer)
    if filters.scan_ref:
        stmt = stmt.where(Verification.scan_ref == filters.scan_ref.strip())
    if filters.client_id:
        stmt = stmt.where(Verification.client_id == filters.client_id.strip())
    if filters.status:
        stmt = stmt.where(Verification.status == filters.status)
    if filters.date_from:
        stmt = stmt.where(Verification.created_at >= dt.datetime.combine(filters.date_from, dt.time.min))
    if filters.date_to:
        stmt = stmt.where(Verification.created_at < dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min))
    words = filters.name.upper().split()
    for word in words:
        pattern = _like(word)
        stmt = stmt.where(
            or_(
                func.upper(cast(Verification.token_request, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.document_data, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.manual_data, String)).like(pattern, escape="\\"),
            )
        )
    number = normalise_document_number(filters.document_number)
    if filters.document_number and not number:
        return []
    if number:
        pattern = _like(number[:4])
        stmt = stmt.where(
            or_(
                Verification.document_number_key == number,
                func.upper(cast(Verification.token_request, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.document_data, String)).like(pattern, escape="\\"),
                func.upper(cast(Verification.manual_data, String)).like(pattern, escape="\\"),
            )
        )
    stmt = stmt.order_by(Verification.created_at.desc(), Verification.id.desc())
    needs_python = bool(words or number)
    rows = session.scalars(stmt.limit(SEARCH_SCAN_LIMIT if needs_python else limit))
    found: list[Verification] = []
    for v in rows:
        if words and not name_matches(v, filters.name):
            continue
        if number and number not in _document_numbers_of(v):
            continue
        found.append(v)
        if len(found) >= limit:
            break
    return found


# ----------------------------------------------------------------------------- dashboard


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    created: int
    decided: int
    median_seconds: Optional[float]


@dataclass(frozen=True)
class Dashboard:
    per_status: dict[str, int]
    per_day: list[DayCount]
    median_decision_seconds: Optional[float]
    median_review_seconds: Optional[float]
    decided_in_window: int
    days: int


def _decision_time(start: Optional[dt.datetime], finish: Optional[dt.datetime],
                   review: Optional[dt.datetime]) -> Optional[float]:
    """Seconds from start to the final decision (the review when there was one)."""
    end = review or finish
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def dashboard(session: Session, reviewer: Reviewer, days: int = 14, today: Optional[dt.date] = None) -> Dashboard:
    """Counts per status (all time), created/decided per day and median time to decision
    over the last `days` days."""
    today = today or utcnow().date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time.min)
    status_rows = session.execute(
        _scoped(select(Verification.status, func.count(Verification.id)), reviewer).group_by(Verification.status)
    )
    per_status = {s: 0 for s in STATUSES}
    for status, count in status_rows:
        per_status[status] = int(count)
    rows = session.execute(
        _scoped(
            select(Verification.created_at, Verification.start_time, Verification.finish_time,
                   Verification.review_time, Verification.status),
            reviewer,
        ).where(or_(Verification.created_at >= since, Verification.finish_time >= since,
                    Verification.review_time >= since))
    ).all()
    created = {first_day + dt.timedelta(days=i): 0 for i in range(days)}
    decided = dict.fromkeys(created, 0)
    durations: list[float] = []
    per_day_durations: dict[dt.date, list[float]] = {d: [] for d in created}
    review_waits: list[float] = []
    for created_at, start, finish, review, status in rows:
        if created_at and created_at.date() in created:
            created[created_at.date()] += 1
        if status not in DECIDED_STATUSES:
            continue  # still waiting (REVIEWING), never used (EXPIRED) or erased (DELETED)
        end = review or finish
        if end and end.date() in decided:
            decided[end.date()] += 1
            took = _decision_time(start, finish, review)
            if took is not None:
                durations.append(took)
                per_day_durations[end.date()].append(took)
            if review and finish and review >= finish:
                review_waits.append((review - finish).total_seconds())
    per_day = [
        DayCount(d, created[d], decided[d],
                 statistics.median(per_day_durations[d]) if per_day_durations[d] else None)
        for d in created
    ]
    return Dashboard(
        per_status=per_status,
        per_day=per_day,
        median_decision_seconds=statistics.median(durations) if durations else None,
        median_review_seconds=statistics.median(review_waits) if review_waits else None,
        decided_in_window=len(durations),
        days=days,
    )


# ----------------------------------------------------------------------------- review


@dataclass(frozen=True)
class ReviewInput:
    manual_document: str
    manual_face: str
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


def validate_review(manual_document: str, manual_face: str, data: dict[str, str], note: str) -> ReviewInput:
    if manual_document not in DOCUMENT_RESULTS:
        raise ReviewInvalid("Choose a document result from the list")
    if manual_face not in FACE_RESULTS:
        raise ReviewInvalid("Choose a face result from the list")
    if len(note) > 5000:
        raise ReviewInvalid("The note is limited to 5000 characters")
    cleaned: dict[str, str] = {}
    for key in MANUAL_FIELDS:
        value = _clean_manual_value(key, data.get(key, "") or "")
        if value is not None:
            cleaned[key] = value
    return ReviewInput(manual_document, manual_face, cleaned, note.strip())


def apply_review(
    session: Session,
    reviewer: Reviewer,
    verification: Verification,
    expected_version: int,
    review: ReviewInput,
) -> ReviewOutcome:
    """Record a manual review, recompute the overall status, queue the final webhook.

    The UPDATE is conditional on the version the reviewer saw: of two reviewers submitting
    at once, exactly one changes the row; the other gets ReviewConflict (nothing written).
    The caller commits and then enqueues the webhook delivery it gets back.
    """
    if verification.status not in REVIEWABLE_STATUSES:
        raise ReviewNotAllowed(f"A {verification.status} verification cannot be reviewed")
    if verification.version != expected_version:
        raise ReviewConflict()
    decision = overall_after_review(
        verification.auto_document,
        verification.auto_face,
        review.manual_document,
        review.manual_face,
        face_required=verification.token_type == "IDENTIFICATION",
        fraud_tags=tuple(verification.fraud_tags or ()),
        mismatch_tags=tuple(verification.mismatch_tags or ()),
    )
    now = utcnow()
    reasons = list(verification.decision_reasons or [])
    reasons.append({
        "check": "manual review",
        "outcome": decision.status,
        "detail": f"{reviewer.email}: document {review.manual_document}, face {review.manual_face}",
        "scores": {},
    })
    reasons += [dict(r.as_dict(), check=f"after review: {r.check}") for r in decision.reasons]
    before = {"status": verification.status, "manualDocument": verification.manual_document,
              "manualFace": verification.manual_face, "manualData": dict(verification.manual_data or {})}
    result = session.execute(
        update(Verification)
        .where(
            and_(
                Verification.id == verification.id,
                Verification.version == expected_version,
                Verification.status.in_(REVIEWABLE_STATUSES),
            )
        )
        .values(
            status=decision.status,
            manual_document=review.manual_document,
            manual_face=review.manual_face,
            manual_data=review.manual_data,
            review_note=review.note or None,
            reviewer_id=reviewer.id,
            review_time=now,
            decision_reasons=reasons,
            version=Verification.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ReviewConflict()
    session.refresh(verification)
    delivery_id = add_webhook(session, verification, verification.partner, "manual", final=True)
    audit(session, reviewer.email, "review", verification.id, {
        "before": before,
        "after": {"status": decision.status, "manualDocument": review.manual_document,
                  "manualFace": review.manual_face, "manualData": review.manual_data},
        "note": review.note,
        "webhook": delivery_id,
    })
    return ReviewOutcome(decision.status, delivery_id, verification.version)


# ----------------------------------------------------------------------------- comparison


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
        given = _text(req.get(req_key)) if req_key else None
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
    try:
        # Imported lazily: the pipeline package is heavy and the console only needs these.
        from openidv.pipeline import mrz as icao
    except Exception:  # noqa: BLE001 - the pipeline may be unavailable; show the lines unmarked
        return None, cells
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
