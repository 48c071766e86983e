"""Ingestion of one landing file, end to end, and the replay of quarantined rows.

read (encoding, format, headers, source profile) → normalise → validate (GX + the same rules as
row masks) → per row: COPY into staging, or quarantine with every reason → gate → upsert into core
→ ledger. The load of one file is one transaction: a crash leaves nothing half-loaded, and the
retry starts the file over. Airflow tasks and the ``agritrace ingest`` command both call
``process_file``; nothing here knows about Airflow.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from agritrace import db
from agritrace.config import settings
from agritrace.contracts import LOAD_ORDER, Feed
from agritrace.contracts import feed as get_feed
from agritrace.feeds_context import (
    add_parent_checks,
    add_product_checks,
    add_reading_checks,
    add_result_checks,
    add_weight,
)
from agritrace.load import ledger
from agritrace.load.copy import copy_frame, create_staging, upsert_from_staging
from agritrace.load.quarantine import open_rows, write_quarantine
from agritrace.quality.checks import contract_checks
from agritrace.quality.validate import Validation, validate, validation_frame

log = logging.getLogger(__name__)

FILE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".jsonl", ".json", ".ndjson"}

CORE_COLUMNS = {
    "producers": ["producer_id", "producer_name", "producer_type", "region_code", "town", "village", "grid_id",
                  "contact_phone", "registered_on"],
    "certificates": ["certificate_no", "producer_id", "product_name", "product_code", "product_category", "quantity",
                     "unit", "quantity_kg", "origin", "commitment_basis", "lot_no", "trace_code", "buyer",
                     "issue_date"],
    "sampling_batches": ["batch_no", "producer_id", "certificate_no", "task_type", "sampling_level",
                         "sampling_stage", "region_code", "product_name", "product_code", "product_category",
                         "sample_qty_kg", "sampled_place", "sampler_org", "lab", "sampling_date"],
    "inspection_results": ["batch_no", "analyte_code", "test_kind", "analyte_name", "result_raw", "result_value",
                           "unit", "is_nondetect", "method", "standard", "report_no", "tested_on",
                           "supplied_verdict", "value_mg_kg", "lod_mg_kg", "limit_mg_kg", "limit_kind",
                           "limit_standard", "limit_source", "limit_verified", "ratio_to_limit", "verdict",
                           "verdict_reason", "verdict_disagrees"],
}
CORE_KEYS = {
    "producers": ["producer_id"],
    "certificates": ["certificate_no"],
    "sampling_batches": ["batch_no"],
    "inspection_results": ["batch_no", "analyte_code", "test_kind"],
}


@dataclass
class FileOutcome:
    feed: str
    file_name: str
    status: str  # loaded | held | rejected | skipped | busy
    file_id: int | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    top_reasons: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    profile: str | None = None

    def summary(self) -> str:
        counts = f"{self.rows_in} in, {self.rows_loaded} loaded, {self.rows_quarantined} quarantined"
        reasons = "; ".join(f"{k} ×{v}" for k, v in list(self.top_reasons.items())[:5])
        text = f"[{self.feed}] {self.file_name}: {self.status} ({counts})"
        if self.message:
            text += f" — {self.message}"
        if reasons:
            text += f" — top reasons: {reasons}"
        return text


@dataclass
class ReplayOutcome:
    feed: str
    examined: int = 0
    loaded: int = 0
    still_quarantined: int = 0


def today_in_bureau() -> date:
    return datetime.now(ZoneInfo(settings().timezone)).date()


def landing_files(feed_name: str, landing_dir: Path | None = None) -> list[Path]:
    """Files waiting in the feed's landing folder, oldest first (sub-folders such as archive/ are ignored)."""
    folder = (landing_dir or settings().landing_dir) / feed_name
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
             and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def _reference(conn: psycopg.Connection):
    from agritrace.reference import ReferenceData

    return ReferenceData.from_database(conn)


def _profiles():
    from agritrace.ingest import load_profiles

    return load_profiles()


def _prepare(feed: Feed, raw: pd.DataFrame, conn: psycopg.Connection, reference, today: date, profile=None):
    from agritrace.ingest import normalise

    normalised = normalise(feed, raw, profile)
    frame = validation_frame(feed, raw, normalised.values, normalised.parse_ok)
    checks = contract_checks(feed, today)
    checks += add_parent_checks(feed, frame, conn)
    if feed.name in ("certificates", "sampling_batches"):
        checks += add_product_checks(frame, reference)
    if feed.name == "certificates":
        add_weight(frame)
    if feed.name == "inspection_results":
        checks += add_result_checks(frame, conn, reference)
    return frame, checks


