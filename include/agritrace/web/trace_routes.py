"""HTTP routes for trace lookups: JSON API, downloads and the lookup page.

    GET /api/trace/search?q=…                              names (producers, products) containing q
    GET /api/trace/export?product=…&from=…&to=…&format=…   events for a product: csv | xlsx | epcis
    GET /api/trace/{key}?from=…&to=…&recall_days=…         the chain (format json | csv | xlsx), or the
                                                           recall list (format recall-csv | recall-xlsx)
    GET /ui/trace?q=…                                      the page: search box, chain, recall scope

Mount the router under a prefix (the Airflow plugin uses ``/agritrace``); the page links are
relative, so any prefix works. Who is asking comes from two dependencies the deployment overrides
(``app.dependency_overrides``) once it has authentication:

- ``get_requester()`` -> the name written to the audit log (default ``"api"``);
- ``get_include_personal()`` -> whether this caller may see contact phones unmasked; return True
  only for users holding the regulator role (default False: phones are masked).

Every lookup, search and export is audited in ``ops.trace_audit`` by the SQL functions.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Annotated, Literal
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from agritrace import db
from agritrace.trace import export, lookup, render
from agritrace.trace.keys import KeyNotFound, MalformedKey
from agritrace.trace.models import Problem, SearchResult, TraceResult
from agritrace.web.trace_page import render_page

router = APIRouter()

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The chain and its recall list as downloads: format -> (file name stem, renderer).
_CSV_DOWNLOADS = {"csv": ("trace", render.to_csv_text), "recall-csv": ("recall", render.recall_csv_text)}
_XLSX_DOWNLOADS = {"xlsx": ("trace", render.write_xlsx), "recall-xlsx": ("recall", render.write_recall_xlsx)}
# One year of events keeps an export to a size a browser download handles comfortably.
MAX_EXPORT_DAYS = 366


def get_requester() -> str:
    """The person asking, for the audit log. Override with the authenticated user's name."""
    return "api"


def get_include_personal() -> bool:
    """Whether the caller may see personal data (contact phones). Override: True for regulators only."""
    return False


Requester = Annotated[str, Depends(get_requester)]
IncludePersonal = Annotated[bool, Depends(get_include_personal)]
FromDate = Annotated[date | None, Query(alias="from", description="first day of the window (YYYY-MM-DD)")]
ToDate = Annotated[date | None, Query(alias="to", description="last day of the window (YYYY-MM-DD)")]

_REFUSALS = {400: {"model": Problem, "description": "malformed key or parameters"}}


def _bad_request(exc: Exception) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


@router.get(
    "/api/trace/search",
    response_model=SearchResult,
    responses=_REFUSALS,
    summary="Find producers and products by (part of) their name",
)
def search_names(
    requester: Requester,
    q: Annotated[str, Query(description="part of a producer or product name, e.g. 豇豆 or 合作社")],
) -> SearchResult:
    try:
        with db.connect() as conn:
            return lookup.search(conn, q, requested_by=requester, interface="api")
    except (MalformedKey, ValueError) as exc:
        raise _bad_request(exc) from exc


@router.get(
    "/api/trace/export",
    responses={
        200: {
            "content": {"text/csv": {}, XLSX_TYPE: {}, "application/ld+json": {}},
            "description": "events as CSV, XLSX or an EPCIS 2.0 JSON-LD document",
        },
        **_REFUSALS,
    },
    summary="Traceability events for a product (FSMA 204 style CSV/XLSX, or GS1 EPCIS 2.0)",
)
def export_events(
    requester: Requester,
    product: Annotated[str, Query(description="product name or code, exactly, e.g. 豇豆")],
    from_date: Annotated[date, Query(alias="from")],
    to_date: Annotated[date, Query(alias="to")],
    format: Literal["csv", "xlsx", "epcis"] = "csv",
) -> Response:
    if to_date - from_date > timedelta(days=MAX_EXPORT_DAYS):
        raise HTTPException(400, f"export at most {MAX_EXPORT_DAYS} days at a time; split the period")
    try:
        with db.connect() as conn:
            events = export.events_for_product(
                conn, product, from_date, to_date, requested_by=requester, interface="api"
            )
    except (MalformedKey, ValueError) as exc:
        raise _bad_request(exc) from exc
    name = f"trace-events-{from_date}-{to_date}"
    if format == "epcis":
        return JSONResponse(
            export.to_epcis(events), media_type="application/ld+json", headers=_attachment(f"{name}.jsonld")
        )
    if format == "xlsx":
        buffer = io.BytesIO()
        export.write_events_xlsx(events, buffer)
        return Response(buffer.getvalue(), media_type=XLSX_TYPE, headers=_attachment(f"{name}.xlsx"))
    return Response(
        "\ufeff" + export.events_csv_text(events),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"{name}.csv"),
    )


