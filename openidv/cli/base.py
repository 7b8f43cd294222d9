"""What every command shares: the ``openidv`` group, JSON output, process set-up."""

from __future__ import annotations

import json
import logging
import os

import click

from openidv import __version__


def print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def setup_process(role: str) -> None:
    """Logging, the shared metrics directory and the C heap's arenas, before the app or the
    tasks are imported (and before any thread starts)."""
    from openidv.observability import configure_metrics_dir, setup_logging
    from openidv.pipeline.images import limit_heap_arenas

    limit_heap_arenas()
    configure_metrics_dir()
    setup_logging()
    logging.getLogger("openidv").info("starting", extra={"role": role, "pid": os.getpid()})


def partner_by_api_key(session, api_key: str):  # noqa: ANN001, ANN202
    from openidv.store.partners import partner_by_key

    partner = partner_by_key(session, api_key)
    if partner is None:
        raise click.ClickException(f"no partner with API key {api_key}")
    return partner


class OpenidvGroup(click.Group):
    """Configuration mistakes and an unreachable database end as a one-line message and exit
    status 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from pydantic import ValidationError
        from sqlalchemy.exc import OperationalError

        from openidv.config import ConfigurationError

        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            raise click.ClickException(f"configuration: {exc}") from exc
        except ValidationError as exc:
            if exc.title != "Settings":
                raise
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
            raise click.ClickException(f"configuration: {problems}") from exc
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
            raise click.ClickException(f"database: {reason}") from exc


@click.group(cls=OpenidvGroup)
@click.version_option(__version__, prog_name="openidv", message="%(prog)s %(version)s")
def main() -> None:
    """openidv: self-hostable identity verification."""
    from openidv.datadir import restrict_umask

    # Everything a command creates (database, queue, images, backups, metrics) holds
    # personal data or keys: readable by the owner only, whatever the shell's umask.
    restrict_umask()
