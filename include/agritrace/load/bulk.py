"""Bulk mode: a write into core that is large for its table runs with the table's secondary indexes
dropped, and rebuilds them afterwards, in the load's own transaction.

Postgres keeps every index of a table current row by row; building an index once over the finished
table (a sort) is far cheaper than inserting each new row into it, as long as the rows written are
many compared with the rows already there, because the rebuild reads the whole table again. So a
write goes to bulk mode only when it stages at least ``AGRITRACE_BULK_LOAD_ROWS`` rows *and* at least
``config.BULK_TABLE_SHARE`` of the rows the table holds (docs/scaling.md has the measurements behind both).

What stays: the primary key, every unique index and every index behind a constraint (ON CONFLICT
and the foreign keys need them), and any index whose state its definition does not carry (a comment,
CLUSTER's mark, a replica identity). The history table keeps its index: a backfill of new keys writes
no history, and a rebuild would read all of it for nothing.

The trade-off: DROP INDEX takes an ACCESS EXCLUSIVE lock on the table, held until the load commits,
so readers of that table (trace lookups, marts) wait for a bulk load instead of reading the previous
version. That is acceptable for a backfill, which is why the rule asks for a write that is large
both absolutely and relative to the table, and why the outcome says that a file loaded in bulk mode.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from psycopg import sql

from agritrace import config

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class BulkWrite:
    """What bulk mode did for one write: the indexes it rebuilt and how long the rebuild took."""

    table: str
    indexes: tuple[str, ...]
    rebuild_seconds: float

    @property
    def summary(self) -> str:
        return (f"loaded in bulk mode: {len(self.indexes)} secondary index(es) of {self.table} dropped and "
                f"rebuilt ({self.rebuild_seconds:.1f} s); readers of the table waited for this load")


def table_rows(conn: psycopg.Connection, table: str) -> int:
    """The rows ``table`` holds, as the statistics estimate them (a count would read the whole table):
    the larger of the planner's figure and the live rows the statistics collector has seen."""
    return int(conn.execute(
        """select greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)
             from pg_class c left join pg_stat_all_tables s on s.relid = c.oid
            where c.oid = %s::regclass""", (table,)).fetchone()[0])


def wants_bulk(staged: int, current: int) -> bool:
    return staged >= config.settings().bulk_load_rows and staged >= config.BULK_TABLE_SHARE * current


def secondary_indexes(conn: psycopg.Connection, table: str) -> list[tuple[str, str, str]]:
    """The indexes of ``table`` bulk mode may drop: schema, name and the statement that creates it again
    (``pg_get_indexdef``: columns, expressions, predicate, method and storage parameters)."""
    return [tuple(row) for row in conn.execute(
        """select n.nspname, c.relname, pg_get_indexdef(i.indexrelid)
             from pg_index i
             join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
            where i.indrelid = %s::regclass
              and not (i.indisprimary or i.indisunique or i.indisexclusion or i.indisclustered or i.indisreplident)
              and not exists (select from pg_constraint c where c.conindid = i.indexrelid)
              and obj_description(i.indexrelid, 'pg_class') is null
            order by c.relname""", (table,)).fetchall()]


def write_maybe_in_bulk(conn: psycopg.Connection, table: str, staging: sql.Identifier,
                        write: Callable[[], T]) -> tuple[T, BulkWrite | None]:
    """Run ``write`` (which writes ``staging`` into ``table``), in bulk mode if the rule says so.

    Everything happens in one transaction (a savepoint inside the caller's): if the write or a
    rebuild fails, the drops roll back with it: no reader ever finds the table without an index.
    """
    staged = conn.execute(sql.SQL("select count(*) from {}").format(staging)).fetchone()[0]
    if not wants_bulk(staged, table_rows(conn, table)):
        return write(), None
    indexes = secondary_indexes(conn, table)
    if not indexes:
        return write(), None
    # Said before the drop: a reader waiting on the table's lock finds why in the log at once.
    log.info("%s: %s rows staged, bulk mode: %d secondary index(es) dropped until the load commits",
             table, f"{staged:,}", len(indexes))
    with conn.transaction():
        for schema, name, _ in indexes:
            conn.execute(sql.SQL("drop index {}").format(sql.Identifier(schema, name)))
        result = write()
        started = time.perf_counter()
        for _, _, definition in indexes:
            conn.execute(sql.SQL(definition))
        bulk = BulkWrite(table, tuple(name for _, name, _ in indexes), time.perf_counter() - started)
    log.info("%s: %s", table, bulk.summary)
    return result, bulk
