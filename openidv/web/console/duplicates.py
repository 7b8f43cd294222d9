"""The duplicates a verification's cross-checks found, for its page: this verification's face
(or document) beside each matched one's, with a link, limited to what the reviewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from openidv.core.vocab import FraudTag, Step
from openidv.pipeline.face import DLIB_SAME_PERSON_MAX_DISTANCE
from openidv.store import console as queries
from openidv.store import fraud
from openidv.store.models import Verification
from openidv.store.verifications import live_files
from openidv.web.console.auth import PREFIX

# The face a duplicate finding is about on this verification's side.
_THIS_SIDE = {FraudTag.DUPLICATE_FACE: "selfie", FraudTag.DUPLICATE_DOC_FACE: "document",
              FraudTag.DUPLICATE_PERSONAL_DATA: "number"}
_TITLES = {FraudTag.DUPLICATE_FACE: "Selfie matches another client's face",
           FraudTag.DUPLICATE_DOC_FACE: "Document portrait matches another client's face",
           FraudTag.DUPLICATE_PERSONAL_DATA: "Same document number as another client"}


@dataclass(frozen=True)
class Picture:
    url: Optional[str]
    caption: str


@dataclass(frozen=True)
class MatchedCase:
    scan_ref: str
    client_id: str
    status: str
    created_at: Optional[dt.datetime]
    distance: Optional[float]
    picture: Picture
    link: str


@dataclass(frozen=True)
class Duplicate:
    tag: str
    title: str
    detail: str
    this: Picture
    matches: list[MatchedCase] = field(default_factory=list)
    recorded: bool = True  # False: processed before matches were recorded
    threshold: float = DLIB_SAME_PERSON_MAX_DISTANCE


def _picture(session: Any, v: Verification, side: str, caption: str) -> Picture:
    """The image of one side of a comparison: the selfie, the document portrait, or the front."""
    base = f"{PREFIX}/v/{v.scan_ref}"
    files = {f.step: f for f in live_files(session, v.id)}
    if side == "document":
        return Picture(f"{base}/portrait" if Step.FRONT in files else None, caption + " · document portrait")
    step = Step.FACE if side == "selfie" else Step.FRONT
    stored = files.get(step)
    return Picture(f"{base}/files/{stored.id}" if stored else None, f"{caption} · {step}")


def _matched(session: Any, user: Any, entry: dict[str, Any], this: Verification) -> tuple[list[MatchedCase], bool]:
    recorded = "matches" in entry
    raw = list(entry.get("matches") or [])
    if not recorded and entry.get("outcome") == FraudTag.DUPLICATE_PERSONAL_DATA:
        # Older rows: the same document number can still be looked up.
        raw = [{"scanRef": ref, "clientId": client, "kind": ""}
               for ref, client in fraud.same_document_elsewhere(session, this, this.document_number_key)]
        recorded = True
    out = []
    for m in raw:
        other = queries.verification_for(session, user, str(m.get("scanRef", ""))[:36])
        if other is None:
            continue  # another partner's, or gone: not shown
        side = m.get("kind") or "number"
        out.append(MatchedCase(other.scan_ref, other.client_id, other.status, other.created_at, m.get("distance"),
                               _picture(session, other, side, other.client_id), f"{PREFIX}/v/{other.scan_ref}"))
    return out, recorded


def duplicates_of(session: Any, user: Any, v: Verification) -> list[Duplicate]:
    """One entry per duplicate finding of the verification, with the matched cases."""
    found = []
    for entry in v.decision_reasons or []:
        tag = entry.get("outcome")
        if entry.get("check") != "duplicates" or tag not in _THIS_SIDE:
            continue
        matches, recorded = _matched(session, user, entry, v)
        found.append(Duplicate(tag, _TITLES[tag], str(entry.get("detail") or ""),
                               _picture(session, v, _THIS_SIDE[tag], "This verification"), matches, recorded))
    return found
