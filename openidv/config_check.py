"""`openidv config check`: every OPENIDV_* setting validated, problems said in plain words.

It reads and connects, but writes nothing: no key is generated, no database file created.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Variables with the prefix that are not settings but are read elsewhere.
KNOWN_OTHER_VARIABLES = {"OPENIDV_MRZ_TESSDATA", "OPENIDV_TEST_DATA", "OPENIDV_TEST_SKIP_SCALEOUT",
                         "OPENIDV_TEST_POSTGRES", "OPENIDV_TEST_REDIS"}


@dataclass
class ConfigReport:
    """What `openidv config check` says: problems fail the check, warnings do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)


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


def unknown_variables(environ: dict[str, str], known: set[str]) -> list[str]:
    """OPENIDV_* variables that are no setting (a misspelt name is otherwise silently ignored)."""
    names = {f"OPENIDV_{name.upper()}" for name in known} | KNOWN_OTHER_VARIABLES
    return sorted(k for k in environ if k.startswith("OPENIDV_") and k not in names)


def check_configuration(environ: dict[str, str] | None = None) -> ConfigReport:
    """Validate the settings and reach the database and the queue."""
    from openidv.config import Settings

    environ = dict(os.environ if environ is None else environ)
    report = ConfigReport()
    for name in unknown_variables(environ, set(Settings.model_fields)):
        report.problems.append(f"{name} is not an openidv setting (misspelt? see docs/configuration.md)")
    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "OPENIDV_" + "_".join(str(p) for p in err["loc"]).upper()
            report.problems.append(f"{name}: {err['msg']}")
        return report
    _check_engine_build(report)
    _check_home(settings, report)
    _check_private_modes(settings, report)
    _check_key(settings, report)
    _check_public_url(settings, report)
    _check_database(settings, report)
    _check_files(settings, report)
    _check_queue(settings, report)
    _check_trusted_proxies(settings, report)
    if settings.allow_private_callbacks:
        report.warnings.append("OPENIDV_ALLOW_PRIVATE_CALLBACKS=1: webhooks may reach private addresses "
                               "(development only)")
    return report


def _check_engine_build(report: ConfigReport) -> None:
    from openidv.pipeline.engines import dlib_uses_blas

    if dlib_uses_blas():
        report.facts.append("dlib built with BLAS (fast face embedding)")
    else:  # slower, not wrong
        report.warnings.append("dlib built WITHOUT BLAS: face embedding ~6x slower (see scripts/install.sh)")


def _check_home(settings, report: ConfigReport) -> None:  # noqa: ANN001
    home = Path(settings.home)
    existing = next((p for p in (home, *home.resolve().parents) if p.exists()), None)
    writable = existing is not None and existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    if not writable:
        report.problems.append(f"OPENIDV_HOME={home} cannot be written by this user "
                               f"({os.getuid() if hasattr(os, 'getuid') else '?'}): the server keeps "
                               "its database, images, queue and key there")
    else:
        report.facts.append(f"data folder {home.resolve()}" + ("" if home.exists() else " (created at first start)"))


def private_mode_warnings(settings) -> list[str]:  # noqa: ANN001
    """Data folder, database, image store and key files that other local users can read or
    enter: they hold personal data or the key that opens it. (openidv creates them private;
    files from older versions, a copy or a restore may not be.)"""
    home = Path(settings.home)
    candidates = [home, home / "openidv.db", home / "openidv.db-wal", home / "openidv.db-shm", home / "files",
                  home / "queue.db", settings.generated_key_path]
    if settings.encryption_key_file:
        candidates.append(Path(settings.encryption_key_file))
    warnings = []
    for path in candidates:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            continue  # not there (yet): nothing to expose
        if mode & 0o077:
            wanted = "700" if path.is_dir() else "600"
            warnings.append(f"{path} is open to other local users (mode {mode:o}): it holds personal data or "
                            f"keys; chmod {wanted} {path}")
    return warnings


def _check_private_modes(settings, report: ConfigReport) -> None:  # noqa: ANN001
    report.warnings.extend(private_mode_warnings(settings))


