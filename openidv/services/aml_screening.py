"""Sanctions/PEP screening of verifications: after the document is read (when the partner's
policy or the token asks), a reviewer's verdict on a hit, and re-screening of monitored
verifications after a list reload.

What a screening finds decides as follows: a hit a reviewer confirmed earlier, or one
scoring at least STRONG_HIT_SCORE, tags the verification AML_SUSPECTION (SUSPECTED, or
REVIEWING under a review policy); weaker hits send it to a reviewer (REVIEWING); a
screening that was asked for and could not run is AML_FAILED, never a pass.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from openidv.aml.countries import country_code
from openidv.aml.records import Hit, PartialDate, ScreenedPerson, Verdict
from openidv.core.aml_block import FALSE_POSITIVE, open_hits
from openidv.core.token import TokenOptions
from openidv.core.vocab import AmlState, FraudTag, Status, SuspicionReason
from openidv.pipeline.decision import Reason
from openidv.services import aml
from openidv.services.review_reasons import AML_REVIEW_PREFIX
from openidv.store.leases import update_if
from openidv.store.models import AmlScreening, Partner, Verification, utcnow

log = logging.getLogger("openidv.aml")

# A hit at least this close (0-1, after date-of-birth and nationality) makes the verification
# SUSPECTED on its own; hits between the matching policy's threshold (0.80) and this one are
# namesakes often enough that a person looks first. On tests/aml/samples.py's OpenSanctions
# lines: the listed name, a typo of it or another spelling with the same date of birth score
# 1.0 (scores are capped); "Vladimir Putin" against "Vladimir Vladimirovich Putin" without a
# date 0.96; "Moammar Kadhafi" against "Muammar Gaddafi" without a date 0.88 (a reviewer's).
STRONG_HIT_SCORE = 0.90
# Hits kept per screening (best first): a common name without a date of birth can hit
# hundreds of entries of a dense list; the best ones are what a reviewer looks at, and the
# body of every webhook carries them.
MAX_STORED_HITS = 100
NO_LIST = "no sanctions/PEP list is loaded"
NO_NAME = "no name was read from the document"


@dataclass(frozen=True)
class ScreeningOutcome:
    """What a screening adds to the decision."""

    fraud_tags: tuple[str, ...] = ()
    suspicion_reasons: tuple[str, ...] = ()
    review_reasons: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()


def screening_requested(partner: Partner, token: TokenOptions) -> bool:
    """The partner's policy screens every verification; a token's checkAml asks for one.
    A token cannot switch off what the partner's policy requires."""
    return bool(partner.aml_screening) or token.check_aml


def monitoring_requested(partner: Partner, token: TokenOptions) -> bool:
    return bool(partner.aml_monitoring) or token.aml_monitoring


def _first(data: dict[str, Any], *keys: str) -> Optional[str]:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def person_of(document_data: dict[str, Any], partner_id: int) -> dict[str, Any]:
    """The person to screen as read from the document (printed data first, then the MRZ)."""
    first = _first(document_data, "doc_name", "mrz_name")
    last = _first(document_data, "doc_surname", "mrz_surname")
    dob = _first(document_data, "doc_date_of_birth", "mrz_date_of_birth")
    nationality = _first(document_data, "doc_nationality", "mrz_nationality")
    return {"partnerId": partner_id, "firstName": first, "lastName": last, "dateOfBirth": dob,
            "nationality": country_code(nationality) if nationality else None}


def screened_person(person: dict[str, Any]) -> Optional[ScreenedPerson]:
    """The ScreenedPerson of a stored person; None without a name. Its key (for reviewers'
    marks) includes the partner, so one partner's verdicts never hide another's hits."""
    full = " ".join(p for p in (person.get("firstName"), person.get("lastName")) if p).strip()
    if not full:
        return None
    dob = PartialDate.parse(person["dateOfBirth"]) if person.get("dateOfBirth") else None
    data_key = ScreenedPerson((full,), dob, person.get("nationality")).person_key
    key = hashlib.sha256(f"{person.get('partnerId')}:{data_key}".encode()).hexdigest()[:32]
    return ScreenedPerson((full,), dob, person.get("nationality"), key=key)


