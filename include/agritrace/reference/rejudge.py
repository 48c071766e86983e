"""Re-judging inspection results already in core with today's reference (``agritrace ref rejudge``).

When a limit is corrected, verified or widened (a ban extended to more crops), the results already
in core keep the verdicts they were given on arrival. Re-judgement judges them again, with the
reference in ``ref.*`` now, and writes them the way a delivery is written, so history is kept:

- it registers a ledger entry of its own in ``ops.files`` (feed ``inspection_results``, file name
  ``re-judgement <date>``, status ``loaded``, ``rows_in`` = ``rows_loaded`` = the results re-judged).
  Its ``file_id`` places the re-judged versions after every delivery so far;
- the re-judged rows are staged with that ``file_id`` and written by ``write_core`` and the feed's
  ``after_write`` steps (``FEED_STEPS``: the batch verdicts), as every load is. A result whose
  judged values change becomes a new current version and the version it replaces moves to
  ``core.inspection_results_history`` (``superseded_by_file`` = the re-judgement's ``file_id``);
  a result whose values do not change gets no new version (``write_core`` skips it).

Which results: the current laboratory results judged against the reference. Rapid tests are
judged by their fixed 50 % threshold, and a limit written on the row (its mrl column) overrides the
reference, so re-judging either could change nothing; they are left as they are. ``since`` keeps
the results of batches sampled on or after that date.

What is judged again is what arrived: the raw result (``result_raw``), unit, standard named on the
row and supplied verdict, the batch's product, and the LOD. Core keeps the LOD in mg/kg and not
whether the lab reported it or the result's bound ("<0.05") stood in for it; an LOD equal to the
bound is taken as the bound, unless the item was judged inconclusive against a banned substance's
reported LOD (which only a reported LOD gives).

A delivery claimed before the re-judgement and still loading would commit behind it and land in
history; so re-judgement refuses to run while an inspection results file is ``processing``.
The whole run is one transaction: it writes everything or nothing. Marts are not refreshed here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import psycopg
from psycopg import sql

from agritrace.reference.judge import INCONCLUSIVE, ROW_MRL_SOURCE
from agritrace.reference.judge_rows import judge_rows
from agritrace.reference.store import ReferenceData
from agritrace.reference.values import result_bound, to_mg_per_kg_decimal

FEED = "inspection_results"
STAGING = "inspection_results_rejudge"

_CURRENT = """
select r.batch_no, coalesce(b.product_code, b.product_name) as batch_product, r.analyte_code as analyte,
       r.analyte_name, r.result_raw, r.unit, r.lod_mg_kg, r.is_nondetect, r.method, r.standard, r.report_no,
       r.tested_on, r.supplied_verdict, r.jurisdiction, r.limit_kind as previous_kind,
       r.verdict as previous_verdict
  from core.inspection_results r join core.sampling_batches b using (batch_no)
 where r.test_kind = 'lab'
   and (r.limit_source is null or r.limit_source not like %(row_mrl)s)
   and (%(since)s::date is null or b.sampling_date >= %(since)s::date)
 order by r.batch_no, r.analyte_code
"""


class RewriteRefused(RuntimeError):
    """Re-judgement or recoding cannot run now; the message says why and what to do."""


@dataclass
class RejudgeOutcome:
    file_id: int | None
    file_name: str
    examined: int = 0  # results re-judged
    changed: int = 0  # results given a new current version
    kept_in_history: int = 0  # earlier versions moved to core.inspection_results_history
    not_judged: list[tuple[str, str, str]] = field(default_factory=list)  # (batch, analyte, why)
    verdicts_changed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (batch, analyte, old, new)
    batches_changed: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        if not self.examined:
            return "no laboratory results to re-judge"
        head = (f"would re-judge {self.examined:,} laboratory results (dry run, nothing written)" if self.dry_run
                else f"re-judged {self.examined:,} laboratory results as file {self.file_id} ({self.file_name})")
        lines = [head + f": {self.changed:,} changed (each a new current version), {self.kept_in_history:,} "
                 f"earlier version(s) {'would be ' if self.dry_run else ''}kept in core.inspection_results_history"]
        if self.verdicts_changed:
            lines.append(f"verdicts changed ({len(self.verdicts_changed)}):")
            lines += [f"  {b} {a}: {old} -> {new}" for b, a, old, new in self.verdicts_changed]
        if self.batches_changed:
            lines.append(f"batch verdicts changed ({len(self.batches_changed)}):")
            lines += [f"  {b}: {old} -> {new}" for b, old, new in self.batches_changed]
        if self.not_judged:
            lines.append(f"not re-judged, kept as they are ({len(self.not_judged)}):")
            lines += [f"  {b} {a}: {why}" for b, a, why in self.not_judged[:20]]
            if len(self.not_judged) > 20:
                lines.append(f"  … and {len(self.not_judged) - 20} more")
        if self.changed and not self.dry_run:
            lines.append("refresh the marts for the pass rates: agritrace marts refresh")
        return "\n".join(lines)


def _lod_as_reported(row) -> str | None:
    """The LOD to judge with, from core's mg/kg figure (see the module docstring)."""
    lod = row.lod_mg_kg
    if lod is None or pd.isna(lod):
        return None
    lod = Decimal(str(lod))
    bound = result_bound(row.result_raw) if row.is_nondetect and row.result_raw else None
    if bound is not None:
        bound_mg = to_mg_per_kg_decimal(bound.number, bound.unit or row.unit)
        reported = row.previous_kind == "banned" and row.previous_verdict == INCONCLUSIVE
        if bound_mg == lod and not reported:
            return None
    return f"{lod:f} mg/kg"


