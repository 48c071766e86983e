"""HTTP access to the analyst marts: JSON rows and an HTML page with the report's charts.

Mounted by the Airflow plugin under ``/agritrace``:

- ``GET /api/marts/pass-rate``: rows of ``mart.pass_rate_by_period``, filtered by period_type,
  year, task_type, sampling_level, region_code, product_category (pass ``all`` for a total).
- ``GET /api/marts/{name}``: rows of another mart (names whitelisted from ``sql/marts``);
  any query parameter named after one of its columns filters on it, plus ``limit``/``offset``.
- ``GET /ui/marts``: the yearly report (``?year=``) rendered as a page.

Reads use the pipeline's warehouse connection in a read-only transaction and touch only the
marts, so the page can never change data or show what analysts may not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from psycopg import sql
from psycopg.rows import dict_row

from agritrace import db
from agritrace.marts.refresh import SCHEMA, mart_names
from agritrace.marts.report import available_years, report_html

router = APIRouter()
MAX_ROWS = 10_000
_RESERVED = {"limit", "offset"}


@contextmanager
def _read_only_connection() -> Iterator[psycopg.Connection]:
    with db.connect() as conn:
        conn.read_only = True
        yield conn


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _columns(conn: psycopg.Connection, name: str) -> list[str]:
    rows = conn.execute(
        """
        select a.attname from pg_attribute a
        where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (f"{SCHEMA}.{name}",),
    ).fetchall()
    return [r[0] for r in rows]


def _select(conn: psycopg.Connection, name: str, filters: dict[str, str], limit: int, offset: int,
            extra: sql.Composable | None = None, extra_params: tuple = ()) -> list[dict[str, Any]]:
    columns = _columns(conn, name)
    if not columns:
        raise HTTPException(503, f"mart.{name} has not been created yet; run the marts refresh DAG first")
    unknown = sorted(set(filters) - set(columns))
    if unknown:
        raise HTTPException(
            400, f"mart.{name} has no column {', '.join(unknown)}; filter on one of: {', '.join(columns)}"
        )
    conditions = [sql.SQL("{}::text = %s").format(sql.Identifier(column)) for column in filters]
    params: list[Any] = list(filters.values())
    if extra is not None:
        conditions.append(extra)
        params.extend(extra_params)
    where = sql.SQL(" where ") + sql.SQL(" and ").join(conditions) if conditions else sql.SQL("")
    # Ordering by the leading columns makes paging with limit/offset stable.
    order = sql.SQL(", ").join(sql.Identifier(c) for c in columns[:6])
    query = sql.SQL("select * from {}{} order by {} limit %s offset %s").format(
        sql.Identifier(SCHEMA, name), where, order
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, limit, offset]).fetchall()
    return [{k: _json(v) for k, v in row.items()} for row in rows]


@router.get("/api/marts/pass-rate")
def pass_rate(
    period_type: str = Query("year", pattern="^(month|quarter|year)$"),
    year: int | None = None,
    task_type: str | None = None,
    sampling_level: str | None = None,
    region_code: str | None = None,
    product_category: str | None = None,
    limit: int = Query(1000, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=2**63 - 1),
) -> list[dict[str, Any]]:
    """Pass rates; an omitted dimension is not filtered, ``all`` selects its roll-up total."""
    filters = {
        key: value
        for key, value in {
            "period_type": period_type, "task_type": task_type, "sampling_level": sampling_level,
            "region_code": region_code, "product_category": product_category,
        }.items()
        if value is not None
    }
    extra = sql.SQL("extract(year from period_start) = %s") if year is not None else None
    with _read_only_connection() as conn:
        return _select(conn, "pass_rate_by_period", filters, limit, offset, extra, (year,) if year is not None else ())


@router.get("/api/marts/{name}")
def mart_rows(
    name: str,
    request: Request,
    limit: int = Query(1000, ge=1, le=MAX_ROWS),
    offset: int = Query(0, ge=0, le=2**63 - 1),
) -> list[dict[str, Any]]:
    """Rows of one mart; every other query parameter must name a column and filters on it."""
    names = mart_names()
    if name not in names:
        raise HTTPException(404, f"no mart named {name!r}; marts are: {', '.join(names)}")
    filters = {k: v for k, v in request.query_params.items() if k not in _RESERVED}
    with _read_only_connection() as conn:
        return _select(conn, name, filters, limit, offset)


@router.get("/ui/marts", response_class=HTMLResponse)
def marts_page(year: int | None = None) -> HTMLResponse:
    with _read_only_connection() as conn:
        years = available_years(conn) if _columns(conn, "pass_rate_by_period") else []
        if not years:
            return HTMLResponse(
                "<!DOCTYPE html><meta charset='utf-8'><title>Marts</title>"
                "<p>尚无数据。The marts are empty: load data and run the marts refresh first.</p>"
            )
        chosen = year if year in years else years[0]
        page = report_html(conn, chosen)
    links = " · ".join(
        f'<a href="?year={y}" style="color:#fff{";font-weight:700" if y == chosen else ""}">{y}</a>' for y in years
    )
    return HTMLResponse(page.replace("</header>", f'<p style="margin-top:8px">{links}</p></header>', 1))
