"""A reviewer's verdict on a sanctions/PEP hit from the verification page: false positive
(remembered for that person and entry) or confirmed. CSRF-checked and audited like the
review form; scoped to the reviewer's partner by load_verification."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from openidv.aml.records import Verdict
from openidv.core.vocab import Status
from openidv.services.aml import AmlError
from openidv.services.aml_screening import HitNotFound, VerificationChanged, mark_verification_hit
from openidv.store.audit import audit
from openidv.store.db import session_scope
from openidv.web.console.auth import PREFIX, ConsoleUser, check_csrf, current_user, read_form
from openidv.web.console.errors import ConsoleError
from openidv.web.console.pages import load_verification

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _mark(user: ConsoleUser, scan_ref: str, form: FormData) -> None:
    try:
        verdict = Verdict(str(form.get("verdict") or ""))
    except ValueError:
        raise ConsoleError(400, "Not saved", "Choose false positive or confirmed.", user) from None
    source, entity_id = str(form.get("source") or "")[:100], str(form.get("entity_id") or "")[:200]
    with session_scope() as session:
        v = load_verification(session, user, scan_ref)
        if v.status == Status.DELETED:
            raise ConsoleError(409, "Not saved", "This verification was erased.", user)
        try:
            mark_verification_hit(session, v, source, entity_id, verdict, user.email)
        except HitNotFound as exc:
            raise ConsoleError(404, "Not found", str(exc), user) from None
        except VerificationChanged as exc:
            raise ConsoleError(409, "Not saved", f"{exc}.", user) from None
        except AmlError as exc:
            raise ConsoleError(409, "Not saved", f"{exc}: the list was reloaded without this entry.", user) from None
        audit(session, user.email, "aml_mark", v.id, {"source": source, "entityId": entity_id,
                                                      "verdict": verdict.value})


@router.post("/v/{scan_ref}/aml")
async def aml_mark(request: Request, scan_ref: str, user: ConsoleUser = Depends(current_user)) -> Response:
    form = await read_form(request)
    check_csrf(user.csrf, form)
    await run_in_threadpool(_mark, user, scan_ref, form)
    return RedirectResponse(f"{PREFIX}/v/{scan_ref}?aml=1#aml", status_code=303)
