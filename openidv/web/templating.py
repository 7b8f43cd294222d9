"""The one Jinja2 environment of the web pages (hosted flow and console): autoescaping on,
templates from web/templates, and the filters the pages use."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

WEB_DIR = Path(__file__).resolve().parent


def format_when(value: Optional[dt.datetime]) -> str:
    """A stored time (naive UTC) with its zone spelled out, so nobody reads it as local time."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def format_duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@functools.lru_cache(maxsize=1)
def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(WEB_DIR / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_when
    env.filters["duration"] = format_duration
    return env


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context), status_code=status_code)
