"""The `openidv` command line (SPEC 2). Each command is a thin shell around the package."""

from __future__ import annotations

import json
import logging
import os
from typing import Optional

import click

from openidv.config import get_settings


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _setup_process(role: str) -> None:
    """Logging and the shared metrics directory, before the app or the tasks are imported."""
    from openidv.observability import configure_metrics_dir, setup_logging

    configure_metrics_dir()
    setup_logging()
    logging.getLogger("openidv").info("starting", extra={"role": role, "pid": os.getpid()})


def _partner_by_key(session, api_key: str):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from openidv.store.models import Partner

    partner = session.scalar(select(Partner).where(Partner.api_key == api_key))
    if partner is None:
        raise click.ClickException(f"no partner with API key {api_key}")
    return partner


@click.group()
def main() -> None:
    """openidv: self-hostable identity verification."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not run the queue worker in this process")
def serve(host: str, port: int, no_worker: bool) -> None:
    """API, hosted pages and console; with the embedded worker unless --no-worker."""
    import uvicorn

    _setup_process("serve")
    if not os.environ.get("OPENIDV_PUBLIC_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        os.environ["OPENIDV_PUBLIC_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    from openidv.api.app import create_app

    app = create_app(embedded_worker=not no_worker)
    # Keep-alive longer than clients' own idle expiry (httpx: 5 s), so a client never sends a
    # request on a connection the server is closing at that moment (seen under load as a
    # dropped request); idle connections still close after a minute.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=65,
                h11_max_incomplete_event_size=64 * 1024)


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=int, help="Worker threads")
def worker(concurrency: int) -> None:
    """A standalone worker for the configured queue."""
    _setup_process("worker")  # before openidv.metrics is imported (shared metrics directory)
    from huey.consumer import Consumer

    from openidv.jobs.queue import huey
    from openidv.jobs.tasks import Sweeper
    from openidv.store.db import migrate

    migrate()
    from openidv.pipeline.warmup import load_all_models_in_background

    load_all_models_in_background()
    Sweeper(get_settings().sweep_interval_seconds).start()
    Consumer(huey, workers=concurrency, worker_type="thread", periodic=False).run()


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    from openidv.store.db import migrate as run_migrations

    run_migrations()
    click.echo("database is up to date")


@main.group()
def partner() -> None:
    """Manage partners (API clients)."""


@partner.command("create")
@click.argument("name")
@click.option("--callback-url", default=None, help="Default webhook URL")
def partner_create(name: str, callback_url: Optional[str]) -> None:
    """Create a partner; prints its secrets once."""
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.verifications import create_partner

    if callback_url and not callback_url.lower().startswith(("http://", "https://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--callback-url")
    run_migrations()
    with session_scope() as session:
        new = create_partner(session, name, get_settings().data_keys(), callback_url)
    _print_json({"name": new.name, "apiKey": new.apiKey, "apiSecret": new.apiSecret,
                 "webhookSecret": new.webhookSecret})


@partner.command("policy")
@click.argument("api_key")
@click.option("--review", type=click.Choice(["automatic", "review_failed", "review_all"]))
@click.option("--minimum-age", type=click.IntRange(0, 150))
@click.option("--photo-validation", type=click.Choice(["on", "off"]))
@click.option("--max-image-mb", type=click.FloatRange(0.1, 20))
@click.option("--callback-url")
@click.option("--rate-limit", type=click.IntRange(1, 10_000_000), help="Requests per hour")
@click.option("--retention-images-days", type=click.IntRange(0, 36500), help="Erase images N days after the decision")
@click.option("--retention-data-days", type=click.IntRange(0, 36500), help="Erase personal data N days after the decision")
@click.option("--frame-ancestors", help="Origins allowed to embed the hosted flow in an iframe (CSP frame-ancestors)")
@click.option("--success-url", help="Default successUrl of new tokens")
@click.option("--error-url", help="Default errorUrl of new tokens")
@click.option("--unverified-url", help="Default unverifiedUrl of new tokens")
def partner_policy(api_key: str, review, minimum_age, photo_validation, max_image_mb, callback_url, rate_limit,  # noqa: ANN001
                   retention_images_days, retention_data_days, frame_ancestors, success_url, error_url,
                   unverified_url) -> None:
    """Show or change a partner's policy (by API key)."""

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope

    run_migrations()
    with session_scope() as session:
        p = _partner_by_key(session, api_key)
        if review:
            p.review_policy = review
        if minimum_age is not None:
            p.minimum_age = minimum_age
        if photo_validation:
            p.photo_validation = photo_validation == "on"
        if max_image_mb:
            p.max_image_bytes = int(max_image_mb * 1024 * 1024)
        for name, value in (("callback_url", callback_url), ("success_url", success_url),
                            ("error_url", error_url), ("unverified_url", unverified_url)):
            if value is not None:
                if value and not value.lower().startswith(("http://", "https://")):
                    raise click.BadParameter(f"{value!r} is not an http(s) URL")
                setattr(p, name, value or None)
        if rate_limit:
            p.rate_limit_per_hour = rate_limit
        if retention_images_days is not None:
            p.retention_images_days = retention_images_days
        if retention_data_days is not None:
            p.retention_data_days = retention_data_days
        if frame_ancestors is not None:
            from openidv.web.flow import frame_ancestors as allowed_sources

            if frame_ancestors.strip() and allowed_sources(frame_ancestors) != " ".join(frame_ancestors.split()):
                raise click.BadParameter("space-separated CSP sources only, e.g. 'https://shop.example "
                                         "https://*.shop.example'", param_hint="--frame-ancestors")
            p.frame_ancestors = frame_ancestors.strip() or None
        _print_json({"name": p.name, "review": p.review_policy, "minimumAge": p.minimum_age,
                     "photoValidation": p.photo_validation, "maxImageBytes": p.max_image_bytes,
                     "callbackUrl": p.callback_url, "rateLimitPerHour": p.rate_limit_per_hour,
                     "retentionImagesDays": p.retention_images_days,
                     "retentionDataDays": p.retention_data_days, "frameAncestors": p.frame_ancestors,
                     "successUrl": p.success_url, "errorUrl": p.error_url, "unverifiedUrl": p.unverified_url})


