"""The `openidv` command line. Each command is a thin shell around the package; the commands
are grouped by subject in this package's modules, which add themselves to ``main``."""

from openidv.cli import aml, configuration, data, partners, reviewers, server, tools  # noqa: F401 - each adds its commands to main
from openidv.cli.base import main

__all__ = ["main"]
