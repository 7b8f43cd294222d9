"""The Huey instance: SQLite-backed in the embedded mode, Redis when OPENIDV_QUEUE_URL says so."""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from openidv.config import Settings, get_settings


def make_huey(settings: Settings) -> Huey:
    url = settings.queue_url
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(settings.queue_name, url=url, results=False, utc=True)
    if url and not url.startswith("sqlite"):
        raise ValueError(f"OPENIDV_QUEUE_URL={url!r}: use redis://… or leave unset for SQLite")
    path = url.removeprefix("sqlite:///") if url else str(settings.home / "queue.db")
    settings.home.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=path, results=False, utc=True)


huey = make_huey(get_settings())


class EmbeddedConsumer(Consumer):
    """A consumer that runs inside `openidv serve`: uvicorn owns the process signals."""

    def _set_signal_handlers(self) -> None:
        pass