def hit_dict(hit: Hit, found_at: Optional[str] = None) -> dict[str, Any]:
    out = hit.as_dict() | {"entityHash": hit.entity.content_hash()}
    if found_at:
        out["foundAt"] = found_at
    return out


def _lists(session: Session) -> list[dict[str, Any]]:
    return [{"source": s.name, "listDate": s.list_date, "entities": s.entities,
             "loadedAt": s.loaded_at.isoformat() + "Z" if s.loaded_at else None}
            for s in aml.list_sources(session)]


@dataclass
class Screening:
    """One screening's result, before (or without) it is stored: what outcome_of and the AML
    block read."""

    state: str
    error: Optional[str]
    person: dict[str, Any]
    person_key: Optional[str]
    hits: list[dict[str, Any]]
    lists: list[dict[str, Any]]
    screened_at: Any = None
    rescreened_at: Any = None


def run_screening(session: Session, person: dict[str, Any], scan_ref: str = "") -> Screening:
    """Screen a person (as person_of gives it) against the loaded lists."""
    screened = screened_person(person)
    lists = _lists(session)
    hits: list[Hit] = []
    error = NO_LIST if not lists else NO_NAME if screened is None else None
    if error is None:
        try:
            with session.begin_nested():
                hits = aml.screen(session, screened)
        except DBAPIError:
            raise  # the database is gone: the job is retried, nothing is decided
        except Exception as exc:  # noqa: BLE001 - a matching bug must not pass the person
            log.exception("aml screening failed", extra={"scanRef": scan_ref})
            error = f"screening error: {type(exc).__name__}"
    if len(hits) > MAX_STORED_HITS:
        log.warning("aml hits cut to the best %d of %d", MAX_STORED_HITS, len(hits), extra={"scanRef": scan_ref})
    return Screening(AmlState.FAILED if error else AmlState.SCREENED, error, person,
                     screened.person_key if screened else None,
                     [hit_dict(h) for h in hits[:MAX_STORED_HITS]], lists, utcnow())


def screen_verification(session: Session, verification: Verification, partner: Partner,
                        document_data: dict[str, Any], token: TokenOptions) -> ScreeningOutcome:
    """Screen the person on the document and store the result with the verification."""
    result = run_screening(session, person_of(document_data, verification.partner_id), verification.scan_ref)
    row = _row(session, verification, partner, token, result.state, result.error)
    row.person, row.person_key, row.lists, row.hits = result.person, result.person_key, result.lists, result.hits
    session.flush()
    return outcome_of(row)


def _row(session: Session, verification: Verification, partner: Partner, token: TokenOptions, state: str,
         error: Optional[str]) -> AmlScreening:
    """The verification's screening row (new, or the one of an earlier run), in the session."""
    with session.no_autoflush:
        row = session.get(AmlScreening, verification.id)
        if row is None:
            row = AmlScreening(verification_id=verification.id, partner_id=verification.partner_id)
            session.add(row)
            verification.aml = row
        row.partner_id, row.monitoring = verification.partner_id, monitoring_requested(partner, token)
        row.state, row.error = state, error[:300] if error else None
        row.screened_at, row.rescreened_at = utcnow(), None
        row.person, row.person_key, row.hits, row.lists = {}, None, [], []
    return row


def record_not_screened(session: Session, verification: Verification, why: str) -> ScreeningOutcome:
    """When screening was asked for and the document was never read (not analysable, the
    pipeline failed): stored as failed, so the answer says the person was not checked."""
    partner = verification.partner
    token = TokenOptions.from_stored(verification.token_request)
    if not screening_requested(partner, token):
        return ScreeningOutcome()
    lists = _lists(session)
    row = _row(session, verification, partner, token, AmlState.FAILED, why)
    row.person, row.lists = {"partnerId": verification.partner_id}, lists
    session.flush()
    return outcome_of(row)


def _strong(hit: dict[str, Any]) -> bool:
    return hit.get("review") == Verdict.CONFIRMED.value or float(hit.get("score") or 0) >= STRONG_HIT_SCORE


