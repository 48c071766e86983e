import psycopg
import pytest
from agritrace.migrate import MigrationError, apply_migrations, discover


def _write(directory, name, text):
    (directory / name).write_text(text, encoding="utf-8")


def test_shipped_migrations_apply_and_create_every_schema(fresh_database_url):
    applied = apply_migrations(fresh_database_url)
    assert [m.version for m in applied] == [m.version for m in discover()]
    with psycopg.connect(fresh_database_url) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        roles = {r[0] for r in conn.execute("select rolname from pg_roles where rolname like 'agritrace_%'")}
    assert {"ref", "staging", "core", "quarantine", "mart", "trace", "ops", "dq"} <= schemas
    assert {"agritrace_analyst", "agritrace_regulator", "agritrace_operator"} <= roles


def test_migrations_apply_in_version_order_not_name_order(fresh_database_url, tmp_path):
    _write(tmp_path, "V10__second.sql", "insert into public.seen values ('ten');")
    _write(tmp_path, "V2__first.sql", "create table public.seen (what text);")
    applied = apply_migrations(fresh_database_url, tmp_path)
    assert [m.version for m in applied] == [2, 10]


def test_rerun_is_a_no_op(fresh_database_url, tmp_path):
    _write(tmp_path, "V1__table.sql", "create table public.once (id int);")
    assert len(apply_migrations(fresh_database_url, tmp_path)) == 1
    assert apply_migrations(fresh_database_url, tmp_path) == []


def test_edited_applied_migration_is_a_clear_error(fresh_database_url, tmp_path):
    _write(tmp_path, "V1__table.sql", "create table public.once (id int);")
    apply_migrations(fresh_database_url, tmp_path)
    _write(tmp_path, "V1__table.sql", "create table public.once (id bigint);")
    with pytest.raises(MigrationError, match=r"V1__table\.sql was edited after it was applied"):
        apply_migrations(fresh_database_url, tmp_path)


def test_failed_migration_leaves_nothing_half_applied(fresh_database_url, tmp_path):
    _write(tmp_path, "V1__ok.sql", "create table public.ok (id int);")
    _write(tmp_path, "V2__broken.sql", "create table public.half (id int); select no_such_function();")
    with pytest.raises(MigrationError, match="V2__broken.sql failed"):
        apply_migrations(fresh_database_url, tmp_path)
    with psycopg.connect(fresh_database_url) as conn:
        versions = [r[0] for r in conn.execute("select version from ops.schema_migrations")]
        half = conn.execute("select to_regclass('public.half')").fetchone()[0]
    assert versions == [1]
    assert half is None


def test_badly_named_migration_is_refused(tmp_path):
    _write(tmp_path, "001_init.sql", "select 1;")
    with pytest.raises(MigrationError, match="must be named V<number>__<what>.sql"):
        discover(tmp_path)
