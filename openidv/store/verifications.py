"""Operations on partners and verifications: every state change the API and jobs make.

State changes that can race (using a token, finishing a job, a review) are single
conditional UPDATEs, so of two concurrent callers exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from openidv.api.views import webhook_view
from openidv.store import crypto
from openidv.store.fraud import forget_faces
from openidv.store.files import EncryptedFiles
from openidv.store.models import (
    Partner,
    StoredFile,
    Verification,
    WebhookDelivery,
    utcnow,
)

FINAL_STATUSES = ("APPROVED", "DENIED", "SUSPECTED", "REVIEWING")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Partners


@dataclass(frozen=True)
class NewPartner:
    """What `partner create` prints once: the secrets are not kept in clear anywhere."""

    name: str
    apiKey: str
    apiSecret: str
    webhookSecret: str


def create_partner(
    session: Session, name: str, keys: list[bytes], callback_url: Optional[str] = None
) -> NewPartner:
    api_key = secrets.token_hex(16)
    api_secret = secrets.token_urlsafe(32)
    webhook_secret = secrets.token_urlsafe(32)
    session.add(
        Partner(
            name=name,
            api_key=api_key,
            api_secret_hash=crypto.hash_secret(api_secret),
            webhook_secret_encrypted=crypto.encrypt(webhook_secret.encode(), keys, b"webhook"),
            callback_url=callback_url,
        )
    )
    session.flush()
    return NewPartner(name, api_key, api_secret, webhook_secret)


# Precomputed so an unknown API key costs the same comparison as a known one.
_DUMMY_HASH = crypto.hash_secret(secrets.token_urlsafe(32))


def authenticate_partner(session: Session, api_key: str, api_secret: str) -> Optional[Partner]:
    partner = session.scalar(select(Partner).where(Partner.api_key == api_key))
    stored = partner.api_secret_hash if partner else _DUMMY_HASH
    ok = crypto.secret_matches(api_secret, stored)
    return partner if (partner and ok) else None


def webhook_secret(partner: Partner, keys: list[bytes]) -> bytes:
    return crypto.decrypt(partner.webhook_secret_encrypted, keys, b"webhook")


# Tokens


@dataclass(frozen=True)
class NewToken:
    verification: Verification
    auth_token: str
    digit_string: Optional[str]


def create_verification(
    session: Session, partner: Partner, request: dict[str, Any], generate_digits: bool
) -> NewToken:
    """Create the verification and its single-use token. `request` has defaults filled in."""
    auth_token = secrets.token_urlsafe(24)[:32]  # 32 URL-safe ASCII chars (SPEC: 10-40)
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
        status="ACTIVE",
        country=request.get("country"),
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


def _unused_digit_string(session: Session) -> str:
    for _ in range(20):
        digits = f"{secrets.randbelow(10**8):08d}"
        taken = session.scalar(
            select(Verification.id).where(
                Verification.digit_string == digits, Verification.token_used.is_(False)
            )
        )
        if taken is None:
            return digits
    raise RuntimeError("could not find a free digit string")


class TokenProblem(Exception):
    """Why a token cannot be used for direct processing (the message is for the partner)."""


def usable_token(session: Session, partner_id: int, auth_token: str) -> Verification:
    """The verification behind a token, if the caller may use it now; else TokenProblem."""
    verification = session.scalar(
        select(Verification).where(Verification.auth_token_hash == token_hash(auth_token))
    )
    if verification is None or verification.partner_id != partner_id:
        raise TokenProblem("Token does not exist")
    if verification.token_used:
        raise TokenProblem("Token has already been used")
    if verification.status == "EXPIRED" or verification.token_expires_at <= utcnow():
        raise TokenProblem("Token has expired")
    if verification.status != "ACTIVE":
        raise TokenProblem(f"Token cannot be used: the verification is {verification.status}")
    if (verification.token_request or {}).get("questionnaire") is not None:
        raise TokenProblem("Token has a questionnaire and cannot be used for direct processing")
    return verification


def start_processing(
    session: Session,
    verification: Verification,
    files: EncryptedFiles,
    images: dict[str, tuple[bytes, str]],
    *,
    country: str,
    document_type: Optional[str],
    platform: str,
) -> bool:
    """Use the token and store the images, atomically. False if another request used it first.

    The conditional UPDATE is the single point of truth: of concurrent requests with one
    token exactly one sees rowcount 1. The images follow the transaction's fate (the file
    store removes them again on rollback).
    """
    now = utcnow()
    result = session.execute(
        update(Verification)
        .where(
            and_(
                Verification.id == verification.id,
                Verification.token_used.is_(False),
                Verification.status == "ACTIVE",
                Verification.token_expires_at > now,
            )
        )
        .values(
            token_used=True,
            start_time=now,
            country=country,
            document_type=document_type,
            platform=platform,
            version=Verification.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for step, (data, content_type) in images.items():
        key = files.put(session, data)
        session.add(
                StoredFile(
                    verification_id=verification.id,
                    step=step,
                    content_type=content_type,
                    size=len(data),
                storage_key=key,
            )
        )
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


def add_webhook(
    session: Session, verification: Verification, partner: Partner, event: str, *, final: bool
) -> Optional[int]:
    """Write the outbox row for a webhook (same transaction as the state it reports).

    The body is kept as of now, so a later review does not change what this event said;
    file URLs are added at each attempt because they expire after an hour.
    """
    url = (verification.token_request or {}).get("callbackUrl") or partner.callback_url
    if not url:
        return None
    delivery = WebhookDelivery(
        verification_id=verification.id,
        event=event,
        url=url,
        final=final,
        payload=webhook_view(verification, final=final, file_urls={}),
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    return delivery.id


class DeleteRefused(Exception):
    pass


def delete_verification(session: Session, verification: Verification, files: EncryptedFiles) -> None:
    """Erase images and personal data; keep the row (status DELETED) so the scanRef answers."""
    if verification.status == "DELETED":
        raise DeleteRefused("Verification has already been deleted")
    if verification.status == "ACTIVE":
        raise DeleteRefused("Verification is still active and cannot be deleted yet")
    now = utcnow()
    result = session.execute(
        update(Verification)
        .where(Verification.id == verification.id, Verification.version == verification.version)
        .values(
            status="DELETED",
            deleted_at=now,
            token_request={k: verification.token_request.get(k) for k in ("clientId",)},
            document_data={},
            manual_data={},
            face_similarity=None,
            document_number_key=None,
            version=Verification.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DeleteRefused("Verification changed while it was being deleted; try again")
    for stored in live_files(session, verification.id):
        files.delete(session, stored.storage_key)
        stored.deleted_at = now
    forget_faces(session, verification.id)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.verification_id == verification.id, WebhookDelivery.state == "pending")
        .values(state="cancelled", payload={})
    )


def expire_unused_tokens(session: Session, now: Optional[dt.datetime] = None) -> list[int]:
    """Move verifications whose unused token has expired to EXPIRED; returns webhook ids."""
    now = now or utcnow()
    due = session.scalars(
        select(Verification).where(
            Verification.status == "ACTIVE",
            Verification.token_used.is_(False),
            Verification.token_expires_at <= now,
        ).limit(500)
    )
    hooks = [expire_if_due(session, v, now) for v in list(due)]
    return [h for h in hooks if h is not None]


def expire_if_due(session: Session, verification: Verification, now: Optional[dt.datetime] = None) -> Optional[int]:
    """EXPIRED (and its webhook) for an unused token past its expiry; the webhook id, if any."""
    now = now or utcnow()
    if verification.status != "ACTIVE" or verification.token_used or verification.token_expires_at > now:
        return None
    result = session.execute(
        update(Verification)
        .where(
            Verification.id == verification.id,
            Verification.status == "ACTIVE",
            Verification.token_used.is_(False),
        )
        .values(status="EXPIRED", finish_time=now, version=Verification.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    session.refresh(verification)
    return add_webhook(session, verification, verification.partner, "expired", final=True) or 0
