"""deploy/postgresql/openidv-roles.sql: the owner role migrates, the service role runs openidv
and cannot change the schema, and tables added by later migrations reach the service role."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import psycopg
import pytest

from openidv.config import Settings
from openidv.store.db import check_schema_matches_models, make_engine
from tests.conftest import jpeg_bytes
from tests.support.service import OPENIDV, POSTGRES_ADMIN_URL, base_env, start_service

pytestmark = [pytest.mark.slow, pytest.mark.scaleout]
ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgresql" / "openidv-roles.sql"


def psql_binary() -> str:
    found = shutil.which("psql")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql-client"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("psql")
    if found is None:
        pytest.skip("psql is missing and could not be installed (Debian package postgresql-client; needs root)")
    return found


@pytest.fixture()
def roles() -> Iterator[dict[str, str]]:
    """The shipped script run as the administrator, with names unique to this test."""
    suffix = uuid.uuid4().hex[:8]
    names = {"db": f"openidv_roles_{suffix}", "owner": f"openidv_owner_{suffix}", "app": f"openidv_app_{suffix}"}
    restored = f"{names['db']}_restored"
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("OPENIDV_TEST_SKIP_SCALEOUT") == "1":
            pytest.skip(f"PostgreSQL not reachable: {exc}")
        raise
    variables = [arg for name, value in names.items() for arg in ("-v", f"{name}={value}")]
    done = subprocess.run([psql_binary(), POSTGRES_ADMIN_URL, "-X", "-q", "-v", "ON_ERROR_STOP=1", *variables,
                           "-f", str(ROLES_SQL)], capture_output=True, text=True, timeout=60)
    base = POSTGRES_ADMIN_URL.rsplit("@", 1)[1].rsplit("/", 1)[0]
    urls = {role: f"postgresql://{names[role]}@{base}/{names['db']}" for role in ("owner", "app")}
    urls.update(names=names, restored=restored)
    try:
        assert done.returncode == 0, done.stderr
        yield urls
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{names["app"]}"')
            admin.execute(f'DROP ROLE IF EXISTS "{names["owner"]}"')


DATA_KEY = base64.b64encode(os.urandom(32)).decode()


def openidv_cli(database_url: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    # Every process on a shared database needs the same data key.
    env = {**base_env(home), "OPENIDV_DATABASE_URL": database_url, "OPENIDV_ENCRYPTION_KEY": DATA_KEY}
    return subprocess.run([*OPENIDV, *args], env=env, capture_output=True, text=True, timeout=120)


def refused(url: str, statement: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
            conn.execute(statement)
    return str(err.value)


def test_owner_migrates_and_the_service_role_runs_openidv_but_cannot_change_the_schema(roles, tmp_path):
    # The service role cannot create the schema: migrations need the owner.
    first = openidv_cli(roles["app"], tmp_path, "migrate")
    assert first.returncode != 0 and "permission denied for schema public" in first.stderr
    assert openidv_cli(roles["owner"], tmp_path, "migrate").returncode == 0

    engine = make_engine(Settings(home=tmp_path, database_url=roles["app"]))
    check_schema_matches_models(engine)
    engine.dispose()
    refused(roles["app"], "CREATE TABLE intruder (id integer)")
    refused(roles["app"], "DROP TABLE partners")
    refused(roles["app"], "ALTER TABLE verifications ADD COLUMN x integer")

    # The whole service as the service role: API and worker, images stored in PostgreSQL.
    service = start_service("scaleout", tmp_path / "service", database_url=roles["app"])
    try:
        partner = service.create_partner("roles")
        with service.client(partner) as c:
            token = c.post("/api/v2/token", json={"clientId": "c1"}).json()
            image = base64.b64encode(jpeg_bytes()).decode()
            answer = c.post("/api/v2/process", json={"authToken": token["authToken"], "country": "CZ",
                                                      "documentType": "PASSPORT", "skipAnalysis": True,
                                                      "images": {"FRONT": image, "FACE": image}})
            assert answer.status_code == 200, answer.text
            urls = c.post("/api/v2/files", json={"scanRef": token["scanRef"]}).json()
            assert httpx.get(urls["FRONT"]).status_code == 200
        assert service.cli("purge").returncode == 0  # deletes rows: DELETE is granted
    finally:
        service.stop()


def test_tables_of_later_migrations_reach_the_service_role(roles, tmp_path):
    assert openidv_cli(roles["owner"], tmp_path, "migrate").returncode == 0
    with psycopg.connect(roles["owner"], autocommit=True) as owner:
        owner.execute("CREATE TABLE later_things (id serial PRIMARY KEY, note text)")
    with psycopg.connect(roles["app"], autocommit=True) as app:
        app.execute("INSERT INTO later_things (note) VALUES ('x')")
        assert app.execute("SELECT note FROM later_things").fetchall() == [("x",)]


def client_binary(name: str) -> str:
    psql_binary()  # installs postgresql-client when it can
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is missing (Debian package postgresql-client)")
    return found


def test_backup_restores_into_a_fresh_database_the_service_role_can_use(roles, tmp_path):
    """The guide's backup and restore: pg_dump -Fc; a fresh database owned by the owner role;
    pg_restore --no-owner --role=<owner>; the service role then works on the restored data."""
    assert openidv_cli(roles["owner"], tmp_path, "migrate").returncode == 0
    made = openidv_cli(roles["app"], tmp_path, "partner", "create", "before-backup")
    assert made.returncode == 0, made.stderr
    names, dump = roles["names"], tmp_path / "openidv.dump"
    admin_base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    subprocess.run([client_binary("pg_dump"), "-Fc", "-f", str(dump), f"{admin_base}/{names['db']}"],
                   check=True, capture_output=True, timeout=120)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{roles["restored"]}" OWNER "{names["owner"]}" '
                      "ENCODING 'UTF8' TEMPLATE template0")
    restored = subprocess.run([client_binary("pg_restore"), "--no-owner", f"--role={names['owner']}",
                               "--exit-on-error", "-d", f"{admin_base}/{roles['restored']}", str(dump)],
                              capture_output=True, text=True, timeout=120)
    assert restored.returncode == 0, restored.stderr
    app_url = roles["app"].rsplit("/", 1)[0] + "/" + roles["restored"]
    engine = make_engine(Settings(home=tmp_path, database_url=app_url))
    check_schema_matches_models(engine)
    engine.dispose()
    with psycopg.connect(app_url, autocommit=True) as app:
        assert app.execute("SELECT name FROM partners").fetchall() == [("before-backup",)]
    assert openidv_cli(app_url, tmp_path, "partner", "create", "after-restore").returncode == 0
    refused(app_url, "DROP TABLE partners")
    # Later migrations on the restored database still reach the service role.
    owner_url = roles["owner"].rsplit("/", 1)[0] + "/" + roles["restored"]
    with psycopg.connect(owner_url, autocommit=True) as owner:
        owner.execute("CREATE TABLE later_things (id serial PRIMARY KEY)")
    with psycopg.connect(app_url, autocommit=True) as app:
        app.execute("INSERT INTO later_things DEFAULT VALUES")
