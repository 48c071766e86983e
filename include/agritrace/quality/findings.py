"""What the validation found, for the people who act on it: the figures of the data-quality page.

- ``quality_summary``: per feed and day received, files and rows in / loaded / quarantined, held and
  rejected files with the operator's next step, the open quarantine grouped by the fix it needs,
  and the expectations that failed most;
- ``quarantine_listing``: the quarantined rows of a feed or file with their raw values and reasons.

Reads ``ops.files``, ``quarantine.rows`` and ``dq.*`` (sql/migrations/V002). Personal data is
masked by the database, not here: callers who may not see it read the views ``ops.files_masked``
and ``quarantine.rows_masked`` (migrations V007 and V010, the warehouse's one masking rule).
The web app serves these as JSON and renders them (``agritrace.web.quality_pages``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel

from agritrace.config import settings
from agritrace.contracts import FEEDS
from agritrace.triage import ORPHANS_RETRIED_BY, quarantine_replay

RowStatus = Literal["open", "loaded", "superseded", "all"]
QueueKind = Literal["orphan", "unknown_analyte", "unknown_product", "other"]

# Links in the models are relative to the web app's root (the pages prefix them with the way back).
DOCS_PREFIX = "docs/gx/"
MAX_FILES = 200
MAX_ROWS = 500
TOP_EXPECTATIONS = 10


def docs_root() -> Path:
    """Where the validation runs write the Great Expectations Data Docs."""
    return settings().home / "gx_docs"


class FileNotInLedger(LookupError):
    """A file id that ``ops.files`` does not hold."""

    def __init__(self, file_id: int) -> None:
        super().__init__(f"no file {file_id} in the ledger (ops.files); pick one on the quality page")
        self.file_id = file_id


# --- what the page shows ----------------------------------------------------------------------

class DayCounts(BaseModel):
    day: date
    feed: str
    files: int
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    held: int
    rejected: int
    processing: int
    state: Literal["ok", "warn", "bad"]


class FileEntry(BaseModel):
    file_id: int
    feed: str
    file_name: str
    status: str
    received_at: datetime
    rows_in: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    open_quarantined: int
    message: str | None
    next_step: str | None
    dag_run_id: str | None
    docs: list[str]
    quarantine: str | None


class QueueEntry(BaseModel):
    feed: str
    kind: QueueKind
    rows: int
    files: int
    next_step: str


class FailingExpectation(BaseModel):
    feed: str
    expectation: str
    column: str
    files: int
    unexpected_rows: int
    quarantined_rows: int


class Totals(BaseModel):
    files: int = 0
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    held: int = 0
    rejected: int = 0
    processing: int = 0
    open_quarantine: int = 0


class QualitySummary(BaseModel):
    from_day: date
    to_day: date
    timezone: str
    feed: str | None
    totals: Totals
    days: list[DayCounts]
    attention: list[FileEntry]
    files: list[FileEntry]
    queue: list[QueueEntry]
    top_failing: list[FailingExpectation]
    docs_index: str | None


class Reason(BaseModel):
    rule: str | None = None
    column: str | None = None
    value: Any = None
    message: str | None = None


class QuarantinedRow(BaseModel):
    quarantine_id: int
    feed: str
    file_id: int
    file_name: str
    row_number: int
    raw: dict[str, Any]
    reasons: list[Reason]
    is_orphan: bool
    status: str
    created_at: datetime
    kind: str


class QuarantineListing(BaseModel):
    feed: str | None
    file_id: int | None
    status: RowStatus
    total: int
    shown: int
    masked: bool
    file: FileEntry | None
    rows: list[QuarantinedRow]


# --- what to do -------------------------------------------------------------------------------

def file_next_step(status: str, file_id: int, feed: str) -> str | None:
    """The operator's next step for a file in this state; None when nothing needs doing."""
    if status == "held":
        return (f"Too many rows failed, so nothing was loaded. Fix the file at the source and deliver it again, "
                f"or load its passing rows as they are: agritrace quarantine release {file_id}")
    if status == "rejected":
        return ("The file could not be read (see the message): fix its format, encoding or headers and "
                f"deliver it again to landing/{feed}/. Nothing was loaded.")
    if status == "processing":
        return "Being processed now. If it stays like this for more than an hour, look at the ingest DAG run in Airflow."
    return None