@partner.command("blocklist")
@click.argument("api_key")
@click.argument("action", type=click.Choice(["add", "remove", "list"]))
@click.argument("numbers", nargs=-1)
def partner_blocklist(api_key: str, action: str, numbers: tuple[str, ...]) -> None:
    """Add, remove or list blocked document numbers (DATA_IN_BLACKLIST)."""
    from sqlalchemy import delete, select

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.fraud import document_number_key
    from openidv.store.models import BlockedDocument

    run_migrations()
    with session_scope() as session:
        p = _partner_by_key(session, api_key)
        keys = [k for k in (document_number_key(n) for n in numbers) if k]
        if action == "add":
            for key in keys:
                if session.get(BlockedDocument, (p.id, key)) is None:
                    session.add(BlockedDocument(partner_id=p.id, document_number_key=key))
        elif action == "remove" and keys:
            session.execute(delete(BlockedDocument).where(
                BlockedDocument.partner_id == p.id, BlockedDocument.document_number_key.in_(keys)))
        session.flush()
        listed = session.scalars(select(BlockedDocument.document_number_key)
                                 .where(BlockedDocument.partner_id == p.id)
                                 .order_by(BlockedDocument.document_number_key))
        _print_json({"blocked": list(listed)})


@main.group()
def reviewer() -> None:
    """Manage review-console users."""


@reviewer.command("create")
@click.argument("email")
@click.option("--partner-key", default=None, help="Limit the reviewer to this partner (API key)")
def reviewer_create(email: str, partner_key: Optional[str]) -> None:
    """Create a console user; prints a generated password once."""
    import secrets

    from argon2 import PasswordHasher
    from sqlalchemy import select

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.models import Reviewer

    if "@" not in email or len(email) > 254:
        raise click.BadParameter("must be an e-mail address", param_hint="EMAIL")
    run_migrations()
    password = secrets.token_urlsafe(15)
    with session_scope() as session:
        if session.scalar(select(Reviewer).where(Reviewer.email == email.lower())):
            raise click.ClickException(f"reviewer {email} already exists")
        partner_id = None
        if partner_key:
            partner_id = _partner_by_key(session, partner_key).id
        session.add(Reviewer(email=email.lower(), password_hash=PasswordHasher().hash(password),
                             partner_id=partner_id))
    _print_json({"email": email.lower(), "password": password,
                 "role": "reviewer" if partner_key else "operator"})


@main.command()
@click.option("--dry-run", is_flag=True, help="Only show what would be erased")
def purge(dry_run: bool) -> None:
    """Erase images and personal data past each partner's retention period."""
    from openidv.store.db import session_scope
    from openidv.store.files import make_file_store
    from openidv.store.db import migrate as run_migrations
    from openidv.store.retention import purge as run_purge

    run_migrations()
    with session_scope() as session:
        plan = run_purge(session, make_file_store(get_settings()), dry_run=dry_run)
        if dry_run:
            session.rollback()
    _print_json({"dryRun": dry_run, **plan.as_dict()})