_JUDGED_FIELDS = ("analyte_code", "test_kind", "result_value", "is_nondetect", "value_mg_kg", "lod_mg_kg",
                  "limit_mg_kg", "limit_kind", "limit_standard", "limit_source", "limit_verified", "ratio_to_limit",
                  "verdict", "verdict_reason", "verdict_disagrees")
# Everything judge_item reads from a row: rows equal on these get the same verdict.
_JUDGED_FROM = ["batch_product", "analyte", "result_value", "unit", "lod", "mrl", "standard", "verdict"]


def _judge(frame: pd.DataFrame, reference) -> tuple[pd.DataFrame, dict[int, list[dict]]]:
    """Inspection results: one verdict per item, by the judgement engine.

    ``judge_item`` is pure, and a file repeats the same (product, analyte, value, unit, LOD, MRL,
    standard, verdict) on most of its rows, so each distinct combination is judged once and its
    verdict spread to every row that carries it.
    """
    from agritrace.reference import judge_item

    problems: dict[int, list[dict]] = {}
    if frame.empty:
        return pd.DataFrame(), problems
    groups = frame.groupby(_JUDGED_FROM, dropna=False, sort=False).ngroup().to_numpy()
    # ngroup numbers groups in order of appearance, so the first row of group k is first[k].
    _, first = np.unique(groups, return_index=True)
    verdicts, errors = {}, {}
    for group, position in enumerate(first):
        row = frame.iloc[position]
        try:
            verdict = judge_item(
                reference, product=row["batch_product"], analyte=row["analyte"], result_value=row["result_value"],
                unit=row["unit"], lod=None if pd.isna(row["lod"]) else row["lod"], mrl=row["mrl"],
                standard=row["standard"], supplied_verdict=row["verdict"],
            )
        except ValueError as exc:
            errors[group] = exc
            continue
        verdicts[group] = {k: getattr(verdict, k) for k in _JUDGED_FIELDS}
    judged_rows = np.isin(groups, list(verdicts))
    for position in np.flatnonzero(~judged_rows):
        exc = errors[groups[position]]
        # An unknown standard or product names its own column; anything else is about the value.
        column = {"standard": "standard", "product": "batch_no", "analyte": "analyte"}.get(
            getattr(exc, "kind", None), "result_value")
        index = frame.index[position]
        problems[index] = [{"rule": "judgement", "column": column, "value": frame.iloc[position].get(column),
                            "message": str(exc)}]
    if not verdicts:
        return pd.DataFrame(), problems
    table = pd.DataFrame.from_dict(verdicts, orient="index")
    judged = table.loc[groups[judged_rows]]
    out = frame.iloc[np.flatnonzero(judged_rows)].rename_axis(None)
    judged.index = out.index
    judged["supplied_verdict"] = out["verdict"]
    out = out.drop(columns=[c for c in judged.columns if c in out.columns])
    out = out.join(judged)
    out["analyte_name"] = out["analyte"]
    out["result_raw"] = frame.loc[out.index, "result_value"]
    return out, problems


def _record_dq(conn: psycopg.Connection, file_id: int, feed: str, validation: Validation, docs_folder: Path) -> None:
    suite = validation.suite
    if suite is None:
        return
    validation_id = conn.execute(
        """insert into dq.validation_runs
               (file_id, feed, suite, success, evaluated_rows, failing_rows, gx_version, docs_page)
           values (%s, %s, %s, %s, %s, %s, %s, %s) returning validation_id""",
        (file_id, feed, suite.suite, suite.success, suite.evaluated_rows, len(validation.reasons), suite.gx_version,
         (docs_folder / suite.docs_page).as_posix() if suite.docs_page else None),
    ).fetchone()[0]
    ours = validation.failing_rows_per_check()
    with conn.cursor() as cur:
        cur.executemany(
            """insert into dq.expectation_results
               (validation_id, expectation, column_name, success, unexpected_count, unexpected_pct, quarantined_rows)
               values (%s, %s, %s, %s, %s, %s, %s)""",
            [(validation_id, f"{o.check.expectation}[{o.check.rule}]", o.check.column, o.success, o.unexpected_count,
              None if o.unexpected_percent is None else round(float(o.unexpected_percent), 2),
              ours.get(o.check.key, 0)) for o in suite.outcomes],
        )


