"""Reading and erasing a partner's verifications, and expiring unused tokens (with the
EXPIRED webhook) whether the sweep or a read notices first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Optional, TypeVar

from sqlalchemy.orm import Session

from openidv.config import Settings
from openidv.core.errors import NotFound, PartnerError
from openidv.core.vocab import WebhookEvent
from openidv.services.queue import JobQueue
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.models import Verification, utcnow
from openidv.store.verifications import (
    DeleteRefused, delete_verification, expire_token, find_verification, unused_tokens_past_expiry,
)
from openidv.webhooks.outbox import add_webhook

T = TypeVar("T")


def expire_if_due(session: Session, verification: Verification, now: Optional[dt.datetime] = None) -> Optional[int]:
    """EXPIRED (and its webhook row) for an unused token past its expiry; the webhook id, or
    0 when it expired without a callback URL, None when it did not expire now."""
    if not expire_token(session, verification, now):
        return None
    return add_webhook(session, verification, WebhookEvent.EXPIRED, final=True) or 0


def expire_unused_tokens(session: Session, now: Optional[dt.datetime] = None) -> list[Optional[int]]:
    """Expire every unused token past its expiry (a batch); their webhook ids (0: none)."""
    now = now or utcnow()
    hooks = [expire_if_due(session, v, now) for v in unused_tokens_past_expiry(session, now)]
    return [h for h in hooks if h is not None]


def with_verification(partner_id: int, scan_ref: str, shape: Callable[[Session, Verification], T],
                      queue: JobQueue) -> T:
    """``shape`` applied to a partner's verification (NotFound for another's or a missing
    one). An unused token past its expiry reads as EXPIRED at once, not at the next sweep."""
    with session_scope() as session:
        verification = find_verification(session, partner_id, scan_ref)
        if verification is None:
            raise NotFound(f"Verification '{scan_ref}' was not found")
        hook = expire_if_due(session, verification)
        result = shape(session, verification)
    if hook:
        queue.submit_webhook(hook)
    return result


def delete(partner_id: int, scan_ref: str, settings: Settings, queue: JobQueue) -> None:
    """Erase a finished verification's images and personal data (PartnerError when active)."""
    files = make_file_store(settings)

    def erase(session: Session, verification: Verification) -> None:
        try:
            delete_verification(session, verification, files)
        except DeleteRefused as exc:
            raise PartnerError(str(exc)) from None

    with_verification(partner_id, scan_ref, erase, queue)
