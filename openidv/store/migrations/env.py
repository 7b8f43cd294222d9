"""Alembic environment: the URL comes from openidv's settings (see openidv.store.db)."""

from alembic import context
from sqlalchemy import create_engine, pool

from openidv.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several processes (API, workers) migrate at start: one at a time.
            connection.exec_driver_sql("SELECT pg_advisory_lock(742617000027)")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_unlock(742617000027)")
            connection.commit()
    engine.dispose()


run_migrations_online()
