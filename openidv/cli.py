"""The `openidv` command line. Each command is a thin shell around the package."""

from __future__ import annotations

import json
import logging
import os
from typing import Optional

import click

from openidv import __version__
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
    from openidv.store.partners import partner_by_key

    partner = partner_by_key(session, api_key)
    if partner is None:
        raise click.ClickException(f"no partner with API key {api_key}")
    return partner


@click.group()
@click.version_option(__version__, prog_name="openidv", message="%(prog)s %(version)s")
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
    from openidv.app import create_app

    app = create_app(embedded_worker=not no_worker)
    # Keep-alive longer than clients' own idle expiry (httpx: 5 s), so a client never sends a
    # request on a connection the server is closing at that moment (seen under load as a
    # dropped request); idle connections still close after a minute.
    # log_config=None: uvicorn's own messages go through openidv's handler (JSON lines).
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_keep_alive=65,
                            h11_max_incomplete_event_size=64 * 1024, log_config=None)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"

    class AnnouncingServer(uvicorn.Server):
        """Says where it listens once the socket is bound (uvicorn's own start-up line is
        hidden at the warning level that keeps request lines out of the logs)."""

        async def startup(self, sockets=None) -> None:  # noqa: ANN001
            await super().startup(sockets)
            if self.started:
                click.echo(f"openidv {__version__} listening on {url}  "
                           f"(console {url}/console, API reference {url}/docs)")

    AnnouncingServer(config).run()


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Analyses run at once in this process")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              help="Serve /metrics on this port (Bearer $OPENIDV_METRICS_TOKEN), for machines without the API")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port")
def worker(concurrency: int, metrics_port: Optional[int], metrics_host: str) -> None:
    """A standalone worker for the configured queue."""
    if metrics_port and not get_settings().metrics_token:
        raise click.UsageError("--metrics-port needs OPENIDV_METRICS_TOKEN (scrapes must authenticate)")
    _setup_process("worker")  # before openidv.metrics is imported (shared metrics directory)
    if metrics_port:
        from openidv.metrics import serve_metrics

        serve_metrics(metrics_host, metrics_port, get_settings().metrics_token)
        click.echo(f"openidv worker metrics on http://{metrics_host}:{metrics_port}/metrics")
    from openidv.jobs.tasks import WorkQueue
    from openidv.jobs.worker import run_worker
    from openidv.pipeline.engines import Engines
    from openidv.store.db import SchemaMismatch, migrate_and_check

    settings = get_settings()
    try:
        migrate_and_check(settings)
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from None
    run_worker(WorkQueue(settings, Engines()), concurrency)


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    from openidv.store.db import migrate as run_migrations

    newer = run_migrations()
    if newer:
        click.echo(f"not migrated: the database is at {', '.join(newer)}, a newer release's migration "
                   "(this version can run on it only if nothing it needs changed)")
    else:
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
    from openidv.store.partners import create_partner

    if callback_url and not callback_url.lower().startswith(("http://", "https://")):
        raise click.BadParameter("must be an http(s) URL", param_hint="--callback-url")
    run_migrations()
    with session_scope() as session:
        new = create_partner(session, name, get_settings().data_keys(), callback_url)
    _print_json({"name": new.name, "apiKey": new.apiKey, "apiSecret": new.apiSecret,
                 "webhookSecret": new.webhookSecret})


