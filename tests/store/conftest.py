"""Database fixtures for in-process store tests: SQLite and the real PostgreSQL."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from openidv.config import Settings
from openidv.store.db import make_engine, migrate
from openidv.store.files import make_file_store


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    key = base64.b64encode(os.urandom(32)).decode()
    if request.param == "sqlite":
        s = Settings(home=tmp_path, encryption_key=key)
        migrate(s)
        yield s
        return
    from tests.support.service import create_postgres_database, drop_postgres_database

    try:
        url = create_postgres_database()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        raise
    s = Settings(home=tmp_path, database_url=url, encryption_key=key)
    migrate(s)
    yield s
    drop_postgres_database(url)


@pytest.fixture()
def sessions(settings: Settings) -> sessionmaker[Session]:
    engine = make_engine(settings)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture()
def files(settings: Settings):  # noqa: ANN201
    return make_file_store(settings)
