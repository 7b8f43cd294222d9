"""Readiness: can this process serve requests right now — is the database reachable, is the
job queue? (Liveness is simpler: the process answers at all.)"""

from __future__ import annotations

from sqlalchemy import text

from openidv.services.runtime import Runtime
from openidv.store.db import session_scope


def readiness_problems(runtime: Runtime) -> dict[str, str]:
    """What is not reachable, by name ("database", "queue"); empty when ready."""
    problems: dict[str, str] = {}
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "not ready"
        problems["database"] = type(exc).__name__
    try:
        runtime.queue.ping()
    except Exception as exc:  # noqa: BLE001
        problems["queue"] = type(exc).__name__
    return problems
