"""Verifications and their single-use tokens: creating, using, finding, expiring, erasing.

State changes that can race (using a token, expiring, erasing) are conditional UPDATEs
(``leases.update_if``), so of two concurrent callers exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from openidv.core.token import TokenOptions
from openidv.core.vocab import DocumentCode, FaceCode, Status
from openidv.store.audit import erase_audit_details
from openidv.store.db import finish_erasure_after_commit
from openidv.store.drafts import erase_drafts
from openidv.store.files import EncryptedFiles
from openidv.store.fraud import forget_faces
from openidv.store.leases import update_if
from openidv.store.models import AmlScreening, Partner, StoredFile, Verification, WebhookDelivery, utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    verification: Verification
    auth_token: str
    digit_string: Optional[str]


def create_verification(
    session: Session, partner: Partner, request: dict[str, Any], generate_digits: bool
) -> NewToken:
    """Create the verification and its single-use token. ``request`` has defaults filled in."""
    auth_token = secrets.token_urlsafe(24)[:32]  # 32 URL-safe ASCII chars (iDenfy: 10-40)
    digit_string = _unused_digit_string(session) if generate_digits else None
    now = utcnow()
    previous = session.scalar(
        select(Verification.attempt_count)
        .where(Verification.partner_id == partner.id, Verification.client_id == request["clientId"])
        .order_by(Verification.id.desc())
        .limit(1)
    )
    verification = Verification(
        scan_ref=str(uuid.uuid4()),
        partner_id=partner.id,
        client_id=request["clientId"],
        external_ref=request.get("externalRef"),
        auth_token_hash=token_hash(auth_token),
        digit_string=digit_string,
        token_type=request["tokenType"],
        token_used=False,
        token_expires_at=now + dt.timedelta(seconds=request["expiryTime"]),
        token_request=request,
        status=Status.ACTIVE,
        country=TokenOptions.from_stored(request).country,
        attempt_count=(previous or 0) + 1,
        fraud_tags=[],
        mismatch_tags=[],
        suspicion_reasons=[],
        document_data={},
        manual_data={},
        decision_reasons=[],
        created_at=now,
    )
    session.add(verification)
    session.flush()
    return NewToken(verification, auth_token, digit_string)


def _unused_digit_string(session: Session, now: Optional[dt.datetime] = None) -> str:
    for _ in range(20):
        digits = f"{secrets.randbelow(10**8):08d}"
        taken = session.scalar(
            select(Verification.id).where(
                Verification.digit_string == digits, Verification.token_used.is_(False),
                or_(Verification.digit_string_expires_at.is_(None),
                    Verification.digit_string_expires_at > (now or utcnow())),
            )
        )
        if taken is None:
            return digits
    raise RuntimeError("could not find a free digit string")


def handoff_digit_string(session: Session, verification: Verification, lifetime_seconds: int,
                         now: Optional[dt.datetime] = None) -> tuple[str, Optional[dt.datetime]]:
    """The verification's 8-digit code, made now when it has none (or its short-lived one
    ran out): (code, when it stops working; None for a code the partner asked for)."""
    now = now or utcnow()
    if verification.digit_string and (verification.digit_string_expires_at is None
                                      or verification.digit_string_expires_at > now):
        return verification.digit_string, verification.digit_string_expires_at
    expires = now + dt.timedelta(seconds=lifetime_seconds)
    digits = _unused_digit_string(session, now)
    if not update_if(session, Verification, Verification.id == verification.id,
                     Verification.digit_string.is_(None) if verification.digit_string is None
                     else Verification.digit_string == verification.digit_string,
                     digit_string=digits, digit_string_expires_at=expires):
        session.refresh(verification)  # a concurrent request made one first: that one counts
        return verification.digit_string, verification.digit_string_expires_at
    return digits, expires


class TokenProblem(Exception):
    """Why a token cannot be used for direct processing (the message is for the partner)."""


def verification_by_token(session: Session, auth_token: str) -> Optional[Verification]:
    return session.scalar(select(Verification).where(Verification.auth_token_hash == token_hash(auth_token)))


def check_token_usable(verification: Verification, now: Optional[dt.datetime] = None) -> None:
    """Raise TokenProblem when this verification's token cannot be used now."""
    if verification.token_used:
        raise TokenProblem("Token has already been used")
    if verification.status == Status.EXPIRED or verification.token_expires_at <= (now or utcnow()):
        raise TokenProblem("Token has expired")
    if verification.status != Status.ACTIVE:
        raise TokenProblem(f"Token cannot be used: the verification is {verification.status}")
    if TokenOptions.from_stored(verification.token_request).has_questionnaire:
        raise TokenProblem("Token has a questionnaire and cannot be used for direct processing")


def usable_token(session: Session, partner_id: int, auth_token: str) -> Verification:
    """The verification behind a token, if the caller may use it now; else TokenProblem."""
    verification = verification_by_token(session, auth_token)
    if verification is None or verification.partner_id != partner_id:
        raise TokenProblem("Token does not exist")
    check_token_usable(verification)
    return verification


