"""Migrations: databases created by every released form of revision 0001 reach the models'
schema, and the start-up schema check refuses a database that does not match."""

from __future__ import annotations

import base64
import importlib.util
import os
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations

from openidv.config import Settings
from openidv.store.db import (
    SchemaMismatch,
    alembic_config,
    check_schema_matches_models,
    make_engine,
    migrate,
    schema_differences,
)

LEGACY = Path(__file__).parent / "legacy_schemas"
# The first released form of 0001, then the two later edits of it.
LEGACY_FORMS = ["fdd0ac9", "e302501", "dd5c500"]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings pointing at an empty database (a scratch PostgreSQL database is dropped after)."""
    key = base64.b64encode(os.urandom(32)).decode()
    if request.param == "sqlite":
        yield Settings(home=tmp_path, encryption_key=key)
        return
    from tests.support.service import create_postgres_database, drop_postgres_database

    try:
        url = create_postgres_database("openidv_migration_")
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        raise
    yield Settings(home=tmp_path, database_url=url, encryption_key=key)
    drop_postgres_database(url)


def create_legacy_database(settings: Settings, form: str) -> None:
    """Run an old form of 0001 (kept verbatim under legacy_schemas/) and stamp it "0001",
    exactly as a database created by that release looks."""
    spec = importlib.util.spec_from_file_location(f"legacy_0001_{form}", LEGACY / f"initial_schema_{form}.py")
    module = importlib.util.module_from_spec(spec)
    engine = sa.create_engine(settings.resolved_database_url)
    with engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            spec.loader.exec_module(module)
            module.upgrade()
    engine.dispose()
    command.stamp(alembic_config(settings), "0001")


def _insert_old_rows(engine: sa.Engine) -> None:
    """A partner and a verification with only the columns the first release had."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO partners (id, name, api_key, api_secret_hash, webhook_secret_encrypted, "
            "review_policy, photo_validation, created_at) VALUES (1, 'old', 'k1', 'h', :blob, "
            "'automatic', true, '2026-11-25 23:00:00')"), {"blob": b"\x00"})
        conn.execute(sa.text(
            "INSERT INTO verifications (id, scan_ref, partner_id, client_id, auth_token_hash, "
            "token_type, token_used, token_expires_at, token_request, status, attempt_count, "
            "processing_runs, fraud_tags, mismatch_tags, suspicion_reasons, document_data, "
            "manual_data, decision_reasons, version, created_at) VALUES (1, 'scan-1', 1, 'c1', "
            "'hash1', 'IDENTIFICATION', false, '2026-11-26 00:00:00', '{}', 'ACTIVE', 1, 0, '[]', "
            "'[]', '[]', '{}', '{}', '[]', 0, '2026-11-25 23:00:00')"))


@pytest.mark.parametrize("form", LEGACY_FORMS)
def test_legacy_database_migrates_to_the_models_schema(empty_settings: Settings, form: str) -> None:
    create_legacy_database(empty_settings, form)
    engine = make_engine(empty_settings)
    _insert_old_rows(engine)
    with pytest.raises(SchemaMismatch, match="partners.retention_images_days missing"):
        check_schema_matches_models(engine)

    migrate(empty_settings)

    assert schema_differences(engine) == []
    assert check_schema_matches_models(engine) == []
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT name, retention_images_days FROM partners")).one()
        assert tuple(row) == ("old", None)
        assert tuple(conn.execute(sa.text("SELECT scan_ref, reviewer_id FROM verifications")).one()) == ("scan-1", None)
    # The added foreign key is enforced (PostgreSQL always; SQLite with the pragma openidv
    # sets on every connection).
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE verifications SET reviewer_id = 999"))
    engine.dispose()


def test_upgrade_from_legacy_is_idempotent(empty_settings: Settings) -> None:
    """0002 on a schema it already completed (or one the current 0001 created) changes nothing."""
    migrate(empty_settings)
    engine = make_engine(empty_settings)
    assert schema_differences(engine) == []
    command.downgrade(alembic_config(empty_settings), "0001")
    migrate(empty_settings)
    assert schema_differences(engine) == []
    engine.dispose()


def test_schema_check_names_what_is_missing(empty_settings: Settings) -> None:
    migrate(empty_settings)
    engine = make_engine(empty_settings)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_audit_verification"))
        conn.execute(sa.text("ALTER TABLE partners DROP COLUMN frame_ancestors"))
    with pytest.raises(SchemaMismatch) as err:
        check_schema_matches_models(engine)
    message = str(err.value)
    assert "column partners.frame_ancestors missing from the database" in message
    assert "index ix_audit_verification on audit_log missing from the database" in message
    assert "openidv migrate" in message
    engine.dispose()


def test_schema_check_tolerates_a_newer_releases_additions(empty_settings: Settings) -> None:
    """Rolling back the code leaves the newer schema in place: extra tables and nullable
    columns are reported, not refused; an extra NOT NULL column without default is refused
    (this version's inserts would fail on it)."""
    migrate(empty_settings)
    engine = make_engine(empty_settings)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE future_things (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("ALTER TABLE partners ADD COLUMN future_note VARCHAR(20)"))
    tolerated = check_schema_matches_models(engine)
    assert "table future_things only in the database" in tolerated
    assert "column partners.future_note only in the database" in tolerated

    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log ADD COLUMN future_required INTEGER NOT NULL DEFAULT 0"))
    check_schema_matches_models(engine)  # has a default: inserts still work
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE audit_log ALTER COLUMN future_required DROP DEFAULT"))
        with pytest.raises(SchemaMismatch, match="audit_log.future_required only in the database"):
            check_schema_matches_models(engine)
    engine.dispose()


def test_schema_check_refuses_a_changed_column_type(empty_settings: Settings) -> None:
    migrate(empty_settings)
    engine = make_engine(empty_settings)
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite cannot change a column's type in place; PostgreSQL covers this")
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE partners ALTER COLUMN name TYPE VARCHAR(20)"))
    with pytest.raises(SchemaMismatch, match=r"column partners.name: type is VARCHAR\(20\) in the database, VARCHAR\(200\) in the models"):
        check_schema_matches_models(engine)
    engine.dispose()


def test_an_older_version_starts_on_a_newer_releases_schema(empty_settings: Settings) -> None:
    """Rollback of the code: the database is at a migration this version does not know and
    has an additive change; migrate() leaves it alone and the schema check lets it run."""
    migrate(empty_settings)
    engine = make_engine(empty_settings)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE verifications ADD COLUMN future_score FLOAT"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    migrate(empty_settings)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0099_future"
    assert check_schema_matches_models(engine) == ["column verifications.future_score only in the database"]
    engine.dispose()
