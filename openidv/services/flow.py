"""The hosted flow's sessions: finding the verification behind a link (an auth token, or a
signed handle given after an 8-digit code), the session clock, and whether the person may
go on. The pages themselves are in web/flow."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Optional

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openidv.config import Settings
from openidv.core.errors import TokenNotValid
from openidv.core.token import TokenOptions
from openidv.core.vocab import Platform, Status
from openidv.services.intake import TokenSnapshot, snapshot
from openidv.services.partners import PartnerContext, partner_context
from openidv.services.queue import JobQueue
from openidv.services.verifications import expire_if_due
from openidv.store import drafts
from openidv.store.crypto import signing_keys
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.leases import update_if
from openidv.store.models import Partner, Verification, utcnow
from openidv.store.verifications import handoff_digit_string, verification_by_token

HANDLE_TTL_SECONDS = 4 * 3600  # longer than the longest session (3600 s) plus processing
# Platforms of images handed in through this flow (a submitted flow shows its outcome).
FLOW_PLATFORMS = (Platform.PC, Platform.MOBILE, Platform.TABLET)


class FlowHandles:
    """Signed stand-ins for the token after a digit-string entry (the token itself is
    stored only as a hash, so the flow cannot put it back into the URL)."""

    def __init__(self, settings: Settings) -> None:
        keys = signing_keys(settings.data_keys(), "openidv flow handles v1")
        self._serializer = URLSafeTimedSerializer(keys, salt="openidv-flow")

    def make(self, verification_id: int) -> str:
        return self._serializer.dumps(verification_id)

    def verification_id(self, handle: str) -> Optional[int]:
        try:
            value = self._serializer.loads(handle, max_age=HANDLE_TTL_SECONDS)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        return value if isinstance(value, int) else None


@dataclass(frozen=True)
class FlowState:
    """What the pages need to know about one flow, read in one transaction."""

    verification_id: int
    partner: PartnerContext
    token: TokenOptions
    status: str
    # None when the person may go on; else why not: used, expired, unavailable,
    # session_expired, or submitted (handed in through this flow: show the outcome).
    problem: Optional[str]
    snapshot: TokenSnapshot
    scan_ref: str = ""
    consent_given: bool = False
    session_ends_at: Optional[dt.datetime] = None
    now: Optional[dt.datetime] = None


def session_ends_at(verification: Verification) -> Optional[dt.datetime]:
    if verification.flow_started_at is None:
        return None
    length = TokenOptions.from_stored(verification.token_request).session_length
    return verification.flow_started_at + dt.timedelta(seconds=length)


def flow_problem(verification: Verification, now: dt.datetime) -> Optional[str]:
    if verification.token_used:
        return "submitted" if verification.platform in FLOW_PLATFORMS else "used"
    if verification.status == Status.EXPIRED or verification.token_expires_at <= now:
        return "expired"
    if verification.status != Status.ACTIVE or TokenOptions.from_stored(verification.token_request).has_questionnaire:
        return "unavailable"  # questionnaires are not part of this flow
    ends = session_ends_at(verification)
    if ends is not None and ends <= now:
        return "session_expired"
    return None


def _find(session: Session, key: str, handles: FlowHandles) -> Optional[Verification]:
    if "." in key:  # handles are itsdangerous strings (with dots); tokens have none
        verification_id = handles.verification_id(key)
        return session.get(Verification, verification_id) if verification_id is not None else None
    return verification_by_token(session, key)


def _start_session(session: Session, verification: Verification, now: dt.datetime) -> None:
    """Start the session clock at the first visit; two concurrent first visits agree on one
    start time."""
    if verification.flow_started_at is None:
        update_if(session, Verification, Verification.id == verification.id, Verification.flow_started_at.is_(None),
                  flow_started_at=now)
        session.refresh(verification)


def load_flow(key: str, handles: FlowHandles, queue: JobQueue, *, start_session: bool = False) -> Optional[FlowState]:
    """The flow behind a key (token or handle); None when there is none. An unused token past
    its expiry becomes EXPIRED now (and the partner hears of it)."""
    with session_scope() as session:
        verification = _find(session, key, handles)
        if verification is None:
            return None
        now = utcnow()
        hook = expire_if_due(session, verification, now)
        if start_session and flow_problem(verification, now) is None:
            _start_session(session, verification, now)
        partner = session.get(Partner, verification.partner_id)
        state = FlowState(
            verification_id=verification.id,
            partner=partner_context(partner),
            token=TokenOptions.from_stored(verification.token_request),
            status=verification.status,
            problem=flow_problem(verification, now),
            snapshot=snapshot(verification),
            scan_ref=verification.scan_ref,
            consent_given=verification.consent_given_at is not None,
            session_ends_at=session_ends_at(verification),
            now=now,
        )
    if hook:
        queue.submit_webhook(hook)
    return state


def usable_flow(state: FlowState) -> TokenSnapshot:
    """The token of a flow whose images may be handed in now; TokenNotValid otherwise."""
    if state.problem == "session_expired":
        raise TokenNotValid("Session has expired")
    if state.problem is not None:
        raise TokenNotValid(f"Token cannot be used: {state.problem}")
    return state.snapshot


def flow_by_digits(digits: str) -> Optional[int]:
    """The newest unused verification with this 8-digit code (a hand-off code only while it
    lasts)."""
    with session_scope() as session:
        return session.scalar(
            select(Verification.id)
            .where(Verification.digit_string == digits, Verification.token_used.is_(False),
                   Verification.status == Status.ACTIVE,
                   or_(Verification.digit_string_expires_at.is_(None),
                       Verification.digit_string_expires_at > utcnow()))
            .order_by(Verification.id.desc())
            .limit(1)
        )


# ------------------------------------------------------------------ saved progress


def save_flow_photos(verification_id: int, document_type: str, images: dict[str, tuple[bytes, str]],
                     settings: Settings, replace_prefix: Optional[str] = None) -> None:
    """Keep photos that passed the instant check (a reload or Back loses nothing)."""
    with session_scope() as session:
        drafts.save_drafts(session, make_file_store(settings), verification_id, document_type, images,
                           replace_prefix)


def saved_flow_steps(verification_id: int, document_type: str) -> list[str]:
    with session_scope() as session:
        return drafts.saved_steps(session, verification_id, document_type)


def saved_flow_photos(verification_id: int, settings: Settings,
                      document_type: Optional[str] = None) -> dict[str, tuple[bytes, str]]:
    with session_scope() as session:
        return drafts.load_drafts(session, make_file_store(settings), verification_id, document_type)


def forget_flow_photos(verification_id: int, settings: Settings) -> int:
    """Erase a flow's saved photos (handed in, expired, or the person started over)."""
    with session_scope() as session:
        return drafts.erase_drafts(session, make_file_store(settings), verification_id)


