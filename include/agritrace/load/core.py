"""Writing staged rows into core, and what core computes from them afterwards.

Every write from staging (a file's load, a replay, an orphan retry, a release) comes through
``write_core``, so the order of versions and the derived columns cannot differ between paths.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.contracts.base import LINEAGE_COLUMNS
from agritrace.load.bulk import BulkWrite, write_maybe_in_bulk
from agritrace.reference import ReferenceData
from agritrace.reference.judge import INCONCLUSIVE


@dataclass(frozen=True)
class WriteCounts:
    written: int   # rows inserted or made current
    replaced: int  # current versions moved to history by a newer delivery
    late: int      # staged versions that went straight to history behind a newer one
    bulk: BulkWrite | None = None  # set when the write ran in bulk mode (``load.bulk``)


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

    A write that is large for its table runs in bulk mode (``load.bulk``): same rows, same
    transaction, the table's secondary indexes rebuilt after it.
    """
    counts, bulk = write_maybe_in_bulk(conn, feed.core_table, staging, lambda: _write_versions(conn, feed, staging))
    return replace(counts, bulk=bulk)


def _write_versions(conn: psycopg.Connection, feed: Feed, staging: sql.Identifier) -> WriteCounts:
    core = sql.Identifier(*feed.core_table.split("."))
    history = history_table(feed)
    key = _listed(feed.core_key)
    values = _value_columns(feed)
    current_cols = [*feed.core_columns, *feed.core_computed, *LINEAGE_COLUMNS]
    staged_cols = [*feed.core_columns, "file_id"]
    parts = {"core": core, "history": history, "staging": staging, "key": key, "joined": _same_key(feed),
             "differs": _values_differ(feed)}
    # Writers of one core table take turns until they commit (readers are not blocked). Which version
    # is current and which goes to history is decided from what core holds: two loads of the same
    # keys deciding at once would each miss the other's uncommitted rows, and one version would be
    # lost (neither current nor history) or the older one moved to history twice.
    conn.execute(sql.SQL("lock table {} in share row exclusive mode").format(core))
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
    """Re-judge every batch the staged results belong to, over all of its items in core.

    One set-based statement, the rule of ``reference.judge_batch`` in SQL (its unit tests state the
    rule; tests/integration/test_batch_verdicts.py checks the two agree): any failed item fails the
    batch; else a rapid-test positive not confirmed by a lab result on the analyte or its class
    (``ref.analytes.class_code``) leaves it unconfirmed; else an inconclusive item makes it
    inconclusive; else it passes. ``reference`` is the same data as ``ref.*``, which the statement reads directly.
    """
    conn.execute(sql.SQL(
        """with items as (
               select r.batch_no, r.analyte_code, r.test_kind, r.verdict, a.class_code
                 from core.inspection_results r
                 left join ref.analytes a on a.code = r.analyte_code
                where r.batch_no in (select batch_no from {staging})
           ),
           confirmed as (
               select batch_no, analyte_code as code from items
                where test_kind = 'lab' and verdict in ('pass', 'fail')
               union
               select batch_no, class_code from items
                where test_kind = 'lab' and verdict in ('pass', 'fail') and class_code is not null
           ),
           verdicts as (
               select i.batch_no,
                      case when bool_or(i.verdict = 'fail') then 'fail'
                           when bool_or(i.verdict = 'positive_unconfirmed' and c.code is null)
                               then 'positive_unconfirmed'
                           when bool_or(i.verdict = {inconclusive}) then {inconclusive}
                           else 'pass' end as batch_verdict
                 from items i
                 left join confirmed c on c.batch_no = i.batch_no and c.code = i.analyte_code
                group by i.batch_no
           )
           update core.sampling_batches b set batch_verdict = v.batch_verdict
             from verdicts v
            where b.batch_no = v.batch_no and b.batch_verdict is distinct from v.batch_verdict""").format(
        staging=staging, inconclusive=sql.Literal(INCONCLUSIVE)))
