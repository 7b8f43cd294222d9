"""The process's collaborators that the use cases are handed: settings, model engines and
the job queue (built once by the app or a command, passed in — never module globals)."""

from __future__ import annotations

from dataclasses import dataclass

from openidv.config import Settings
from openidv.pipeline.engines import Engines
from openidv.services.queue import JobQueue


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engines: Engines
    queue: JobQueue
