"""Shared fixtures: a real Postgres for every integration test, each test in a fresh database.

The server is the embedded one (``.agritrace/pgdata``) unless ``AGRITRACE_TEST_DATABASE_URL``
names another. Migrations are applied once into a template database keyed by their checksums;
each test then gets ``create database … template …``, which takes milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from agritrace.airflow_local import connection_json
from agritrace.config import WAREHOUSE_CONN_ID
from psycopg import sql

os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
# Test files are complete when written; the settle time has tests of its own.
os.environ.setdefault("AGRITRACE_SETTLE_SECONDS", "0")


def pytest_configure(config: pytest.Config) -> None:
    """Airflow reads its configuration once, on import: point it at the test server before any test runs.

    Its metadata lives in a database of its own (``airflow_test``) on the test server; the
    warehouse connection ``agritrace_warehouse`` is set per test by the ``warehouse`` fixture.
    """
    from agritrace import db
    from agritrace.airflow_local import airflow_env

    home = Path(config.rootpath) / ".agritrace" / "test-airflow"
    os.environ["AGRITRACE_HOME"] = str(home)
    server = _server_url()
    # Parallel workers (pytest-xdist) share the server and the warehouse template, but each runs its
    # DAGs against a metadata database and Airflow home of its own: two workers testing the same DAG
    # would otherwise claim the same runs.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    metadata = db.with_database(server, f"airflow_test_{worker}" if worker else "airflow_test")
    db.ensure_database(metadata)
    env = airflow_env(metadata_url=metadata, warehouse=db.with_database(server, "postgres"))
    if worker:
        env["AIRFLOW_HOME"] = str(Path(env["AIRFLOW_HOME"]) / worker)
        Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)


@pytest.fixture(scope="session")
def airflow_metadata() -> None:
    """Airflow's metadata database migrated: DAG runs and Airflow's own login checks (revoked tokens)
    need its tables. Each test worker has its own database, so every test that needs it asks."""
    import subprocess

    from agritrace.airflow_local import airflow_bin

    subprocess.run([airflow_bin(), "db", "migrate"], check=True, capture_output=True, env=os.environ.copy())

def _server_url() -> str:
    from agritrace import db

    configured = os.environ.get("AGRITRACE_TEST_DATABASE_URL")
    if configured:
        return db.with_database(configured, "postgres")
    os.environ.pop("AGRITRACE_DATABASE_URL", None)
    return db.server_url()


def _template_name() -> str:
    from agritrace.migrate import discover

    digest = hashlib.sha256()
    for migration in discover():
        digest.update(migration.path.name.encode())
        digest.update(migration.checksum.encode())
    return f"agritrace_tpl_{digest.hexdigest()[:12]}"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return _server_url()


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> str:
    from agritrace import db
    from agritrace.migrate import apply_migrations

    name = _template_name()
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        # Test runs in parallel processes share the template; build it once.
        conn.execute("select pg_advisory_lock(4242)")
        try:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
            if not exists:
                building = f"{name}_building"
                conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(building)))
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(building)))
                apply_migrations(db.with_database(pg_server_url, building))
                conn.execute(
                    sql.SQL("alter database {} rename to {}").format(sql.Identifier(building), sql.Identifier(name))
                )
        finally:
            conn.execute("select pg_advisory_unlock(4242)")
    return name


@pytest.fixture
def fresh_database_url(pg_server_url: str) -> Iterator[str]:
    """An empty database (no migrations) on the test server, dropped afterwards."""
    from agritrace import db

    name = f"agritrace_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield db.with_database(pg_server_url, name)
    _drop(pg_server_url, name)


@pytest.fixture
def warehouse(pg_server_url: str, template_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated warehouse in its own database; AGRITRACE_DATABASE_URL points at it."""
    from agritrace import db

    name = f"agritrace_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template_database))
        )
    url = db.with_database(pg_server_url, name)
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", url)
    monkeypatch.setenv(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}", connection_json(url))
    yield url
    _drop(pg_server_url, name)


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty landing folder with one sub-folder per feed; AGRITRACE_LANDING_DIR points at it."""
    from agritrace.contracts import FEEDS

    root = tmp_path / "landing"
    for name in FEEDS:
        (root / name).mkdir(parents=True)
    monkeypatch.setenv("AGRITRACE_LANDING_DIR", str(root))
    return root