def _update_batch_verdicts(conn: psycopg.Connection, staging, reference) -> None:
    from types import SimpleNamespace

    from agritrace.reference import judge_batch

    # A server-side cursor in batch order: one batch's items in memory at a time, not the whole file's.
    verdicts: list[tuple[str, str | None]] = []
    with conn.cursor(name="batch_items") as cur:
        cur.itersize = 20_000
        cur.execute(
            """select r.batch_no, r.analyte_code, r.test_kind, r.verdict
                 from core.inspection_results r
                where r.batch_no in (select batch_no from {})
                order by r.batch_no""".replace("{}", staging.as_string(conn)),
        )
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


def _row_keys(frame: pd.DataFrame, key_columns: list[str]) -> list[str]:
    """Each row's key as one string (a file's keys are kept until it is loaded: a string per row is
    the smallest exact form). The parts are joined by U+001F, which normalisation strips from every
    code, so two different keys never give the same string."""
    parts = frame[key_columns].astype(str)
    joined = parts[key_columns[0]]
    for column in key_columns[1:]:
        joined = joined + "\x1f" + parts[column]
    return joined.tolist()


def _with_last(items: Iterator) -> Iterator[tuple[object, bool]]:
    """Each item with whether it is the last one (reads one item ahead)."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def _load_feed(conn: psycopg.Connection, feed: Feed, chunks: Iterator, *, file_id: int, today: date,
               reference, docs_dir: Path | None, gate_share: float, use_gx: bool, profiles) -> FileOutcome:
    """Validate and stage every chunk, then load (or hold) the whole file in the caller's transaction."""
    staging = create_staging(conn, feed.core_table, f"{feed.name}_{file_id}")
    columns = CORE_COLUMNS[feed.name] + ["file_id"]
    outcome = FileOutcome(feed.name, "", "loaded", file_id)
    reasons_count: dict[str, int] = {}
    # Rows waiting for a parent are not bad data: they do not count towards the gate.
    waiting_for_parent = 0
    seen_keys: set = set()
    key_columns = CORE_KEYS[feed.name]

    for number, (parsed, last) in enumerate(_with_last(chunks)):
        raw = parsed.raw
        outcome.rows_in += len(raw)
        outcome.encoding, outcome.profile = parsed.encoding, parsed.profile
        if raw.empty:
            continue
        profile = next((p for p in profiles if p.name == parsed.profile), None)
        frame, checks = _prepare(feed, raw, conn, reference, today, profile)
        # A row that could not be read says so first; its empty columns are the consequence.
        checks = add_reading_checks(frame, parsed.problems) + checks
        # The Data Docs site keeps only the latest validation page, so only the last chunk's is built.
        # Each file's Data Docs live in a folder of their own: GX rebuilds a site on every run and would
        # drop the pages of files validated before (or at the same time as) this one.
        docs_folder = Path(feed.name) / str(file_id)
        validation = validate(f"{feed.name}_contract", frame, raw, checks,
                              docs_dir=docs_dir / docs_folder if docs_dir is not None and last else None,
                              use_gx=use_gx)
        reasons = dict(validation.reasons)
        orphan_only = dict(validation.orphan_only)
        passing = validation.passing
        if feed.name == "inspection_results":
            passing, problems = _judge(passing, reference)
            for index, extra in problems.items():
                reasons[index] = extra
                orphan_only[index] = False
        # A key that an earlier chunk of the same file already staged: the later row is held.
        if len(passing) and number > 0:
            keys = _row_keys(passing, key_columns)
            repeated = [i for i, k in zip(passing.index, keys) if k in seen_keys]
            for index in repeated:
                reasons[index] = [{"rule": "unique", "column": "+".join(key_columns), "value": None,
                                   "message": "key appears more than once in this file"}]
                orphan_only[index] = False
            passing = passing.drop(index=repeated)
        if len(passing):
            seen_keys.update(_row_keys(passing, key_columns))
            staged = passing.copy()
            staged["file_id"] = file_id
            copy_frame(conn, staging, staged, columns)
        extra_raw = getattr(parsed, "raw_extra", None)
        raw_for_quarantine = raw if extra_raw is None or not len(extra_raw) else raw.join(extra_raw, rsuffix="__extra")
        write_quarantine(conn, feed=feed.name, file_id=file_id, raw=raw_for_quarantine, reasons=reasons,
                         orphan_only=orphan_only)
        _record_dq(conn, file_id, feed.name, validation, docs_folder)
        outcome.rows_quarantined += len(reasons)
        waiting_for_parent += sum(1 for index in reasons if orphan_only.get(index))
        outcome.rows_loaded += len(passing)
        for row_reasons in reasons.values():
            for reason in row_reasons:
                key = f"{reason['rule']}:{reason['column']}"
                reasons_count[key] = reasons_count.get(key, 0) + 1
    outcome.top_reasons = dict(sorted(reasons_count.items(), key=lambda kv: -kv[1]))
    share = (outcome.rows_quarantined - waiting_for_parent) / outcome.rows_in if outcome.rows_in else 0.0
    if outcome.rows_in and share > gate_share:
        outcome.status = "held"
        outcome.rows_loaded = 0
        outcome.message = (f"{share:.0%} of rows failed (gate {gate_share:.0%}): nothing loaded. Fix the file and "
                           f"deliver it again, or release it with `agritrace quarantine release {file_id}`")
    else:
        _upsert_from_staging(conn, feed, staging, columns, file_ids=[file_id], reference=reference)
    conn.execute(sql.SQL("drop table {}").format(staging))
    return outcome


