"""Database engine and sessions, and applying migrations (Alembic) at start-up."""

from __future__ import annotations

import functools
import logging
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Constraint, ForeignKeyConstraint, Index, Table, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

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
    # A server that does not answer must fail a request within seconds, not hang it.
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=10,
                         connect_args={"connect_timeout": 5})


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


def migrate(settings: Settings | None = None) -> list[str]:
    """Bring the database schema to the newest migration (safe to run concurrently on PostgreSQL).

    A database already at a migration this version does not know (a newer release's, after a
    rollback of the code) is left alone: migrations only add, so check_schema_matches_models
    decides whether this version can run on it. Returns those unknown revisions (empty when
    the database is now at this version's newest)."""
    settings = settings or get_settings()
    if settings.is_sqlite:
        prepare_sqlite_file(settings)
    config = alembic_config(settings)
    unknown = _revisions_unknown_here(config, settings)
    if unknown:
        logging.getLogger("openidv").warning(
            "the database is at migration %s, which this version does not know (a newer "
            "release's): not migrating", ", ".join(unknown))
        return unknown
    command.upgrade(config, "head")
    return []


def migrate_and_check(settings: Settings | None = None) -> None:
    """What serve and worker do at start: migrate, then refuse to run on a schema this version
    cannot use (SchemaMismatch, with the differences in words)."""
    settings = settings or get_settings()
    migrate(settings)
    engine = make_engine(settings)
    try:
        tolerated = check_schema_matches_models(engine)
    finally:
        engine.dispose()
    if tolerated:
        logging.getLogger("openidv").warning("the database has more than this version uses (a newer "
                                             "release's additions)", extra={"differences": tolerated})


def _revisions_unknown_here(config: AlembicConfig, settings: Settings) -> list[str]:
    engine = create_engine(settings.resolved_database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    scripts = ScriptDirectory.from_config(config)
    unknown = []
    for revision in current:
        try:
            scripts.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    return unknown


class SchemaMismatch(RuntimeError):
    """The live database schema lacks or contradicts what this version's models need."""


def _describe_object(obj: Any) -> str:
    if isinstance(obj, ForeignKeyConstraint):
        columns = ", ".join(c.name for c in obj.columns)
        return f"foreign key {obj.table.name}({columns}) -> {obj.referred_table.name}"
    if isinstance(obj, Table):
        return f"table {obj.name}"
    if isinstance(obj, Index):
        return f"index {obj.name} on {obj.table.name}"
    if isinstance(obj, Constraint):
        return f"constraint {obj.name or type(obj).__name__} on {obj.table.name}"
    return str(obj)


def _describe(diff: Any) -> str:
    """One autogenerate difference in words ("add_*": the models have it, the database not)."""
    if isinstance(diff, list):  # column modifications come as a list of one tuple
        kind, _schema, table, column, _kw, db_value, model_value = diff[0]
        what = kind.removeprefix("modify_")
        return f"column {table}.{column}: {what} is {db_value} in the database, {model_value} in the models"
    kind = diff[0]
    where = "missing from the database" if kind.startswith("add_") else "only in the database"
    if kind in ("add_column", "remove_column"):
        return f"column {diff[2]}.{diff[3].name} {where}"
    return f"{_describe_object(diff[-1])} {where}"


def _tolerated(diff: Any) -> bool:
    """What the database may hold beyond the models: a newer release's additive changes (a
    rollback runs older code on a newer schema). An extra NOT NULL column without a default is
    not tolerated: this version's inserts would fail on it."""
    if isinstance(diff, list):
        return False
    kind = diff[0]
    if kind == "remove_column":
        column = diff[3]
        return column.nullable or column.server_default is not None
    return kind.startswith("remove_")


def _compare_with_models(engine: Engine) -> tuple[list[Any], str | None]:
    from openidv.store.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata), context.get_current_revision()


def schema_differences(engine: Engine) -> list[str]:
    """Every difference between the live schema and the models, in words (empty: identical)."""
    return [_describe(d) for d in _compare_with_models(engine)[0]]


def check_schema_matches_models(engine: Engine) -> list[str]:
    """Raise SchemaMismatch when the live schema lacks or contradicts what the models need;
    otherwise return the tolerated differences (worth a warning). For process start, after
    migrating: a database that says "up to date" can still differ (edited by hand, or created
    by a release whose migration was later changed)."""
    diffs, revision = _compare_with_models(engine)
    blocking = [_describe(d) for d in diffs if not _tolerated(d)]
    if blocking:
        raise SchemaMismatch(
            f"the database schema (at migration {revision or 'none'}) does not match this version "
            "of openidv: " + "; ".join(blocking) + ". Run `openidv migrate` with this version "
            "(as the role that owns the tables). If it already says the database is up to date, "
            "the schema was changed outside openidv's migrations: restore it from a backup or "
            "bring it to the models' form by hand."
        )
    return [_describe(d) for d in diffs]


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