@main.command("backup")
@click.argument("target", type=click.Path(file_okay=False))
def backup_command(target: str) -> None:
    """Back up a running embedded instance (database, images, key) into TARGET."""
    from pathlib import Path

    from openidv.store.backup import BackupError, backup

    try:
        _print_json(backup(get_settings(), Path(target)))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def restore_command(source: str) -> None:
    """Restore a backup into an empty OPENIDV_HOME (stop openidv first)."""
    from pathlib import Path

    from openidv.store.backup import BackupError, restore

    try:
        _print_json(restore(get_settings(), Path(source)))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def keys() -> None:
    """Encryption keys (see docs/operations.md, "Key rotation")."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key (base64 of 32 bytes) for OPENIDV_ENCRYPTION_KEY."""
    import base64
    import secrets

    click.echo(base64.b64encode(secrets.token_bytes(32)).decode())


@keys.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt all images and webhook secrets with the current key."""
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.files import make_file_store
    from openidv.store.keys import reencrypt_all

    run_migrations()
    with session_scope() as session:
        counts = reencrypt_all(session, make_file_store(get_settings()))
    _print_json(counts)


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
def config_check() -> None:
    """Validate the configuration and say in plain words what is wrong."""
    from openidv.config_check import check_configuration

    problems, facts = check_configuration()
    for line in facts:
        click.echo(f"ok: {line}")
    for line in problems:
        click.echo(f"problem: {line}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("configuration is valid")


def _aml(command: str, **options: Optional[str]) -> None:
    from openidv.services.aml import AmlError, run_cli_command

    try:
        _print_json(run_cli_command(command, **options))
    except AmlError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def aml() -> None:
    """Sanctions and PEP lists (see docs/aml.md)."""


@aml.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", help="Name of the list (default: from the format, e.g. un-sc)")
@click.option("--format", "list_format", type=click.Choice(["ftm-json", "opensanctions-csv", "un-xml", "eu-xml", "ofac-csv"]))
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), help="OFAC alt.csv beside sdn.csv")
def aml_load(file: str, source: Optional[str], list_format: Optional[str], aliases: Optional[str]) -> None:
    """Load a list file, replacing that source's previous version atomically."""
    _aml("load", path=file, source=source, format=list_format, aliases_path=aliases)


@aml.command("sources")
def aml_sources() -> None:
    """The lists screened against: date, size, file hash."""
    _aml("sources")


@aml.command("screen")
@click.argument("name", nargs=-1, required=True)
@click.option("--dob", help="Date of birth, YYYY[-MM[-DD]]")
@click.option("--nationality", help="ISO 3166 alpha-2")
def aml_screen(name: tuple[str, ...], dob: Optional[str], nationality: Optional[str]) -> None:
    """Screen one person against the loaded lists."""
    _aml("screen", name=" ".join(name), dob=dob, nationality=nationality)


@main.command()
@click.option("--front", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--back", type=click.Path(exists=True, dir_okay=False))
@click.option("--face", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, help="Declared issuing country (alpha-2)")
@click.option("--document-type", default=None,
              type=click.Choice(["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER"]))
def verify(front: str, back: Optional[str], face: Optional[str], country: Optional[str], document_type: Optional[str]) -> None:
    """Run the whole pipeline on image files, no server; print the full-status JSON."""
    from openidv.pipeline.images import ANALYSIS_MAX_SIDE, ImageRejected, read_image_file
    from openidv.pipeline.local import verify_images

    paths = {"FRONT": front, "BACK": back, "FACE": face}
    try:
        images = {step: read_image_file(p, ANALYSIS_MAX_SIDE) for step, p in paths.items() if p}
    except ImageRejected as exc:
        raise click.ClickException(str(exc)) from None
    _print_json(verify_images(images, country=country.upper() if country else None,
                              document_type=document_type))


@main.command("compare-faces")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
def compare_faces_command(a: str, b: str) -> None:
    """Similarity of the faces on two images, and the face result code."""
    from openidv.pipeline.face import compare_faces
    from openidv.pipeline.images import read_image_file

    result = compare_faces(read_image_file(a), read_image_file(b))
    _print_json({"similarity": result.similarity, "result": result.result})


@main.command("check-liveness")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
def check_liveness_command(image: str) -> None:
    """Presentation-attack check of a selfie: LIVE, FAKE_FACE or FACE_UNCERTAIN."""
    from openidv.pipeline.images import read_image_file
    from openidv.pipeline.liveness import check_liveness

    result = check_liveness(read_image_file(image))
    _print_json({"result": result.result, "score": result.score})


if __name__ == "__main__":
    main()
