"""The contract schemas (tests/contract/schemas, written from iDenfy's public API pages) and
one assertion: a body matches its schema, else every violation is listed."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parent / "schemas"
BASE = "https://openidv.invalid/contract/"
# Which schema each webhook event's body is checked against, by its Idenfy-Event-Type.
WEBHOOK_SCHEMAS = {
    "IDENTIFICATION_AUTO_FINISHED": "webhook-auto-finished.json",
    "IDENTIFICATION_MANUAL_FINISHED": "webhook-manual-finished.json",
    "IDENTIFICATION_EXPIRED": "webhook-expired.json",
}


@lru_cache(maxsize=1)
def _registry() -> Registry:
    resources = [(BASE + path.name, Resource.from_contents(json.loads(path.read_text())))
                 for path in sorted(SCHEMAS.glob("*.json"))]
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def violations(name: str, instance: Any) -> list[str]:
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message[:300]}"
            for e in sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))]


def assert_matches(name: str, instance: Any) -> None:
    found = violations(name, instance)
    assert not found, f"{name}: " + "; ".join(found)


def webhook_instance(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """A received webhook as its schema sees it: lower-cased header names and the parsed body."""
    return {"headers": {k.lower(): v for k, v in headers.items()}, "body": json.loads(body)}


def assert_webhook_matches(headers: Mapping[str, str], body: bytes) -> str:
    """Check a received webhook against the schema of its event; the event name."""
    instance = webhook_instance(headers, body)
    event = instance["headers"].get("idenfy-event-type", "")
    assert event in WEBHOOK_SCHEMAS, f"Idenfy-Event-Type {event!r} is not a documented event"
    assert_matches(WEBHOOK_SCHEMAS[event], instance)
    return event
