"""``openidv reviewer``: console users."""

from __future__ import annotations

from typing import Optional

import click

from openidv.cli.base import main, partner_by_api_key, print_json


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
            partner_id = partner_by_api_key(session, partner_key).id
        session.add(Reviewer(email=email.lower(), password_hash=PasswordHasher().hash(password),
                             partner_id=partner_id))
    print_json({"email": email.lower(), "password": password,
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
        print_json([{"email": r.email, "role": "operator" if r.partner_id is None else "reviewer",
                      "partner": names.get(r.partner_id), "disabled": r.disabled_at is not None} for r in rows])


def _reviewer_by_email(session, email: str):  # noqa: ANN001, ANN202
    from openidv.store.reviewers import reviewer_by_email

    found = reviewer_by_email(session, email)
    if found is None:
        raise click.ClickException(f"no reviewer {email}")
    return found


@reviewer.command("disable")
@click.argument("email")
def reviewer_disable(email: str) -> None:
    """Refuse the reviewer's logins and end every session now."""
    from openidv.store.audit import audit
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.reviewers import set_disabled

    run_migrations()
    with session_scope() as session:
        found = _reviewer_by_email(session, email)
        set_disabled(session, found, True)
        audit(session, "system", "reviewer_disabled", None, {"reviewer": found.email})
    print_json({"email": email.lower(), "disabled": True})


@reviewer.command("enable")
@click.argument("email")
def reviewer_enable(email: str) -> None:
    """Allow a disabled reviewer to log in again."""
    from openidv.store.audit import audit
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.reviewers import set_disabled

    run_migrations()
    with session_scope() as session:
        found = _reviewer_by_email(session, email)
        set_disabled(session, found, False)
        audit(session, "system", "reviewer_enabled", None, {"reviewer": found.email})
    print_json({"email": email.lower(), "disabled": False})


@reviewer.command("reset-password")
@click.argument("email")
def reviewer_reset_password(email: str) -> None:
    """Give the reviewer a new generated password (printed once); every session ends."""
    import secrets

    from argon2 import PasswordHasher

    from openidv.store.audit import audit
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.reviewers import set_password_hash

    run_migrations()
    password = secrets.token_urlsafe(15)
    with session_scope() as session:
        found = _reviewer_by_email(session, email)
        set_password_hash(session, found, PasswordHasher().hash(password))
        audit(session, "system", "reviewer_password_reset", None, {"reviewer": found.email})
        disabled = found.disabled_at is not None
    print_json({"email": email.lower(), "password": password, "disabled": disabled})
