"""Rows of the analyst marts for the JSON API: filtered on their own columns, paged, JSON-ready.

``select_rows(conn, name, filters, …)`` reads ``mart.<name>``; every filter names one of its
columns (compared as text, so ``all`` picks a roll-up total). The mart name must come from
``refresh.mart_names()``; columns are checked against the catalogue before any query is composed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from agritrace.marts.refresh import SCHEMA


class MartNotCreated(LookupError):
    """The mart's view does not exist yet."""

    def __init__(self, name: str) -> None:
        super().__init__(f"mart.{name} has not been created yet; run the marts refresh DAG first")


class UnknownColumn(ValueError):
    """A filter names a column the mart does not have."""

    def __init__(self, name: str, unknown: list[str], columns: list[str]) -> None:
        super().__init__(f"mart.{name} has no column {', '.join(unknown)}; filter on one of: {', '.join(columns)}")


def columns(conn: psycopg.Connection, name: str) -> list[str]:
    """The columns of ``mart.<name>`` in order; empty when the mart does not exist."""
    rows = conn.execute(
        """
        select a.attname from pg_attribute a
        where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """,
        (f"{SCHEMA}.{name}",),
    ).fetchall()
    return [r[0] for r in rows]


def select_rows(conn: psycopg.Connection, name: str, filters: dict[str, str], limit: int, offset: int, *,
                year: int | None = None) -> list[dict[str, Any]]:
    """Rows of ``mart.<name>`` matching ``filters`` (and ``year`` of ``period_start``), ordered by the leading columns."""
    names = columns(conn, name)
    if not names:
        raise MartNotCreated(name)
    unknown = sorted(set(filters) - set(names))
    if unknown:
        raise UnknownColumn(name, unknown, names)
    conditions = [sql.SQL("{}::text = %s").format(sql.Identifier(column)) for column in filters]
    params: list[Any] = list(filters.values())
    if year is not None:
        conditions.append(sql.SQL("extract(year from period_start) = %s"))
        params.append(year)
    where = sql.SQL(" where ") + sql.SQL(" and ").join(conditions) if conditions else sql.SQL("")
    # Ordering by the leading columns makes paging with limit/offset stable.
    order = sql.SQL(", ").join(sql.Identifier(c) for c in names[:6])
    query = sql.SQL("select * from {}{} order by {} limit %s offset %s").format(
        sql.Identifier(SCHEMA, name), where, order
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, limit, offset]).fetchall()
    return [{k: _json(v) for k, v in row.items()} for row in rows]


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
