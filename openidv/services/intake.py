"""Taking a verification in: creating its token, and accepting the images handed in for it
(from ``/process`` or the hosted flow) — checked, decoded, validated, stored with the token
used in one transaction, and queued."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

from openidv.config import Settings
from openidv.core.errors import BadValue, MissingValue, TokenNotValid
from openidv.core.steps import required_steps, unknown_steps
from openidv.core.token import (
    DEFAULT_EXPIRY_SECONDS, DEFAULT_LOCALE, DEFAULT_SESSION_SECONDS, TokenOptions, policy_from_flags, review_flags,
)
from openidv.core.vocab import DOCUMENT_TYPES, Step, TokenType
from openidv.pipeline.active_liveness import MAX_FRAMES, frame_step
from openidv.pipeline.engines import Engines
from openidv.services.partners import PartnerContext
from openidv.services.queue import JobQueue
from openidv.services.uploads import UploadedImage, decode_upload, validate_photos
from openidv.store.db import session_scope
from openidv.store.files import make_file_store
from openidv.store.models import Partner, Verification
from openidv.store.verifications import TokenProblem, create_verification, start_processing, usable_token

log = logging.getLogger("openidv.intake")

# The hosted flow's challenge frames are small JPEGs (480 px on the long side, ~40 KB):
# anything much larger is not what the flow's page sends.
FRAME_MAX_BYTES = 300 * 1024
FRAME_MAX_MEGAPIXELS = 0.5


# ------------------------------------------------------------------ tokens


@dataclass(frozen=True)
class CreatedToken:
    auth_token: str
    scan_ref: str
    digit_string: Optional[str]
    echo: dict[str, Any]  # the request with every default filled in, as stored


# The keys of every /token answer (iDenfy's echo of the request, defaults filled in).
ECHO_KEYS = (
    "clientId", "personScanRef", "firstName", "lastName", "dateOfBirth", "dateOfExpiry", "dateOfIssue",
    "nationality", "country", "personalNumber", "documentNumber", "sex", "address", "documents",
    "allowedDocuments", "tokenType", "expiryTime", "sessionLength", "successUrl", "errorUrl", "unverifiedUrl",
    "callbackUrl", "locale", "showInstructions", "externalRef", "additionalSteps", "additionalData",
    "utilityBill", "videoCallQuestions", "questionnaire", "generateDigitString",
)
# What utilityBill: true asks for, said as an additional step.
UTILITY_BILL_STEP = {"ALL": {"ALL": {Step.UTILITY_BILL: {"type": "UPLOAD"}}}}


def _additional_steps(request: dict[str, Any]) -> dict[str, Any]:
    """The token's UPLOAD steps; {} for none (iDenfy switches them off with {"ALL": {"ALL": {}}})."""
    steps = UTILITY_BILL_STEP if request.get("utilityBill") else request.get("additionalSteps") or {}
    has_steps = any(step_set for by_type in steps.values() for step_set in by_type.values())
    return steps if has_steps else {}


def token_defaults(request: dict[str, Any], partner: PartnerContext) -> dict[str, Any]:
    """A validated token request with the defaults filled in (what /token echoes and stores):
    the echo keys always, and every other option that was given."""
    echo: dict[str, Any] = dict.fromkeys(ECHO_KEYS)
    echo.update({key: value for key, value in request.items() if value is not None})
    echo["personScanRef"] = echo["clientId"]  # the legacy name of clientId
    echo["documents"] = request.get("documents") or list(DOCUMENT_TYPES)
    countries = TokenOptions.from_stored(echo).countries
    echo["allowedDocuments"] = {c: list(echo["documents"]) for c in countries or ("ALL",)}
    echo["tokenType"] = request.get("tokenType") or TokenType.IDENTIFICATION
    echo["expiryTime"] = request["expiryTime"] if request.get("expiryTime") is not None else DEFAULT_EXPIRY_SECONDS
    echo["sessionLength"] = request["sessionLength"] if request.get("sessionLength") is not None else DEFAULT_SESSION_SECONDS
    echo["showInstructions"] = request["showInstructions"] if request.get("showInstructions") is not None else True
    echo["successUrl"] = request.get("successUrl") or partner.success_url
    echo["errorUrl"] = request.get("errorUrl") or partner.error_url
    echo["unverifiedUrl"] = request.get("unverifiedUrl") or partner.unverified_url
    echo["callbackUrl"] = request.get("callbackUrl") or partner.callback_url
    echo["locale"] = request.get("locale") or DEFAULT_LOCALE
    echo["generateDigitString"] = bool(request.get("generateDigitString"))
    echo["additionalSteps"] = _additional_steps(request)
    echo["additionalData"] = request.get("additionalData") or {}
    echo["utilityBill"] = bool(request.get("utilityBill"))
    echo["videoCallQuestions"] = request.get("videoCallQuestions") or []
    return echo


def check_review_options(options: TokenOptions, partner: PartnerContext) -> None:
    """reviewSuccessful / reviewFailed must land on a review policy openidv has."""
    if options.review_successful is None and options.review_failed is None:
        return
    successful, failed = review_flags(partner.review_policy)
    successful = successful if options.review_successful is None else options.review_successful
    failed = failed if options.review_failed is None else options.review_failed
    if policy_from_flags(successful, failed) is None:
        raise BadValue("Bad value for field 'reviewSuccessful': reviewing successful verifications but not "
                       "failed ones is not offered by openidv (review failed ones too, or all)")


