"""The data-quality routes for operators: what arrived, what loaded, what is stuck, and what to do.

    GET /ui/quality?days=&feed=                        per feed and day received: files, rows in / loaded /
                                                       quarantined, held and rejected files with the next
                                                       step, open quarantine by kind, top failing expectations
    GET /ui/quality/quarantine?feed=&file_id=&status=  the quarantined rows: row number, raw values, reasons
    GET /api/quality/summary?days=&feed=               the page's figures as JSON
    GET /api/quality/quarantine?feed=&file_id=&status= the rows as JSON

Every route needs the ``operator`` right; file names, messages and quarantined rows come with
personal data masked (by the database) unless the user is also a regulator. The figures are ``agritrace.quality.findings``,
the pages ``agritrace.web.quality_pages``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse

from agritrace.config import settings
from agritrace.contracts import FEEDS
from agritrace.quality import findings
from agritrace.quality.findings import FileNotInLedger, QualitySummary, QuarantineListing, RowStatus
from agritrace.web import quality_pages
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


def _check_feed(feed: str | None) -> str | None:
    if feed in (None, ""):
        return None
    if feed not in FEEDS:
        raise HTTPException(400, f"unknown feed {feed!r}; feeds are {', '.join(FEEDS)}")
    return feed


def _today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()
