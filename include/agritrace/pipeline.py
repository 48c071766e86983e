"""Ingestion of one landing file, end to end, and the replay of quarantined rows.

The story of one file: **claim** it in the ledger (by content hash) → **read** it (encoding,
format, headers, source profile) → per chunk, **check** every row (``check_rows``) and **stage**
the rows that pass, quarantining the rest with every reason → the quality **gate** → **write**
core → **account** for every row in the ledger → move the file to archive/, held/ or rejected/.

The load of one file is one transaction: a crash leaves nothing half-loaded, and the retry starts
the file over. Replays and releases go through the same check and write steps. Airflow tasks and
the ``agritrace ingest`` command both call ``process_file``; nothing here knows about Airflow.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from agritrace import db
from agritrace.config import settings
from agritrace.contracts import LOAD_ORDER, Feed
from agritrace.contracts import feed as get_feed
from agritrace.feed_steps import write_staged
from agritrace.ingest import FileRejected, load_profiles
from agritrace.ingest.landing import Refusal, held_path, move_to, refusal
from agritrace.ingest.streams import feed_streams, rows_fingerprint, whole_rows, with_last
from agritrace.ingest.text import excerpt
from agritrace.load import ledger, quarantine
from agritrace.load.copy import create_staging
from agritrace.load.core import take_out_same_delivery_conflicts
from agritrace.load.staging import (
    StagedKeys,
    drop_staging,
    keep_conflicts_quarantined,
    key_variants,
    stage_rows,
)
from agritrace.quality import dq
from agritrace.quality.rows import check_rows
from agritrace.reference import ReferenceData
from agritrace.triage import quarantine_release

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    feed: str
    file_name: str
    status: str  # loaded | held | rejected | skipped | busy | changed
    file_id: int | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    top_reasons: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    profile: str | None = None
    content_sha256: str | None = None
    # Seconds by stage of the load (LOAD_STAGES), summed over the file's chunks.
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        counts = f"{self.rows_in} in, {self.rows_loaded} loaded, {self.rows_quarantined} quarantined"
        reasons = "; ".join(f"{k} ×{v}" for k, v in list(self.top_reasons.items())[:5])
        text = f"[{self.feed}] {self.file_name}: {self.status} ({counts})"
        if self.message:
            text += f" — {self.message}"
        if reasons:
            text += f" — top reasons: {reasons}"
        return text


# The stages of a file's load, in order, each with what it spends its time on.
LOAD_STAGES = {
    "read": "decoding, parsing, header aliases, source profiles and the rows' fingerprint",
    "check": "normalising values, parent and reference checks, judging results (Python)",
    "validate": "the GX suite: the rows COPYed to a validation table, then GX's SQL",
    "stage": "COPY into staging, quarantine rows, the dq history, keys seen in the file",
    "write": "the versioned write into core, verdicts, index rebuilds in bulk mode",
}


class StageClock:
    """Where a load's time goes, stage by stage (``LOAD_STAGES``): the task log shows it for each
    file, and the benchmark sums it to name what limits the ingest rate."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(LOAD_STAGES, 0.0)

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started

    def timed(self, stage: str, items: Iterator) -> Iterator:
        """``items``, with the time spent producing each counted to ``stage``."""
        items = iter(items)
        while True:
            with self.timing(stage):
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item

    def move(self, seconds: float, *, source: str, to: str) -> None:
        """Count ``seconds`` already counted to ``source`` to ``to`` instead (a stage inside another)."""
        self.seconds[source] -= seconds
        self.seconds[to] += seconds

    def __str__(self) -> str:
        return ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in self.seconds.items())


@dataclass
class ReplayOutcome:
    feed: str
    examined: int = 0
    loaded: int = 0
    still_quarantined: int = 0


def today_in_bureau() -> date:
    return datetime.now(ZoneInfo(settings().timezone)).date()


