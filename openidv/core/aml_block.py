"""The ``AML`` block of status and webhook bodies: a verification's sanctions/PEP screening
in iDenfy's shape (one service result with its status and one ``data`` item per hit).

Read duck-typed from the verification's ``aml`` attribute (the stored screening, or None
when none was asked for), like the rest of core/wire.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from openidv.core.vocab import AmlState

# The service name and group openidv reports its own screening under.
SERVICE_NAME = "OpenidvAmlLists"
SERVICE_GROUP = "AML"
# overallStatus of the service result.
SUSPECTED, NOT_SUSPECTED, NOT_CHECKED = "SUSPECTED", "NOT_SUSPECTED", "NOT_CHECKED"
FALSE_POSITIVE, CONFIRMED = "false_positive", "confirmed"


def _time(value: Optional[dt.datetime]) -> Optional[str]:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def open_hits(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits no reviewer has called a false positive."""
    return [h for h in hits if h.get("review") != FALSE_POSITIVE]


def hit_item(hit: dict[str, Any], checked_at: Optional[str]) -> dict[str, Any]:
    """One ``data`` item: the listed entry, how well it matched, and the reviewer's verdict."""
    entity = hit.get("entity") or {}
    reason = hit.get("reason") or {}
    topics = entity.get("topics") or []
    why = (f"name {reason.get('queryName')!r} matched {reason.get('matchedName')!r} "
           f"(name score {reason.get('nameScore')}); date of birth: {reason.get('dateOfBirth')}; "
           f"nationality: {reason.get('nationality')}")
    return {
        "name": entity.get("name"),
        # Lists give one full name; openidv does not guess which part is the surname.
        "surname": None,
        "nationality": ", ".join(c.upper() for c in entity.get("countries") or []) or None,
        "dob": ", ".join(entity.get("birthDates") or []) or None,
        "suspicion": "PEP" if any(str(t).startswith("role.pep") for t in topics) else "SANCTION",
        "reason": why,
        "listNumber": entity.get("entityId"),
        "listName": entity.get("source") or hit.get("source"),
        "score": round(float(hit.get("score") or 0) * 100),
        "lastUpdate": hit.get("sourceListDate"),
        "exitDate": None,
        "isPerson": entity.get("schema") == "person",
        "isActive": True,
        "linkedDocument": entity.get("url"),
        "pepLevel": None,
        "category": ", ".join(entity.get("programs") or []) or None,
        "otherInformation": f"listed {entity['listDate']}" if entity.get("listDate") else None,
        "checkDate": hit.get("foundAt") or checked_at,
        "whitelisted": hit.get("review") == FALSE_POSITIVE,
    }


def aml_block(v: Any) -> Optional[list[dict[str, Any]]]:
    """The ``AML`` list of a verification; None when no screening was asked for."""
    screening = getattr(v, "aml", None)
    if screening is None:
        return None
    hits = list(screening.hits or [])
    checked = _time(screening.rescreened_at or screening.screened_at)
    succeeded = screening.state == AmlState.SCREENED
    suspected = succeeded and bool(open_hits(hits))
    return [{
        "status": {
            "serviceSuspected": suspected,
            "serviceUsed": True,
            "serviceFound": True,
            "checkSuccessful": succeeded,
            "overallStatus": (SUSPECTED if suspected else NOT_SUSPECTED) if succeeded else NOT_CHECKED,
        },
        "serviceName": SERVICE_NAME,
        "serviceGroupType": SERVICE_GROUP,
        "uid": v.scan_ref,
        "errorMessage": screening.error,
        "data": [hit_item(h, checked) for h in hits],
    }]


def monitoring_body(v: Any, new_hits: list[dict[str, Any]]) -> dict[str, Any]:
    """The AML_MONITORING webhook body (iDenfy's AML monitoring shape): the monitored person,
    the alert, and the verification's AML block, whose ``data`` now holds the new hits too
    (their ``checkDate`` is when monitoring found them). ``newHits`` counts them."""
    screening = v.aml
    person = screening.person or {}
    hits = list(screening.hits or [])
    open_now = open_hits(hits)
    peps = [h for h in open_now if any(str(t).startswith("role.pep") for t in (h.get("entity") or {}).get("topics") or [])]
    flags = lambda found: "FLAGS_FOUND" if found else "NO_FLAGS"  # noqa: E731
    return {
        "monitoringId": v.scan_ref,
        "name": person.get("firstName"),
        "surname": person.get("lastName"),
        "nationality": (person.get("nationality") or "").upper() or None,
        "dob": person.get("dateOfBirth"),
        "isActive": True,
        "expiration": None,
        "scanRefList": [v.scan_ref],
        "alertStatus": "ALERT",
        "status": "ALERT",
        "pepsStatus": flags(peps),
        "sanctionsStatus": flags(len(open_now) > len(peps)),
        "adverseMediaStatus": "NOT_CHECKED",
        "results": aml_block(v),
        "amlCheck": None,
        # openidv additions: whose verification it is, and how many hits are new.
        "clientId": v.client_id,
        "newHits": len(new_hits),
    }
