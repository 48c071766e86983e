"""The analyst login BI tools use: over TCP on localhost, with a password, the marts and nothing else.

It starts an embedded Postgres of its own (the shared test server was started before any test and
is not restarted for one), exactly as ``agritrace db up`` would: listening on its socket and on
127.0.0.1. Then ``agritrace db url --role analyst`` gives the URL, and every relation of every
agritrace schema is tried through it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from agritrace import db
from agritrace.cli import app
from agritrace.logins import ANALYST_LOGIN
from psycopg import sql
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

pytestmark = pytest.mark.slow

PASSWORD = "bi-tool-secret-5f2c"
# Schemas whose relations hold personal data, the pipeline's own records, or rows that failed.
REFUSED_SCHEMAS = ("core", "ops", "quarantine", "dq", "staging", "trace")


@pytest.fixture(scope="module")
def own_server():
    # Not under pytest's temporary root: that is private to the user running the tests (and other test
    # sessions reset it so), while the server runs as a system user of its own when the tests run as root.
    home = Path(tempfile.mkdtemp(prefix="agritrace-analyst-"))
    home.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGRITRACE_HOME", str(home))
        patch.delenv("AGRITRACE_DATABASE_URL", raising=False)
        patch.setenv("AGRITRACE_ANALYST_PASSWORD", PASSWORD)
        try:
            from agritrace.marts.refresh import create_marts, refresh_marts
            from agritrace.migrate import apply_migrations

            owner = db.warehouse_url()
            apply_migrations(owner)
            with psycopg.connect(owner, autocommit=True) as conn:
                create_marts(conn)
                refresh_marts(conn)
            result = CliRunner().invoke(app, ["db", "url", "--role", "analyst"])
            assert result.exit_code == 0, result.output
            yield owner, result.output.strip()
        finally:
            db.stop_embedded()
            shutil.rmtree(home, ignore_errors=True)


def _relations(owner: str, schemas: tuple[str, ...], kinds: str = "rvmp") -> list[tuple[str, str]]:
    with psycopg.connect(owner) as conn:
        return conn.execute(
            """select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = any(%s) and c.relkind = any(%s) order by 1, 2""",
            (list(schemas), list(kinds))).fetchall()


def _first_column(owner: str, schema: str, name: str) -> str:
    with psycopg.connect(owner) as conn:
        return conn.execute("select attname from pg_attribute where attrelid = %s::regclass and attnum = 1",
                            (f"{schema}.{name}",)).fetchone()[0]


def test_url_is_a_password_login_over_tcp_on_localhost(own_server):
    owner, url = own_server
    parsed = make_url(url)
    assert (parsed.username, parsed.password, parsed.host) == (ANALYST_LOGIN, PASSWORD, "127.0.0.1")
    assert parsed.port == make_url(owner).port and parsed.database == make_url(owner).database
    # The superuser has no password, so TCP refuses it; only the socket lets the pipeline in.
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(parsed.set(username="postgres", password=None).render_as_string(hide_password=False),
                        connect_timeout=10)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(parsed.set(password="guess").render_as_string(hide_password=False), connect_timeout=10)


def test_analyst_reads_every_mart_and_nothing_with_personal_or_pipeline_data(own_server):
    owner, url = own_server
    marts = _relations(owner, ("mart",))
    refused = _relations(owner, REFUSED_SCHEMAS)
    assert len(marts) >= 5 and len(refused) >= 10
    assert ("quarantine", "rows") in refused and ("core", "producers") in refused and ("ops", "files") in refused
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        assert conn.execute("select current_user").fetchone()[0] == ANALYST_LOGIN
        for schema, name in marts:
            conn.execute(sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, name))).fetchall()
        for schema, name in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("select * from {} limit 1").format(sql.Identifier(schema, name)))


def test_analyst_writes_nothing(own_server):
    owner, url = own_server
    # A table the analyst may read (a mart may be a view that could not be written anyway).
    schema, name = _relations(owner, ("ref",), kinds="r")[0]
    target = sql.Identifier(schema, name)
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        for statement in (sql.SQL("delete from {}").format(target),
                          sql.SQL("update {} set {} = null").format(target, sql.Identifier(_first_column(owner, schema, name))),
                          sql.SQL("create table mart.bi_scratch (x int)"),
                          sql.SQL("create temp table scratch (x int)")):
            with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
                conn.execute(statement)
        # Even a session that asks for read-write has no privilege to write.
        conn.execute("set session characteristics as transaction read write")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("delete from {}").format(target))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table mart.bi_scratch (x int)")
