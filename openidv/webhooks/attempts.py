"""One attempt to deliver an outbox row: claim it, add fresh file URLs, sign and post it,
record the attempt, and say when to try again."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import or_

from openidv.config import Settings
from openidv.core.vocab import WEBHOOK_EVENT_TYPES, Status, WebhookEvent
from openidv.core.wire import attempt_payload
from openidv.metrics import WEBHOOKS
from openidv.store.db import session_scope
from openidv.store.file_urls import FileUrlSigner
from openidv.store.leases import update_if
from openidv.store.models import Partner, Verification, WebhookAttempt, WebhookDelivery, utcnow
from openidv.store.partners import signing_key
from openidv.store.verifications import live_files
from openidv.webhooks.delivery import RETRY_DELAYS, RETRY_WINDOW_SECONDS, encode_payload, post_webhook

log = logging.getLogger("openidv.webhooks")

CLAIM_SECONDS = 60  # one attempt (10 s timeout) fits well inside


def send_webhook_attempt(settings: Settings, delivery_id: int) -> Optional[int]:
    """One attempt. Returns the delay in seconds before the next one, or None when done
    (delivered, given up, or another sender holds the claim)."""
    now = utcnow()
    with session_scope() as session:
        claimed = update_if(
            session, WebhookDelivery,
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == "pending",
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
        )
        if not claimed:
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        verification = session.get(Verification, delivery.verification_id)
        partner = session.get(Partner, verification.partner_id)
        secret = signing_key(partner, settings.data_keys())
        signer = FileUrlSigner(settings)
        if delivery.event == WebhookEvent.AML_MONITORING:
            # An AML monitoring body is not a verification result: sent as stored, no files.
            payload = dict(delivery.payload or {})
        else:
            file_urls = None if verification.status == Status.DELETED else {
                f.step: signer.url(f.id) for f in live_files(session, verification.id)}
            payload = attempt_payload(delivery.payload, file_urls)
        url = delivery.url
        event_type = WEBHOOK_EVENT_TYPES.get(delivery.event)

    result = post_webhook(
        url,
        encode_payload(payload),
        secret,
        timeout=settings.webhook_timeout,
        allow_private=settings.allow_private_callbacks,
        event_type=event_type,
    )

    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        session.add(WebhookAttempt(delivery_id=delivery_id, status_code=result.status_code,
                                   error=result.error, duration_ms=result.duration_ms))
        delivery.attempts += 1
        delivery.claimed_until = None
        if result.ok:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
            WEBHOOKS.labels("delivered").inc()
            return None
        age = (utcnow() - delivery.created_at).total_seconds()
        if result.permanent or age >= RETRY_WINDOW_SECONDS:
            delivery.state = "failed"
            WEBHOOKS.labels("refused" if result.permanent else "given_up").inc()
            log.warning("webhook given up", extra={"delivery_id": delivery_id, "error": result.error})
            return None
        WEBHOOKS.labels("failed_attempt").inc()
        delay = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
        delivery.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)
        return delay