def queue_next_step(kind: str, feed: str) -> str:
    if kind == "orphan":
        return (f"Waiting for its parent record (producer or batch); {ORPHANS_RETRIED_BY}. "
                "Act only if rows wait for days: ask the bureau for the missing parent.")
    if kind == "unknown_analyte":
        return ("Analyte name not in the reference: add an alias to ref.analyte_aliases, then "
                f"{quarantine_replay(feed)}")
    if kind == "unknown_product":
        return ("Product name not in the reference: add an alias to ref.product_aliases, then "
                f"{quarantine_replay(feed)}")
    return ("Rows with wrong values: correct them at the source and deliver a corrected file; "
            f"after a reference or rule fix, {quarantine_replay(feed)}")


def row_kind(is_orphan: bool, reasons: list[dict[str, Any]]) -> str:
    """Which queue a quarantined row belongs to, by the first fix it needs."""
    if is_orphan:
        return "orphan"
    rules = {reason.get("rule") for reason in reasons}
    if "reference:analyte" in rules:
        return "unknown_analyte"
    if "reference:product" in rules:
        return "unknown_product"
    return "other"


# --- queries ----------------------------------------------------------------------------------

# Each file with the GX Data Docs pages its validation runs wrote and its open quarantined rows.
_FILES = """
with f as (
    select f.*, array(select v.docs_page from dq.validation_runs v
                       where v.file_id = f.file_id and v.docs_page is not null
                       order by v.validation_id) as docs_pages
      from {files} f
)
select f.*, (select count(*) from quarantine.rows q
              where q.file_id = f.file_id and q.status = 'open') as open_quarantined
  from f
"""
_IN_WINDOW = ("(f.received_at at time zone %(tz)s)::date >= %(since)s "
              "and (%(feed)s::text is null or f.feed = %(feed)s)")


def _relations(show_personal: bool) -> dict[str, sql.Composable]:
    """The ledger and the quarantine as this caller may read them: masked by the database unless regulator."""
    if show_personal:
        return {"files": sql.Identifier("ops", "files"), "rows": sql.Identifier("quarantine", "rows")}
    return {"files": sql.Identifier("ops", "files_masked"), "rows": sql.Identifier("quarantine", "rows_masked")}


def _query(text: str, show_personal: bool) -> sql.Composed:
    return sql.SQL(text).format(**_relations(show_personal))


def quality_summary(conn: psycopg.Connection, *, days: int, feed: str | None, today: date, tz: str,
                    root: Path, show_personal: bool = False) -> QualitySummary:
    """The figures of the quality page for the ``days`` received up to ``today`` (in ``tz``).

    ``root`` is the Data Docs folder (``docs_root()``): the summary links its index when there is one.
    File names and messages come masked from ``ops.files_masked`` unless ``show_personal`` (regulators).
    """
    since = today - timedelta(days=days - 1)
    window = {"tz": tz, "since": since, "feed": feed}
    with conn.cursor(row_factory=dict_row) as cur:
        day_rows = cur.execute(_query(
            f"""select (f.received_at at time zone %(tz)s)::date as day, f.feed, count(*) as files,
                       coalesce(sum(f.rows_in), 0) as rows_in, coalesce(sum(f.rows_loaded), 0) as rows_loaded,
                       coalesce(sum(f.rows_quarantined), 0) as rows_quarantined,
                       count(*) filter (where f.status = 'held') as held,
                       count(*) filter (where f.status = 'rejected') as rejected,
                       count(*) filter (where f.status = 'processing') as processing
                  from {{files}} f where {_IN_WINDOW}
                 group by 1, 2 order by 1 desc, 2""", show_personal), window).fetchall()
        file_rows = cur.execute(_query(
            f"""{_FILES} where {_IN_WINDOW}
                order by f.received_at desc, f.file_id desc limit {MAX_FILES}""", show_personal), window).fetchall()
        queue_rows = cur.execute(
            """select q.feed, q.is_orphan, q.reasons, q.file_id from quarantine.rows q
                where q.status = 'open' and (%(feed)s::text is null or q.feed = %(feed)s)""", window).fetchall()
        failing = cur.execute(_query(
            f"""select r.feed, e.expectation, e.column_name as "column", count(distinct r.file_id) as files,
                       sum(e.unexpected_count) as unexpected_rows, sum(e.quarantined_rows) as quarantined_rows
                  from dq.expectation_results e
                  join dq.validation_runs r using (validation_id)
                  join {{files}} f on f.file_id = r.file_id
                 where not e.success and {_IN_WINDOW}
                 group by 1, 2, 3 order by unexpected_rows desc, files desc, 1, 2, 3
                 limit {TOP_EXPECTATIONS}""", show_personal), window).fetchall()
    day_counts = [DayCounts(**row, state=_day_state(row["held"], row["rejected"], row["rows_quarantined"],
                                                    row["processing"])) for row in day_rows]
    files = [_file_entry(row) for row in file_rows]
    totals = Totals(open_quarantine=len(queue_rows))
    for d in day_counts:
        for name in ("files", "rows_in", "rows_loaded", "rows_quarantined", "held", "rejected", "processing"):
            setattr(totals, name, getattr(totals, name) + getattr(d, name))
    return QualitySummary(
        from_day=since, to_day=today, timezone=tz, feed=feed, totals=totals, days=day_counts,
        attention=[f for f in files if f.status in ("held", "rejected", "processing")],
        files=files, queue=_queue(queue_rows), top_failing=[FailingExpectation(**row) for row in failing],
        docs_index=DOCS_PREFIX + "index.html" if (root / "index.html").is_file() else None,
    )


