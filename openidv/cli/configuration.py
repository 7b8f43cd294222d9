"""``openidv config``: checking the settings."""

from __future__ import annotations

import click

from openidv.cli.base import main


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