def process_file(path: Path, feed_name: str, *, dag_run_id: str | None = None, url: str | None = None,
                 chunk_rows: int = 100_000, move: bool = True,
                 ignore_gate: bool = False) -> list[FileOutcome]:
    """Ingest one landing file; returns one outcome per feed the file carries.

    Whatever goes wrong inside one file ends in its ledger row, never in the caller: the run goes on
    with the next file. Only a lost database stops it (nothing can be recorded then).
    """
    url = url or db.warehouse_url()
    refused = refusal(path)
    if refused is not None:
        return [_refuse(url, path, feed_name, refused, dag_run_id, move)]
    sha = ledger.sha256_of(path)
    with psycopg.connect(url, autocommit=True) as lock_conn:
        claim = ledger.claim_file(lock_conn, feed=feed_name, sha256=sha, file_name=path.name,
                                  size_bytes=path.stat().st_size, dag_run_id=dag_run_id)
        if claim.claim is ledger.Claim.BUSY:
            return [_busy(feed_name, path, claim.file_id)]
        if claim.claim is ledger.Claim.DONE:
            ledger.record_delivery(lock_conn, claim.file_id, path.name, "skipped_duplicate", dag_run_id)
            if move:
                move_to(path, "archive", claim.file_id)
            return [FileOutcome(feed_name, path.name, "skipped", claim.file_id,
                                message=f"same content already processed as file {claim.file_id} ({claim.status})")]
        if claim.claim is ledger.Claim.RETRY:
            log.warning("file %s (%s) was left processing by an attempt that died; starting it over",
                        claim.file_id, excerpt(path.name))
        try:
            outcomes = _process_claimed(lock_conn, url, path, get_feed(feed_name), claim.file_id, sha, dag_run_id,
                                        chunk_rows=chunk_rows, ignore_gate=ignore_gate)
        except psycopg.OperationalError:
            raise
        except Exception as exc:  # one file's failure must not stop the run
            log.exception("file %s (%s) failed unexpectedly", claim.file_id, excerpt(path.name))
            outcomes = [_reject(lock_conn, feed_name, path, claim.file_id, FileRejected(
                path, f"could not be processed ({type(exc).__name__}); nothing of it was loaded. "
                      f"Report ledger file {claim.file_id} with the task log"))]
        finally:
            ledger.release_file(lock_conn, feed=feed_name, sha256=sha)
        if claim.claim is ledger.Claim.RETRY:
            ledger.record_delivery(lock_conn, claim.file_id, path.name, "recovered", dag_run_id)
        ledger.record_delivery(lock_conn, claim.file_id, path.name, "processed", dag_run_id)
    statuses = {o.status for o in outcomes}
    if move and "changed" not in statuses:
        folder = "rejected" if "rejected" in statuses else "held" if "held" in statuses else "archive"
        move_to(path, folder, claim.file_id, outcomes[0].message if folder == "rejected" else None)
    return outcomes


@dataclass
class DryRun:
    """What loading a file would do, found by loading it in a transaction that is then rolled back."""

    outcomes: list[FileOutcome]
    # feed -> the first rows as core would hold them (column names, rows)
    stored: dict[str, tuple[list[str], list[tuple]]] = field(default_factory=dict)


