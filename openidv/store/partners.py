"""Partners (the businesses using the API): creating them, checking their credentials, and
their webhook signing secret. Secrets are shown once and stored hashed; the webhook secret,
which must be recoverable to sign, is stored encrypted."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store import crypto
from openidv.store.models import Partner


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


def partner_by_key(session: Session, api_key: str) -> Optional[Partner]:
    return session.scalar(select(Partner).where(Partner.api_key == api_key))


# Precomputed so an unknown API key costs the same comparison as a known one.
_DUMMY_HASH = crypto.hash_secret(secrets.token_urlsafe(32))


def authenticate_partner(session: Session, api_key: str, api_secret: str) -> Optional[Partner]:
    partner = partner_by_key(session, api_key)
    stored = partner.api_secret_hash if partner else _DUMMY_HASH
    ok = crypto.secret_matches(api_secret, stored)
    return partner if (partner and ok) else None


def webhook_secret(partner: Partner, keys: list[bytes]) -> bytes:
    return crypto.decrypt(partner.webhook_secret_encrypted, keys, b"webhook")