def _upsert_from_staging(conn, feed: Feed, staging, columns: list[str], file_ids: list[int], reference=None) -> None:
    upsert_from_staging(conn, feed.core_table, staging, columns, CORE_KEYS[feed.name])
    if feed.name == "sampling_batches":
        conn.execute(
            """update core.sampling_batches b set region_code = p.region_code
                 from core.producers p
                where b.file_id = any(%s) and b.region_code is null and b.producer_id = p.producer_id""",
            (file_ids,),
        )
    if feed.name == "inspection_results":
        _update_batch_verdicts(conn, staging, reference)


def _move(path: Path, folder: str, file_id: int | None, reason: str | None = None) -> Path:
    feed_dir = path.parent.parent if path.parent.name in ("archive", "held", "rejected") else path.parent
    target_dir = feed_dir / folder
    target_dir.mkdir(exist_ok=True)
    name = path.name if file_id is None or path.name.startswith(f"{file_id}_") else f"{file_id}_{path.name}"
    target = target_dir / name
    shutil.move(str(path), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def _feed_streams(path: Path, feed: Feed, profiles, chunk_rows: int) -> dict[str, Callable[[], Iterator]]:
    """The feeds one file carries (a profiled flat file may carry two), each as a fresh chunk stream.

    Reading the first chunk here makes an unreadable file fail before anything is written. A file
    carrying one feed (the usual case) streams on from what was read, so it is parsed once; a file
    carrying two is re-read for each, so memory stays bounded by one chunk whatever the file's size.
    """
    from agritrace.ingest import FileRejected, iter_feed_file

    chunks = iter_feed_file(path, feed, profiles, chunk_rows=chunk_rows)
    head = _first_chunk(chunks)
    for parsed in head:
        if parsed.missing_required:
            # No row of such a file can load; say that the header is the problem, not every row.
            headers = [*parsed.header_map, *parsed.extra_columns]
            raise FileRejected(path, (
                f"the header has no column for required {', '.join(parsed.missing_required)} "
                f"(headers found: {', '.join(map(str, headers)) or 'none'}); if a title row sits above the header, "
                "deliver the file without it or set header_row in a source profile"))
    names = list(dict.fromkeys(parsed.feed for parsed in head))
    if len(names) == 1:
        return {names[0]: lambda: _resume(head, chunks)}

    def stream(name: str) -> Iterator:
        return (p for p in iter_feed_file(path, feed, profiles, chunk_rows=chunk_rows) if p.feed == name)

    return {name: (lambda name=name: stream(name)) for name in names}


def _resume(head: list, rest: Iterator) -> Iterator:
    """``head`` then ``rest``, letting go of each item of ``head`` as it is handed over (the first
    chunks would otherwise stay in memory until the whole file is loaded)."""
    while head:
        yield head.pop(0)
    yield from rest


def _first_chunk(chunks: Iterator) -> list:
    """The ParsedFiles of the first chunk (one per carried feed), then the one read past its end, if any."""
    head, seen = [], set()
    for parsed in chunks:
        head.append(parsed)
        if parsed.feed in seen:
            break
        seen.add(parsed.feed)
    return head


def process_file(path: Path, feed_name: str, *, dag_run_id: str | None = None, url: str | None = None,
                 chunk_rows: int = 100_000, use_gx: bool = True, move: bool = True,
                 ignore_gate: bool = False) -> list[FileOutcome]:
    """Ingest one landing file; returns one outcome per feed the file carries."""
    url = url or db.warehouse_url()
    folder_feed = get_feed(feed_name)
    sha = ledger.sha256_of(path)
    with psycopg.connect(url, autocommit=True) as lock_conn:
        claim = ledger.claim_file(lock_conn, feed=feed_name, sha256=sha, file_name=path.name,
                                  size_bytes=path.stat().st_size, dag_run_id=dag_run_id)
        if claim.claim is ledger.Claim.BUSY:
            return [FileOutcome(feed_name, path.name, "busy", claim.file_id,
                                message="another run is processing this file now; left for it")]
        if claim.claim is ledger.Claim.DONE:
            ledger.record_delivery(lock_conn, claim.file_id, path.name, "skipped_duplicate", dag_run_id)
            if move:
                _move(path, "archive", claim.file_id)
            return [FileOutcome(feed_name, path.name, "skipped", claim.file_id,
                                message=f"same content already processed as file {claim.file_id} ({claim.status})")]
        try:
            outcomes = _process_claimed(lock_conn, url, path, folder_feed, claim.file_id, sha, dag_run_id,
                                        chunk_rows=chunk_rows, use_gx=use_gx, ignore_gate=ignore_gate)
        finally:
            ledger.release_file(lock_conn, feed=feed_name, sha256=sha)
        ledger.record_delivery(lock_conn, claim.file_id, path.name, "processed", dag_run_id)
    if move:
        statuses = {o.status for o in outcomes}
        folder = "rejected" if "rejected" in statuses else "held" if "held" in statuses else "archive"
        _move(path, folder, claim.file_id, outcomes[0].message if folder == "rejected" else None)
    return outcomes


def _process_claimed(lock_conn, url: str, path: Path, folder_feed: Feed, file_id: int, sha: str,
                     dag_run_id: str | None, *, chunk_rows: int, use_gx: bool, ignore_gate: bool) -> list[FileOutcome]:
    from agritrace.ingest import FileRejected

    cfg = settings()
    gate_share = 1.0 if ignore_gate else cfg.gate_share
    docs_dir = cfg.home / "gx_docs" if use_gx else None
    with psycopg.connect(url) as conn:
        reference = _reference(conn)
    profiles = _profiles()
    try:
        streams = _feed_streams(path, folder_feed, profiles, chunk_rows)
    except FileRejected as exc:
        return [_reject(lock_conn, folder_feed.name, path, file_id, exc)]
    outcomes = []
    # Parents first: the batches of a flat file load before the results that need them.
    for name in sorted(streams, key=LOAD_ORDER.index):
        feed = get_feed(name)
        this_file_id = file_id
        if name != folder_feed.name:
            this_file_id = ledger.claim_file(lock_conn, feed=name, sha256=sha, file_name=path.name,
                                             size_bytes=path.stat().st_size, dag_run_id=dag_run_id).file_id
        try:
            with psycopg.connect(url) as conn:
                # A retry after a crash starts the file over; its earlier attempt left only these.
                conn.execute("delete from quarantine.rows where file_id = %s and status = 'open'", (this_file_id,))
                conn.execute("delete from dq.validation_runs where file_id = %s", (this_file_id,))
                outcome = _load_feed(conn, feed, streams[name](), file_id=this_file_id, today=today_in_bureau(),
                                     reference=reference, docs_dir=docs_dir, gate_share=gate_share, use_gx=use_gx,
                                     profiles=profiles)
                outcome.file_name = path.name
                ledger.finish_file(
                    conn, this_file_id, status=outcome.status, rows_in=outcome.rows_in,
                    rows_loaded=outcome.rows_loaded, rows_quarantined=outcome.rows_quarantined,
                    message=outcome.message or None, encoding=outcome.encoding, source_profile=outcome.profile,
                )
        except FileRejected as exc:
            # Malformed past its first chunk (e.g. an unclosed quote deep in a large file): the load of
            # this feed rolled back whole, and the file is rejected like one that fails at its first row.
            outcome = _reject(lock_conn, name, path, this_file_id, exc)
        finally:
            if name != folder_feed.name:
                ledger.release_file(lock_conn, feed=name, sha256=sha)
        outcomes.append(outcome)
    return outcomes


def _reject(lock_conn: psycopg.Connection, feed_name: str, path: Path, file_id: int, exc) -> FileOutcome:
    """Record a file that cannot be read; its message names the file, not the server path."""
    message = f"{path.name} rejected: {exc.reason}"
    ledger.finish_file(lock_conn, file_id, status="rejected", rows_in=None, rows_loaded=None,
                       rows_quarantined=None, message=message)
    return FileOutcome(feed_name, path.name, "rejected", file_id, message=message)


def replay(feed_name: str, *, quarantine_ids: list[int] | None = None, file_id: int | None = None,
           orphans_only: bool = False, url: str | None = None, requested_by: str = "cli") -> ReplayOutcome:
    """Re-validate open quarantine rows with today's rules and reference; load those that pass now."""
    feed = get_feed(feed_name)
    outcome = ReplayOutcome(feed_name)
    with psycopg.connect(url or db.warehouse_url()) as conn:
        rows = open_rows(conn, feed_name, orphans_only=orphans_only, quarantine_ids=quarantine_ids, file_id=file_id)
        if rows.empty:
            return outcome
        outcome.examined = len(rows)
        raw = rows.reindex(columns=feed.columns).astype(object).where(rows.reindex(columns=feed.columns).notna(), None)
        reference = _reference(conn)
        frame, checks = _prepare(feed, raw, conn, reference, today_in_bureau())
        validation = validate(f"{feed_name}_replay", frame, raw, checks, use_gx=False)
        reasons = dict(validation.reasons)
        passing = validation.passing
        if feed_name == "inspection_results":
            passing, problems = _judge(passing, reference)
            reasons.update(problems)
        if len(passing):
            staged = passing.copy()
            staged["file_id"] = rows.loc[staged.index, "__file_id"]
            staging = create_staging(conn, feed.core_table, f"{feed_name}_replay")
            columns = CORE_COLUMNS[feed_name] + ["file_id"]
            copy_frame(conn, staging, staged, columns)
            _upsert_from_staging(conn, feed, staging, columns, file_ids=sorted(set(staged["file_id"].tolist())),
                                 reference=reference)
            conn.execute(sql.SQL("drop table {}").format(staging))
            conn.execute(
                """update quarantine.rows set status = 'loaded', resolved_at = now(), resolved_by = %s
                    where quarantine_id = any(%s)""",
                (requested_by, [int(i) for i in staged.index]),
            )
        with conn.cursor() as cur:
            cur.executemany(
                "update quarantine.rows set reasons = %s, is_orphan = %s where quarantine_id = %s",
                [(json.dumps(r, ensure_ascii=False), bool(validation.orphan_only.get(i, False)), int(i))
                 for i, r in reasons.items()],
            )
        outcome.loaded = len(passing)
        outcome.still_quarantined = len(reasons)
    return outcome


def release_held_file(file_id: int, *, url: str | None = None, landing_dir: Path | None = None) -> list[FileOutcome]:
    """Load a file the gate held, as it is: its failing rows stay quarantined, the rest load."""
    url = url or db.warehouse_url()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select feed, file_name, status from ops.files where file_id = %s", (file_id,)).fetchone()
        if row is None:
            raise ValueError(f"no file {file_id} in ops.files")
        feed_name, file_name, status = row
        if status != "held":
            raise ValueError(f"file {file_id} ({file_name}) is {status}, not held; only held files can be released")
        held = (landing_dir or settings().landing_dir) / feed_name / "held" / f"{file_id}_{file_name}"
        if not held.exists():
            raise FileNotFoundError(f"held file {held} is missing; deliver the file again instead")
        conn.execute("update ops.files set status = 'processing' where file_id = %s", (file_id,))
        ledger.record_delivery(conn, file_id, file_name, "released", None)
    outcomes = process_file(held, feed_name, url=url, ignore_gate=True, move=False)
    if all(o.status == "loaded" for o in outcomes):
        target = held.parent.parent / "archive" / held.name
        target.parent.mkdir(exist_ok=True)
        shutil.move(str(held), target)
    return outcomes