def start_processing(
    session: Session,
    verification_id: int,
    files: EncryptedFiles,
    images: dict[str, tuple[bytes, str]],
    *,
    country: str,
    document_type: Optional[str],
    platform: str,
    client_ip: Optional[str] = None,
) -> bool:
    """Use the token and store the images, atomically. False if another request used it first.

    The conditional UPDATE is the single point of truth: of concurrent requests with one
    token exactly one wins. The images follow the transaction's fate (the file store
    removes them again on rollback).
    """
    now = utcnow()
    used = update_if(
        session, Verification,
        Verification.id == verification_id,
        Verification.token_used.is_(False),
        Verification.status == Status.ACTIVE,
        Verification.token_expires_at > now,
        token_used=True, start_time=now, country=country, document_type=document_type, platform=platform,
        client_ip=client_ip, version=Verification.version + 1,
    )
    if not used:
        return False
    for step, (data, content_type) in images.items():
        key = files.put(session, data)
        session.add(StoredFile(verification_id=verification_id, step=step, content_type=content_type,
                               size=len(data), storage_key=key))
    session.flush()
    return True


def find_verification(session: Session, partner_id: int, scan_ref: str) -> Optional[Verification]:
    """A partner's verification by scanRef; another partner's is as unknown as a missing one."""
    return session.scalar(
        select(Verification).where(
            Verification.scan_ref == scan_ref, Verification.partner_id == partner_id
        )
    )


def live_files(session: Session, verification_id: int) -> list[StoredFile]:
    return list(
        session.scalars(
            select(StoredFile)
            .where(StoredFile.verification_id == verification_id, StoredFile.deleted_at.is_(None))
            .order_by(StoredFile.id)
        )
    )


class DeleteRefused(Exception):
    pass


def delete_verification(session: Session, verification: Verification, files: EncryptedFiles) -> None:
    """Erase images and personal data; keep the row (status DELETED) so the scanRef answers.

    Every copy goes: the token request, read and corrected data, the reviewer's note and reason,
    externalRef, the 8-digit code, the webhook bodies (delivered, failed or pending), the
    audit entries' details (the fact and time of each action stay), the images, saved flow
    photos, the face descriptors and the sanctions/PEP screening. In SQLite the freed pages are overwritten (secure_delete) and the WAL is
    checkpointed and truncated after the commit (store/db.py), so no old copy stays in the
    files; PostgreSQL keeps old row versions until VACUUM (docs/operations.md).
    """
    if verification.status == Status.DELETED:
        raise DeleteRefused("Verification has already been deleted")
    if verification.status == Status.ACTIVE:
        raise DeleteRefused("Verification is still active and cannot be deleted yet")
    now = utcnow()
    erased = update_if(
        session, Verification,
        Verification.id == verification.id, Verification.version == verification.version,
        status=Status.DELETED,
        deleted_at=now,
        token_request={"clientId": verification.token_request.get("clientId")},
        external_ref=None,
        digit_string=None,
        document_data={},
        manual_data={},
        review_note=None,
        review_reason=None,
        additional_steps=None,
        # Which checks decided stays (no values): the detail texts may quote data.
        decision_reasons=[{"check": r.get("check"), "outcome": r.get("outcome")}
                          for r in (verification.decision_reasons or []) if isinstance(r, dict)],
        face_similarity=None,
        document_number_key=None,
        client_ip=None,
        duplicate_faces=None,
        duplicate_doc_faces=None,
        version=Verification.version + 1,
    )
    if not erased:
        raise DeleteRefused("Verification changed while it was being deleted; try again")
    for stored in live_files(session, verification.id):
        files.delete(session, stored.storage_key)
        stored.deleted_at = now
    forget_faces(session, verification.id)
    # The sanctions/PEP screening: the person as read, and the hits (reviewers' marks keep
    # only a one-way key of the person, so a verdict still applies to a later verification).
    session.execute(delete(AmlScreening).where(AmlScreening.verification_id == verification.id))
    session.expire(verification, ["aml"])
    erase_drafts(session, files, verification.id)  # saved flow photos not handed in
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.verification_id == verification.id, WebhookDelivery.state == "pending")
        .values(state="cancelled", payload={})
    )
    # Delivered and failed webhooks keep their row (event, state, times), not their body.
    session.execute(update(WebhookDelivery).where(WebhookDelivery.verification_id == verification.id)
                    .values(payload={}))
    erase_audit_details(session, verification.id)
    finish_erasure_after_commit(session)


def expire_token(session: Session, verification: Verification, now: Optional[dt.datetime] = None) -> bool:
    """EXPIRED for an unused token past its expiry; True when this call expired it."""
    now = now or utcnow()
    if verification.status != Status.ACTIVE or verification.token_used or verification.token_expires_at > now:
        return False
    expired = update_if(
        session, Verification,
        Verification.id == verification.id, Verification.status == Status.ACTIVE,
        Verification.token_used.is_(False),
        # Nothing was analysed: iDenfy's EXPIRED results say so with the *_NOT_ANALYSED codes.
        status=Status.EXPIRED, finish_time=now, auto_document=DocumentCode.DOC_NOT_ANALYSED,
        auto_face=FaceCode.FACE_NOT_ANALYSED, version=Verification.version + 1,
    )
    if expired:
        session.refresh(verification)
    return expired


def unused_tokens_past_expiry(session: Session, now: dt.datetime, limit: int = 500) -> list[Verification]:
    return list(session.scalars(
        select(Verification).where(
            Verification.status == Status.ACTIVE,
            Verification.token_used.is_(False),
            Verification.token_expires_at <= now,
        ).limit(limit)
    ))
