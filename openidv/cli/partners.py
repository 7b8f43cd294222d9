"""``openidv partner``: partners, their policy and blocklist."""

from __future__ import annotations

from typing import Optional

import click

from openidv.cli.base import main, partner_by_api_key, print_json
from openidv.config import get_settings


FOREVER = "forever"


class RetentionDays(click.ParamType):
    """A retention period: days (0-36500), or ``forever`` for no automatic erasure."""

    name = "DAYS|forever"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        if isinstance(value, int) or value == FOREVER:
            return value
        text = str(value).strip().lower()
        if text == FOREVER:
            return FOREVER
        if text.isdigit() and int(text) <= 36500:
            return int(text)
        self.fail(f"{value!r} is not a number of days (0-36500) or 'forever'", param, ctx)


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
    print_json({"name": new.name, "apiKey": new.apiKey, "apiSecret": new.apiSecret,
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
        print_json([{"name": p.name, "apiKey": p.api_key, "callbackUrl": p.callback_url,
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
@click.option("--retention-images-days", type=RetentionDays(),
              help="Erase images N days after the decision ('forever': keep them)")
@click.option("--retention-data-days", type=RetentionDays(),
              help="Erase personal data N days after the decision ('forever': keep it)")
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
@click.option("--aml", type=click.Choice(["on", "off"]),
              help="Screen every verification against the loaded sanctions/PEP lists (docs/aml.md)")
@click.option("--aml-monitoring", type=click.Choice(["on", "off"]),
              help="Re-screen the partner's screened verifications after each list reload; new hits "
                   "send an AML_MONITORING webhook")
def partner_policy(api_key: str, review, minimum_age, photo_validation, max_image_mb, callback_url, rate_limit,  # noqa: ANN001
                   retention_images_days, retention_data_days, frame_ancestors, success_url, error_url,
                   unverified_url, webhook_secret, webhook_signing, api_secret_for_signing,
                   selfie_camera_only, brand_color, logo, consent_text, aml, aml_monitoring) -> None:
    """Show or change a partner's policy (by API key)."""

    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope

    run_migrations()
    with session_scope() as session:
        p = partner_by_api_key(session, api_key)
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
            p.retention_images_days = None if retention_images_days == FOREVER else retention_images_days
        if retention_data_days is not None:
            p.retention_data_days = None if retention_data_days == FOREVER else retention_data_days
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
        if aml:
            p.aml_screening = aml == "on"
        if aml_monitoring:
            p.aml_monitoring = aml_monitoring == "on"
        print_json({"name": p.name, "review": p.review_policy, "minimumAge": p.minimum_age,
                     "photoValidation": p.photo_validation, "maxImageBytes": p.max_image_bytes,
                     "callbackUrl": p.callback_url, "rateLimitPerHour": p.rate_limit_per_hour,
                     "retentionImagesDays": p.retention_images_days,
                     "retentionDataDays": p.retention_data_days, "frameAncestors": p.frame_ancestors,
                     "successUrl": p.success_url, "errorUrl": p.error_url, "unverifiedUrl": p.unverified_url,
                     "webhookSigning": p.webhook_signing,
                     "selfieCameraOnly": p.selfie_camera_only is not False, "brandColor": p.brand_color,
                     "logoSha256": p.logo_sha256, "consentTexts": sorted((p.consent_texts or {}).keys()),
                     "aml": bool(p.aml_screening), "amlMonitoring": bool(p.aml_monitoring)})


def _set_signing(partner, webhook_secret: Optional[str], signing: Optional[str],  # noqa: ANN001
                 api_secret: Optional[str]) -> None:
    """The key that signs a partner's webhooks (secrets are never printed back)."""
    from openidv.store.partners import (
        SecretRefused,
        set_webhook_secret,
        set_webhook_signing,
    )

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
        p = partner_by_api_key(session, api_key)
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
        print_json({"blocked": list(listed)})