def _check_key(settings, report: ConfigReport) -> None:  # noqa: ANN001
    if not settings.key_is_configured():
        if settings.is_sqlite:
            report.facts.append(f"no encryption key yet: one is generated at first start into "
                                f"{settings.generated_key_path}")
        else:
            report.problems.append("OPENIDV_ENCRYPTION_KEY (or _FILE) is not set: with a shared database "
                                   "every process needs the same key")
        return
    try:
        keys = settings.data_keys()
    except (ValueError, OSError) as exc:
        report.problems.append(f"encryption key: {exc}")
        return
    report.facts.append(f"encryption key loaded ({len(keys) - 1} older key(s) for reading)")
    if not settings.is_sqlite and not (settings.encryption_key or settings.encryption_key_file):
        report.problems.append("OPENIDV_ENCRYPTION_KEY (or _FILE) is not set: with a shared database every "
                               "process needs the same key (a per-machine secret.key makes images unreadable "
                               "elsewhere)")
    try:
        opened = _open_a_stored_secret(settings, keys)
    except Exception as exc:  # noqa: BLE001 - reported in words below
        report.problems.append(f"encryption key does not open the stored data: {exc} "
                               "(wrong OPENIDV_ENCRYPTION_KEY, or an old key missing from OPENIDV_OLD_ENCRYPTION_KEYS)")
        return
    if opened:
        report.facts.append("the key opens the stored data (a partner's webhook secret decrypted)")


def _open_a_stored_secret(settings, keys: list[bytes]) -> bool:  # noqa: ANN001
    """Decrypt one stored webhook secret with the keys; False when there is none to try."""
    if settings.is_sqlite and not (Path(settings.home) / "openidv.db").exists() and not settings.database_url:
        return False
    from sqlalchemy import inspect, select

    from openidv.store import crypto
    from openidv.store.db import make_engine
    from openidv.store.models import Partner

    engine = make_engine(settings)
    try:
        if "partners" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            blob = conn.execute(select(Partner.webhook_secret_encrypted).limit(1)).scalar()
        if blob is None:
            return False
        crypto.decrypt(blob, keys, b"webhook")
        return True
    finally:
        engine.dispose()


def _check_public_url(settings, report: ConfigReport) -> None:  # noqa: ANN001
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            report.problems.append(f"OPENIDV_PUBLIC_URL={settings.public_url!r} is not an http(s) URL")
        else:
            report.facts.append(f"public URL {settings.public_url}")
    elif not settings.is_sqlite:
        report.problems.append("OPENIDV_PUBLIC_URL is not set: in scale-out every process must know the address "
                               "partners and users reach (file URLs and redirects would point at 127.0.0.1)")


def _check_database(settings, report: ConfigReport) -> None:  # noqa: ANN001
    if settings.is_sqlite and not settings.database_url and not (Path(settings.home) / "openidv.db").exists():
        report.facts.append("SQLite database (created at first start)")
        return
    try:
        from sqlalchemy import text

        from openidv.store.db import make_engine

        engine = make_engine(settings)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        report.facts.append(f"database reachable ({engine.url.render_as_string(hide_password=True)})")
    except Exception as exc:  # noqa: BLE001 - any driver error is reported in words
        report.problems.append(f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


def _check_files(settings, report: ConfigReport) -> None:  # noqa: ANN001
    if settings.file_store_kind not in ("local", "database"):
        report.problems.append(f"OPENIDV_FILES_URL={settings.file_store_kind!r}: use 'local' or 'database'")
    elif settings.file_store_kind == "local" and not settings.is_sqlite:
        report.warnings.append("images on the local disk while the database is shared: every machine must see "
                               f"{Path(settings.home) / 'files'} (else set OPENIDV_FILES_URL=database)")


def _check_queue(settings, report: ConfigReport) -> None:  # noqa: ANN001
    queue = settings.queue_url
    if queue and queue.startswith(("redis://", "rediss://")):
        warning = redis_exposure_warning(queue)
        if warning:
            report.warnings.append(warning)
        try:
            import redis

            redis.Redis.from_url(queue, socket_connect_timeout=3).ping()
            report.facts.append(f"Redis queue reachable ({urlsplit(queue).hostname})")
        except Exception as exc:  # noqa: BLE001
            report.problems.append(f"Redis queue unreachable at {_without_password(queue)}: {exc}")
    elif queue and not queue.startswith("sqlite"):
        report.problems.append(f"OPENIDV_QUEUE_URL={_without_password(queue)!r}: use redis://… or leave it unset")
    else:
        report.facts.append("SQLite queue (embedded mode)")


def _check_trusted_proxies(settings, report: ConfigReport) -> None:  # noqa: ANN001
    for proxy in settings.trusted_proxy_list:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            report.problems.append(f"OPENIDV_TRUSTED_PROXIES: {proxy!r} is not an IP address or network")
    if settings.trusted_proxy_list:
        report.facts.append(f"X-Forwarded-For believed from {', '.join(settings.trusted_proxy_list)}")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
