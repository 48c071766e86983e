"""The data-quality page for operators: what arrived, what loaded, what is stuck, and what to do.

    GET /ui/quality?days=&feed=                        per feed and day received: files, rows in / loaded /
                                                       quarantined, held and rejected files with the next
                                                       step, open quarantine by kind, top failing expectations
    GET /ui/quality/quarantine?feed=&file_id=&status=  the quarantined rows: row number, raw values, reasons
    GET /api/quality/summary?days=&feed=               the page's figures as JSON
    GET /api/quality/quarantine?feed=&file_id=&status= the rows as JSON

Reads ``ops.files``, ``quarantine.rows`` and ``dq.*`` (sql/migrations/V002) in a read-only
transaction. Every route needs the ``operator`` right; personal columns of quarantined rows (the
contracts' ``personal`` fields) are masked unless the user is also a regulator. Links are relative,
so the pages work under any mount prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse
from psycopg.rows import dict_row
from pydantic import BaseModel

from agritrace import db
from agritrace.config import settings
from agritrace.contracts import FEEDS
from agritrace.web.auth import Viewer, require
from agritrace.web.layout import e, page, pill

router = APIRouter()

Operator = Annotated[Viewer, Depends(require("operator"))]
Days = Annotated[int, Query(ge=1, le=366, description="days back from today, by the day a file was received")]
FeedName = Annotated[str | None, Query(description="one feed: " + ", ".join(FEEDS))]
# Postgres bigint: a larger number could never name a file, and must not reach the database as one.
FileId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="one file (ops.files.file_id)")]
RowStatus = Literal["open", "loaded", "superseded", "all"]

DOCS_PREFIX = "docs/gx/"
MAX_FILES = 200
MAX_ROWS = 500
TOP_EXPECTATIONS = 10
# GX names each validation run's folder after its UTC start, e.g. 20240611T021500.123456Z.


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
    kind: Literal["orphan", "unknown_analyte", "unknown_product", "other"]
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
        return ("Waiting for its parent record (producer or batch); retried automatically by the replay_quarantine "
                "DAG when the parent arrives. Act only if rows wait for days: ask the bureau for the missing parent.")
    if kind == "unknown_analyte":
        return ("Analyte name not in the reference: add an alias to ref.analyte_aliases, then "
                f"agritrace quarantine replay {feed}")
    if kind == "unknown_product":
        return ("Product name not in the reference: add an alias to ref.product_aliases, then "
                f"agritrace quarantine replay {feed}")
    return ("Rows with wrong values: correct them at the source and deliver a corrected file; "
            f"after a reference or rule fix, agritrace quarantine replay {feed}")


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


# --- personal data ----------------------------------------------------------------------------

def personal_columns(feed: str) -> frozenset[str]:
    contract = FEEDS.get(feed)
    if contract is None:
        return frozenset()
    return frozenset(header for f in contract.fields if f.personal for header in f.headers)


def mask(value: Any) -> Any:
    """The same masking as trace.mask_phone: first three and last four characters, or all of a short value."""
    if value is None:
        return None
    text = str(value)
    if len(text) >= 8:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * len(text)


def masked_row(feed: str, raw: dict[str, Any], reasons: list[dict[str, Any]]) -> tuple[dict, list[dict]]:
    personal = personal_columns(feed)
    raw = {k: mask(v) if k in personal else v for k, v in raw.items()}
    reasons = [{**r, "value": mask(r.get("value"))} if r.get("column") in personal else r for r in reasons]
    return raw, reasons


# --- GX Data Docs -----------------------------------------------------------------------------

def docs_root() -> Path:
    return settings().home / "gx_docs"


# --- queries ----------------------------------------------------------------------------------

@contextmanager
def _read_only() -> Iterator[psycopg.Connection]:
    with db.connect() as conn:
        conn.read_only = True
        yield conn


# Each file with the GX Data Docs pages its validation runs wrote.
FILES_WITH_DOCS = """select f.*, array(select v.docs_page from dq.validation_runs v
                                         where v.file_id = f.file_id and v.docs_page is not null
                                         order by v.validation_id) as docs_pages
                       from ops.files f"""


def _check_feed(feed: str | None) -> str | None:
    if feed in (None, ""):
        return None
    if feed not in FEEDS:
        raise HTTPException(400, f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    return feed


def _day_state(held: int, rejected: int, quarantined: int, processing: int) -> str:
    if held or rejected:
        return "bad"
    return "warn" if quarantined or processing else "ok"


def quality_summary(conn: psycopg.Connection, *, days: int, feed: str | None, today: date, tz: str,
                    root: Path) -> QualitySummary:
    """The figures of the quality page for the ``days`` received up to ``today`` (in ``tz``)."""
    since = today - timedelta(days=days - 1)
    window = {"tz": tz, "since": since, "feed": feed}
    in_window = ("(f.received_at at time zone %(tz)s)::date >= %(since)s "
                 "and (%(feed)s::text is null or f.feed = %(feed)s)")
    with conn.cursor(row_factory=dict_row) as cur:
        day_rows = cur.execute(
            f"""select (f.received_at at time zone %(tz)s)::date as day, f.feed, count(*) as files,
                       coalesce(sum(f.rows_in), 0) as rows_in, coalesce(sum(f.rows_loaded), 0) as rows_loaded,
                       coalesce(sum(f.rows_quarantined), 0) as rows_quarantined,
                       count(*) filter (where f.status = 'held') as held,
                       count(*) filter (where f.status = 'rejected') as rejected,
                       count(*) filter (where f.status = 'processing') as processing
                  from ops.files f where {in_window}
                 group by 1, 2 order by 1 desc, 2""", window).fetchall()
        file_rows = cur.execute(
            f"""with f as ({FILES_WITH_DOCS})
                select f.*, (select count(*) from quarantine.rows q
                              where q.file_id = f.file_id and q.status = 'open') as open_quarantined
                  from f where {in_window}
                 order by f.received_at desc, f.file_id desc limit {MAX_FILES}""", window).fetchall()
        queue_rows = cur.execute(
            """select q.feed, q.is_orphan, q.reasons, q.file_id from quarantine.rows q
                where q.status = 'open' and (%(feed)s::text is null or q.feed = %(feed)s)""", window).fetchall()
        failing = cur.execute(
            f"""select r.feed, e.expectation, e.column_name as "column", count(distinct r.file_id) as files,
                       sum(e.unexpected_count) as unexpected_rows, sum(e.quarantined_rows) as quarantined_rows
                  from dq.expectation_results e
                  join dq.validation_runs r using (validation_id)
                  join ops.files f on f.file_id = r.file_id
                 where not e.success and {in_window}
                 group by 1, 2, 3 order by unexpected_rows desc, files desc, 1, 2, 3
                 limit {TOP_EXPECTATIONS}""", window).fetchall()
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


def quarantine_listing(conn: psycopg.Connection, *, feed: str | None, file_id: int | None, status: RowStatus,
                       show_personal: bool, root: Path) -> QuarantineListing:
    """The quarantined rows of one feed or file (newest file first, in row order), personal data masked unless allowed."""
    where = ("(%(feed)s::text is null or q.feed = %(feed)s) and (%(file_id)s::bigint is null or q.file_id = %(file_id)s) "
             "and (%(status)s = 'all' or q.status = %(status)s)")
    params = {"feed": feed, "file_id": file_id, "status": status}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"select count(*) as n from quarantine.rows q where {where}", params).fetchone()["n"]
        rows = cur.execute(
            f"""select q.quarantine_id, q.feed, q.file_id, f.file_name, q.row_number, q.raw, q.reasons,
                       q.is_orphan, q.status, q.created_at
                  from quarantine.rows q join ops.files f using (file_id)
                 where {where} order by q.file_id desc, q.row_number limit {MAX_ROWS}""", params).fetchall()
        file_row = None
        if file_id is not None:
            file_row = cur.execute(
                f"""with f as ({FILES_WITH_DOCS})
                    select f.*, (select count(*) from quarantine.rows q where q.file_id = f.file_id
                                  and q.status = 'open') as open_quarantined
                      from f where f.file_id = %s""", (file_id,)).fetchone()
            if file_row is None:
                raise HTTPException(404, f"no file {file_id} in the ledger (ops.files); pick one on the quality page")
    listed = []
    for row in rows:
        raw, reasons = (row["raw"], row["reasons"]) if show_personal else masked_row(row["feed"], row["raw"],
                                                                                       row["reasons"])
        listed.append(QuarantinedRow(**{**row, "raw": raw, "reasons": reasons},
                                     kind=row_kind(row["is_orphan"], row["reasons"])))
    entry = _file_entry(file_row) if file_row else None
    return QuarantineListing(feed=feed, file_id=file_id, status=status, total=total, shown=len(listed),
                             masked=not show_personal, file=entry, rows=listed)


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


# --- routes -----------------------------------------------------------------------------------

@router.get("/api/quality/summary", response_model=QualitySummary,
            summary="Files, rows, held/rejected files, open quarantine and failing expectations per feed and day")
def summary_api(viewer: Operator, days: Days = 14, feed: FeedName = None) -> QualitySummary:
    tz = settings().timezone
    with _read_only() as conn:
        return quality_summary(conn, days=days, feed=_check_feed(feed), today=_today(tz), tz=tz, root=docs_root())


@router.get("/api/quality/quarantine", response_model=QuarantineListing, summary="Quarantined rows with their reasons")
def quarantine_api(viewer: Operator, feed: FeedName = None, file_id: FileId = None,
                   status: RowStatus = "open") -> QuarantineListing:
    with _read_only() as conn:
        return quarantine_listing(conn, feed=_check_feed(feed), file_id=file_id, status=status,
                                  show_personal=viewer.sees_personal_data, root=docs_root())


@router.get("/ui/quality", response_class=HTMLResponse, summary="The data-quality page")
def quality_page(viewer: Operator, days: Days = 14, feed: FeedName = None) -> HTMLResponse:
    summary = summary_api(viewer, days, feed)
    return HTMLResponse(page(title="Data quality · 数据质量", here="quality", root="../",
                             who=viewer.username, body=render_summary(summary, days)))


@router.get("/ui/quality/quarantine", response_class=HTMLResponse, summary="The quarantined rows page")
def quarantine_page(viewer: Operator, feed: FeedName = None, file_id: FileId = None,
                    status: RowStatus = "open") -> HTMLResponse:
    listing = quarantine_api(viewer, feed, file_id, status)
    return HTMLResponse(page(title="Quarantined rows · 隔离数据", here="quality", root="../../",
                             who=viewer.username, body=render_quarantine(listing)))


# --- rendering --------------------------------------------------------------------------------

STATUS_PILL = {"loaded": ("ok", "loaded"), "held": ("bad", "HELD"), "rejected": ("bad", "REJECTED"),
               "processing": ("wait", "processing")}
KIND_PILL = {"orphan": ("wait", "orphan · waits"), "unknown_analyte": ("warn", "unknown analyte"),
             "unknown_product": ("warn", "unknown product"), "other": ("bad", "bad values")}


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _status(status: str) -> str:
    return pill(*STATUS_PILL.get(status, ("muted", status)))


def _docs_links(entry: FileEntry, root: str) -> str:
    if not entry.docs:
        return ""
    if len(entry.docs) == 1:
        return f'<a href="{root}{e(entry.docs[0])}">GX report</a>'
    return " ".join(f'<a href="{root}{e(d)}">GX {i}</a>' for i, d in enumerate(entry.docs, 1))


def _quarantine_link(entry: FileEntry, root: str) -> str:
    if not entry.quarantine:
        return ""
    return f'<a href="{root}{e(entry.quarantine)}">{_n(entry.open_quarantined)} open rows</a>'


def render_summary(s: QualitySummary, days: int) -> str:
    t = s.totals
    root = "../"
    parts = [_filters(s, days)]
    if t.held or t.rejected:
        parts.append(f'<div class="banner bad">{t.held} held and {t.rejected} rejected file(s) need a person: '
                     "see “Needs attention” below.</div>")
    elif t.open_quarantine:
        parts.append(f'<div class="banner warn">All files loaded; {t.open_quarantine:,} row(s) wait in quarantine.</div>')
    else:
        parts.append('<div class="banner ok">All files loaded, nothing in quarantine.</div>')
    cards = [("", t.files, "files received"), ("", t.rows_in, "rows in"), ("ok", t.rows_loaded, "rows loaded"),
             ("warn" if t.rows_quarantined else "ok", t.rows_quarantined, "rows quarantined"),
             ("bad" if t.held else "ok", t.held, "files held"), ("bad" if t.rejected else "ok", t.rejected, "files rejected"),
             ("warn" if t.open_quarantine else "ok", t.open_quarantine, "open quarantine rows (all time)")]
    parts.append('<div class="cards">' + "".join(
        f'<div class="card {k}"><div class="n">{n:,}</div><div class="l">{e(label)}</div></div>' for k, n, label in cards)
        + "</div>")
    parts.append("<h2>Needs attention · 待处理文件</h2>")
    if s.attention:
        parts.append("<table><tr><th>File</th><th>Feed</th><th>Status</th><th>Received</th><th class=num>Rows in</th>"
                     "<th class=num>Failing</th><th>Message and what to do</th><th>Links</th></tr>")
        for f in s.attention:
            parts.append(
                f'<tr class="{"bad" if f.status != "processing" else ""}"><td>#{f.file_id} {e(f.file_name)}</td>'
                f"<td>{e(f.feed)}</td><td>{_status(f.status)}</td><td>{_time(f.received_at, s.timezone)}</td>"
                f"<td class=num>{_n(f.rows_in)}</td><td class=num>{_n(f.rows_quarantined)}</td>"
                f"<td>{e(f.message)}<p class=todo><b>What to do:</b> {_code(f.next_step)}</p></td>"
                f"<td class=links>{_quarantine_link(f, root)} {_docs_links(f, root)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="empty">No held, rejected or stuck files in this period.</p>')
    parts.append("<h2>Quarantine queue · 隔离队列 (open rows)</h2>")
    if s.queue:
        parts.append("<table><tr><th>Feed</th><th>Kind</th><th class=num>Rows</th><th class=num>Files</th>"
                     "<th>What to do</th><th></th></tr>")
        for q in s.queue:
            link = f'ui/quality/quarantine?{urlencode({"feed": q.feed})}'
            parts.append(f"<tr><td>{e(q.feed)}</td><td>{pill(*KIND_PILL[q.kind])}</td><td class=num>{_n(q.rows)}</td>"
                         f"<td class=num>{_n(q.files)}</td><td>{_code(q.next_step)}</td>"
                         f'<td><a href="{root}{e(link)}">rows</a></td></tr>')
        parts.append("</table>")
    else:
        parts.append('<p class="empty">The quarantine is empty.</p>')
    parts.append("<h2>Per feed and day received · 每日接收</h2>")
    if s.days:
        parts.append("<table><tr><th>Day</th><th>Feed</th><th>State</th><th class=num>Files</th><th class=num>Rows in</th>"
                     "<th class=num>Loaded</th><th class=num>Quarantined</th><th class=num>Held</th>"
                     "<th class=num>Rejected</th><th class=num>Processing</th></tr>")
        for d in s.days:
            state = {"ok": ("ok", "OK"), "warn": ("warn", "check"), "bad": ("bad", "ACTION")}[d.state]
            parts.append(f'<tr class="{d.state if d.state != "ok" else ""}"><td>{d.day}</td><td>{e(d.feed)}</td>'
                         f"<td>{pill(*state)}</td><td class=num>{_n(d.files)}</td><td class=num>{_n(d.rows_in)}</td>"
                         f"<td class=num>{_n(d.rows_loaded)}</td><td class=num>{_n(d.rows_quarantined)}</td>"
                         f"<td class=num>{_n(d.held)}</td><td class=num>{_n(d.rejected)}</td>"
                         f"<td class=num>{_n(d.processing)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append(f'<p class="empty">No files received from {s.from_day} to {s.to_day}.</p>')
    parts.append("<h2>Top failing expectations · 主要不通过规则</h2>")
    if s.top_failing:
        parts.append("<table><tr><th>Feed</th><th>Expectation [rule]</th><th>Column</th><th class=num>Files</th>"
                     "<th class=num>Unexpected rows</th><th class=num>Quarantined rows</th></tr>")
        for x in s.top_failing:
            parts.append(f"<tr><td>{e(x.feed)}</td><td><code>{e(x.expectation)}</code></td><td>{e(x.column)}</td>"
                         f"<td class=num>{_n(x.files)}</td><td class=num>{_n(x.unexpected_rows)}</td>"
                         f"<td class=num>{_n(x.quarantined_rows)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="empty">No expectation failed in this period.</p>')
    parts.append("<h2>Files · 文件</h2>")
    if s.files:
        parts.append("<table><tr><th>File</th><th>Feed</th><th>Status</th><th>Received</th><th class=num>Rows in</th>"
                     "<th class=num>Loaded</th><th class=num>Quarantined</th><th>Links</th></tr>")
        for f in s.files:
            parts.append(f"<tr><td>#{f.file_id} {e(f.file_name)}</td><td>{e(f.feed)}</td><td>{_status(f.status)}</td>"
                         f"<td>{_time(f.received_at, s.timezone)}</td><td class=num>{_n(f.rows_in)}</td>"
                         f"<td class=num>{_n(f.rows_loaded)}</td><td class=num>{_n(f.rows_quarantined)}</td>"
                         f"<td class=links>{_quarantine_link(f, root)} {_docs_links(f, root)}</td></tr>")
        parts.append("</table>")
        if len(s.files) >= MAX_FILES:
            parts.append(f'<p class="note">Showing the newest {MAX_FILES} files; narrow the period or pick a feed.</p>')
    if s.docs_index:
        parts.append(f'<p class="note">All Great Expectations reports: <a href="{root}{s.docs_index}">GX Data Docs</a></p>')
    return "".join(parts)


def _filters(s: QualitySummary, days: int) -> str:
    options = "".join(f'<option value="{e(name)}"{" selected" if name == s.feed else ""}>{e(name)}</option>'
                      for name in FEEDS)
    return (f'<form class="filters" method="get" action=""><label>Feed<select name="feed"><option value="">all feeds'
            f'</option>{options}</select></label><label>Days<input type="number" name="days" min="1" max="366" '
            f'value="{days}"></label><button>Show</button><span class="note">{s.from_day} – {s.to_day} '
            f"({e(s.timezone)}), by the day a file was received</span></form>")


def _time(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _code(text: str | None) -> str:
    """Escaped text with any ``agritrace …`` command set in code, so it can be copied exactly."""
    if not text:
        return "-"
    head, sep, command = text.partition("agritrace ")
    return e(head) + (f"<code>{e(sep + command)}</code>" if sep else "")


def render_quarantine(q: QuarantineListing) -> str:
    root = "../../"
    parts = [f'<p><a href="{root}ui/quality">← Data quality</a></p>']
    if q.file:
        f = q.file
        parts.append(
            f'<div class="banner {"bad" if f.status in ("held", "rejected") else "warn"}">File #{f.file_id} '
            f"{e(f.file_name)} ({e(f.feed)}): {_status(f.status)} — {_n(f.rows_in)} rows in, {_n(f.rows_loaded)} "
            f"loaded, {_n(f.rows_quarantined)} quarantined. {e(f.message) if f.message else ''}</div>")
        if f.next_step:
            parts.append(f"<p class=todo><b>What to do:</b> {_code(f.next_step)}</p>")
        parts.append(f"<p>{_docs_links(f, root)}</p>")
    scope = f"file #{q.file_id}" if q.file_id is not None else (f"feed {q.feed}" if q.feed else "all feeds")
    parts.append(f"<h2>{e(q.status)} rows · {e(scope)}: {q.total:,}"
                 f"{f' (showing the first {q.shown:,})' if q.shown < q.total else ''}</h2>")
    kinds = sorted({(r.feed, r.kind) for r in q.rows})
    for feed, kind in kinds:
        parts.append(f"<p class=todo>{pill(*KIND_PILL[kind])} <b>{e(feed)}</b>: {_code(queue_next_step(kind, feed))}</p>")
    if q.masked:
        parts.append('<p class="note">Personal data (contact phones) is masked; regulators see it in full.</p>')
    if not q.rows:
        parts.append('<p class="empty">No rows.</p>')
        return "".join(parts)
    parts.append("<table><tr><th class=num>Row</th><th>File</th><th>Kind</th><th>Raw values as delivered</th>"
                 "<th>Reasons (rule · column · value · message)</th></tr>")
    for r in q.rows:
        # Columns the file did not carry arrive as nulls; a missing required value shows up in the reasons.
        raw = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in r.raw.items() if v is not None)
        reasons = "".join(f"<li><code>{e(x.rule)}</code> · {e(x.column)} · <b>{e(x.value)}</b> · {e(x.message)}</li>"
                          for x in r.reasons)
        parts.append(f"<tr><td class=num>{r.row_number}</td><td>#{r.file_id} {e(r.file_name)}</td>"
                     f"<td>{pill(*KIND_PILL.get(r.kind, ('muted', r.kind)))}"
                     f"{'' if r.status == 'open' else ' ' + pill('muted', r.status)}</td>"
                     f'<td class="raw"><dl class="raw">{raw}</dl></td><td><ul class="reasons">{reasons}</ul></td></tr>')
    parts.append("</table>")
    return "".join(parts)
