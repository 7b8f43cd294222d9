"""Monitoring: after a list reload, re-screen the stored verifications that are monitored and
tell their partners about new hits (an AML_MONITORING webhook; the console shows them).

Only entries new or changed in their list's latest version are looked at (what the earlier
screening could not have found); a hit already recorded on the verification is not reported
again unless the list changed the entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Optional

from sqlalchemy.orm import Session

from openidv.core.aml_block import monitoring_body
from openidv.core.vocab import AmlState, WebhookEvent
from openidv.services import aml
from openidv.services.queue import JobQueue
from openidv.services.aml_screening import hit_dict, monitored_screenings, screened_person
from openidv.store.models import AmlScreening, utcnow
from openidv.webhooks.outbox import add_webhook

log = logging.getLogger("openidv.aml")

BATCH = 200  # verifications re-screened per transaction


@dataclass
class MonitoringReport:
    rescreened: int = 0
    with_new_hits: list[str] = field(default_factory=list)  # scanRefs
    webhooks: list[int] = field(default_factory=list)  # outbox ids to send

    def as_dict(self) -> dict:
        return {"rescreened": self.rescreened, "withNewHits": self.with_new_hits}


def _new_hits(session: Session, row: AmlScreening, found_at: str, full: bool) -> list[dict]:
    person = screened_person(row.person or {})
    if person is None:
        return []
    known = {(h.get("source"), (h.get("entity") or {}).get("entityId"), h.get("entityHash"))
             for h in row.hits or []}
    # A screening that failed (no list was loaded then) is made in full; else only the
    # entries new or changed since the lists it was screened against.
    found = (aml.screen(session, person) if full or row.state == AmlState.FAILED
             else aml.rescreen_changed(session, {"p": person}).get("p", []))
    fresh = []
    for hit in found:
        entry = hit_dict(hit, found_at)
        if (entry["source"], entry["entity"]["entityId"], entry["entityHash"]) not in known:
            fresh.append(entry)
    return fresh


def rescreen_monitored(scope: Callable[[], ContextManager[Session]], batch: int = BATCH, *,
                       full: bool = False) -> MonitoringReport:
    """Re-screen every monitored verification, one transaction per batch; new hits are added
    to the verification's screening with the time they were found, and a webhook is queued
    in the same transaction. ``scope`` opens a committed session. ``full`` screens against
    the whole lists, not only the entries the latest reloads changed (to complete a run that
    was cut short: hits already recorded are not reported again)."""
    report = MonitoringReport()
    last = 0
    while True:
        with scope() as session:
            rows = monitored_screenings(session, last, batch)
            if not rows:
                return report
            for row in rows:
                last = row.verification_id
                now = utcnow()
                fresh = _new_hits(session, row, now.strftime("%Y-%m-%d %H:%M:%S"), full)
                report.rescreened += 1
                row.rescreened_at = now
                if row.state == AmlState.FAILED and row.person_key:
                    # A screening that failed for want of a list has now been made against one.
                    row.state, row.error = AmlState.SCREENED, None
                if not fresh:
                    continue
                replaced = {(h["source"], h["entity"]["entityId"]) for h in fresh}
                kept = [h for h in row.hits or []
                        if (h.get("source"), (h.get("entity") or {}).get("entityId")) not in replaced]
                row.hits = fresh + kept
                session.flush()
                verification = row.verification
                report.with_new_hits.append(verification.scan_ref)
                hook = add_webhook(session, verification, WebhookEvent.AML_MONITORING, final=True,
                                   payload=monitoring_body(verification, fresh))
                if hook is not None:
                    report.webhooks.append(hook)
    return report


def monitor_after_load(queue: Optional[JobQueue], *, full: bool = False) -> MonitoringReport:
    """``openidv aml load``'s second half (and ``aml rescreen``): re-screen the monitored
    verifications and queue their webhooks. Queueing is best effort: the service's sweep
    sends any pending row."""
    from openidv.store.db import session_scope

    report = rescreen_monitored(session_scope, full=full)
    for delivery_id in report.webhooks if queue is not None else ():
        try:
            queue.submit_webhook(delivery_id)
        except Exception:  # noqa: BLE001 - the outbox row stays pending for the sweep
            log.warning("could not queue AML monitoring webhook %s; the sweep will send it", delivery_id)
    log.info("aml monitoring after reload", extra=report.as_dict())
    return report