def create_token(partner: PartnerContext, request: dict[str, Any]) -> CreatedToken:
    echo = token_defaults(request, partner)
    check_review_options(TokenOptions.from_stored(echo), partner)
    with session_scope() as session:
        new = create_verification(session, session.get(Partner, partner.id), echo, echo["generateDigitString"])
        return CreatedToken(new.auth_token, new.verification.scan_ref, new.digit_string, echo)


# ------------------------------------------------------------------ images


@dataclass(frozen=True)
class TokenSnapshot:
    """A usable token's verification as read once, before the images are decoded."""

    verification_id: int
    partner_id: int
    options: TokenOptions


def snapshot(verification: Verification) -> TokenSnapshot:
    return TokenSnapshot(verification.id, verification.partner_id, TokenOptions.from_stored(verification.token_request))


def find_usable_token(partner_id: int, auth_token: str) -> TokenSnapshot:
    """The verification behind a partner's token, if it can be used now; else TokenNotValid."""
    with session_scope() as session:
        try:
            return snapshot(usable_token(session, partner_id, auth_token))
        except TokenProblem as exc:
            raise TokenNotValid(str(exc)) from None


@dataclass(frozen=True)
class ImageSubmission:
    """Images handed in for a token: base64 per step, and what they show."""

    country: str
    document_type: Optional[str]
    images: dict[str, str]
    platform: str
    skip_analysis: bool = False
    # The hosted flow's "move closer" frames (base64, capture order), stored beside the
    # images as FACE_CHALLENGE_1... for the worker's active check and the reviewer.
    challenge_frames: tuple[str, ...] = ()
    # The address of whoever handed the images in (the end user's browser in the hosted
    # flow, the partner's system for /process), as the app sees it (proxy headers are
    # trusted only from the proxies the server is told to trust).
    client_ip: Optional[str] = None


def check_steps(token: TokenOptions, submission: ImageSubmission) -> None:
    """The submission's document type and image steps are what this token allows and needs."""
    document_type = submission.document_type
    if not token.allows_country(submission.country):
        raise BadValue(f"Bad value for field 'country': {submission.country} is not allowed by this token")
    if document_type and document_type not in token.documents:
        raise BadValue(f"Bad value for field 'documentType': {document_type} is not allowed by this token")
    for step in unknown_steps(set(submission.images), token.additional_steps, submission.country, document_type):
        raise BadValue(f"Bad value for field 'images.{step}': not an image step of this token", step=step)
    for step in required_steps(token.token_type, document_type):
        if step not in submission.images:
            raise MissingValue(f"No image provided for step '{step}'", step=step)


def decode_submission(submission: ImageSubmission, partner: PartnerContext,
                      settings: Settings) -> dict[str, UploadedImage]:
    max_bytes = partner.max_image_bytes or settings.max_image_bytes
    uploads = {step: decode_upload(step, value, max_bytes=max_bytes, max_megapixels=settings.max_megapixels,
                                   max_decoded_megapixels=settings.max_decoded_megapixels)
               for step, value in submission.images.items()}
    uploads.update(decode_frames(submission.challenge_frames))
    return uploads


def decode_frames(frames: tuple[str, ...]) -> dict[str, UploadedImage]:
    """The challenge frames, checked like images but with the frames' small limits."""
    if len(frames) > MAX_FRAMES:
        raise BadValue(f"Bad value for field 'frames': at most {MAX_FRAMES} frames")
    decoded = {}
    for number, value in enumerate(frames, start=1):
        step = frame_step(number)
        decoded[step] = decode_upload(step, value, max_bytes=FRAME_MAX_BYTES, max_megapixels=FRAME_MAX_MEGAPIXELS)
    return decoded


def accept_images(
    token: TokenSnapshot,
    submission: ImageSubmission,
    partner: PartnerContext,
    *,
    engines: Engines,
    queue: JobQueue,
    settings: Settings,
) -> int:
    """Check, decode and validate the images, store them with the token used, queue the job.

    Raises the API's errors (TokenNotValid, MissingValue, PhotoNotAccepted...) exactly as
    /process answers them; returns the verification id once the job is queued. Runs in a
    worker thread (decoding and validation take a while).
    """
    check_steps(token.options, submission)
    uploads = decode_submission(submission, partner, settings)
    if partner.photo_validation and not submission.skip_analysis:
        validate_photos(engines, uploads)
    _store_and_use_token(token, uploads, submission, settings)
    try:
        queue.submit_verification(token.verification_id)
    except Exception:  # noqa: BLE001 - committed already: the periodic sweep re-queues it
        log.exception("enqueue failed for verification %s", token.verification_id)
    return token.verification_id


def _store_and_use_token(token: TokenSnapshot, uploads: dict[str, UploadedImage], submission: ImageSubmission,
                         settings: Settings) -> None:
    files = make_file_store(settings)
    images = {u.step: (u.data, u.content_type) for u in uploads.values()}
    with session_scope() as session:
        if not start_processing(session, token.verification_id, files, images, country=submission.country,
                                document_type=submission.document_type, platform=submission.platform,
                                client_ip=submission.client_ip):
            raise TokenNotValid("Token has already been used")
