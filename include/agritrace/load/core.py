"""Writing staged rows into core, and what core computes from them afterwards.

Every write from staging (a file's load, a replay, an orphan retry, a release) comes through
``write_core``, so the order of versions and the derived columns cannot differ between paths.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.contracts.base import LINEAGE_COLUMNS
from agritrace.reference import ReferenceData, judge_batch


@dataclass(frozen=True)
class WriteCounts:
    written: int   # rows inserted or made current
    replaced: int  # current versions moved to history by a newer delivery
    late: int      # staged versions that went straight to history behind a newer one


def history_table(feed: Feed) -> sql.Identifier:
    schema, table = feed.core_table.split(".")
    return sql.Identifier(schema, f"{table}_history")


def _listed(columns, alias: str | None = None) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(alias, c) if alias else sql.Identifier(c) for c in columns)


def _value_columns(feed: Feed) -> list[str]:
    return [c for c in feed.core_columns if c not in feed.core_key]


def _same_key(feed: Feed) -> sql.Composed:
    """``c.k = s.k and …``: a core row (``c``) and a staged row (``s``) of the same business key."""
    return sql.SQL(" and ").join(sql.SQL("c.{0} = s.{0}").format(sql.Identifier(k)) for k in feed.core_key)


def _values_differ(feed: Feed) -> sql.Composed:
    """Whether the core row (``c``) and the staged row (``s``) hold other values under their key."""
    values = _value_columns(feed)
    return sql.SQL("({}) is distinct from ({})").format(_listed(values, "c"), _listed(values, "s"))


def write_core(conn: psycopg.Connection, feed: Feed, staging: sql.Identifier) -> WriteCounts:
    """Write staged rows (each with the ``file_id`` that delivered it) as versions of core rows.

    Per key, the latest delivery (highest ``file_id``) is current. A staged version behind the
    current one (an orphan retried late, a held file released late, an earlier file's row in the
    same replay) goes to history as it is; a current version replaced by a newer, different one
    moves to history first. Re-delivering what is already current changes nothing.
    """
    core = sql.Identifier(*feed.core_table.split("."))
    history = history_table(feed)
    key = _listed(feed.core_key)
    values = _value_columns(feed)
    current_cols = [*feed.core_columns, *feed.core_computed, *LINEAGE_COLUMNS]
    staged_cols = [*feed.core_columns, "file_id"]
    parts = {"core": core, "history": history, "staging": staging, "key": key, "joined": _same_key(feed),
             "differs": _values_differ(feed)}
    conn.execute(sql.SQL("drop table if exists pg_temp.latest"))
    # The latest delivery of each staged key; the others are history from the start.
    conn.execute(sql.SQL(
        "create temp table latest on commit drop as "
        "select distinct on ({key}) * from {staging} order by {key}, file_id desc").format(**parts))
    late_in_batch = conn.execute(sql.SQL(
        """insert into {history} ({cols}, loaded_at, superseded_by_file)
           select {s_cols}, now(), l.file_id from {staging} s join latest l using ({key})
            where s.file_id < l.file_id""").format(
        cols=_listed(staged_cols), s_cols=_listed(staged_cols, "s"), **parts)).rowcount
    late = conn.execute(sql.SQL(
        """insert into {history} ({cols}, loaded_at, superseded_by_file)
           select {s_cols}, now(), c.file_id from latest s join {core} c on {joined}
            where c.file_id >= s.file_id and {differs}""").format(
        cols=_listed(staged_cols), s_cols=_listed(staged_cols, "s"), **parts)).rowcount
    replaced = conn.execute(sql.SQL(
        """insert into {history} ({cols}, superseded_by_file)
           select {c_cols}, s.file_id from {core} c join latest s on {joined}
            where s.file_id > c.file_id and {differs}""").format(
        cols=_listed(current_cols), c_cols=_listed(current_cols, "c"), **parts)).rowcount
    written = conn.execute(sql.SQL(
        """insert into {core} ({cols}) select {cols} from latest
           on conflict ({key}) do update set {updates}, file_id = excluded.file_id, loaded_at = now()
            where {core}.file_id < excluded.file_id and ({c_values}) is distinct from ({e_values})""").format(
        cols=_listed(staged_cols), updates=sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in values),
        c_values=sql.SQL(", ").join(sql.SQL("{}.{}").format(core, sql.Identifier(c)) for c in values),
        e_values=_listed(values, "excluded"), **parts)).rowcount
    conn.execute(sql.SQL("drop table latest"))
    return WriteCounts(written=written, replaced=replaced, late=late + late_in_batch)


def take_out_same_delivery_conflicts(conn: psycopg.Connection, feed: Feed, staging: sql.Identifier) -> set[tuple]:
    """Remove from staging the rows whose key is current from the same delivery with other values.

    One file cannot hold two versions of a row, and neither is newer than the other: a replayed row
    that meets its own file's row under the same key is a conflict for an operator, not a version.
    Returns the keys taken out.
    """
    rows = conn.execute(sql.SQL(
        """delete from {staging} s using {core} c
            where {joined} and c.file_id = s.file_id and {differs}
        returning {s_key}""").format(
        staging=staging, core=sql.Identifier(*feed.core_table.split(".")), joined=_same_key(feed),
        differs=_values_differ(feed), s_key=_listed(feed.core_key, "s"))).fetchall()
    return {tuple(row) for row in rows}


def fill_batch_regions(conn: psycopg.Connection, staging: sql.Identifier, reference: ReferenceData) -> None:
    """A batch sampled without a region code takes its producer's county (in staging, so that a
    re-delivery compares like with like)."""
    conn.execute(sql.SQL(
        """update {staging} b set region_code = p.region_code
             from core.producers p
            where b.region_code is null and b.producer_id = p.producer_id""").format(staging=staging))


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
