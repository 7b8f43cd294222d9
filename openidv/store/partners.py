"""Partners (the businesses using the API): creating them, checking their credentials, and
the key that signs their webhooks. Secrets are shown once and stored hashed; the webhook
secret, which must be recoverable to sign, is stored encrypted, and so is the API secret of a
partner whose webhooks it signs (given by the operator, checked against its hash)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from openidv.store import crypto
from openidv.core.vocab import WebhookSigning
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
            webhook_secret_encrypted=crypto.encrypt(webhook_secret.encode(), keys, WEBHOOK_SECRET_AAD),
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


# Associated data of the encrypted secrets: a ciphertext of one cannot pass for the other.
WEBHOOK_SECRET_AAD = b"webhook"
API_SECRET_AAD = b"api-secret-for-signing"
# A webhook secret set by the operator: long enough not to be guessed, printable ASCII
# without spaces, so that it survives copying between dashboards, shells and config files.
WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX = 16, 512
_SECRET_CHARS = re.compile(r"^[\x21-\x7E]+$")


class SecretRefused(ValueError):
    """A secret the operator gave cannot be used (the message says why)."""


def webhook_secret(partner: Partner, keys: list[bytes]) -> bytes:
    return crypto.decrypt(partner.webhook_secret_encrypted, keys, WEBHOOK_SECRET_AAD)


def signing_key(partner: Partner, keys: list[bytes]) -> bytes:
    """The key of the Idenfy-Signature HMAC: the webhook secret, or the API secret when the
    partner's integration verifies with that (iDenfy's older integrations do)."""
    if partner.webhook_signing == WebhookSigning.API_SECRET and partner.api_secret_encrypted is not None:
        return crypto.decrypt(partner.api_secret_encrypted, keys, API_SECRET_AAD)
    return webhook_secret(partner, keys)


def set_webhook_secret(partner: Partner, secret: str, keys: list[bytes]) -> None:
    """Use ``secret`` (an integration's existing signing key) to sign this partner's webhooks."""
    if not (WEBHOOK_SECRET_MIN <= len(secret) <= WEBHOOK_SECRET_MAX):
        raise SecretRefused(f"must be {WEBHOOK_SECRET_MIN} to {WEBHOOK_SECRET_MAX} characters long")
    if not _SECRET_CHARS.match(secret):
        raise SecretRefused("must be printable ASCII without spaces")
    partner.webhook_secret_encrypted = crypto.encrypt(secret.encode(), keys, WEBHOOK_SECRET_AAD)


def set_webhook_signing(partner: Partner, mode: str, keys: list[bytes], api_secret: str | None = None) -> None:
    """Choose the key that signs the webhooks. The API secret is stored only as a hash, so the
    api-secret mode needs it once more from the operator: it must match the hash, and is then
    kept encrypted (and dropped again when the partner goes back to the webhook secret)."""
    if mode == WebhookSigning.API_SECRET:
        if api_secret is not None:
            if not crypto.secret_matches(api_secret, partner.api_secret_hash):
                raise SecretRefused("is not this partner's API secret")
            partner.api_secret_encrypted = crypto.encrypt(api_secret.encode(), keys, API_SECRET_AAD)
        if partner.api_secret_encrypted is None:
            raise SecretRefused("signing with the API secret needs it: give --api-secret-for-signing "
                                "(openidv keeps only a hash of it otherwise)")
    elif mode == WebhookSigning.WEBHOOK_SECRET:
        partner.api_secret_encrypted = None
    else:
        raise SecretRefused(f"unknown signing mode {mode!r}")
    partner.webhook_signing = mode