def dry_run_file(path: Path, feed_name: str, *, url: str | None = None, sample_rows: int = 5,
                 chunk_rows: int = 100_000) -> DryRun:
    """``process_file`` of ``path`` without its effects: the very same load runs on one connection
    inside a transaction that is rolled back, and the file stays where it is. Its counts are
    therefore those of a real load of the file now. Nothing is written: no ledger row, no Data Docs
    (only a database sequence may move on)."""
    url = url or db.warehouse_url()
    refused = refusal(path)
    if refused is not None:
        return DryRun([FileOutcome(feed_name, path.name, "rejected", message=refused.reason)])
    sha = ledger.sha256_of(path)
    with psycopg.connect(url) as conn:
        try:
            claim = ledger.claim_file(conn, feed=feed_name, sha256=sha, file_name=path.name,
                                      size_bytes=path.stat().st_size, dag_run_id=None)
            if claim.claim is ledger.Claim.BUSY:
                return DryRun([FileOutcome(feed_name, path.name, "busy", message="another run is loading this file now")])
            if claim.claim is ledger.Claim.DONE:
                return DryRun([FileOutcome(feed_name, path.name, "skipped", claim.file_id, message=(
                    f"same content already processed as file {claim.file_id} ({claim.status})"))])

            @contextmanager
            def savepoint() -> Iterator[psycopg.Connection]:
                with conn.transaction():
                    yield conn

            outcomes = _process_claimed(conn, url, path, get_feed(feed_name), claim.file_id, sha, None,
                                        chunk_rows=chunk_rows, ignore_gate=False, connect=savepoint,
                                        write_docs=False)
            stored = {o.feed: _first_stored(conn, get_feed(o.feed), o.file_id, sample_rows)
                      for o in outcomes if o.status == "loaded" and o.file_id is not None}
            return DryRun(outcomes, stored)
        finally:
            conn.rollback()
            ledger.release_file(conn, feed=feed_name, sha256=sha)


def _first_stored(conn: psycopg.Connection, feed: Feed, file_id: int, limit: int) -> tuple[list[str], list[tuple]]:
    columns = list(feed.core_columns)
    rows = conn.execute(sql.SQL("select {} from {} where file_id = %s order by {} limit %s").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(*feed.core_table.split(".")),
        sql.SQL(", ").join(map(sql.Identifier, feed.core_key))), (file_id, limit)).fetchall()
    return columns, rows


def _refuse(url: str, path: Path, feed_name: str, refused: Refusal, dag_run_id: str | None,
            move: bool) -> FileOutcome:
    """An entry that is not read gets its ledger row all the same, and goes to rejected/."""
    # A link or device is never opened: its ledger identity is its name and the moment it was seen.
    sha = ledger.sha256_of(path) if refused.readable else hashlib.sha256(
        f"unread:{path.name}:{time.time_ns()}".encode("utf-8", "surrogateescape")).hexdigest()
    size = path.lstat().st_size if refused.readable else 0
    with psycopg.connect(url, autocommit=True) as conn:
        claim = ledger.claim_file(conn, feed=feed_name, sha256=sha, file_name=path.name, size_bytes=size,
                                  dag_run_id=dag_run_id)
        if claim.claim is ledger.Claim.BUSY:
            return _busy(feed_name, path, claim.file_id)
        try:
            if claim.claim is ledger.Claim.DONE:
                outcome = FileOutcome(feed_name, path.name, "skipped", claim.file_id,
                                      message=f"same content already seen as file {claim.file_id} ({claim.status})")
            else:
                outcome = _reject(conn, feed_name, path, claim.file_id, FileRejected(path, refused.reason))
            ledger.record_delivery(conn, claim.file_id, path.name, "processed", dag_run_id)
        finally:
            ledger.release_file(conn, feed=feed_name, sha256=sha)
    if move:
        move_to(path, "rejected", claim.file_id, outcome.message)
    return outcome


def _busy(feed_name: str, path: Path, file_id: int | None) -> FileOutcome:
    """The outcome of a run that found the file (for this feed) taken by another run."""
    return FileOutcome(feed_name, path.name, "busy", file_id,
                       message="another run is processing this file now; left for it")


