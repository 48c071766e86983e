"""CSV and XLSX downloads of the tables on the marts page: the same rows the page shows.

``table_rows(data, name)`` takes the ``ReportData`` the page was rendered from (same year, same
filters), so a download never disagrees with the page; roll-up rows (the page's 'all' totals) are
left out unless asked for, so a column of the file sums to the page's total. Values are the marts' own (numbers as
numbers, codes as codes); the writers of ``agritrace.trace.cells`` defuse formula-leading text.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agritrace.marts.report import ReportData, without_redundant_totals
from agritrace.trace.cells import write_csv, write_xlsx


@dataclass(frozen=True)
class DownloadTable:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: Callable[[ReportData], list[dict[str, Any]]]
    # Whether a row is a roll-up (a total over others in the same table): left out unless asked for.
    rollup: Callable[[dict[str, Any]], bool] = lambda row: False


def _by_task(data: ReportData) -> list[dict[str, Any]]:
    return [
        {**r, "year": data.year, "product_category": data.filters.product_category or "all",
         "rollup": r["task_type"] == "all" or r["sampling_level"] == "all"}
        for r in without_redundant_totals(data.by_task)
    ]


def _risk(data: ReportData) -> list[dict[str, Any]]:
    return [{"risk_grade": g, "producers": data.risk_grades.get(g, 0), "as_of_date": data.risk_as_of} for g in "ABCD"]


def _year(key: str) -> Callable[[ReportData], list[dict[str, Any]]]:
    return lambda data: [{**r, "year": data.year} for r in getattr(data, key)]


TABLES: dict[str, DownloadTable] = {
    t.name: t
    for t in (
        DownloadTable(
            "by_task", "By task type and sampling level",
            ("year", "product_category", "task_type", "sampling_level", "rollup", "batches", "passed_batches",
             "failed_batches", "unconfirmed_batches", "pending_batches", "pass_rate_pct", "wilson_low_pct",
             "wilson_high_pct", "prev_year_pass_rate_pct", "change_pct_points"),
            _by_task,
            rollup=lambda row: row["rollup"],
        ),
        DownloadTable(
            "analytes", "Most exceeded analytes",
            ("year", "analyte_code", "analyte_name", "test_kind", "tested", "detected", "exceeded", "banned_detected",
             "unconfirmed_positives", "exceedance_rate_pct", "max_ratio_to_limit"),
            _year("analytes"),
        ),
        DownloadTable("risk_grades", "Producer risk grades", ("risk_grade", "producers", "as_of_date"), _risk),
        DownloadTable(
            "under_sampled", "Under-sampled towns and categories",
            ("year", "town", "product_category", "certificates", "batches_sampled", "batches_per_1000_certificates",
             "reference_per_1000_certificates"),
            _year("under_sampled"),
        ),
    )
}
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_rows(data: ReportData, name: str, rollups: bool = False) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Header and rows of the page table ``name`` (a key of ``TABLES``).

    Roll-up rows ('all' totals the page shows beside their members) are left out unless ``rollups``,
    so summing a column of the file never counts a batch twice; the ``rollup`` column says which is which.
    """
    table = TABLES[name]
    rows = [row for row in table.rows(data) if rollups or not table.rollup(row)]
    return table.columns, [[row.get(c) for c in table.columns] for row in rows]


def csv_text(data: ReportData, name: str, rollups: bool = False) -> str:
    out = io.StringIO()
    write_csv(out, *table_rows(data, name, rollups))
    return out.getvalue()


def xlsx_bytes(data: ReportData, name: str, rollups: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, {name: table_rows(data, name, rollups)})
    return buffer.getvalue()
