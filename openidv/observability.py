"""Process set-up for observability: structured JSON logs and the shared metrics directory.

Several processes (API processes, `openidv worker`s) share one metrics directory in
prometheus-client's multiprocess mode, so one scrape of /metrics sees every process's
counters on that machine. The directory must be chosen before prometheus_client is
imported (openidv.metrics), hence this module does not import it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from openidv.config import get_settings
from openidv.datadir import private_directory


def configure_metrics_dir() -> None:
    """Point prometheus-client at $OPENIDV_HOME/metrics (unless the operator chose a directory),
    and remove the files of processes that have ended (their counters would otherwise be
    summed into every scrape, and a restart would start from stale values)."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        path = private_directory(Path(get_settings().home) / "metrics")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    remove_files_of_ended_processes(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))


_METRICS_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")


def remove_files_of_ended_processes(folder: Path) -> int:
    """Unlink prometheus-client's per-process files whose process no longer runs."""
    removed = 0
    for path in folder.glob("*.db"):
        match = _METRICS_FILE.match(path.name)
        if match and not _process_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def setup_logging(level: str | None = None) -> None:
    """One JSON object per line on stderr (OPENIDV_LOG_FORMAT=text for plain lines)."""
    settings = get_settings()
    level = level or settings.log_level
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every webhook URL at INFO; partner URLs may carry tokens in their query.
    logging.getLogger("httpx").setLevel(logging.WARNING)
