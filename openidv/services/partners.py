"""The authenticated partner as the use cases see it: its policy, detached from any
database session."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional

from openidv.store.db import session_scope
from openidv.store.models import Partner
from openidv.store.partners import authenticate_partner


@dataclass(frozen=True)
class PartnerContext:
    """A partner's identity and policy, safe to keep beyond the transaction it was read in."""

    id: int
    name: str
    callback_url: Optional[str]
    review_policy: str
    minimum_age: Optional[int]
    photo_validation: bool
    max_image_bytes: Optional[int]
    rate_limit_per_hour: Optional[int]
    success_url: Optional[str]
    error_url: Optional[str]
    unverified_url: Optional[str]
    frame_ancestors: Optional[str]
    # Hosted flow settings (see store.models.Partner).
    selfie_camera_only: bool = True
    consent_texts: Optional[dict[str, str]] = None
    brand_color: Optional[str] = None
    logo_sha256: Optional[str] = None


def partner_context(partner: Partner) -> PartnerContext:
    values: dict[str, Any] = {f.name: getattr(partner, f.name) for f in dataclasses.fields(PartnerContext)}
    if values["selfie_camera_only"] is None:  # a row not yet flushed has no server default
        values["selfie_camera_only"] = True
    return PartnerContext(**values)


@dataclass(frozen=True)
class Authenticated:
    context: PartnerContext
    secret_hash: str  # lets a cache check the secret again without the database


def authenticate(api_key: str, api_secret: str) -> Optional[Authenticated]:
    """The partner with these credentials (constant-time check), or None."""
    with session_scope() as session:
        partner = authenticate_partner(session, api_key, api_secret)
        if partner is None:
            return None
        return Authenticated(partner_context(partner), partner.api_secret_hash)
