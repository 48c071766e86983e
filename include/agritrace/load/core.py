"""Writing staged rows into core, and what core computes from them afterwards.

Every write from staging (a file's load, a replay, an orphan retry, a release) comes through
``write_core``, so the order of versions and the derived columns cannot differ between paths.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.load.copy import upsert_from_staging
from agritrace.reference import ReferenceData, judge_batch


def write_core(conn: psycopg.Connection, feed: Feed, staging: sql.Identifier, columns: list[str]) -> None:
    upsert_from_staging(conn, feed.core_table, staging, columns, list(feed.core_key))


def fill_batch_regions(conn: psycopg.Connection, staging: sql.Identifier, reference: ReferenceData) -> None:
    """A batch sampled without a region code takes its producer's county."""
    conn.execute(sql.SQL(
        """update core.sampling_batches b set region_code = p.region_code
             from core.producers p
            where b.batch_no in (select batch_no from {staging})
              and b.region_code is null and b.producer_id = p.producer_id""").format(staging=staging))


def update_batch_verdicts(conn: psycopg.Connection, staging: sql.Identifier, reference: ReferenceData) -> None:
    """Re-judge every batch the staged results belong to, over all of its items in core."""
    # A server-side cursor in batch order: one batch's items in memory at a time, not the whole file's.
    verdicts: list[tuple[str, str | None]] = []
    with conn.cursor(name="batch_items") as cur:
        cur.itersize = 20_000
        cur.execute(sql.SQL(
            """select r.batch_no, r.analyte_code, r.test_kind, r.verdict
                 from core.inspection_results r
                where r.batch_no in (select batch_no from {staging})
                order by r.batch_no""").format(staging=staging))
        for batch_no, rows in itertools.groupby(cur, key=lambda row: row[0]):
            items = [SimpleNamespace(analyte_code=a, test_kind=t, verdict=v) for _, a, t, v in rows]
            verdicts.append((batch_no, judge_batch(items, ref=reference)))
    if not verdicts:
        return
    # One UPDATE joined to a COPYed table: a file touches tens of thousands of batches, and an UPDATE
    # per batch costs a round trip each.
    conn.execute("drop table if exists pg_temp.batch_verdicts")
    conn.execute("create temp table batch_verdicts (batch_no text, batch_verdict text) on commit drop")
    with conn.cursor() as cur, cur.copy("copy batch_verdicts (batch_no, batch_verdict) from stdin") as copy:
        for row in verdicts:
            copy.write_row(row)
    conn.execute("""update core.sampling_batches b set batch_verdict = v.batch_verdict
                      from batch_verdicts v where b.batch_no = v.batch_no""")
    conn.execute("drop table batch_verdicts")
