"""HTTP access to the analyst marts: JSON rows and an HTML page with the report's charts.

Mounted by the Airflow plugin under ``/agritrace``:

- ``GET /api/marts/pass-rate``: rows of ``mart.pass_rate_by_period``, filtered by period_type,
  year, task_type, sampling_level, region_code, product_category; a dimension given as ``all``
  reads the totals (``mart.pass_rate_by_period_totals``) instead.
- ``GET /api/marts/{name}``: rows of another mart (names whitelisted from ``sql/marts``);
  any query parameter named after one of its columns filters on it, plus ``limit``/``offset``.
- ``GET /ui/marts``: the yearly report (``?year=``) rendered as a page, with filters ``town``,
  ``product_category``, ``task_type``, ``sampling_level`` (checked against the values the marts
  hold: an unknown value or year is a 400 that lists them) and a year-over-year column.
- ``GET /ui/marts/download/{table}?format=csv|xlsx``: a table of that page, with the page's
  query parameters, so exactly the rows the page shows (``agritrace.marts.downloads``), less its
  roll-up ('all') rows unless ``rollups=true``.

Every API answer carries ``X-Data-As-Of``: when the marts were last refreshed (ISO 8601, the
oldest last refresh among the marts; ``never`` before the first refresh); the page says it in its subtitle.

Reads use the pipeline's warehouse connection in a read-only transaction and touch only the
marts, so the page can never change data or show what analysts may not see. The queries are
``agritrace.marts.query`` and ``agritrace.marts.report``, the page ``agritrace.web.marts_page``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from agritrace.marts import downloads, query
from agritrace.marts.refresh import data_as_of, mart_names
from agritrace.marts.report import (
    ReportData,
    UnknownFilterValue,
    available_years,
    check_filters,
    filter_options,
    load_report_data,
)
from agritrace.web.connections import read_only
from agritrace.web.marts_page import marts_page as render_marts_page

router = APIRouter()
MAX_ROWS = 10_000
_RESERVED = {"limit", "offset"}


AS_OF_HEADER = "X-Data-As-Of"


def _rows(response: Response, name: str, filters: dict[str, str], limit: int, offset: int,
          year: int | None = None) -> list[dict[str, Any]]:
    try:
        with read_only() as conn:
            rows = query.select_rows(conn, name, filters, limit, offset, year=year)
            as_of = data_as_of(conn)
            response.headers.update(_as_of_header(as_of))
            return rows
    except query.MartNotCreated as exc:
        raise HTTPException(503, str(exc)) from exc
    except query.UnknownColumn as exc:
        raise HTTPException(400, str(exc)) from exc


@router.get("/api/marts/pass-rate")
def pass_rate(
    response: Response,
    period_type: str = Query("year", pattern="^(month|quarter|year)$"),
    year: int | None = None,
    task_type: str | None = None,
    sampling_level: str | None = None,
    region_code: str | None = None,
    product_category: str | None = None,
    limit: int = Query(1000, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=2**63 - 1),
) -> list[dict[str, Any]]:
    """Pass rates; an omitted dimension is not filtered, ``all`` selects the total over it."""
    filters = {
        key: value
        for key, value in {
            "period_type": period_type, "task_type": task_type, "sampling_level": sampling_level,
            "region_code": region_code, "product_category": product_category,
        }.items()
        if value is not None
    }
    relation = "pass_rate_by_period_totals" if "all" in filters.values() else "pass_rate_by_period"
    return _rows(response, relation, filters, limit, offset, year)


@router.get("/api/marts/{name}")
def mart_rows(
    name: str,
    request: Request,
    response: Response,
    limit: int = Query(1000, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=2**63 - 1),
) -> list[dict[str, Any]]:
    """Rows of one mart; every other query parameter must name a column and filters on it."""
    names = mart_names()
    if name not in names:
        raise HTTPException(404, f"no mart named {name!r}; marts are: {', '.join(names)}")
    return _rows(response, name, {k: v for k, v in request.query_params.items() if k not in _RESERVED}, limit, offset)


def _as_of_header(as_of: datetime | None) -> dict[str, str]:
    return {AS_OF_HEADER: as_of.isoformat() if as_of else "never"}


PageData = tuple[ReportData | None, list[int], datetime | None, dict[str, list[str]]]


def _page_data(year: int | None, given: dict[str, str | None]) -> PageData:
    """What the marts page shows for ``year`` and the filters ``given``; None before any data.

    A year the marts do not hold, or a filter value they do not hold, is a 400 naming the values they do hold.
    """
    with read_only() as conn:
        years = available_years(conn)
        as_of = data_as_of(conn)
        if not years:
            return None, years, as_of, {}
        if year is not None and year not in years:
            raise HTTPException(400, f"no data for year {year}; the marts hold: {', '.join(map(str, years))}")
        options = filter_options(conn)
        try:
            filters = check_filters(options, given)
        except UnknownFilterValue as exc:
            raise HTTPException(400, str(exc)) from exc
        return load_report_data(conn, year or years[0], filters), years, as_of, options


@router.get("/ui/marts", response_class=HTMLResponse)
def marts_page(
    year: int | None = None, town: str | None = None, product_category: str | None = None,
    task_type: str | None = None, sampling_level: str | None = None,
) -> HTMLResponse:
    """The report for a year, narrowed by town, product category, task type and sampling level."""
    given = {"town": town, "product_category": product_category, "task_type": task_type,
             "sampling_level": sampling_level}
    data, years, as_of, options = _page_data(year, given)
    return HTMLResponse(render_marts_page(data, years, as_of, options), headers=_as_of_header(as_of))


@router.get("/ui/marts/download/{table}")
def marts_download(
    table: str, format: Literal["csv", "xlsx"] = "csv", year: int | None = None, town: str | None = None,
    product_category: str | None = None, task_type: str | None = None, sampling_level: str | None = None,
    rollups: bool = False,
) -> Response:
    """One table of the marts page as CSV or XLSX: the rows the page shows for the same query,
    without its roll-up ('all') rows unless ``rollups`` (so a column sums without double counting)."""
    if table not in downloads.TABLES:
        raise HTTPException(404, f"no marts page table {table!r}; tables are: {', '.join(downloads.TABLES)}")
    given = {"town": town, "product_category": product_category, "task_type": task_type,
             "sampling_level": sampling_level}
    data, _, as_of, _ = _page_data(year, given)
    if data is None:
        raise HTTPException(404, "the marts are empty: load data and run the marts refresh first")
    name = f"agritrace-{table}-{data.year}.{format}"
    headers = _as_of_header(as_of) | {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
    if format == "xlsx":
        return Response(downloads.xlsx_bytes(data, table, rollups), media_type=downloads.XLSX_TYPE, headers=headers)
    # A byte-order mark so spreadsheet programs read the Chinese labels as UTF-8.
    return Response("\ufeff" + downloads.csv_text(data, table, rollups), media_type="text/csv; charset=utf-8", headers=headers)
