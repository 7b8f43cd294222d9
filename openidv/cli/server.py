"""Running the service: ``serve``, ``worker``, ``migrate``."""

from __future__ import annotations

import os
from typing import Optional

import click

from openidv import __version__
from openidv.cli.base import main, setup_process
from openidv.config import get_settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not run the queue worker in this process")
def serve(host: str, port: int, no_worker: bool) -> None:
    """API, hosted pages and console; with the embedded worker unless --no-worker."""
    import uvicorn

    setup_process("serve")
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
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 by
    # default; the app itself trusts only OPENIDV_TRUSTED_PROXIES.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_keep_alive=65,
                            h11_max_incomplete_event_size=64 * 1024, log_config=None, proxy_headers=False)
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
    setup_process("worker")  # before openidv.metrics is imported (shared metrics directory)
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
