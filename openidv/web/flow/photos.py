"""The hosted flow's JSON endpoints for photos: the instant check of one photo (photo
validation, capture quality, the document's side, the selfie's challenge; accepted photos
are saved), a saved photo served back to the page, and handing everything in."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from typing import Any, Optional

import pycountry
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from openidv.core.errors import ApiError, BadValue, MissingValue
from openidv.core.vocab import IMAGE_STEPS, Step
from openidv.http.body import read_json_object
from openidv.pipeline.active_liveness import (
    FRAME_STEP_PREFIX, MAX_FRAMES, ActiveOutcome, Challenge, check_challenge, frame_steps_in_order,
)
from openidv.pipeline.face import main_face_embedding
from openidv.pipeline.images import decode_image
from openidv.services import flow as flow_sessions
from openidv.services.capture_check import Feedback, check_back_side, check_capture
from openidv.services.flow import FlowState
from openidv.services.intake import FRAME_MAX_BYTES, ImageSubmission, accept_images, decode_frames
from openidv.services.runtime import Runtime
from openidv.services.uploads import PREVIEW_MAX_SIDE, decode_upload, validate_photos
from openidv.web.flow.guards import json_only, same_origin
from openidv.web.flow.i18n import Translator, pick_language
from openidv.web.flow.pages import (
    CHALLENGE_CHECKS_PER_VERIFICATION, CHECKS_PER_VERIFICATION, KEY_RE, SELFIE_STEPS, _ancestors, _choices,
    _flow_url, _json, _load, _policy, _runtime, platform_of, router,
)
from openidv.web.security import secure

_checks_done: dict[int, int] = {}
_challenge_checks_done: dict[int, int] = {}


@router.post("/flow/{key}/check")
async def check(request: Request, key: str) -> Response:
    """Instant feedback on one photo: the fast photo validation of /process, nothing stored."""
    runtime = _runtime(request)
    if not same_origin(request, runtime.settings.public_url) or not json_only(request):
        return _json({"ok": False, "message": "Forbidden"}, 403)
    state = await _load(request, key) if KEY_RE.match(key) else None
    if state is None or state.problem is not None:
        return _json({"ok": False, "reason": "unusable"}, 410)
    t = Translator(pick_language(request.query_params.get("lang"), state.token.locale))
    settings = runtime.settings
    max_bytes = state.partner.max_image_bytes or settings.max_image_bytes
    done = _checks_done.get(state.verification_id, 0)
    # Past the cap the photo is only decoded and saved (submit still validates everything).
    checking = done < CHECKS_PER_VERIFICATION and state.partner.photo_validation
    if len(_checks_done) > 100_000:  # bound memory; the cap is a courtesy limit, not security
        _checks_done.clear()
    _checks_done[state.verification_id] = done + 1
    feedback = Feedback()
    try:
        # 4/3 base64 overhead plus the JSON around it.
        body = await read_json_object(request, (max_bytes + MAX_FRAMES * FRAME_MAX_BYTES) * 4 // 3 + 8192,
                                      settings.body_timeout_seconds)
        step, image = str(body.get("step", "")), body.get("image")
        if step not in IMAGE_STEPS and not re.fullmatch(r"[A-Z0-9_]{1,40}", step):
            raise BadValue("Bad value for field 'step'")
        if not isinstance(image, str):
            raise BadValue("Bad value for field 'image'")
        document, country = _declared(state, body)
        upload = await run_in_threadpool(decode_upload, step, image, max_bytes=max_bytes,
                                         max_megapixels=settings.max_megapixels,
                                         max_decoded_megapixels=settings.max_decoded_megapixels)
        frames = _frames_of(body) if step in SELFIE_STEPS else ()
        decoded_frames = await run_in_threadpool(decode_frames, frames)
        if checking:
            feedback = await run_in_threadpool(_instant_check, runtime, state, step, upload, document, country)
            if feedback.refused:
                return _json({"ok": False, "identifier": feedback.identifier, "message": t(feedback.message_key)},
                             ancestors=_ancestors(state))
        if frames and _challenge_check_allowed(state.verification_id):
            problem = await run_in_threadpool(_challenge_problem, runtime.engines, upload.pixels,
                                              [u.pixels for u in decoded_frames.values()])
            if problem is not None:
                return _json({"ok": False, "identifier": "CHALLENGE", "message": t(problem)},
                             ancestors=_ancestors(state))
        saved = {step: (upload.data, upload.content_type)}
        saved.update({name: (u.data, u.content_type) for name, u in decoded_frames.items()})
        await run_in_threadpool(flow_sessions.save_flow_photos, state.verification_id, document, saved, settings,
                                FRAME_STEP_PREFIX if step in SELFIE_STEPS else None)
    except ApiError as error:
        return _json({"ok": False, "identifier": error.identifier, "message": _error_text(t, error)},
                     ancestors=_ancestors(state))
    answer: dict[str, Any] = {"ok": True, "checked": checking, "saved": _flow_url(key, f"/photo/{step}")}
    if feedback.warning:
        answer["warning"] = t(feedback.message_key)
    return _json(answer, ancestors=_ancestors(state))


def _instant_check(runtime: Runtime, state: FlowState, step: str, upload: Any, document: str,
                   country: Optional[str]) -> Feedback:
    """Photo validation (a document on FRONT, a face on FACE; raises), then the capture
    feedback; a BACK is compared with the saved FRONT."""
    if step in (Step.FRONT, Step.FACE):
        validate_photos(runtime.engines, {step: upload})
    front = None
    if step == Step.BACK:
        saved = flow_sessions.saved_flow_photos(state.verification_id, runtime.settings, document).get(Step.FRONT)
        if saved is not None:
            front = decode_image(saved[0], runtime.settings.max_megapixels, max_side=PREVIEW_MAX_SIDE,
                                 max_decoded_megapixels=runtime.settings.max_decoded_megapixels)
    return check_capture(runtime.engines, step, upload.pixels, front=front, document_type=document, country=country)


@router.get("/flow/{key}/photo/{step}")
async def saved_photo(request: Request, key: str, step: str) -> Response:
    """A saved photo of this flow, for its own preview and review (the token is the key)."""
    state = await _load(request, key) if KEY_RE.match(key) and re.fullmatch(r"[A-Z0-9_]{1,40}", step) else None
    if state is None or state.problem is not None:
        return secure(Response(status_code=404), _policy())
    photos = await run_in_threadpool(flow_sessions.saved_flow_photos, state.verification_id, _runtime(request).settings)
    if step not in photos:
        return secure(Response(status_code=404), _policy(_ancestors(state)))
    data, content_type = photos[step]
    return secure(Response(data, media_type=content_type), _policy(_ancestors(state)))


def _declared(state: FlowState, body: dict[str, Any]) -> tuple[str, Optional[str]]:
    """The document type and country a check or submission is for (the token's when fixed)."""
    fixed_document, fixed_country = _choices(state)
    document = fixed_document or body.get("documentType")
    country = fixed_country or body.get("country")
    if not isinstance(document, str) or document not in state.token.documents:
        raise BadValue("Bad value for field 'documentType'")
    if not isinstance(country, str) or pycountry.countries.get(alpha_2=country.upper()) is None:
        raise BadValue("Bad value for field 'country'")
    return document, country.upper()


def _wrong_side(engines: Any, submission: ImageSubmission, max_bytes: int, settings: Any) -> Optional[str]:
    """The message key when the BACK handed in is clearly not the back (a selfie, no
    document, the front's picture again); the instant check already said so at capture."""
    if Step.BACK not in submission.images or Step.FRONT not in submission.images:
        return None
    front, back = (decode_upload(step, submission.images[step], max_bytes=max_bytes,
                                 max_megapixels=settings.max_megapixels,
                                 max_decoded_megapixels=settings.max_decoded_megapixels)
                   for step in (Step.FRONT, Step.BACK))
    feedback = check_back_side(engines, back.pixels, front=front.pixels, document_type=submission.document_type,
                               country=submission.country)
    return feedback.message_key if feedback.refused else None


def _frames_of(body: dict[str, Any]) -> tuple[str, ...]:
    frames = body.get("frames")
    if frames is None:
        return ()
    if not isinstance(frames, list) or len(frames) > MAX_FRAMES or not all(isinstance(f, str) for f in frames):
        raise BadValue("Bad value for field 'frames'")
    return tuple(frames)


def _challenge_check_allowed(verification_id: int) -> bool:
    """A few instant challenge checks per verification: enough for a person to get it right,
    too few to tune an attack against (the worker checks the handed-in frames anyway)."""
    done = _challenge_checks_done.get(verification_id, 0)
    if done >= CHALLENGE_CHECKS_PER_VERIFICATION:
        return False
    if len(_challenge_checks_done) > 100_000:
        _challenge_checks_done.clear()
    _challenge_checks_done[verification_id] = done + 1
    return True


def _challenge_problem(engines: Any, selfie: Any, decoded: list[Any]) -> Optional[str]:
    """The message key telling the person to try the challenge again, or None when it passed.

    Failed and inconclusive get the same words (an attacker learns nothing from the
    difference); only "you did not come closer" is said as such, since that is the
    common honest mistake.
    """
    result = check_challenge(engines, Challenge.MOVE_CLOSER, decoded, main_face_embedding(engines, selfie))
    if result.outcome == ActiveOutcome.PASSED:
        return None
    return "challenge_not_closer" if result.why == "NOT_CLOSER" else "challenge_retry"


def _error_text(t: Translator, error: ApiError) -> str:
    """The person's words for an API error (its own message is for developers)."""
    known = {"DOC_NOT_FOUND", "NO_FACE_FOUND", "REQUEST_TOO_LARGE", "ENCODING_ERROR", "TOKEN_NOT_VALID",
             "MISSING_VALUE"}
    return t(f"error_{error.identifier}") if error.identifier in known else t("error_GENERIC")


@router.post("/flow/{key}/submit")
async def submit(request: Request, key: str) -> Response:
    """Hand the photos in: the same use case as POST /process, with platform PC or MOBILE."""
    runtime = _runtime(request)
    if not same_origin(request, runtime.settings.public_url) or not json_only(request):
        return _json({"ok": False, "message": "Forbidden"}, 403)
    state = await _load(request, key) if KEY_RE.match(key) else None
    if state is None or state.problem is not None:
        return _json({"ok": False, "reason": "unusable", "next": _flow_url(key)}, 410)
    lang = request.query_params.get("lang")
    t = Translator(pick_language(lang, state.token.locale))
    try:
        body = await read_json_object(request, runtime.settings.max_request_bytes,
                                      runtime.settings.body_timeout_seconds)
        document, _ = _declared(state, body)
        saved = await run_in_threadpool(flow_sessions.saved_flow_photos, state.verification_id, runtime.settings,
                                        document)
        submission = replace(_submission(state, body, platform_of(request.headers.get("user-agent", "")), saved),
                             client_ip=request.client.host if request.client else None)
        if state.partner.photo_validation:
            max_bytes = state.partner.max_image_bytes or runtime.settings.max_image_bytes
            wrong = await run_in_threadpool(_wrong_side, runtime.engines, submission, max_bytes, runtime.settings)
            if wrong is not None:
                return _json({"ok": False, "identifier": "WRONG_SIDE", "step": Step.BACK, "message": t(wrong)},
                             ancestors=_ancestors(state))
        await run_in_threadpool(accept_images, flow_sessions.usable_flow(state), submission, state.partner,
                                engines=runtime.engines, queue=runtime.queue, settings=runtime.settings)
    except ApiError as error:
        return _json({"ok": False, "identifier": error.identifier, "step": error.step,
                      "message": _error_text(t, error)}, ancestors=_ancestors(state))
    _checks_done.pop(state.verification_id, None)
    _challenge_checks_done.pop(state.verification_id, None)
    await run_in_threadpool(flow_sessions.forget_flow_photos, state.verification_id, runtime.settings)
    return _json({"ok": True, "next": _flow_url(key, "/wait", lang=lang)}, ancestors=_ancestors(state))


def _submission(state: FlowState, body: dict[str, Any], platform: str,
                saved: dict[str, tuple[bytes, str]]) -> ImageSubmission:
    """The images to hand in: the saved photos of this flow, and those sent with the request
    (which take their place)."""
    document, country = _declared(state, body)
    images = body.get("images", {})
    if not isinstance(images, dict) or len(images) > len(IMAGE_STEPS) + 20 or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in images.items()
    ):
        raise BadValue("Bad value for field 'images'")
    saved_frames = frame_steps_in_order(list(saved))
    images = {step: base64.b64encode(data).decode() for step, (data, _) in saved.items()
              if step not in saved_frames} | images
    frames = _frames_of(body)
    if not frames and Step.FACE not in body.get("images", {}):  # the saved selfie's own frames
        frames = tuple(base64.b64encode(saved[step][0]).decode() for step in saved_frames)
    if Step.FACE in images and not frames and state.partner.selfie_camera_only:
        # The selfie is only accepted with its challenge: no silent fallback to a still photo
        # (unless the partner allows uploaded selfies: the challenge is then not performed).
        raise MissingValue("The selfie's movement check is missing", step=Step.FACE)
    return ImageSubmission(country=country.upper(), document_type=document, images=images, platform=platform,
                           challenge_frames=frames)
