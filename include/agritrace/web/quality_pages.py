"""The data-quality pages as HTML: the summary (``render_summary``), the quarantined rows
(``render_quarantine``), one task instance's file (``task_page``) and a replay run (``run_page``).

Release and replay buttons post to ``ui/quality/recover``, which starts a ``replay_quarantine`` DAG
run in Airflow; the command-line way stays in each "What to do" line.

Pure functions over the models of ``agritrace.quality.findings``, on the shared layout. Links in
the models are relative to the app root; ``root`` is the way back there from the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from agritrace.contracts import FEEDS
from agritrace.ingest.items import stored_row_name
from agritrace.quality.findings import MAX_FILES, FileEntry, QualitySummary, QuarantineListing, queue_next_step
from agritrace.web.airflow_runs import ReplayRun
from agritrace.web.layout import PAGE, Nav, card, e, page, pill, table
from agritrace.web.task_files import ExpectationResult, RunFile

SUMMARY_ROOT = "../"  # /ui/quality
QUARANTINE_ROOT = "../../"  # /ui/quality/quarantine, /ui/quality/task, /ui/quality/run

STATUS_PILL = {"loaded": ("ok", "loaded"), "held": ("bad", "HELD"), "rejected": ("bad", "REJECTED"),
               "processing": ("wait", "processing"), "duplicate": ("ok", "same rows again")}
KIND_PILL = {"orphan": ("wait", "orphan · waits"), "unknown_analyte": ("warn", "unknown analyte"),
             "unknown_product": ("warn", "unknown product"), "other": ("bad", "bad values")}
DAY_PILL = {"ok": ("ok", "OK"), "warn": ("warn", "check"), "bad": ("bad", "ACTION")}


def summary_page(s: QualitySummary, days: int, *, who: str | None) -> str:
    return page(PAGE["quality"].label, render_summary(s, days), nav=Nav("quality", SUMMARY_ROOT), who=who)


def quarantine_page(q: QuarantineListing, *, who: str | None) -> str:
    return page("Quarantined rows · 隔离数据", render_quarantine(q), nav=Nav("quality", QUARANTINE_ROOT), who=who)


@dataclass
class TaskView:
    """One Airflow task instance and what the warehouse knows of its file (or its run's files)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    feed: str | None
    file_name: str | None = None
    listing: QuarantineListing | None = None
    validation: list[ExpectationResult] = field(default_factory=list)
    run_files: list[RunFile] = field(default_factory=list)


def task_page(v: TaskView, *, who: str | None) -> str:
    return page("File of this task · 本任务文件", render_task(v), nav=Nav("quality", QUARANTINE_ROOT), who=who,
                subtitle=f"{v.dag_id} · {v.run_id} · {v.task_id}{f' [{v.map_index}]' if v.map_index >= 0 else ''}")


def render_task(v: TaskView) -> str:
    root = QUARANTINE_ROOT
    if v.feed is None:
        return (f'<p class="empty">{e(v.dag_id)} loads no landing files; the files of every ingest run are on the '
                f'<a href="{root}{PAGE["quality"].path}">data-quality page</a>.</p>')
    if v.listing is None and v.map_index >= 0:
        what = f"file {e(v.file_name)}" if v.file_name else "no file list (find_files has no result for this run)"
        return (f'<div class="banner warn">Task {e(v.task_id)} [{v.map_index}] of {e(v.run_id)}: {what} has no ledger '
                "row for this run yet (still waiting to settle, or skipped before it was read). The task log says "
                f'which.</div><p><a href="{root}{PAGE["quality"].path}?feed={e(v.feed)}">All {e(v.feed)} files</a></p>')
    if v.listing is None:
        rows = [[f"#{f.file_id} {e(f.file_name)}", _status(f.status), e(f.outcome), _n(f.rows_in), _n(f.rows_loaded),
                 _n(f.rows_quarantined),
                 f'<a href="{root}{e("ui/quality/quarantine?" + urlencode({"file_id": f.file_id, "status": "all"}))}">rows</a>']
                for f in v.run_files]
        return (f"<h2>Files of this run · 本次运行文件 ({len(rows)})</h2>" + (table(
            ["File", "Status", "This run", "Rows in", "Loaded", "Quarantined", ""], rows,
            columns=["", "", "", "num", "num", "num", "links"]) if rows else
            '<p class="empty">This run saw no file.</p>'))
    return _validation(v.validation) + render_quarantine(v.listing)


def _validation(results: list[ExpectationResult]) -> str:
    if not results:
        return ('<h2>Validation · 校验</h2><p class="empty">No validation: the file was refused before its rows '
                "were checked (see the message below).</p>")
    failing = [r for r in results if not r.success]
    head = (f"<h2>Validation · 校验 <small>{len(results) - len(failing)} of {len(results)} expectations passed, "
            f"{results[-1].validated_at:%Y-%m-%d %H:%M} UTC</small></h2>")
    if not failing:
        return head + '<p class="note">Every expectation passed.</p>'
    return head + table(
        ["Suite", "Expectation [rule]", "Column", "Result", "Unexpected rows", "%"],
        [[e(r.suite), f"<code>{e(r.expectation)}</code>", e(r.column), pill("bad", "failed"), _n(r.unexpected_count),
          e(r.unexpected_pct)] for r in failing],
        columns=["", "", "", "", "num", "num"], row_classes=["bad"] * len(failing))


def run_page(run: ReplayRun, *, who: str | None) -> str:
    kind = {"success": "ok", "failed": "bad"}.get(run.state, "wait")
    what = (f"release of file #{run.conf.get('release_file_id')}" if run.conf.get("release_file_id") else
            f"replay of {run.conf.get('feed')} quarantine" + (f" (file #{run.conf['file_id']})"
                                                             if run.conf.get("file_id") else ""))
    body = (f'<div class="banner {"bad" if kind == "bad" else "ok" if kind == "ok" else "warn"}">'
            f'Airflow run <code class="run-id">{e(run.run_id)}</code> {pill(kind, run.state)} — {e(what)}'
            f"{f', started by {e(run.triggered_by)}' if run.triggered_by else ''}.</div>"
            f'<p><a class="outcome" href="{e(run.link)}" target="_top">The run in Airflow (its task log says what '
            "loaded)</a> · "
            f'<a href="{QUARANTINE_ROOT}{PAGE["quality"].path}">Data quality</a> · '
            f'<a href="{QUARANTINE_ROOT}{PAGE["marts"].path}">Marts</a></p>'
            '<p class="note">When the run succeeds, the core asset event it emits starts publish_marts, which '
            "refreshes the marts (their “Data as of” time moves).</p>")
    refresh = None if run.finished else "setTimeout(function(){location.reload()},5000);"
    return page("Replay run · 重新处理", body, nav=Nav("quality", QUARANTINE_ROOT), who=who, script=refresh)


def recover_button(root: str, action: str, feed: str, file_id: int | None, label: str) -> str:
    """A button that starts a replay_quarantine run (``action`` release or replay) through Airflow."""
    hidden = "".join(f'<input type="hidden" name="{k}" value="{e(v)}">'
                     for k, v in (("action", action), ("feed", feed), ("file_id", file_id)) if v is not None)
    return (f'<form class="recover" method="post" action="{root}ui/quality/recover">{hidden}'
            f"<button>{e(label)}</button></form>")


def _file_buttons(f: FileEntry, root: str) -> str:
    """Release for a held file; replay of its open rows for any file that has some."""
    if f.status == "held":
        return recover_button(root, "release", f.feed, f.file_id, "Release through Airflow")
    if f.open_quarantined:
        return recover_button(root, "replay", f.feed, f.file_id, "Replay its open rows")
    return ""


def render_summary(s: QualitySummary, days: int) -> str:
    t = s.totals
    root = SUMMARY_ROOT
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
    parts.append('<div class="cards">' + "".join(card(label, f"{n:,}", kind=k) for k, n, label in cards) + "</div>")

    parts.append("<h2>Needs attention · 待处理文件</h2>")
    parts.append(table(
        ["File", "Feed", "Status", "Received", "Rows in", "Failing", "Message and what to do", "Links"],
        [[f"#{f.file_id} {e(f.file_name)}", e(f.feed), _status(f.status), _time(f.received_at, s.timezone),
          _n(f.rows_in), _n(f.rows_quarantined),
          f"{e(f.message)}<p class=todo><b>What to do:</b> {_code(f.next_step)}</p>",
          _links(f, root) + _file_buttons(f, root)]
         for f in s.attention],
        columns=["", "", "", "", "num", "num", "", "links"],
        row_classes=["bad" if f.status != "processing" else "" for f in s.attention],
    ) if s.attention else '<p class="empty">No held, rejected or stuck files in this period.</p>')

    parts.append("<h2>Quarantine queue · 隔离队列 (open rows)</h2>")
    parts.append(table(
        ["Feed", "Kind", "Rows", "Files", "What to do", ""],
        [[e(q.feed), pill(*KIND_PILL[q.kind]), _n(q.rows), _n(q.files), _code(q.next_step),
          f'<a href="{root}{e("ui/quality/quarantine?" + urlencode({"feed": q.feed}))}">rows</a>'
          + recover_button(root, "replay", q.feed, None, "Replay feed")]
         for q in s.queue],
        columns=["", "", "num", "num"],
    ) if s.queue else '<p class="empty">The quarantine is empty.</p>')

    parts.append("<h2>Per feed and day received · 每日接收</h2>")
    parts.append(table(
        ["Day", "Feed", "State", "Files", "Rows in", "Loaded", "Quarantined", "Held", "Rejected", "Processing"],
        [[str(d.day), e(d.feed), pill(*DAY_PILL[d.state]), *(_n(n) for n in (
            d.files, d.rows_in, d.rows_loaded, d.rows_quarantined, d.held, d.rejected, d.processing))]
         for d in s.days],
        columns=["", "", "", *["num"] * 7],
        row_classes=[d.state if d.state != "ok" else "" for d in s.days],
    ) if s.days else f'<p class="empty">No files received from {s.from_day} to {s.to_day}.</p>')

    parts.append("<h2>Top failing expectations · 主要不通过规则</h2>")
    parts.append(table(
        ["Feed", "Expectation [rule]", "Column", "Files", "Unexpected rows", "Quarantined rows"],
        [[e(x.feed), f"<code>{e(x.expectation)}</code>", e(x.column), _n(x.files), _n(x.unexpected_rows),
          _n(x.quarantined_rows)] for x in s.top_failing],
        columns=["", "", "", "num", "num", "num"],
    ) if s.top_failing else '<p class="empty">No expectation failed in this period.</p>')

    parts.append("<h2>Files · 文件</h2>")
    if s.files:
        parts.append(table(
            ["File", "Feed", "Status", "Received", "Rows in", "Loaded", "Quarantined", "Links"],
            [[f"#{f.file_id} {e(f.file_name)}", e(f.feed), _status(f.status), _time(f.received_at, s.timezone),
              _n(f.rows_in), _n(f.rows_loaded), _n(f.rows_quarantined), _links(f, root)] for f in s.files],
            columns=["", "", "", "", "num", "num", "num", "links"],
        ))
        if len(s.files) >= MAX_FILES:
            parts.append(f'<p class="note">Showing the newest {MAX_FILES} files; narrow the period or pick a feed.</p>')
    if s.docs_index:
        parts.append(f'<p class="note">All Great Expectations reports: <a href="{root}{s.docs_index}">GX Data Docs</a></p>')
    return "".join(parts)


def render_quarantine(q: QuarantineListing) -> str:
    root = QUARANTINE_ROOT
    parts = [f'<p><a href="{root}{PAGE["quality"].path}">← Data quality</a></p>']
    if q.file:
        f = q.file
        parts.append(
            f'<div class="banner {"bad" if f.status in ("held", "rejected") else "warn"}">File #{f.file_id} '
            f"{e(f.file_name)} ({e(f.feed)}): {_status(f.status)} — {_n(f.rows_in)} rows in, {_n(f.rows_loaded)} "
            f"loaded, {_n(f.rows_quarantined)} quarantined. {e(f.message) if f.message else ''}</div>")
        if f.next_step:
            parts.append(f"<p class=todo><b>What to do:</b> {_code(f.next_step)}</p>")
        parts.append(f"<p>{_docs_links(f, root)}</p>{_file_buttons(f, root)}")
    scope = f"file #{q.file_id}" if q.file_id is not None else (f"feed {q.feed}" if q.feed else "all feeds")
    parts.append(f"<h2>{e(q.status)} rows · {e(scope)}: {q.total:,}"
                 f"{f' (showing the first {q.shown:,})' if q.shown < q.total else ''}</h2>")
    for feed, kind in sorted({(r.feed, r.kind) for r in q.rows}):
        parts.append(f"<p class=todo>{pill(*KIND_PILL[kind])} <b>{e(feed)}</b>: {_code(queue_next_step(kind, feed))}</p>")
    if q.masked:
        parts.append('<p class="note">Personal data (contact phones) is masked; regulators see it in full.</p>')
    if not q.rows:
        parts.append('<p class="empty">No rows.</p>')
        return "".join(parts)
    rows = []
    for r in q.rows:
        # Columns the file did not carry arrive as nulls; a missing required value shows up in the reasons.
        raw = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in r.raw.items() if v is not None)
        reasons = "".join(f"<li><code>{e(x.rule)}</code> · {e(x.column)} · <b>{e(x.value)}</b> · {e(x.message)}</li>"
                          for x in r.reasons)
        kind = pill(*KIND_PILL.get(r.kind, ("muted", r.kind))) + ("" if r.status == "open" else " " + pill("muted", r.status))
        # An item exploded from a cell is named by its source row and item ("12 item 3"), not 12003.
        rows.append([stored_row_name(r.row_number, r.raw).removeprefix("row "), f"#{r.file_id} {e(r.file_name)}", kind, f'<dl class="raw">{raw}</dl>',
                     f'<ul class="reasons">{reasons}</ul>'])
    parts.append(table(["Row", "File", "Kind", "Raw values as delivered", "Reasons (rule · column · value · message)"],
                       rows, columns=["num", "", "", "raw"]))
    return "".join(parts)


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _status(status: str) -> str:
    return pill(*STATUS_PILL.get(status, ("muted", status)))


def _links(entry: FileEntry, root: str) -> str:
    return f"{_quarantine_link(entry, root)} {_docs_links(entry, root)}"


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
