"""The verification page (images, portrait vs selfie, duplicates, MRZ with check digits,
printed vs MRZ vs partner data, scores explained, the decision panel, webhooks, audit log)
and its images. Every page or image showing personal data writes an audit entry first;
every query is scoped to the reviewer's partner (store/console.py). The queue, search and
dashboard have their own modules."""

from __future__ import annotations

import io
import logging
from typing import Any, Optional

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from openidv.core.vocab import DOCUMENT_CODES, DOCUMENT_TYPES, FACE_CODES, REVIEWABLE_STATUSES, Step, TokenType
from openidv.pipeline import decision as decisions
from openidv.pipeline.document.portrait import find_document_face
from openidv.pipeline.images import decode_image
from openidv.pipeline.score_guide import ScoreReading, read_scores
from openidv.services import review as reviews
from openidv.services.aml_screening import STRONG_HIT_SCORE, hits_for_console
from openidv.services.review_reasons import reasons_for
from openidv.services.review_templates import DECISION_LABELS, templates_for
from openidv.store import console as queries
from openidv.store.audit import audit, audit_trail
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.models import Reviewer, StoredFile, Verification
from openidv.store.verifications import live_files
from openidv.web.console.auth import PREFIX, ConsoleUser, current_user
from openidv.web.console.duplicates import duplicates_of
from openidv.web.console.errors import ConsoleError, not_found
from openidv.web.templating import render

log = logging.getLogger("openidv.console")