# ------------------------------------------------------------------ consent


def record_consent(verification_id: int, *, given: bool, language: str, text: str) -> bool:
    """Keep the person's answer to the consent notice with the verification: when, in which
    language, and the text they saw (its SHA-256 too, to compare versions). Only while the
    flow can still be used; False otherwise."""
    now = utcnow()
    record = {"decision": "given" if given else "declined", "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "language": language, "text": text, "textSha256": hashlib.sha256(text.encode()).hexdigest()}
    with session_scope() as session:
        return update_if(session, Verification, Verification.id == verification_id,
                         Verification.token_used.is_(False), Verification.status == Status.ACTIVE,
                         consent=record, consent_given_at=now if given else None)


def partner_logo(logo_sha256: str) -> Optional[bytes]:
    """A partner's stored logo by its hash (the URL names the hash, so it can be cached)."""
    with session_scope() as session:
        return session.scalar(select(Partner.logo_png).where(Partner.logo_sha256 == logo_sha256).limit(1))


# ------------------------------------------------------------------ hand-off to a phone

# A code made for the hand-off works this long: enough to pick up a phone and type it, short
# enough that codes made on demand do not pile up for someone guessing at /flow (the partner's
# own codes, asked for at POST /token, last as long as the token).
HANDOFF_CODE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Handoff:
    digits: str
    expires_at: Optional[dt.datetime]


def handoff_code(verification_id: int) -> Optional[Handoff]:
    """The flow's 8-digit code for continuing on another device, made on demand; None when
    the flow can no longer be used."""
    with session_scope() as session:
        verification = session.get(Verification, verification_id)
        if verification is None or flow_problem(verification, utcnow()) is not None:
            return None
        digits, expires = handoff_digit_string(session, verification, HANDOFF_CODE_SECONDS)
        return Handoff(digits, expires)