def outcome_of(row: AmlScreening | Screening) -> ScreeningOutcome:
    if row.state == AmlState.FAILED:
        return ScreeningOutcome((FraudTag.AML_FAILED,), (SuspicionReason.AML_FAILED,), (),
                                (Reason("aml", FraudTag.AML_FAILED, row.error or "screening failed"),))
    hits = open_hits(list(row.hits or []))
    lists = ", ".join(f"{s['source']} ({s.get('listDate') or 'undated'})" for s in row.lists or [])
    if not hits:
        return ScreeningOutcome(reasons=(Reason("aml", "NOT_SUSPECTED", f"no hit on {lists}"),))
    best = hits[0]
    summary = (f"{len(hits)} hit(s); best {best['entity']['name']!r} on {best['source']} "
               f"(score {best['score']}, {best.get('review') or 'not reviewed'})")
    scores = {"bestScore": float(best["score"]), "hits": float(len(hits))}
    if any(_strong(h) for h in hits):
        return ScreeningOutcome((FraudTag.AML_SUSPECTION,), (SuspicionReason.AML_SUSPECTION,), (),
                                (Reason("aml", FraudTag.AML_SUSPECTION, summary, scores),))
    why = f"{AML_REVIEW_PREFIX} below {STRONG_HIT_SCORE}: {summary}"
    return ScreeningOutcome((), (), (why,), (Reason("aml", Status.REVIEWING, why, scores),))


class HitNotFound(LookupError):
    """The verification has no screening, or no such hit."""


class VerificationChanged(RuntimeError):
    """Someone else changed the verification while a verdict was being saved."""


def mark_verification_hit(session: Session, verification: Verification, source: str, entity_id: str,
                          verdict: Verdict, reviewer: str) -> None:
    """A reviewer's verdict on one hit of this verification. It is remembered for the person
    and the entry (a later screening of the same person hides a false positive while the
    entry is unchanged), and the verification's AML_SUSPECTION tag follows: it is dropped
    once no strong or confirmed hit is left open, and set by a confirmation. The overall
    status is the reviewer's decision, taken on the review form."""
    row = verification.aml
    if row is None or not row.person_key:
        raise HitNotFound("this verification has no sanctions/PEP screening")
    hits = [dict(h) for h in row.hits or []]
    found = [h for h in hits if h.get("source") == source and (h.get("entity") or {}).get("entityId") == entity_id]
    if not found:
        raise HitNotFound("no such hit on this verification")
    aml.mark_hit(session, row.person_key, source, entity_id, verdict, reviewer)
    for hit in found:
        hit["review"] = verdict.value
    row.hits = hits  # a new list: the JSON column is saved
    suspected = any(_strong(h) for h in open_hits(hits))
    tags = [t for t in verification.fraud_tags or [] if t != FraudTag.AML_SUSPECTION]
    reasons = [r for r in verification.suspicion_reasons or [] if r != SuspicionReason.AML_SUSPECTION]
    if suspected and row.state == AmlState.SCREENED:
        tags.append(FraudTag.AML_SUSPECTION)
        reasons.append(SuspicionReason.AML_SUSPECTION)
    # Conditional on the version read: a review committed meanwhile is not overwritten.
    if not update_if(session, Verification, Verification.id == verification.id,
                     Verification.version == verification.version, fraud_tags=tags, suspicion_reasons=reasons,
                     version=Verification.version + 1):
        raise VerificationChanged("the verification changed meanwhile; reload it")
    session.refresh(verification)


def hits_for_console(row: Optional[AmlScreening]) -> list[dict[str, Any]]:
    """The stored hits, open ones first, for the console's side-by-side view."""
    if row is None:
        return []
    hits = list(row.hits or [])
    return sorted(hits, key=lambda h: (h.get("review") == FALSE_POSITIVE, -float(h.get("score") or 0)))


def monitored_screenings(session: Session, after_id: int, limit: int) -> list[AmlScreening]:
    """Screenings re-screened after a reload: those asked for with monitoring, and those of
    partners whose monitoring is on, of verifications not erased."""
    return list(session.scalars(
        select(AmlScreening)
        .join(Verification, Verification.id == AmlScreening.verification_id)
        .join(Partner, Partner.id == AmlScreening.partner_id)
        .where(AmlScreening.verification_id > after_id, Verification.status != Status.DELETED,
               (AmlScreening.monitoring.is_(True)) | (Partner.aml_monitoring.is_(True)))
        .order_by(AmlScreening.verification_id).limit(limit)))
