"""The data: ``purge``, ``backup``, ``restore``, ``keys``."""

from __future__ import annotations

import click

from openidv.cli.base import main, print_json
from openidv.config import get_settings


@main.command()
@click.option("--dry-run", is_flag=True, help="Only show what would be erased")
def purge(dry_run: bool) -> None:
    """Erase images and personal data past each partner's retention period."""
    from openidv.store.db import migrate as run_migrations
    from openidv.store.db import session_scope
    from openidv.store.files import make_file_store
    from openidv.store.retention import purge as run_purge

    run_migrations()
    plan = run_purge(session_scope, make_file_store(get_settings()), dry_run=dry_run)
    print_json({"dryRun": dry_run, **plan.as_dict()})


@main.command("backup")
@click.argument("target", type=click.Path(file_okay=False))
@click.option("--include-key", is_flag=True,
              help="Also copy secret.key (otherwise keep the key apart: a backup with its key is readable by anyone who has it)")
def backup_command(target: str, include_key: bool) -> None:
    """Back up a running embedded instance (database and images) into TARGET."""
    from pathlib import Path

    from openidv.store.backup import BackupError, backup

    try:
        print_json(backup(get_settings(), Path(target), include_key=include_key))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def restore_command(source: str) -> None:
    """Restore a backup into an empty OPENIDV_HOME (stop openidv first)."""
    from pathlib import Path

    from openidv.store.backup import BackupError, restore

    try:
        print_json(restore(get_settings(), Path(source)))
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
    print_json(reencrypt_all(session_scope, make_file_store(get_settings())))