STEP_ORDER = (Step.FRONT, Step.BACK, Step.FACE, Step.PASSPORT_COVER, Step.UTILITY_BILL, Step.SECOND_UTILITY_BILL)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def page(name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(name, {"prefix": PREFIX, **context}, status_code)


# ----------------------------------------------------------------------------- verification page


def load_verification(session: Any, user: ConsoleUser, scan_ref: str) -> Verification:
    verification = queries.verification_for(session, user, scan_ref[:36])
    if verification is None:
        raise not_found(user)
    return verification


def _ordered_files(files: list[StoredFile]) -> list[StoredFile]:
    rank = {step: i for i, step in enumerate(STEP_ORDER)}
    return sorted(files, key=lambda f: (rank.get(f.step, len(rank)), f.step, f.id))


def _reviewer_email(session: Any, reviewer_id: Optional[int]) -> Optional[str]:
    reviewer = session.get(Reviewer, reviewer_id) if reviewer_id else None
    return reviewer.email if reviewer else None


# What the decision panel's script checks before submitting (the server checks it again).
DECISION_RULES = {
    "passing_document": sorted(decisions.PASSING_DOCUMENT_CODES),
    "passing_face": sorted(decisions.PASSING_FACE_CODES),
    "retake": sorted(decisions.RESUBMIT_DOCUMENT_CODES | decisions.RESUBMIT_FACE_CODES),
    "undecided": sorted(decisions.UNDECIDED_DOCUMENT_CODES | decisions.UNDECIDED_FACE_CODES),
}


def score_rows(v: Verification) -> list[tuple[str, ScoreReading]]:
    """Every score the automatic checks recorded, explained (check name, reading)."""
    rows = []
    for entry in v.decision_reasons or []:
        scores = entry.get("scores") or {}
        check = str(entry.get("check", ""))
        if check.startswith("after review") or not isinstance(scores, dict):
            continue
        rows += [(check, reading) for reading in read_scores(check, scores)]
    return rows


def _decision_context(v: Verification) -> dict[str, Any]:
    face_required = v.token_type == TokenType.IDENTIFICATION
    tags = tuple(v.fraud_tags or ()) + tuple(v.mismatch_tags or ())
    approve_outcome = "SUSPECTED (tags remain)" if tags else "APPROVED"
    outcomes = {decisions.ReviewDecision.APPROVE: approve_outcome,
                decisions.ReviewDecision.DECLINE: "DENIED",
                decisions.ReviewDecision.RESUBMIT: "DENIED, new photos"}
    return {
        "face_required": face_required,
        "decisions": [(d.value, DECISION_LABELS[d], outcomes[d]) for d in decisions.ReviewDecision],
        "templates": {d.value: ts for d, ts in templates_for(face_required, tuple(v.fraud_tags or ())).items()},
        "rules": DECISION_RULES, "approve_outcome": approve_outcome.split()[0],
        "reason_max": reviews.REASON_MAX_CHARS,
    }


def _page_context(session: Any, user: ConsoleUser, v: Verification) -> dict[str, Any]:
    files = _ordered_files(live_files(session, v.id))
    mrz_format, mrz_cells = reviews.mark_check_digits(reviews.mrz_lines((v.document_data or {}).get("mrz_string")))
    deliveries = queries.webhook_deliveries(session, v.id)
    return {
        "user": user, "v": v, "files": files,
        "has_front": any(f.step == Step.FRONT for f in files),
        "selfie": next((f for f in files if f.step == Step.FACE), None),
        "comparison": reviews.compare_fields(v),
        "mrz_format": mrz_format, "mrz_cells": mrz_cells,
        "deliveries": [{"d": d, "attempts": list(d.attempt_log)} for d in deliveries],
        "audit": audit_trail(session, v.id),
        "partner": queries.partner_names(session, user).get(v.partner_id, ""),
        "reviewed_by": _reviewer_email(session, v.reviewer_id),
        "why": reasons_for(v),
        "score_rows": score_rows(v),
        "duplicates": duplicates_of(session, user, v),
        "assignee": _reviewer_email(session, v.assigned_to),
        "document_results": DOCUMENT_CODES, "face_results": FACE_CODES,
        "manual_fields": reviews.MANUAL_FIELDS, "document_types": DOCUMENT_TYPES,
        "reviewable": v.status in REVIEWABLE_STATUSES,
        "similarity_pct": None if v.face_similarity is None else round(v.face_similarity * 100, 1),
        "active": "",
        "aml": v.aml, "aml_hits": hits_for_console(v.aml), "aml_strong": STRONG_HIT_SCORE,
        **_decision_context(v),
    }


@router.get("/v/{scan_ref}")
def verification_page(request: Request, scan_ref: str, user: ConsoleUser = Depends(current_user)) -> Response:
    with session_scope() as session:
        v = load_verification(session, user, scan_ref)
        audit(session, user.email, "view", v.id, {"page": "verification"})
        session.flush()
        context = _page_context(session, user, v)
        context["notice"] = "Review saved." if request.query_params.get("reviewed") == "1" else ""
        context["aml_notice"] = request.query_params.get("aml") == "1"
        return page("console/verification.html", context)


def _file_of(v: Verification, stored: Optional[StoredFile]) -> StoredFile:
    if stored is None or stored.verification_id != v.id or stored.deleted_at is not None:
        raise ConsoleError(404, "Not found", "This image does not exist or was deleted.")
    return stored


def _image_response(data: bytes, content_type: str) -> Response:
    # Personal data: never cached by the browser or a proxy, never sniffed as another type.
    return Response(data, media_type=content_type, headers={
        "Cache-Control": "no-store, private", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


# File numbers are database integers: a longer digit string is no file (and would overflow
# the database driver).
MAX_FILE_ID = 2**63 - 1


def _file_number(text: str) -> Optional[int]:
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None
    return number if number is not None and 0 < number <= MAX_FILE_ID else None


@router.get("/v/{scan_ref}/files/{file_id}")
def image(request: Request, scan_ref: str, file_id: str, user: ConsoleUser = Depends(current_user)) -> Response:
    """One stored image, decrypted for an authorised reviewer, with an audit entry."""
    number = _file_number(file_id)
    with session_scope() as session:
        v = load_verification(session, user, scan_ref)
        stored = _file_of(v, session.get(StoredFile, number) if number is not None else None)
        data = make_file_store(request.app.state.runtime.settings).get(session, stored.storage_key)
        if data is None:
            raise ConsoleError(404, "Not found", "The image is missing from the file store.")
        audit(session, user.email, "view_image", v.id, {"step": stored.step, "file": stored.id})
        content_type = stored.content_type if stored.content_type in ("image/jpeg", "image/png") else "application/octet-stream"
        return _image_response(data, content_type)


def crop_portrait(engines: Any, front: bytes) -> Optional[bytes]:
    """The document portrait as a JPEG, found with the pipeline's own portrait search."""
    from PIL import Image

    document = decode_image(front, max_side=1600)
    found = find_document_face(engines, document, None)
    if found is None:
        return None
    x, y, w, h = found.box
    pad_w, pad_h = int(w * 0.35), int(h * 0.5)
    region = found.image[max(0, y - pad_h): y + h + pad_h, max(0, x - pad_w): x + w + pad_w]
    if region.size == 0:
        return None
    out = io.BytesIO()
    Image.fromarray(region[:, :, ::-1].copy()).save(out, "JPEG", quality=90)
    return out.getvalue()


@router.get("/v/{scan_ref}/portrait")
def portrait(request: Request, scan_ref: str, user: ConsoleUser = Depends(current_user)) -> Response:
    runtime = request.app.state.runtime
    with session_scope() as session:
        v = load_verification(session, user, scan_ref)
        stored = next((f for f in live_files(session, v.id) if f.step == Step.FRONT), None)
        data = make_file_store(runtime.settings).get(session, stored.storage_key) if stored else None
        if data is None:
            raise ConsoleError(404, "Not found", "There is no document image.")
        audit(session, user.email, "view_image", v.id, {"step": "PORTRAIT", "file": stored.id})
    try:
        cropped = crop_portrait(runtime.engines, data)
    except Exception:  # noqa: BLE001 - a failing portrait search must not break the review page
        log.exception("portrait crop failed")
        cropped = None
    if cropped is None:
        raise ConsoleError(404, "Not found", "No portrait was found on the document.")
    return _image_response(cropped, "image/jpeg")
