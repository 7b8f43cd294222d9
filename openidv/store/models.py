"""Database tables (SQLAlchemy 2). One row per verification holds its token, results and state."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from openidv.core.vocab import Status


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Partner(Base):
    """A business using the API. Secrets are kept as hashes; the webhook secret encrypted."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    api_secret_hash: Mapped[str] = mapped_column(String(128))
    # The webhook secret signs payloads, so it must be recoverable: stored AES-GCM encrypted.
    webhook_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Which key signs the webhooks (a WebhookSigning): the webhook secret, or the API secret
    # for integrations that verify with it. Only then is the API secret kept encrypted too
    # (given by the operator: openidv itself keeps only its hash).
    webhook_signing: Mapped[str] = mapped_column(String(20), default="webhook-secret", server_default="webhook-secret")
    api_secret_encrypted: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    callback_url: Mapped[Optional[str]] = mapped_column(String(2048))
    success_url: Mapped[Optional[str]] = mapped_column(String(2048))
    error_url: Mapped[Optional[str]] = mapped_column(String(2048))
    unverified_url: Mapped[Optional[str]] = mapped_column(String(2048))
    # When a person reviews: a ReviewPolicy ("automatic", "review_failed", "review_all").
    review_policy: Mapped[str] = mapped_column(String(20), default="automatic")
    minimum_age: Mapped[Optional[int]] = mapped_column(Integer)
    photo_validation: Mapped[bool] = mapped_column(Boolean, default=True)
    max_image_bytes: Mapped[Optional[int]] = mapped_column(Integer)
    rate_limit_per_hour: Mapped[Optional[int]] = mapped_column(Integer)
    # Retention (GDPR-style): images / personal data of finished verifications are erased
    # this many days after the decision. None keeps them until /delete.
    retention_images_days: Mapped[Optional[int]] = mapped_column(Integer)
    retention_data_days: Mapped[Optional[int]] = mapped_column(Integer)
    # Hosted flow inside an iframe: allowed embedding origins (CSP frame-ancestors).
    frame_ancestors: Mapped[Optional[str]] = mapped_column(String(1000))
    # Hosted flow: the selfie only from the camera, with the "move closer" challenge (off:
    # an uploaded selfie is accepted and the challenge recorded as not performed).
    selfie_camera_only: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # Hosted flow: the consent notice per language ({"en": "...", "de": "..."}; missing
    # languages get openidv's default text), the brand colour (#rrggbb) and logo (a PNG
    # re-encoded by openidv, served from its own origin).
    consent_texts: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    brand_color: Mapped[Optional[str]] = mapped_column(String(7))
    logo_png: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    logo_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    # Sanctions/PEP screening of every verification (a token's checkAml asks for one
    # session), and re-screening of the screened ones after each list reload.
    aml_screening: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    aml_monitoring: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Verification(Base):
    """A verification session: created with its token, filled by the pipeline and reviewers."""

    __tablename__ = "verifications"
    __table_args__ = (
        Index("ix_verifications_partner_client", "partner_id", "client_id"),
        Index("ix_verifications_status_expires", "status", "token_expires_at"),
        Index("ix_verifications_partner_docnum", "partner_id", "document_number_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_ref: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    external_ref: Mapped[Optional[str]] = mapped_column(String(40))
    # The auth token is a bearer credential: only its SHA-256 is stored.
    auth_token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    digit_string: Mapped[Optional[str]] = mapped_column(String(8), index=True)
    token_type: Mapped[str] = mapped_column(String(20))
    token_used: Mapped[bool] = mapped_column(Boolean, default=False)
    token_expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The token request as echoed back at creation (personal data given by the partner).
    token_request: Mapped[dict[str, Any]] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(20), default=Status.ACTIVE, index=True)
    platform: Mapped[Optional[str]] = mapped_column(String(10))
    country: Mapped[Optional[str]] = mapped_column(String(2))
    document_type: Mapped[Optional[str]] = mapped_column(String(30))
    attempt_count: Mapped[int] = mapped_column(Integer, default=1)

    start_time: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    finish_time: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    review_time: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # Set when a worker takes the job; a job older than the lease is run again (crash safety).
    processing_since: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    processing_runs: Mapped[int] = mapped_column(Integer, default=0)

    auto_document: Mapped[Optional[str]] = mapped_column(String(30))
    auto_face: Mapped[Optional[str]] = mapped_column(String(30))
    manual_document: Mapped[Optional[str]] = mapped_column(String(30))
    manual_face: Mapped[Optional[str]] = mapped_column(String(30))
    fraud_tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mismatch_tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    suspicion_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    face_similarity: Mapped[Optional[float]] = mapped_column(Float)
    # doc_* and mrz_* fields read from the document (keys as in full-status).
    document_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    manual_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Why the decision is what it is: which checks decided, with their scores.
    decision_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    additional_steps: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # Document number as read, normalised, for duplicate and blocklist checks.
    document_number_key: Mapped[Optional[str]] = mapped_column(String(100))
    # Who handed the images in, as the app saw the address (personal data: erased with the rest).
    client_ip: Mapped[Optional[str]] = mapped_column(String(45))
    # scanRefs of the partner's other verifications whose selfie / document portrait shows the
    # same face (the duplicate-face check's matches); None when that check did not run.
    duplicate_faces: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    duplicate_doc_faces: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    # Hosted flow (/flow): when the end user opened it, and the reviewer's note.
    flow_started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # The person's answer to the consent notice: when, in which language, which text.
    consent_given_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    consent: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    # A digit string made on demand in the flow (desktop → phone hand-off) is short-lived;
    # None for one the partner asked for at POST /token (valid as long as the token).
    digit_string_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    review_note: Mapped[Optional[str]] = mapped_column(Text)
    reviewer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reviewers.id"))
    # The reviewer's decision (approve / decline / resubmit) and reason as written.
    review_decision: Mapped[Optional[str]] = mapped_column(String(20))
    review_reason: Mapped[Optional[str]] = mapped_column(String(200))
    # Who took the case from the review queue, and when (cleared by the review).
    assigned_to: Mapped[Optional[int]] = mapped_column(ForeignKey("reviewers.id"))
    assigned_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # Incremented on every state change; reviewers' updates are conditional on it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    partner: Mapped[Partner] = relationship()
    files: Mapped[list["StoredFile"]] = relationship(back_populates="verification")
    aml: Mapped[Optional["AmlScreening"]] = relationship(back_populates="verification", uselist=False)


class StoredFile(Base):
    """One uploaded image, encrypted at rest (the bytes live in the file store)."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    verification: Mapped[Verification] = relationship(back_populates="files")


class FlowDraft(Base):
    """A photo the person took in the hosted flow and that passed the instant check, kept
    (encrypted, in the file store) until the flow is handed in or its session ends, so that a
    reload or the Back button loses nothing."""

    __tablename__ = "flow_drafts"
    __table_args__ = (UniqueConstraint("verification_id", "step", name="uq_flow_drafts_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))  # FRONT, BACK, FACE, FACE_CHALLENGE_n, extra steps
    document_type: Mapped[str] = mapped_column(String(30))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FileBlob(Base):
    """Encrypted image bytes, for the scale-out mode where every machine reaches the database."""

    __tablename__ = "file_blobs"

    storage_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class WebhookDelivery(Base):
    """One webhook to send (an outbox row written with the result it reports)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhooks_pending", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # automatic | manual | expired
    url: Mapped[str] = mapped_column(String(2048))
    final: Mapped[bool] = mapped_column(Boolean, default=True)
    # The body as of the event (file URLs are added fresh at each attempt, they expire).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "pending" until a 2xx answer ("delivered") or the retry window closes ("failed").
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    attempt_log: Mapped[list["WebhookAttempt"]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.id"
    )


class WebhookAttempt(Base):
    """Every try to deliver a webhook, kept for the partner's and the reviewer's eyes."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(Text)
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")


class Reviewer(Base):
    """A console user. Password stored with argon2. No partner = operator (sees all)."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("partners.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Sessions carry the generation they were issued in; raising it (logout, new password,
    # disabling) ends every session of the reviewer at their next request.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A disabled reviewer cannot log in (and has no session left).
    disabled_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)



class FaceEmbedding(Base):
    """A face descriptor kept for duplicate-face search within one partner's verifications."""

    __tablename__ = "face_embeddings"
    # (partner, id): the index loads "this partner's rows after id N" without a scan. Ids are
    # never reused (AUTOINCREMENT on SQLite), so counting ids tells erased rows from new ones.
    __table_args__ = (Index("ix_face_embeddings_partner_id", "partner_id", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # "selfie" or "document"
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian


class BlockedDocument(Base):
    """A partner's blocklist of document numbers (DATA_IN_BLACKLIST)."""

    __tablename__ = "blocked_documents"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), primary_key=True)
    document_number_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Who looked at or changed what, and when (console views of personal data, reviews,
    deletions). Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_verification", "verification_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))  # reviewer e-mail, "partner:<name>", "system"
    action: Mapped[str] = mapped_column(String(40))  # view, review, delete, login, ...
    verification_id: Mapped[Optional[int]] = mapped_column(ForeignKey("verifications.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --- Sanctions / PEP lists (openidv.aml) ------------------------------------------------
# A source's list is loaded as a new version beside the current one; one update of
# aml_sources.current_version_id then switches readers over, so nobody sees half a list.

# SQLite's INTEGER PRIMARY KEY is already 64-bit; PostgreSQL needs BIGINT for ids that a
# daily reload of a million entries would exhaust in a few years.
_BigId = BigInteger().with_variant(Integer, "sqlite")


class AmlListVersion(Base):
    """One load of one source's list file."""

    __tablename__ = "aml_list_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(20), default="loading")  # loading | current | replaced
    format: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    list_date: Mapped[Optional[str]] = mapped_column(String(10))  # the publisher's date, ISO
    entity_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)  # new or changed since the last version
    skipped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    loaded_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)


