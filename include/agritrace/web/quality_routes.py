"""The data-quality routes for operators: what arrived, what loaded, what is stuck, and what to do.

    GET /ui/quality?days=&feed=                        per feed and day received: files, rows in / loaded /
                                                       quarantined, held and rejected files with the next
                                                       step, open quarantine by kind, top failing expectations
    GET /ui/quality/quarantine?feed=&file_id=&status=  the quarantined rows: row number, raw values, reasons
    GET /api/quality/summary?days=&feed=               the page's figures as JSON
    GET /api/quality/quarantine?feed=&file_id=&status= the rows as JSON
    GET /ui/quality/task?dag_id=&run_id=&task_id=&map_index=
                                                       one task instance's file (Airflow's task-instance
                                                       tab): its ledger row, validation results and
                                                       quarantined rows; an ingest run's files otherwise
    POST /ui/quality/recover (action, feed, file_id)   release a held file or replay quarantined rows
                                                       by starting a replay_quarantine DAG run
    GET /ui/quality/run?run_id=                        that run: its state and its page in Airflow

Every route needs the ``operator`` right; file names, messages and quarantined rows come with
personal data masked (by the database) unless the user is also a regulator. The figures are ``agritrace.quality.findings``,
the pages ``agritrace.web.quality_pages``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from agritrace.config import settings
from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.dag_support import ingest_dag_id
from agritrace.quality import findings
from agritrace.quality.findings import FileNotInLedger, QualitySummary, QuarantineListing, RowStatus
from agritrace.web import airflow_runs, quality_pages, task_files
from agritrace.web.auth import Viewer, require
from agritrace.web.connections import read_only

router = APIRouter()

Operator = Annotated[Viewer, Depends(require("operator"))]
Days = Annotated[int, Query(ge=1, le=366, description="days back from today, by the day a file was received")]
FeedName = Annotated[str | None, Query(description="one feed: " + ", ".join(FEEDS))]
# Postgres bigint: a larger number could never name a file, and must not reach the database as one.
FileId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="one file (ops.files.file_id)")]


@router.get("/api/quality/summary", response_model=QualitySummary,
            summary="Files, rows, held/rejected files, open quarantine and failing expectations per feed and day")
def summary_api(viewer: Operator, days: Days = 14, feed: FeedName = None) -> QualitySummary:
    tz = settings().timezone
    with read_only() as conn:
        return findings.quality_summary(conn, days=days, feed=_check_feed(feed), today=_today(tz), tz=tz,
                                        root=findings.docs_root(), show_personal=viewer.sees_personal_data)


@router.get("/api/quality/quarantine", response_model=QuarantineListing, summary="Quarantined rows with their reasons")
def quarantine_api(viewer: Operator, feed: FeedName = None, file_id: FileId = None,
                   status: RowStatus = "open") -> QuarantineListing:
    try:
        with read_only() as conn:
            return findings.quarantine_listing(conn, feed=_check_feed(feed), file_id=file_id, status=status,
                                               show_personal=viewer.sees_personal_data)
    except FileNotInLedger as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/ui/quality", response_class=HTMLResponse, summary="The data-quality page")
def quality_page(viewer: Operator, days: Days = 14, feed: FeedName = None) -> HTMLResponse:
    return HTMLResponse(quality_pages.summary_page(summary_api(viewer, days, feed), days, who=viewer.username))


@router.get("/ui/quality/quarantine", response_class=HTMLResponse, summary="The quarantined rows page")
def quarantine_page(viewer: Operator, feed: FeedName = None, file_id: FileId = None,
                    status: RowStatus = "open") -> HTMLResponse:
    listing = quarantine_api(viewer, feed, file_id, status)
    return HTMLResponse(quality_pages.quarantine_page(listing, who=viewer.username))


def task_file_lookup() -> Callable[[str, str, int], str | None]:
    """How to learn which file a mapped ingest task handled: Airflow's metadata (a dependency, so a test
    without an api-server can name the file itself)."""
    return airflow_runs.task_file_name


TaskFileName = Annotated[Callable[[str, str, int], str | None], Depends(task_file_lookup)]
FEED_OF_DAG = {ingest_dag_id(name): name for name in LOAD_ORDER}


@router.get("/ui/quality/task", response_class=HTMLResponse, summary="One task instance's file, as Airflow's tab")
def task_page(viewer: Operator, file_name_of: TaskFileName, dag_id: str, run_id: str, task_id: str,
              map_index: str = "-1") -> HTMLResponse:
    # Airflow leaves {MAP_INDEX} as it is for a task that is not mapped.
    index = int(map_index) if map_index.lstrip("-").isdigit() else -1
    feed = FEED_OF_DAG.get(dag_id)
    view = quality_pages.TaskView(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=index, feed=feed)
    if feed is None:
        return HTMLResponse(quality_pages.task_page(view, who=viewer.username))
    with read_only() as conn:
        file_name = file_name_of(dag_id, run_id, index) if index >= 0 else None
        if file_name is not None:
            file_id = task_files.delivered_file_id(conn, feed=feed, run_id=run_id, file_name=file_name)
            view.file_name = file_name
            if file_id is not None:
                view.listing = findings.quarantine_listing(conn, feed=None, file_id=file_id, status="all",
                                                           show_personal=viewer.sees_personal_data)
                view.validation = task_files.file_validation(conn, file_id)
        else:
            view.run_files = task_files.run_files(conn, feed=feed, run_id=run_id,
                                                show_personal=viewer.sees_personal_data)
    return HTMLResponse(quality_pages.task_page(view, who=viewer.username))


@router.post("/ui/quality/recover", summary="Release a held file or replay quarantined rows through Airflow")
def recover(request: Request, viewer: Operator, action: Annotated[str, Form()], feed: Annotated[str, Form()],
            file_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None) -> RedirectResponse:
    _same_origin(request)
    feed = _check_feed(feed)
    if feed is None or action not in ("release", "replay") or (action == "release" and file_id is None):
        raise HTTPException(400, "recover needs action=release with a file_id, or action=replay, and a feed")
    conf = ({"feed": feed, "release_file_id": file_id} if action == "release" else
            {"feed": feed, "file_id": file_id, "quarantine_ids": []})
    try:
        run = airflow_runs.trigger_replay(request, conf)
    except airflow_runs.AirflowRefused as exc:
        raise HTTPException(502 if exc.status >= 500 else exc.status, str(exc)) from exc
    return RedirectResponse(f"run?{urlencode({'run_id': run.run_id})}", status_code=303)


@router.get("/ui/quality/run", response_class=HTMLResponse, summary="A replay_quarantine run started from a page")
def run_page(request: Request, viewer: Operator, run_id: Annotated[str, Query(max_length=250)]) -> HTMLResponse:
    try:
        run = airflow_runs.replay_run(request, run_id)
    except airflow_runs.AirflowRefused as exc:
        raise HTTPException(exc.status if exc.status < 500 else 502, str(exc)) from exc
    return HTMLResponse(quality_pages.run_page(run, who=viewer.username))


def _same_origin(request: Request) -> None:
    """A form posted from another site (the browser sends Airflow's cookie along) is refused."""
    origin = request.headers.get("origin")
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")}  # behind a proxy too
    if origin and urlsplit(origin).netloc not in hosts:
        raise HTTPException(403, f"form posted from {origin}; start a replay from this server's own pages")


def _check_feed(feed: str | None) -> str | None:
    if feed in (None, ""):
        return None
    if feed not in FEEDS:
        raise HTTPException(400, f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    return feed


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()
