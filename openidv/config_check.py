"""`openidv config check`: every OPENIDV_* setting validated, problems said in plain words."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import ValidationError


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def redis_exposure_warning(url: str) -> str | None:
    """Why a Redis queue URL is unsafe beyond one machine, or None: anyone who can write to the
    queue can make workers run jobs, so Redis off this machine needs a password (or an ACL
    user) and TLS."""
    parts = urlsplit(url)
    if (parts.hostname or "") in LOOPBACK_HOSTS or url.startswith("unix://"):
        return None
    problems = []
    if not parts.password:
        problems.append("no password (use redis://user:password@host or an ACL user)")
    if parts.scheme != "rediss":
        problems.append("no TLS (use rediss://)")
    if not problems:
        return None
    return f"OPENIDV_QUEUE_URL points at Redis on another machine with {' and '.join(problems)}"


@dataclass
class ConfigReport:
    """What `openidv config check` says: problems fail the check, warnings do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


def check_configuration() -> ConfigReport:
    """Connects to the database and the queue to prove they are reachable."""
    report = ConfigReport()
    problems, facts = report.problems, report.facts
    from openidv.config import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "OPENIDV_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        return report

    from openidv.pipeline.engines import dlib_uses_blas

    if dlib_uses_blas():
        facts.append("dlib built with BLAS (fast face embedding)")
    else:
        # Slower, not wrong: a warning on stderr, not a problem that fails the check.
        facts.append("dlib built WITHOUT BLAS: face embedding ~6x slower (see scripts/install.sh)")

    try:
        keys = settings.data_keys()
        facts.append(f"encryption key loaded ({len(keys) - 1} older key(s) for reading)")
    except (ValueError, OSError) as exc:
        problems.append(f"encryption key: {exc}")

    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"OPENIDV_PUBLIC_URL={settings.public_url!r} is not an http(s) URL")
        else:
            facts.append(f"public URL {settings.public_url}")

    try:
        from sqlalchemy import text

        from openidv.store.db import make_engine

        engine = make_engine(settings)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        facts.append(f"database reachable ({engine.url.render_as_string(hide_password=True)})")
    except Exception as exc:  # noqa: BLE001 - any driver error is reported in words
        problems.append(f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")

    if settings.file_store_kind not in ("local", "database"):
        problems.append(f"OPENIDV_FILES_URL={settings.file_store_kind!r}: use 'local' or 'database'")
    elif settings.file_store_kind == "local" and not settings.is_sqlite:
        facts.append("images on the local disk while the database is shared: every machine must see "
                     f"{settings.home / 'files'} (else set OPENIDV_FILES_URL=database)")

    queue = settings.queue_url
    if queue and queue.startswith(("redis://", "rediss://")):
        warning = redis_exposure_warning(queue)
        if warning:
            report.warnings.append(warning)
        try:
            import redis

            redis.Redis.from_url(queue, socket_connect_timeout=3).ping()
            facts.append(f"Redis queue reachable ({urlsplit(queue).hostname})")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"Redis queue unreachable at {_without_password(queue)}: {exc}")
    elif queue and not queue.startswith("sqlite"):
        problems.append(f"OPENIDV_QUEUE_URL={queue!r}: use redis://… or leave it unset")
    else:
        facts.append("SQLite queue (embedded mode)")
    if not settings.is_sqlite and not settings.encryption_key:
        problems.append("OPENIDV_ENCRYPTION_KEY is not set: with a shared database every process "
                        "needs the same key (a per-machine secret.key would make images unreadable elsewhere)")
    for proxy in settings.trusted_proxy_list:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f"OPENIDV_TRUSTED_PROXIES: {proxy!r} is not an IP address or network")
    if settings.trusted_proxy_list:
        facts.append(f"X-Forwarded-For believed from {', '.join(settings.trusted_proxy_list)}")
    if settings.allow_private_callbacks:
        facts.append("OPENIDV_ALLOW_PRIVATE_CALLBACKS=1: webhooks may reach private addresses (development only)")
    return report


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
