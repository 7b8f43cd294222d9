"""Database engine and sessions, and applying migrations (Alembic) at start-up."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from openidv.config import Settings, get_settings
from openidv.datadir import private_directory, private_file


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        prepare_sqlite_file(settings)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            # WAL lets readers work while the worker writes; busy_timeout waits for the lock
            # instead of failing under concurrent /process calls.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Erased personal data must not stay readable in freed pages of the file.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@functools.lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings())


@functools.lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: committed when the block ends, rolled back on any exception."""
    session = _session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(settings: Settings | None = None) -> AlembicConfig:
    settings = settings or get_settings()
    cfg = AlembicConfig()
    cfg.set_main_option(
        "script_location", str(resources.files("openidv.store") / "migrations")
    )
    cfg.set_main_option("sqlalchemy.url", settings.resolved_database_url.replace("%", "%%"))
    return cfg


def prepare_sqlite_file(settings: Settings) -> None:
    """The data directory 0700 and a new database file 0600, before SQLite creates either
    with the process's umask (its -wal and -shm files take the database file's mode)."""
    private_directory(settings.home)
    path = settings.resolved_database_url.removeprefix("sqlite:///")
    if path and path != settings.resolved_database_url and ":memory:" not in path:
        private_file(Path(path))


def migrate(settings: Settings | None = None) -> None:
    """Bring the database schema to the newest migration (safe to run concurrently on PostgreSQL)."""
    settings = settings or get_settings()
    if settings.is_sqlite:
        prepare_sqlite_file(settings)
    command.upgrade(alembic_config(settings), "head")


# A checkpoint waits at most this long for readers on older snapshots; if it cannot finish,
# the worker's sweep tries again (store.db.checkpoint_wal).
CHECKPOINT_BUSY_MS = 2000


def checkpoint_wal(engine: Engine) -> bool:
    """SQLite: copy the WAL into the database file and truncate it to zero bytes, so the old
    versions of changed pages (erased personal data) leave the -wal file. True when done
    (always for PostgreSQL, which has no such file of ours)."""
    if engine.dialect.name != "sqlite":
        return True
    global _checkpoint_owed
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
            busy, _, _ = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    _checkpoint_owed = busy != 0
    return busy == 0


_checkpoint_owed = False  # an erasure's checkpoint could not finish: the sweep tries again


def checkpoint_if_owed() -> bool:
    """The sweep's retry of an erasure's checkpoint that readers held up; True when none is owed."""
    return checkpoint_wal(get_engine()) if _checkpoint_owed else True


def finish_erasure_after_commit(session: Session) -> None:
    """After this transaction commits, checkpoint the WAL (SQLite) so erased data leaves it."""
    engine = session.get_bind()
    if isinstance(engine, Engine) and engine.dialect.name == "sqlite" and not session.info.get("_checkpoint"):
        session.info["_checkpoint"] = True

        def checkpoint() -> None:
            session.info.pop("_checkpoint", None)
            checkpoint_wal(engine)

        on_commit(session, checkpoint)
        on_rollback(session, lambda: session.info.pop("_checkpoint", None))


# Side effects outside the database (files on disk) that must follow the transaction's fate.
def on_commit(session: Session, action) -> None:  # noqa: ANN001
    session.info.setdefault("after_commit", []).append(action)


def on_rollback(session: Session, action) -> None:  # noqa: ANN001
    session.info.setdefault("after_rollback", []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop("after_rollback", None)
    for action in session.info.pop("after_commit", []):
        action()


@event.listens_for(Session, "after_rollback")
def _run_after_rollback(session: Session) -> None:
    session.info.pop("after_commit", None)
    for action in session.info.pop("after_rollback", []):
        action()
