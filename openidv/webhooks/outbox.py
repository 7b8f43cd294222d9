"""The webhook outbox: a webhook is a row written in the same transaction as the state it
reports, so a result is never committed without its webhook or the other way round."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from openidv.core.token import TokenOptions
from openidv.core.wire import webhook_view
from openidv.store.models import Partner, Verification, WebhookDelivery, utcnow


def add_webhook(session: Session, verification: Verification, event: str, *, final: bool,
                payload: Optional[dict[str, Any]] = None) -> Optional[int]:
    """Write the outbox row for a webhook; its id, or None when there is no callback URL.

    The body is kept as of now, so a later review does not change what this event said;
    file URLs are added at each attempt because they expire after an hour. ``payload`` is
    the body of an event that is not a verification result (AML monitoring).
    """
    partner = session.get(Partner, verification.partner_id)
    url = TokenOptions.from_stored(verification.token_request).callback_url or partner.callback_url
    if not url:
        return None
    delivery = WebhookDelivery(
        verification_id=verification.id,
        event=event,
        url=url,
        final=final,
        payload=payload if payload is not None else webhook_view(verification, final=final, file_urls={}),
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    return delivery.id