def _process_claimed(lock_conn, url: str, path: Path, folder_feed: Feed, file_id: int, sha: str,
                     dag_run_id: str | None, *, chunk_rows: int, ignore_gate: bool,
                     connect: Callable[[], AbstractContextManager[psycopg.Connection]] | None = None,
                     write_docs: bool = True) -> list[FileOutcome]:
    """Load each feed of a claimed file, each in a transaction of its own (``connect()``: a new
    connection that commits when its block ends, unless a dry run passes savepoints instead)."""
    cfg = settings()
    gate_share = 1.0 if ignore_gate else cfg.gate_share
    docs_dir = cfg.home / "gx_docs" if write_docs else None
    connect = connect or (lambda: psycopg.connect(url))
    with connect() as conn:
        reference = ReferenceData.from_database(conn)
    profiles = load_profiles()
    # Opening the file reads its first chunk: that reading counts to the first feed loaded from it.
    clock = StageClock()
    try:
        with clock.timing("read"):
            streams = feed_streams(path, folder_feed, profiles, chunk_rows)
    except FileRejected as exc:
        return [_reject(lock_conn, folder_feed.name, path, file_id, exc)]
    outcomes = []
    # Parents first: the batches of a flat file load before the results that need them.
    for name in sorted(streams, key=LOAD_ORDER.index):
        feed = get_feed(name)
        this_file_id = file_id
        if name != folder_feed.name:
            carried = ledger.claim_file(lock_conn, feed=name, sha256=sha, file_name=path.name,
                                        size_bytes=path.stat().st_size, dag_run_id=dag_run_id)
            if carried.claim is ledger.Claim.BUSY:
                outcomes.append(_busy(name, path, carried.file_id))
                continue
            this_file_id = carried.file_id
        try:
            with connect() as conn:
                quarantine.forget_attempt(conn, this_file_id)
                dq.forget_attempt(conn, this_file_id)
                outcome = _load_feed(conn, feed, streams[name](), file_id=this_file_id, reference=reference,
                                     docs_dir=docs_dir, gate_share=gate_share, url=url, profiles=profiles,
                                     clock=clock)
                outcome.file_name = path.name
                # The hash in the ledger must be the hash of what was loaded and then archived.
                if ledger.sha256_of(path) != sha:
                    raise FileChanged(path)
                ledger.finish_file(
                    conn, this_file_id, status=outcome.status, rows_in=outcome.rows_in,
                    rows_loaded=outcome.rows_loaded, rows_quarantined=outcome.rows_quarantined,
                    message=outcome.message or None, encoding=outcome.encoding, source_profile=outcome.profile,
                    content_sha256=outcome.content_sha256,
                )
        except SameRows as same:
            # The load rolled back: nothing of the repeat is kept but its ledger row.
            message = (f"same rows as file {same.file_id} ({excerpt(same.file_name, 120)}), already processed: "
                       "nothing loaded again")
            ledger.finish_file(lock_conn, this_file_id, status="duplicate", rows_in=same.rows_in, rows_loaded=0,
                               rows_quarantined=0, message=message, content_sha256=same.content_sha256,
                               duplicate_of=same.file_id)
            outcome = FileOutcome(name, path.name, "skipped", this_file_id, rows_in=same.rows_in, message=message)
        except FileChanged:
            outcome = _reject(lock_conn, name, path, this_file_id, FileRejected(
                path, "the file changed while it was being loaded; nothing of this version was loaded, and the "
                      "file stays in the landing folder to be taken again once it stops changing"))
            outcome.status = "changed"
        except FileRejected as exc:
            # Malformed past its first chunk (e.g. an unclosed quote deep in a large file): the load of
            # this feed rolled back whole, and the file is rejected like one that fails at its first row.
            outcome = _reject(lock_conn, name, path, this_file_id, exc)
        finally:
            # The next feed's load starts its own count, whether or not this one completed.
            clock = StageClock()
            if name != folder_feed.name:
                ledger.release_file(lock_conn, feed=name, sha256=sha)
        outcomes.append(outcome)
    return outcomes