@router.get(
    "/api/trace/{key:path}",
    response_model=TraceResult,
    responses={**_REFUSALS, 404: {"model": Problem, "description": "nothing carries this key"}},
    summary="Trace a certificate, batch, producer, report, trace code or lot number",
)
def trace_key(
    key: str,
    requester: Requester,
    include_personal: IncludePersonal,
    from_date: FromDate = None,
    to_date: ToDate = None,
    recall_days: Annotated[int, Query(ge=0, le=90, description="days either side of a failing sample")] = 7,
    key_type: Annotated[str | None, Query(description="force one key type when a key is ambiguous")] = None,
    format: Annotated[
        Literal["json", "csv", "xlsx", "recall-csv", "recall-xlsx"],
        Query(description="json, the chain as csv | xlsx, or the recall list as recall-csv | recall-xlsx"),
    ] = "json",
) -> TraceResult | Response:
    try:
        with db.connect() as conn:
            result = lookup.trace(
                conn,
                key,
                from_date=from_date,
                to_date=to_date,
                recall_days=recall_days,
                requested_by=requester,
                interface="api",
                include_personal=include_personal,
                key_type=key_type,
            )
    except KeyNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except (MalformedKey, ValueError, psycopg.errors.InvalidParameterValue) as exc:
        raise _bad_request(exc) from exc
    if format in _CSV_DOWNLOADS:
        stem, to_text = _CSV_DOWNLOADS[format]
        return Response("\ufeff" + to_text(result), media_type="text/csv; charset=utf-8",
                        headers=_attachment(f"{stem}-{result.key}.csv"))
    if format in _XLSX_DOWNLOADS:
        stem, write = _XLSX_DOWNLOADS[format]
        buffer = io.BytesIO()
        write(result, buffer)
        return Response(buffer.getvalue(), media_type=XLSX_TYPE, headers=_attachment(f"{stem}-{result.key}.xlsx"))
    return result


@router.get("/ui/trace", response_class=HTMLResponse, summary="The trace lookup page")
def trace_page(
    requester: Requester,
    include_personal: IncludePersonal,
    q: str = "",
    from_date: Annotated[str, Query(alias="from")] = "",
    to_date: Annotated[str, Query(alias="to")] = "",
    recall_days: int = 7,
) -> HTMLResponse:
    page = {"query": q, "from_date": from_date, "to_date": to_date, "recall_days": recall_days}
    if not q.strip():
        return HTMLResponse(render_page(**page))
    try:
        window = {"from_date": _day(from_date), "to_date": _day(to_date), "recall_days": recall_days}
        with db.connect() as conn:
            try:
                result = lookup.trace(
                    conn, q, requested_by=requester, interface="api", include_personal=include_personal, **window
                )
                return HTMLResponse(render_page(**page, result=result))
            except KeyNotFound:
                # not a key: perhaps part of a name
                names = lookup.search(conn, q, requested_by=requester, interface="api")
                return HTMLResponse(render_page(**page, names=names))
    except (MalformedKey, ValueError) as exc:
        return HTMLResponse(render_page(**page, error=str(exc)), status_code=400)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD") from exc


def _attachment(filename: str) -> dict[str, str]:
    # RFC 6266 filename* so Chinese product names and keys survive
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename.replace('/', '_'))}"}