class AmlSource(Base):
    """A list the operator loads (by name), pointing at its version in use."""

    __tablename__ = "aml_sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    current_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("aml_list_versions.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AmlEntity(Base):
    """One list entry of one version; ``data`` is the entry as read (ListedEntity.as_dict)."""

    __tablename__ = "aml_entities"
    __table_args__ = (Index("ix_aml_entities_version_entity", "version_id", "entity_id"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("aml_list_versions.id"))
    entity_id: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(20))
    # The entry's names, one a line: screening scores names first and decodes ``data`` only
    # for the few candidates whose name is close enough.
    names: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(32))
    # New, or different from the source's previous version: what re-screening looks at.
    changed: Mapped[bool] = mapped_column(Boolean, default=True)


class AmlNameKey(Base):
    """Blocking keys of entries' names (openidv.aml.names): screening looks up candidates
    here. The primary key is the index, key first: a lookup is by key whatever the planner
    makes of the current-version subquery. SQLite stores it without a separate rowid table."""

    __tablename__ = "aml_name_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_pk: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class AmlMark(Base):
    """A reviewer's verdict on a (screened person, list entry) pair. The entry is named by
    its source and the list's own id, so the mark survives reloads; ``entity_hash`` is the
    entry's content when marked: a false positive is not hidden once the entry changes."""

    __tablename__ = "aml_marks"

    person_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20))  # false_positive | confirmed
    entity_hash: Mapped[str] = mapped_column(String(32))
    reviewer: Mapped[str] = mapped_column(String(254))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AmlScreening(Base):
    """A verification's sanctions/PEP screening: who was screened (as read from the
    document), against which list versions, and the hits with the reviewers' verdicts.
    Personal data: erased with the verification."""

    __tablename__ = "aml_screenings"

    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    # Re-screened after list reloads (the partner's monitoring, or the token's autoAmlMonitoring).
    monitoring: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20))  # an AmlState: screened | failed
    error: Mapped[Optional[str]] = mapped_column(String(300))
    # ScreenedPerson as screened: names, birth date, nationality; person_key keys reviewers' marks.
    person: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    person_key: Mapped[Optional[str]] = mapped_column(String(64))
    # Hit.as_dict() of each hit, with "review" kept up to date and "foundAt" (monitoring).
    hits: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lists: Mapped[list[Any]] = mapped_column(JSON, default=list)  # sources and list dates screened
    screened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    rescreened_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    verification: Mapped[Verification] = relationship(back_populates="aml")
