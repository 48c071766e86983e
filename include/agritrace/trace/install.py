"""Install the trace functions from ``sql/trace/*.sql`` into the warehouse.

Why not migrations: a migration is frozen by its checksum, so every change to a lookup would need
a new migration repeating the whole function. The functions are instead re-created from their one
readable file after the migrations have run (``agritrace.migrate`` creates the tables they read,
``V005__trace.sql`` the audit table and indexes). Installing is idempotent and atomic: in one
transaction every function in schema ``trace`` is dropped and the files are applied in name order,
so a renamed or removed function does not linger, and a failing file leaves the previous set.

Privileges: only ``agritrace_regulator`` may execute the entry points (``lookup``, ``search``,
``product_events``); the helpers run with their caller's rights and are executable by nobody else.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from agritrace.config import SQL_DIR

TRACE_SQL_DIR = SQL_DIR / "trace"
REGULATOR_ROLE = "agritrace_regulator"
# Entry points a regulator may call; everything else in schema trace is an internal helper.
ENTRY_POINTS = (
    "trace.lookup(text, date, date, integer, text, text, boolean, text)",
    "trace.search(text, text, text, integer)",
    "trace.product_events(text, date, date, text, text)",
)

# One statement (``%s`` is the function's signature) run on every function of schema trace.
_FOR_EACH_TRACE_FUNCTION = """
do $$
declare
    fn regprocedure;
begin
    for fn in
        select p.oid::regprocedure
        from pg_proc as p
        join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname = 'trace' and p.prokind = 'f'
    loop
        execute format('{statement}', fn);
    end loop;
end
$$;
"""
_DROP_ALL = _FOR_EACH_TRACE_FUNCTION.format(statement="drop function %s")
_LOCK_OUT_PUBLIC = _FOR_EACH_TRACE_FUNCTION.format(statement="revoke all on function %s from public, agritrace_regulator")


def trace_sql_files(directory: Path = TRACE_SQL_DIR) -> list[Path]:
    """The function files in the order they are applied (helpers before the functions using them)."""
    return sorted(directory.glob("*.sql"))


def install_trace_functions(conn: psycopg.Connection, directory: Path = TRACE_SQL_DIR) -> list[str]:
    """(Re)create every trace function from ``directory`` in one transaction; returns the file names.

    Run after ``apply_migrations`` (it needs V005's ``ops.trace_audit``) by the role that owns the
    warehouse: the functions are SECURITY DEFINER and read core with their owner's rights.
    """
    applied = []
    with conn.transaction():
        conn.execute(_DROP_ALL)
        for path in trace_sql_files(directory):
            try:
                conn.execute(path.read_text(encoding="utf-8"))
            except psycopg.Error as exc:
                raise RuntimeError(
                    f"{path.name}: installing the trace functions failed: {exc}. Fix the SQL in that "
                    f"file; the previous trace functions are still in place."
                ) from exc
            applied.append(path.name)
        conn.execute(_LOCK_OUT_PUBLIC)
        for signature in ENTRY_POINTS:
            conn.execute(f"grant execute on function {signature} to {REGULATOR_ROLE}")
    return applied


def install(url: str | None = None) -> list[str]:
    """Install into the warehouse at ``url`` (default: the configured warehouse)."""
    from agritrace import db

    with db.connect(url) as conn:
        return install_trace_functions(conn)