def quarantine_listing(conn: psycopg.Connection, *, feed: str | None, file_id: int | None, status: RowStatus,
                       show_personal: bool) -> QuarantineListing:
    """The quarantined rows of one feed or file (newest file first, in row order).

    Personal data comes masked from ``quarantine.rows_masked`` and ``ops.files_masked`` unless
    ``show_personal`` (regulators). Raises ``FileNotInLedger`` for a ``file_id`` the ledger does not hold.
    """
    where = ("(%(feed)s::text is null or q.feed = %(feed)s) "
             "and (%(file_id)s::bigint is null or q.file_id = %(file_id)s) "
             "and (%(status)s = 'all' or q.status = %(status)s)")
    params = {"feed": feed, "file_id": file_id, "status": status}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(_query(f"select count(*) as n from {{rows}} q where {where}", show_personal),
                            params).fetchone()["n"]
        rows = cur.execute(_query(
            f"""select q.quarantine_id, q.feed, q.file_id, f.file_name, q.row_number, q.raw, q.reasons,
                       q.is_orphan, q.status, q.created_at
                  from {{rows}} q join {{files}} f using (file_id)
                 where {where} order by q.file_id desc, q.row_number limit {MAX_ROWS}""", show_personal),
            params).fetchall()
        file_row = None
        if file_id is not None:
            file_row = cur.execute(_query(f"{_FILES} where f.file_id = %s", show_personal), (file_id,)).fetchone()
            if file_row is None:
                raise FileNotInLedger(file_id)
    listed = [QuarantinedRow(**row, kind=row_kind(row["is_orphan"], row["reasons"])) for row in rows]
    return QuarantineListing(feed=feed, file_id=file_id, status=status, total=total, shown=len(listed),
                             masked=not show_personal, file=_file_entry(file_row) if file_row else None,
                             rows=listed)


def _day_state(held: int, rejected: int, quarantined: int, processing: int) -> str:
    if held or rejected:
        return "bad"
    return "warn" if quarantined or processing else "ok"


def _file_entry(row: dict[str, Any]) -> FileEntry:
    quarantined = row["open_quarantined"]
    link = f"ui/quality/quarantine?{urlencode({'feed': row['feed'], 'file_id': row['file_id']})}"
    return FileEntry(
        **{k: row[k] for k in ("file_id", "feed", "file_name", "status", "received_at", "rows_in", "rows_loaded",
                               "rows_quarantined", "message", "dag_run_id")},
        open_quarantined=quarantined,
        next_step=file_next_step(row["status"], row["file_id"], row["feed"]),
        docs=[DOCS_PREFIX + quote(path) for path in row["docs_pages"]],
        quarantine=link if quarantined or row["rows_quarantined"] else None,
    )


def _queue(rows: list[dict[str, Any]]) -> list[QueueEntry]:
    groups: dict[tuple[str, str], set[int]] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["feed"], row_kind(row["is_orphan"], row["reasons"]))
        counts[key] = counts.get(key, 0) + 1
        groups.setdefault(key, set()).add(row["file_id"])
    order = list(FEEDS)
    return [QueueEntry(feed=feed, kind=kind, rows=counts[(feed, kind)], files=len(groups[(feed, kind)]),
                       next_step=queue_next_step(kind, feed))
            for feed, kind in sorted(counts, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1]))]