def _frame(conn: psycopg.Connection, since: date | None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(_CURRENT, {"row_mrl": ROW_MRL_SOURCE + "%", "since": since})
        columns = [d.name for d in cur.description]
        frame = pd.DataFrame(cur.fetchall(), columns=columns, dtype=object)
    if frame.empty:
        return frame
    frame["lod"] = [_lod_as_reported(row) for row in frame.itertuples(index=False)]
    frame["result_value"] = frame["result_raw"]
    frame["mrl"] = None
    frame["verdict"] = frame["supplied_verdict"]
    return frame


def register_rewrite(conn: psycopg.Connection, feed: str, what: str, profile: str, today: date) -> tuple[int, str]:
    """A ledger entry for rows of core written again after a reference change (re-judged results,
    recoded batches): its ``file_id`` places the new versions after every delivery so far.

    Refused (``RewriteRefused``) while a file of the feed is still loading: its rows, claimed before,
    would commit behind the rewrite and land in history.
    """
    stamp = datetime.now(UTC).isoformat()
    file_name = f"{what} {today.isoformat()}"
    file_id = conn.execute(
        """insert into ops.files (feed, sha256, file_name, size_bytes, source_profile, status)
           values (%s, %s, %s, 0, %s, 'processing') returning file_id""",
        (feed, hashlib.sha256(f"{profile}:{stamp}".encode()).hexdigest(), file_name, profile)).fetchone()[0]
    loading = conn.execute(
        """select file_id, file_name from ops.files
            where feed = %s and status = 'processing' and file_id < %s order by file_id""",
        (feed, file_id)).fetchall()
    if loading:
        names = ", ".join(f"{fid} ({name})" for fid, name in loading)
        raise RewriteRefused(
            f"{feed.replace('_', ' ')} file(s) {names} are still loading (or were left processing by a crash, which "
            f"the next ingest run finishes); their rows would land behind the {what}, so run it again after")
    return file_id, file_name


def finish_rewrite(conn: psycopg.Connection, file_id: int, file_name: str, rows: int, message: str, *,
                   dry_run: bool) -> int | None:
    """Close the rewrite's ledger entry as loaded and commit everything, or roll it all back for a
    dry run; returns the ``file_id`` kept (None after a dry run)."""
    from agritrace.load import ledger

    ledger.finish_file(conn, file_id, status="loaded", rows_in=rows, rows_loaded=rows, rows_quarantined=0,
                       message=message)
    ledger.record_delivery(conn, file_id, file_name, "processed", None)
    if dry_run:
        conn.rollback()
        return None
    conn.commit()
    return file_id


def rejudge(conn: psycopg.Connection, *, since: date | None = None, dry_run: bool = False,
            today: date | None = None) -> RejudgeOutcome:
    """Re-judge current laboratory results with the reference in ref.* now; commits unless ``dry_run``."""
    from agritrace.contracts import feed as get_feed
    from agritrace.feed_steps import write_staged
    from agritrace.load.copy import create_staging
    from agritrace.load.staging import drop_staging, stage_rows
    from agritrace.pipeline import today_in_bureau

    feed = get_feed(FEED)
    today = today or today_in_bureau()
    try:
        reference = ReferenceData.from_database(conn)
        file_id, file_name = register_rewrite(conn, FEED, "re-judgement", "rejudge", today)
        outcome = RejudgeOutcome(file_id, file_name, dry_run=dry_run)
        frame = _frame(conn, since)
        judged, problems = judge_rows(frame, reference) if not frame.empty else (pd.DataFrame(), {})
        for index, reasons in problems.items():
            outcome.not_judged.append((frame.at[index, "batch_no"], frame.at[index, "analyte"],
                                       "; ".join(r["message"] for r in reasons)))
        outcome.examined = len(judged)
        if judged.empty:
            conn.rollback()
            outcome.file_id = None
            return outcome
        judged["analyte_name"] = frame.loc[judged.index, "analyte_name"]
        staging = create_staging(conn, feed.core_table, STAGING)
        stage_rows(conn, staging, feed, judged, file_id)
        batches_before = dict(conn.execute(sql.SQL(
            "select batch_no, batch_verdict from core.sampling_batches where batch_no in (select batch_no from {})"
        ).format(staging)).fetchall())
        counts = write_staged(conn, feed, staging, reference)
        outcome.changed, outcome.kept_in_history = counts.written, counts.replaced
        outcome.verdicts_changed = [tuple(r) for r in conn.execute(
            """select h.batch_no, h.analyte_code, h.verdict, c.verdict
                 from core.inspection_results_history h
                 join core.inspection_results c using (batch_no, analyte_code, test_kind)
                where h.superseded_by_file = %s and h.verdict is distinct from c.verdict
                order by 1, 2""", (file_id,)).fetchall()]
        after = dict(conn.execute(sql.SQL(
            "select batch_no, batch_verdict from core.sampling_batches where batch_no in (select batch_no from {})"
        ).format(staging)).fetchall())
        outcome.batches_changed = sorted((b, batches_before.get(b), v) for b, v in after.items()
                                         if batches_before.get(b) != v)
        drop_staging(conn, staging)
        message = (f"re-judgement with the reference of {today.isoformat()}"
                   + (f" (batches sampled since {since.isoformat()})" if since else "")
                   + f": {outcome.examined} laboratory results re-judged, {outcome.changed} changed "
                   f"({len(outcome.verdicts_changed)} verdicts), {len(outcome.not_judged)} could not be judged")
        outcome.file_id = finish_rewrite(conn, file_id, file_name, outcome.examined, message, dry_run=dry_run)
        return outcome
    except BaseException:
        conn.rollback()
        raise
