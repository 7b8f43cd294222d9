"""``openidv aml``: the sanctions and PEP lists screened against (see docs/aml.md)."""

from __future__ import annotations

from typing import Optional

import click

from openidv.cli.base import main, print_json


def _run(command: str, **options: Optional[str]) -> None:
    from openidv.services.aml import AmlError, run_cli_command

    try:
        print_json(run_cli_command(command, **options))
    except AmlError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def aml() -> None:
    """Sanctions and PEP lists (see docs/aml.md)."""


@aml.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", help="Name of the list (default: from the format, e.g. un-sc)")
@click.option("--format", "list_format",
              type=click.Choice(["ftm-json", "opensanctions-csv", "un-xml", "eu-xml", "ofac-csv"]))
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), help="OFAC alt.csv beside sdn.csv")
def aml_load(file: str, source: Optional[str], list_format: Optional[str], aliases: Optional[str]) -> None:
    """Load a list file, replacing that source's previous version atomically; then re-screen
    the verifications of partners with AML monitoring on (new hits: AML_MONITORING webhook)."""
    from openidv.services.aml import AmlError, run_cli_command

    try:
        report = run_cli_command("load", path=file, source=source, format=list_format, aliases_path=aliases)
    except AmlError as exc:
        raise click.ClickException(str(exc)) from None
    report["monitoring"] = _monitor(full=False)
    print_json(report)


def _monitor(*, full: bool) -> dict:
    from openidv.config import get_settings
    from openidv.jobs.tasks import WorkQueue
    from openidv.pipeline.engines import Engines
    from openidv.services.aml_monitoring import monitor_after_load
    from openidv.store.db import migrate

    migrate()
    try:
        queue = WorkQueue(get_settings(), Engines())  # only submits; models are never loaded here
    except Exception:  # noqa: BLE001 - without a queue the sweep sends the webhooks
        queue = None
    return monitor_after_load(queue, full=full).as_dict()


@aml.command("rescreen")
def aml_rescreen() -> None:
    """Re-screen every monitored verification against the whole lists (completes a monitoring
    run that was cut short; hits already recorded are not reported again)."""
    print_json({"monitoring": _monitor(full=True)})


@aml.command("sources")
def aml_sources() -> None:
    """The lists screened against: date, size, file hash."""
    _run("sources")


@aml.command("screen")
@click.argument("name", nargs=-1, required=True)
@click.option("--dob", help="Date of birth, YYYY[-MM[-DD]]")
@click.option("--nationality", help="ISO 3166 alpha-2")
def aml_screen(name: tuple[str, ...], dob: Optional[str], nationality: Optional[str]) -> None:
    """Screen one person against the loaded lists."""
    _run("screen", name=" ".join(name), dob=dob, nationality=nationality)