@partner.command("list")
def partner_list() -> None:
    """List the partners (no secrets: they were shown once at creation)."""
    from sqlalchemy import select

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.models import Partner

    run_migrations()
    with session_scope() as session:
        rows = session.scalars(select(Partner).order_by(Partner.id))
        _print_json([{"name": p.name, "apiKey": p.api_key, "callbackUrl": p.callback_url,
                      "review": p.review_policy, "created": p.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")}
                     for p in rows])


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
@click.option("--webhook-secret", help="Sign webhooks with this key (an integration's existing signing key; "
              "16-512 printable ASCII characters, no spaces)")
@click.option("--webhook-signing", type=click.Choice(["webhook-secret", "api-secret"]),
              help="Which key signs the webhooks: the webhook secret (default), or the partner's API secret")
@click.option("--api-secret-for-signing", help="The partner's API secret, for --webhook-signing api-secret "
              "(openidv keeps only its hash; given here, it is checked and kept encrypted)")
@click.option("--selfie-camera-only", type=click.Choice(["on", "off"]),
              help="Hosted flow: selfie from the camera with the move-closer challenge only (off: upload allowed)")
@click.option("--brand-color", help="Hosted flow: the partner's colour, #rrggbb ('' for openidv's)")
@click.option("--logo", help="Hosted flow: a PNG or JPEG logo file (at most 512 KB; '' removes it)")
@click.option("--consent-text", nargs=2, multiple=True, metavar="LANG FILE",
              help="Hosted flow: the consent notice in one language, from a plain-text file (empty file: the default)")
def partner_policy(api_key: str, review, minimum_age, photo_validation, max_image_mb, callback_url, rate_limit,  # noqa: ANN001
                   retention_images_days, retention_data_days, frame_ancestors, success_url, error_url,
                   unverified_url, webhook_secret, webhook_signing, api_secret_for_signing,
                   selfie_camera_only, brand_color, logo, consent_text) -> None:
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
            from openidv.web.security import frame_ancestors as allowed_sources

            if frame_ancestors.strip() and allowed_sources(frame_ancestors) != " ".join(frame_ancestors.split()):
                raise click.BadParameter("space-separated CSP sources only, e.g. 'https://shop.example "
                                         "https://*.shop.example'", param_hint="--frame-ancestors")
            p.frame_ancestors = frame_ancestors.strip() or None
        _set_signing(p, webhook_secret, webhook_signing, api_secret_for_signing)
        if selfie_camera_only:
            p.selfie_camera_only = selfie_camera_only == "on"
        _apply_branding(p, brand_color, logo, consent_text)
        _print_json({"name": p.name, "review": p.review_policy, "minimumAge": p.minimum_age,
                     "photoValidation": p.photo_validation, "maxImageBytes": p.max_image_bytes,
                     "callbackUrl": p.callback_url, "rateLimitPerHour": p.rate_limit_per_hour,
                     "retentionImagesDays": p.retention_images_days,
                     "retentionDataDays": p.retention_data_days, "frameAncestors": p.frame_ancestors,
                     "successUrl": p.success_url, "errorUrl": p.error_url, "unverifiedUrl": p.unverified_url,
                     "webhookSigning": p.webhook_signing,
                     "selfieCameraOnly": p.selfie_camera_only is not False, "brandColor": p.brand_color,
                     "logoSha256": p.logo_sha256, "consentTexts": sorted((p.consent_texts or {}).keys())})


def _set_signing(partner, webhook_secret: Optional[str], signing: Optional[str],  # noqa: ANN001
                 api_secret: Optional[str]) -> None:
    """The key that signs a partner's webhooks (secrets are never printed back)."""
    from openidv.store.partners import SecretRefused, set_webhook_secret, set_webhook_signing

    keys = get_settings().data_keys()
    if api_secret is not None and signing is None:
        signing = "api-secret"
    if api_secret is not None and signing != "api-secret":
        raise click.BadParameter("only used with --webhook-signing api-secret", param_hint="--api-secret-for-signing")
    try:
        if webhook_secret is not None:
            set_webhook_secret(partner, webhook_secret, keys)
    except SecretRefused as exc:
        raise click.BadParameter(str(exc), param_hint="--webhook-secret") from None
    try:
        if signing is not None:
            set_webhook_signing(partner, signing, keys, api_secret)
    except SecretRefused as exc:
        raise click.BadParameter(str(exc), param_hint="--api-secret-for-signing") from None


def _apply_branding(p, brand_color: Optional[str], logo: Optional[str],  # noqa: ANN001
                    consent_text: tuple[tuple[str, str], ...]) -> None:
    from openidv.services.branding import BrandingRejected, apply_branding

    try:
        apply_branding(p, brand_color, logo, consent_text)
    except BrandingRejected as exc:
        raise click.BadParameter(str(exc)) from None


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


@reviewer.command("list")
def reviewer_list() -> None:
    """List the console users and what they may see."""
    from sqlalchemy import select

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.models import Partner, Reviewer

    run_migrations()
    with session_scope() as session:
        names = dict(session.execute(select(Partner.id, Partner.name)).all())
        rows = session.scalars(select(Reviewer).order_by(Reviewer.email))
        _print_json([{"email": r.email, "role": "operator" if r.partner_id is None else "reviewer",
                      "partner": names.get(r.partner_id)} for r in rows])


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
    _print_json(reencrypt_all(session_scope, make_file_store(get_settings())))


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
def config_check() -> None:
    """Validate the configuration and say in plain words what is wrong."""
    from openidv.config_check import check_configuration

    report = check_configuration()
    for line in report.facts:
        click.echo(f"ok: {line}")
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in report.problems:
        click.echo(f"problem: {line}", err=True)
    if report.problems:
        raise SystemExit(1)
    click.echo("configuration is valid")


@main.command()
@click.option("--front", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--back", type=click.Path(exists=True, dir_okay=False))
@click.option("--face", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, help="Declared issuing country (alpha-2)")
@click.option("--document-type", default=None,
              type=click.Choice(["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER"]))
def verify(front: str, back: Optional[str], face: Optional[str], country: Optional[str], document_type: Optional[str]) -> None:
    """Run the whole pipeline on image files, no server.

    Prints the full-status JSON on stdout and a one-line verdict on stderr; exits 0 for
    APPROVED, 1 for any other status, 2 for bad input.
    """
    import pycountry

    from openidv.pipeline.engines import Engines
    from openidv.pipeline.images import ANALYSIS_MAX_SIDE, ImageRejected, read_image_file
    from openidv.services.local import verdict_line, verify_images

    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country.upper()) is None):
        raise click.BadParameter(f"{country!r} is not an ISO 3166-1 alpha-2 country code", param_hint="--country")
    paths = {"FRONT": front, "BACK": back, "FACE": face}
    try:
        images = {step: read_image_file(p, ANALYSIS_MAX_SIDE) for step, p in paths.items() if p}
    except (ImageRejected, OSError) as exc:
        raise click.UsageError(f"{exc}") from None
    body, analysis = verify_images(Engines(), images, country=country.upper() if country else None,
                                   document_type=document_type)
    _print_json(body)
    click.echo(verdict_line(analysis), err=True)
    raise SystemExit(0 if analysis.decision.status == "APPROVED" else 1)


@main.command("compare-faces")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
def compare_faces_command(a: str, b: str) -> None:
    """Similarity of the faces on two images, and the face result code."""
    from openidv.pipeline.engines import Engines
    from openidv.pipeline.images import read_image_file
    from openidv.pipeline.selfie import compare_faces

    result = compare_faces(Engines(), read_image_file(a), read_image_file(b))
    _print_json({"similarity": result.similarity, "result": result.result})


@main.command("check-liveness")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
def check_liveness_command(image: str) -> None:
    """Presentation-attack check of a selfie: LIVE, or FACE_UNCERTAIN when the passive model
    is not sure (it never answers FAKE_FACE: see docs/liveness.md)."""
    from openidv.pipeline.engines import Engines
    from openidv.pipeline.face import detect_faces
    from openidv.pipeline.images import read_image_file
    from openidv.pipeline.liveness import check_liveness

    engines = Engines()
    picture = read_image_file(image)
    faces = detect_faces(engines, picture)
    # Without a detected face the picture is taken to be a face crop (as the model's samples are).
    result = check_liveness(engines.liveness_model(), picture, faces[0].box if faces else None)
    _print_json({"result": result.result, "score": result.score})


if __name__ == "__main__":
    main()
