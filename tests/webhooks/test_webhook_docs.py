"""docs/webhooks.md cannot drift: each example body is exactly what the sender's code builds,
the examples follow the real decision rules, the expiry example is what a running server
sends, and the signature-checking snippet accepts real signed webhooks and refuses changed,
replayed and forged ones."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest

from openidv.api import examples
from openidv.core.vocab import WEBHOOK_EVENT_TYPES, DocumentCode, FaceCode, Status
from openidv.pipeline.decision import ReviewDecision, decide, manual_decision
from tests.api.test_process import PLAIN, new_token, process_body
from tests.conftest import REPO_ROOT
from tests.contract.contract import assert_webhook_matches

DOC = REPO_ROOT / "docs" / "webhooks.md"


def documented_examples() -> list[tuple[str, dict[str, Any]]]:
    found = re.findall(r"<!-- webhook-example: (\w+) -->\s*```json\n(.*?)```", DOC.read_text(), re.S)
    return [(event, json.loads(body)) for event, body in found]


def verify_openidv_signature():  # noqa: ANN201
    """The documented function itself, run from the docs."""
    found = re.search(r"<!-- snippet: verify-openidv-signature -->\s*```python\n(.*?)```", DOC.read_text(), re.S)
    assert found, "docs/webhooks.md has no verify-openidv-signature snippet"
    namespace: dict[str, Any] = {}
    exec(found.group(1), namespace)  # noqa: S102 - the documented snippet itself
    return namespace["verify_openidv_signature"]


def test_each_documented_example_is_what_the_sender_builds():
    built = [(w.event, w.body) for w in examples.webhook_examples()]
    documented = documented_examples()
    assert [event for event, _ in documented] == [event for event, _ in built]
    for (event, doc_body), (_, body) in zip(documented, built):
        expected = json.dumps(body, indent=2, ensure_ascii=False)
        assert doc_body == body, f"docs/webhooks.md's {event} example is out of date; it is now:\n{expected}"
    assert {event for event, _ in documented} == set(WEBHOOK_EVENT_TYPES.values())


def test_the_examples_follow_the_real_decision_rules():
    """The story the examples tell is the one the decision code tells."""
    approved, reviewing, reviewed = examples.approved(), examples.sent_to_review(), examples.approved_by_reviewer()
    for record, final in ((approved, True), (reviewing, False)):
        decision = decide(record.auto_document, record.auto_face, face_required=True)
        assert (decision.status, decision.final) == (record.status, final)
        assert [r.as_dict() for r in decision.reasons] == record.decision_reasons
    review = manual_decision(ReviewDecision.APPROVE, reviewed.manual_document, reviewed.manual_face,
                             face_required=True)
    assert review.status == reviewed.status and review.final
    after = [dict(r.as_dict(), check=f"after review: {r.check}") for r in review.reasons]
    assert reviewed.decision_reasons[-len(after):] == after
    bodies = {w.title: w.body for w in examples.webhook_examples()}
    assert [b.get("final") for b in bodies.values()] == [True, False, True, True, None]  # monitoring: no final
    expired = examples.expired_unused()
    assert (expired.auto_document, expired.auto_face) == (DocumentCode.DOC_NOT_ANALYSED, FaceCode.FACE_NOT_ANALYSED)
    assert expired.status == Status.EXPIRED


def test_example_file_urls_have_the_shape_of_signed_ones():
    from openidv.config import Settings
    from openidv.store.file_urls import FileUrlSigner

    key = base64.b64encode(bytes(range(32))).decode()
    real = FileUrlSigner(Settings(encryption_key=key)).url(1281, examples.BASE_URL)
    shape = re.compile(re.escape(examples.BASE_URL) + r"/files/([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}$")
    assert shape.match(real), real
    for url in examples.EXAMPLE_FILE_URLS.values():
        assert shape.match(url), url
    assert shape.match(examples.EXAMPLE_FILE_URLS["FRONT"]).group(1) == shape.match(real).group(1)


# ------------------------------------------------------------------ against a running server


def _hook_for(receiver, partner, scan_ref: str):  # noqa: ANN001, ANN201
    path = f"/hooks/{partner.name}"
    return receiver.wait_for(lambda h: h.path == path and h.json().get("scanRef") == scan_ref, timeout=120)[0]


def _check_signatures(hook, secret: str) -> None:  # noqa: ANN001
    verify = verify_openidv_signature()
    header = {k.lower(): v for k, v in hook.headers.items()}["openidv-signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert verify(hook.body, header, secret)
    assert not verify(hook.body.replace(b'"final"', b'"final" ', 1), header, secret)  # changed body
    assert not verify(hook.body, header, secret, now=timestamp + 301)  # replayed later
    assert not verify(hook.body, header, secret + "x")  # another key
    assert not verify(hook.body, "v1=" + header.split("v1=")[1], secret)  # no time


def test_a_real_expiry_webhook_is_the_documented_example(service, partner, receiver):
    if service.mode != "embedded":
        pytest.skip("one mode is enough: the webhook body is the same code")
    documented = dict(documented_examples())["IDENTIFICATION_EXPIRED"]
    with service.client(partner) as c:
        created = new_token(c, clientId=documented["clientId"], expiryTime=1)
        time.sleep(1.5)
        assert c.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()["status"] == "EXPIRED"
    hook = _hook_for(receiver, partner, created["scanRef"])
    assert_webhook_matches(hook.headers, hook.body)
    body = hook.json()
    # Only the identity of the session and its times differ.
    for key in ("scanRef", "startTime", "finishTime"):
        body[key] = documented[key]
    assert body == documented
    _check_signatures(hook, partner.webhook_secret)


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__ if value is not None else None


def test_a_real_automatic_webhook_has_the_documented_shape(service, partner, receiver):
    if service.mode != "embedded":
        pytest.skip("one mode is enough: the webhook body is the same code")
    documented = dict(documented_examples())["IDENTIFICATION_AUTO_FINISHED"]
    with service.client(partner) as c:
        token = new_token(c)
        assert c.post("/api/v2/process", json=process_body(token["authToken"], {"FRONT": PLAIN, "FACE": PLAIN})
                      ).status_code == 200
    hook = _hook_for(receiver, partner, token["scanRef"])
    assert assert_webhook_matches(hook.headers, hook.body) == "IDENTIFICATION_AUTO_FINISHED"
    body = hook.json()
    assert list(body) == list(documented)
    assert list(body["status"]) == list(documented["status"]) and list(body["data"]) == list(documented["data"])
    assert set(body["fileUrls"]) == {"FRONT", "FACE"}
    _check_signatures(hook, partner.webhook_secret)
