"""Create the analyst marts (schema ``mart``) from ``sql/marts/*.sql`` and refresh what they read.

Each file defines one view named after the file, with a ``COMMENT ON`` for the view and every
column. The marts are not migrations: ``create_marts`` creates any mart that is missing, and drops
and re-creates one whose file changed since it was built (the file's checksum is kept in
``ops.mart_builds``), so editing a mart is a file edit. Marts that read other marts are created
after them (found from ``mart.<name>`` references).

The views read the daily summaries in schema ``summary`` (migration V019). Triggers on core log
every day a write touched (old and new values) in ``ops.mart_touched_days``; ``refresh_marts``
consumes that log and recomputes those days only (``sql/marts/summary/<table>.sql``), in one
transaction, so a refresh after one more day costs one day whatever the history, and readers see
the old figures until it commits.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import psycopg
from psycopg import sql

from agritrace.config import SQL_DIR

MARTS_DIR = SQL_DIR / "marts"
SUMMARY_DIR = MARTS_DIR / "summary"
SCHEMA = "mart"
# Each summary table with the column holding its day; the order does not matter (each reads core only).
SUMMARIES = {
    "batches_daily": "sampling_date",
    "batch_products_daily": "sampling_date",
    "items_daily": "sampling_date",
    "certificates_daily": "issue_date",
    "producer_batches_daily": "sampling_date",
}
ANALYST_ROLE = "agritrace_analyst"
# Any constant works; it only has to be the same for every agritrace process on a server.
_ADVISORY_LOCK = 0x6D617274
_KINDS = {"v": "view", "m": "materialized view"}
_REFERENCE = re.compile(r"\bmart\.([a-z_][a-z0-9_]*)\b")


class MartError(RuntimeError):
    """A mart file is malformed or did not create the relation it is named after."""


@dataclass(frozen=True)
class MartDefinition:
    name: str
    path: Path
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def references(self, known: set[str]) -> set[str]:
        """Other marts this one reads (``mart.<name>`` in its text), excluding itself."""
        return {name for name in _REFERENCE.findall(self.text) if name in known and name != self.name}


def discover(directory: Path = MARTS_DIR) -> list[MartDefinition]:
    """Every mart file, in dependency order (a mart after the marts it reads)."""
    definitions = {
        path.stem: MartDefinition(path.stem, path, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.sql"))
    }
    return dependency_order(list(definitions.values()))


def dependency_order(definitions: list[MartDefinition]) -> list[MartDefinition]:
    """Sort so each mart follows those it references; ties keep name order."""
    by_name = {d.name: d for d in definitions}
    sorter = TopologicalSorter({d.name: d.references(set(by_name)) for d in definitions})
    try:
        sorter.prepare()
    except CycleError as exc:
        raise MartError(f"sql/marts: marts read each other in a cycle {exc.args[1]}; break the cycle") from exc
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(ready)
        sorter.done(*ready)
    return [by_name[name] for name in ordered]


def mart_names(directory: Path = MARTS_DIR) -> list[str]:
    return [d.name for d in discover(directory)]


def create_marts(conn: psycopg.Connection, directory: Path = MARTS_DIR) -> list[str]:
    """Create every missing or changed mart; returns the names created now (empty when up to date).

    Idempotent and safe to run from two processes at once (they take turns on an advisory lock).
    Every mart is granted to the analyst role, whether created now or earlier.
    """
    created: list[str] = []
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))
        recorded = dict(conn.execute("select mart_name, checksum from ops.mart_builds").fetchall())
        for definition in discover(directory):
            relation = sql.Identifier(SCHEMA, definition.name)
            kind = _kind(conn, definition.name)
            exists = kind is not None
            if exists and recorded.get(definition.name) == definition.checksum:
                _grant_to_analysts(conn, definition.name)
                continue
            if exists:
                # Dependants go too; they are later in the order and are re-created below.
                conn.execute(sql.SQL("drop {} {} cascade").format(sql.SQL(_KINDS[kind]), relation))
            _create(conn, definition)
            _grant_to_analysts(conn, definition.name)
            conn.execute(
                """
                insert into ops.mart_builds (mart_name, checksum) values (%s, %s)
                on conflict (mart_name) do update
                    set checksum = excluded.checksum, created_at = now(),
                        refreshed_at = null, refresh_seconds = null, row_count = null
                """,
                (definition.name, definition.checksum),
            )
            created.append(definition.name)
    return created


def _kind(conn: psycopg.Connection, name: str) -> str | None:
    """'v' for a view, 'm' for a materialized view, None when the mart does not exist."""
    row = conn.execute(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind in ('v', 'm')", (SCHEMA, name)
    ).fetchone()
    return row[0] if row else None


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return _kind(conn, name) is not None


def _grant_to_analysts(conn: psycopg.Connection, name: str) -> None:
    # Only when missing: GRANT rewrites the catalog row, which is not worth doing on every refresh.
    granted = conn.execute(
        "select has_table_privilege(%s, format('%%I.%%I', %s::text, %s::text), 'select')",
        (ANALYST_ROLE, SCHEMA, name),
    ).fetchone()[0]
    if not granted:
        conn.execute(
            sql.SQL("grant select on {} to {}").format(sql.Identifier(SCHEMA, name), sql.Identifier(ANALYST_ROLE))
        )


def _create(conn: psycopg.Connection, definition: MartDefinition) -> None:
    try:
        with conn.transaction():
            conn.execute(definition.text)
    except psycopg.Error as exc:
        raise MartError(f"{definition.path.name}: creating mart.{definition.name} failed: {exc}") from exc
    if not _exists(conn, definition.name):
        raise MartError(
            f"{definition.path.name} ran but created no view mart.{definition.name}; "
            f"a mart file must create the view (or materialized view) named after the file"
        )


def refresh_marts(conn: psycopg.Connection, directory: Path = MARTS_DIR) -> dict[str, float]:
    """Bring the marts up to date (creating missing ones first); returns seconds taken per summary.

    Recomputes the summaries of the days logged in ``ops.mart_touched_days`` since the last
    refresh, in one transaction. Days logged by a load still running stay in the log for the next
    refresh. Two refreshes take turns on an advisory lock.
    """
    create_marts(conn, directory)
    timings: dict[str, float] = {}
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK + 1,))
        conn.execute("drop table if exists pg_temp.touched_days")
        conn.execute("""create temp table touched_days on commit drop as
                        with taken as (delete from ops.mart_touched_days returning day)
                        select distinct day from taken""")
        conn.execute("analyze touched_days")
        for table, day_column in SUMMARIES.items():
            started = time.perf_counter()
            conn.execute(sql.SQL("delete from {} where {} in (select day from touched_days)").format(
                sql.Identifier("summary", table), sql.Identifier(day_column)))
            conn.execute((SUMMARY_DIR / f"{table}.sql").read_text(encoding="utf-8"))
            timings[table] = time.perf_counter() - started
        conn.execute("drop table touched_days")
        conn.execute(
            "update ops.mart_builds set refreshed_at = now(), refresh_seconds = %s where mart_name = any(%s)",
            (round(sum(timings.values()), 3), mart_names(directory)))
    # A mart still written as a materialized view is recomputed whole (CONCURRENTLY once populated:
    # readers are not blocked); the views need nothing more.
    for definition in discover(directory):
        if _kind(conn, definition.name) != "m":
            continue
        started = time.perf_counter()
        with conn.transaction():
            populated = conn.execute("select ispopulated from pg_matviews where schemaname = %s and matviewname = %s",
                                     (SCHEMA, definition.name)).fetchone()[0]
            conn.execute(sql.SQL("refresh materialized view {}{}").format(
                sql.SQL("concurrently ") if populated else sql.SQL(""), sql.Identifier(SCHEMA, definition.name)))
            conn.execute("update ops.mart_builds set refreshed_at = now(), refresh_seconds = %s where mart_name = %s",
                         (round(time.perf_counter() - started, 3), definition.name))
        timings[definition.name] = time.perf_counter() - started
    return timings


def rebuild_summaries(conn: psycopg.Connection, directory: Path = MARTS_DIR) -> dict[str, float]:
    """Recompute every summary from all of core: after a restore, or to check the incremental ones."""
    with conn.transaction():
        conn.execute("""insert into ops.mart_touched_days (day)
                        select sampling_date from core.sampling_batches
                        union select issue_date from core.certificates
                        union select sampling_date from summary.batches_daily
                        union select issue_date from summary.certificates_daily""")
    return refresh_marts(conn, directory)


def data_as_of(conn: psycopg.Connection, directory: Path = MARTS_DIR) -> datetime | None:
    """When the marts were last refreshed: the oldest last refresh among them, so every figure read
    from the marts is at least this fresh. None when any mart has not been refreshed since it was built."""
    names = mart_names(directory)
    row = conn.execute(
        "select count(refreshed_at), min(refreshed_at) from ops.mart_builds where mart_name = any(%s)", (names,)
    ).fetchone()
    return row[1] if row and row[0] == len(names) and names else None


def mart_counts(conn: psycopg.Connection, directory: Path = MARTS_DIR) -> dict[str, int]:
    """Rows in each mart (0 for a mart not created yet)."""
    counts: dict[str, int] = {}
    for definition in discover(directory):
        if not _exists(conn, definition.name):
            counts[definition.name] = 0
            continue
        query = sql.SQL("select count(*) from {}").format(sql.Identifier(SCHEMA, definition.name))
        counts[definition.name] = conn.execute(query).fetchone()[0]
    return counts