def _load_feed(conn: psycopg.Connection, feed: Feed, chunks: Iterator, *, file_id: int, reference: ReferenceData,
               docs_dir: Path | None, gate_share: float, url: str, profiles, clock: StageClock) -> FileOutcome:
    """Check and stage every chunk, then write (or hold) the whole file in the caller's transaction;
    ``clock`` times its stages."""
    staging = create_staging(conn, feed.core_table, f"{feed.name}_{file_id}")
    outcome = FileOutcome(feed.name, "", "loaded", file_id)
    reasons_count: dict[str, int] = {}
    # Rows waiting for a parent are not bad data: they do not count towards the gate.
    waiting_for_parent = 0
    staged_keys = StagedKeys(feed, staging)
    variant_count = 0
    today = today_in_bureau()
    # Each file's Data Docs live in a folder of their own: GX rebuilds a site on every run and would
    # drop the pages of files validated before (or at the same time as) this one.
    docs_folder = Path(feed.name) / str(file_id)

    content = hashlib.sha256()
    for parsed, last in with_last(clock.timed("read", chunks)):
        outcome.rows_in += len(parsed.raw)
        with clock.timing("read"):
            content.update(rows_fingerprint(parsed.raw))
        outcome.encoding, outcome.profile = parsed.encoding, parsed.profile
        if parsed.raw.empty:
            continue
        with clock.timing("check"):
            checked = check_rows(
                conn, feed, parsed.raw, url=url, reference=reference, today=today, suite=f"{feed.name}_contract",
                profile=next((p for p in profiles if p.name == parsed.profile), None),
                reading_problems=parsed.problems,
                # A file has one Data Docs page (built when first opened): the last chunk's result is kept for it.
                docs_dir=docs_dir / docs_folder if docs_dir is not None and last else None)
        clock.move(checked.validation.suite.seconds, source="check", to="validate")
        with clock.timing("stage"):
            staged_keys.admit(conn, checked)
            stage_rows(conn, staging, feed, checked.passing, file_id)
            variants = key_variants(feed, parsed.raw, checked.passing)
            ledger.record_key_variants(conn, file_id, variants)
            quarantine.write_quarantine(conn, feed=feed.name, file_id=file_id, raw=whole_rows(parsed),
                                        reasons=checked.reasons, orphan_only=checked.orphan_only)
            dq.record_validation(conn, file_id, feed.name, checked.validation, docs_folder)
        variant_count += len(variants)
        outcome.rows_quarantined += len(checked.reasons)
        outcome.rows_loaded += len(checked.passing)
        waiting_for_parent += sum(1 for index in checked.reasons if checked.orphan_only.get(index))
        for row_reasons in checked.reasons.values():
            for reason in row_reasons:
                key = f"{reason['rule']}:{reason['column']}"
                reasons_count[key] = reasons_count.get(key, 0) + 1
    outcome.top_reasons = dict(sorted(reasons_count.items(), key=lambda kv: -kv[1]))
    outcome.content_sha256 = content.hexdigest()
    earlier = ledger.earlier_delivery_of_rows(conn, feed.name, outcome.content_sha256, file_id)
    if earlier is not None:
        raise SameRows(*earlier, rows_in=outcome.rows_in, content_sha256=outcome.content_sha256)
    share = (outcome.rows_quarantined - waiting_for_parent) / outcome.rows_in if outcome.rows_in else 0.0
    if outcome.rows_in and share > gate_share:
        outcome.status = "held"
        outcome.rows_loaded = 0
        outcome.message = (f"{share:.0%} of rows failed (gate {gate_share:.0%}): nothing loaded. Fix the file and "
                           f"deliver it again, or release it with `{quarantine_release(file_id)}`")
    else:
        with clock.timing("write"):
            counts = write_staged(conn, feed, staging, reference)
        if counts.bulk:
            # An operator whose trace lookups waited on this file's table learns why.
            outcome.message = counts.bulk.summary
    if variant_count:
        outcome.message = "; ".join(filter(None, [outcome.message, (
            f"{variant_count} key(s) written in another form were read in their canonical form "
            f"(e.g. lower case or another dash); see ops.key_variants for file {file_id}")]))
    drop_staging(conn, staging)
    outcome.stage_seconds = clock.seconds
    log.info("[%s] file %s, time by stage: %s", feed.name, file_id, clock)
    return outcome


