"""The key that signs a partner's webhooks: generated, set with `partner policy
--webhook-secret`, or the API secret (`--webhook-signing api-secret`); and the event name
each webhook carries. Expiry webhooks are used: they come at once, without the pipeline."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from tests.api.test_process import new_token

EXISTING_KEY = "whsec-existing-integration-0123456789"


def policy(service, partner, *args, check=True):  # noqa: ANN001, ANN002, ANN201
    return service.cli("partner", "policy", partner.api_key, *args, check=check)


def expiry_hook(service, partner, receiver):  # noqa: ANN001, ANN201
    with service.client(partner) as c:
        created = new_token(c, expiryTime=1)
        time.sleep(1.5)
        assert c.post("/api/v2/status", json={"scanRef": created["scanRef"]}).json()["status"] == "EXPIRED"
    return receiver.wait_for(lambda h: h.path == f"/hooks/{partner.name}"
                             and h.json()["scanRef"] == created["scanRef"], timeout=30)[0]


def signed_with(hook, key: str) -> bool:  # noqa: ANN001
    expected = hmac.new(key.encode(), hook.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(hook.headers["Idenfy-Signature"], expected)


def test_generated_secret_signs_and_the_event_is_named(service, partner, receiver):
    hook = expiry_hook(service, partner, receiver)
    assert signed_with(hook, partner.webhook_secret)
    assert hook.headers["Idenfy-Event-Type"] == "IDENTIFICATION_EXPIRED"


def test_an_existing_signing_key_can_be_set(service, partner, receiver):
    out = policy(service, partner, "--webhook-secret", EXISTING_KEY)
    assert EXISTING_KEY not in out.stdout  # a secret is never printed back
    assert json.loads(out.stdout)["webhookSigning"] == "webhook-secret"
    hook = expiry_hook(service, partner, receiver)
    assert signed_with(hook, EXISTING_KEY) and not signed_with(hook, partner.webhook_secret)


def test_unusable_signing_keys_are_refused(service, partner):
    for bad in ("short", "has a space in it 0123456789", "x" * 513):
        result = policy(service, partner, "--webhook-secret", bad, check=False)
        assert result.returncode != 0 and "--webhook-secret" in result.stderr, result.stderr


def test_api_secret_signing_needs_the_secret_and_checks_it(service, partner, receiver):
    missing = policy(service, partner, "--webhook-signing", "api-secret", check=False)
    assert missing.returncode != 0 and "--api-secret-for-signing" in missing.stderr
    wrong = policy(service, partner, "--webhook-signing", "api-secret", "--api-secret-for-signing", "not-it", check=False)
    assert wrong.returncode != 0 and "not this partner's API secret" in wrong.stderr

    out = policy(service, partner, "--webhook-signing", "api-secret", "--api-secret-for-signing", partner.api_secret)
    assert json.loads(out.stdout)["webhookSigning"] == "api-secret" and partner.api_secret not in out.stdout
    assert signed_with(expiry_hook(service, partner, receiver), partner.api_secret)

    policy(service, partner, "--webhook-signing", "webhook-secret")
    assert signed_with(expiry_hook(service, partner, receiver), partner.webhook_secret)
    # Going back dropped the stored API secret: api-secret mode needs it again.
    again = policy(service, partner, "--webhook-signing", "api-secret", check=False)
    assert again.returncode != 0
