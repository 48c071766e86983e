"""Traceability events for one product, as the FSMA 204 style sortable spreadsheet or EPCIS 2.0.

One row per event — a certificate issued, the lot shipped to the buyer named on it, a sample taken,
a lab report — from ``trace.product_events`` (``sql/trace/06_product_events.sql``). The columns
follow the FDA FSMA 204 "electronic sortable spreadsheet": traceability lot code, event type and
date, product, quantity and unit, location, the parties, and the reference document (type and
number) that records the event.

    with db.connect() as conn:
        events = events_for_product(conn, "豇豆", date(2024, 1, 1), date(2024, 12, 31))
    write_events_csv(events, "cowpea-2024.csv")
    document = to_epcis(events)
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import IO, Any

import psycopg

from agritrace.reference import Product, ReferenceData
from agritrace.trace import cells
from agritrace.trace.epcis import to_epcis
from agritrace.trace.keys import normalise_key
from agritrace.trace.lookup import Interface

__all__ = [
    "EVENT_COLUMNS",
    "EVENT_HEADERS",
    "events_csv_text",
    "events_for_product",
    "to_epcis",
    "write_events_csv",
    "write_events_xlsx",
]

EVENT_COLUMNS: tuple[str, ...] = (
    # lot
    "traceability_lot_code",
    "tlc_kind",
    "lot_no",
    "trace_code",
    # event
    "event_type",
    "event_sequence",
    "event_date",
    # product
    "product_description",
    "product_code",
    "product_category",
    "quantity",
    "unit_of_measure",
    "quantity_kg",
    # where and who
    "location_description",
    "location_region",
    "producer_id",
    "producer_name",
    "destination",
    # evidence
    "reference_document_type",
    "reference_document_number",
    "disposition",
    "detail",
    # sample
    "batch_no",
)

# Chinese first in the CSV/XLSX headers (``合格证编号 certificate_no`` style); the event dicts and
# EPCIS keep the bare names.
EVENT_HEADERS_ZH: dict[str, str] = {
    "traceability_lot_code": "追溯批次码",
    "tlc_kind": "批次码类型",
    "lot_no": "批次号",
    "trace_code": "追溯码",
    "event_type": "事件类型",
    "event_sequence": "事件序号",
    "event_date": "事件日期",
    "product_description": "产品名称",
    "product_code": "产品代码",
    "product_category": "产品类别",
    "quantity": "数量",
    "unit_of_measure": "单位",
    "quantity_kg": "折合千克",
    "location_description": "地点",
    "location_region": "地区代码",
    "producer_id": "生产主体代码",
    "producer_name": "生产主体名称",
    "destination": "收货方",
    "reference_document_type": "凭证类型",
    "reference_document_number": "凭证编号",
    "disposition": "处置状态",
    "detail": "详情",
    "batch_no": "抽检批次号",
}
EVENT_HEADERS: tuple[str, ...] = tuple(cells.header(EVENT_HEADERS_ZH[c], c) for c in EVENT_COLUMNS)
# Columns holding codes shown with their Chinese label (蔬菜 vegetables).
_LABELLED = frozenset({"product_category", "event_type"})

_EVENTS = "select * from trace.product_events(%s, %s, %s, requested_by => %s, interface => %s)"


def product_of_reference(conn: psycopg.Connection, name: str) -> Product | None:
    """The reference's product for a name written any way it lists (西红柿 → 番茄), or None."""
    try:
        return ReferenceData.from_database(conn).resolve_product(normalise_key(name))
    except ValueError:
        return None


def events_for_product(
    conn: psycopg.Connection,
    product: str,
    date_from: date,
    date_to: date,
    *,
    requested_by: str = "cli",
    interface: Interface = "cli",
) -> list[dict[str, Any]]:
    """Every event for ``product`` (name or code, exact) between the dates, sorted by date and lot."""
    clean = normalise_key(product)
    if date_from > date_to:
        raise ValueError(f"from date {date_from} is after to date {date_to}; swap them")
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(_EVENTS, (clean, date_from, date_to, requested_by, interface))
        names = [d.name for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def _rows(events: list[dict[str, Any]]) -> list[list[Any]]:
    return [[cells.label(event.get(column)) if column in _LABELLED else event.get(column) for column in EVENT_COLUMNS]
            for event in events]


def events_csv_text(events: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    cells.write_csv(out, EVENT_HEADERS, _rows(events))
    return out.getvalue()


def write_events_csv(events: list[dict[str, Any]], path: Path | str) -> Path:
    """UTF-8 with BOM so spreadsheet programs open the Chinese text correctly."""
    path = Path(path)
    path.write_text(events_csv_text(events), encoding="utf-8-sig", newline="")
    return path


def write_events_xlsx(events: list[dict[str, Any]], path: Path | str | IO[bytes]) -> Path | IO[bytes]:
    return cells.write_xlsx(path, {"events": (EVENT_HEADERS, _rows(events))})