def replay(feed_name: str, *, quarantine_ids: list[int] | None = None, file_id: int | None = None,
           orphans_only: bool = False, url: str | None = None, requested_by: str = "cli") -> ReplayOutcome:
    """Re-check open quarantine rows with today's rules and reference; load those that pass now."""
    feed = get_feed(feed_name)
    outcome = ReplayOutcome(feed_name)
    url = url or db.warehouse_url()
    with psycopg.connect(url) as conn:
        rows = quarantine.open_rows(conn, feed_name, orphans_only=orphans_only, quarantine_ids=quarantine_ids,
                                    file_id=file_id)
        if rows.empty:
            return outcome
        outcome.examined = len(rows)
        raw = rows.reindex(columns=feed.columns)
        raw = raw.astype(object).where(raw.notna(), None)
        reference = ReferenceData.from_database(conn)
        checked = check_rows(conn, feed, raw, url=url, reference=reference, today=today_in_bureau(),
                             suite=f"{feed_name}_replay")
        if len(checked.passing):
            staging = create_staging(conn, feed.core_table, f"{feed_name}_replay")
            # Each row keeps the file that delivered it: its place in the order of versions.
            stage_rows(conn, staging, feed, checked.passing, rows.loc[checked.passing.index, "__file_id"])
            conflicts = take_out_same_delivery_conflicts(conn, feed, staging)
            if conflicts:
                keep_conflicts_quarantined(checked, feed, conflicts)
            write_staged(conn, feed, staging, reference)
            drop_staging(conn, staging)
            quarantine.mark_loaded(conn, [int(i) for i in checked.passing.index], requested_by)
        quarantine.update_reasons(conn, checked.reasons, checked.orphan_only)
        outcome.loaded = len(checked.passing)
        outcome.still_quarantined = len(checked.reasons)
    return outcome


def release_held_file(file_id: int, *, url: str | None = None, landing_dir: Path | None = None) -> list[FileOutcome]:
    """Load a file the gate held, as it is: its failing rows stay quarantined, the rest load."""
    url = url or db.warehouse_url()
    with psycopg.connect(url, autocommit=True) as conn:
        feed_name, file_name = ledger.held_file(conn, file_id)
        held = held_path(feed_name, file_id, file_name, landing_dir)
        if not held.exists():
            raise FileNotFoundError(f"held file {held} is missing; deliver the file again instead")
        ledger.mark_released(conn, file_id, file_name)
    outcomes = process_file(held, feed_name, url=url, ignore_gate=True, move=False)
    if all(o.status == "loaded" for o in outcomes):
        move_to(held, "archive", file_id)
    return outcomes


class FileChanged(Exception):
    """The file's content changed between its claim and the end of its load."""


class SameRows(Exception):
    """The file carries exactly the rows an earlier file of the feed delivered."""

    def __init__(self, file_id: int, file_name: str, *, rows_in: int, content_sha256: str) -> None:
        super().__init__(f"same rows as file {file_id}")
        self.file_id, self.file_name, self.rows_in, self.content_sha256 = file_id, file_name, rows_in, content_sha256


def _reject(lock_conn: psycopg.Connection, feed_name: str, path: Path, file_id: int, exc: FileRejected) -> FileOutcome:
    """Record a file that cannot be read; its message names the file, not the server path."""
    message = f"{excerpt(path.name, 120)} rejected: {exc.reason}"
    ledger.finish_file(lock_conn, file_id, status="rejected", rows_in=None, rows_loaded=None,
                       rows_quarantined=None, message=message)
    return FileOutcome(feed_name, path.name, "rejected", file_id, message=message)
