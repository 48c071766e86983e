"""The reference tables: their CSV files, columns, keys and how a CSV cell becomes a value.

One definition serves the CSV reader, the database reader and the loader, so the CSV files,
``ref.*`` and ``ReferenceData`` cannot drift apart. The column order here is the CSV header order.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

Row = dict[str, Any]


def _text(cell: str) -> str | None:
    return cell.strip() or None


def _bool(cell: str) -> bool | None:
    value = cell.strip().lower()
    if not value:
        return None
    if value in {"true", "t", "yes", "1"}:
        return True
    if value in {"false", "f", "no", "0"}:
        return False
    raise ValueError(f"{cell!r} is not true/false")


def _date(cell: str) -> date | None:
    return date.fromisoformat(cell.strip()) if cell.strip() else None


def _number(cell: str) -> Decimal | None:
    if not cell.strip():
        return None
    try:
        return Decimal(cell.strip())
    except InvalidOperation:
        raise ValueError(f"{cell!r} is not a number") from None


@dataclass(frozen=True)
class Table:
    name: str  # ref.<name> and data/<name>.csv
    columns: tuple[str, ...]
    key: tuple[str, ...]
    required: tuple[str, ...]
    converters: dict[str, Callable[[str], Any]]
    optional: tuple[str, ...] = ()  # columns a file may leave out (read as empty)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def qualified(self) -> str:
        return f"ref.{self.name}"


def _table(name, columns, key, required=None, optional=(), **converters) -> Table:
    return Table(name, tuple(columns), tuple(key), tuple(required or key), converters, tuple(optional))


# In load order: every table comes after the tables it refers to.
TABLES: tuple[Table, ...] = (
    # jurisdiction: empty in a pack's file means the pack's own (pack.yaml).
    _table("standards", ["code", "title_zh", "title_en", "analyte_kind", "role", "is_default",
                         "effective_date", "source", "jurisdiction"], ["code"],
           ["code", "title_zh", "analyte_kind", "role", "is_default"], optional=["jurisdiction"],
           is_default=_bool, effective_date=_date),
    _table("regions", ["code", "name_zh", "name_en", "level", "parent_code"], ["code"],
           ["code", "name_zh", "level"]),
    _table("towns", ["region_code", "name_zh", "kind"], ["region_code", "name_zh"]),
    _table("product_categories", ["code", "name_zh", "name_en"], ["code"], ["code", "name_zh"]),
    _table("product_groups", ["code", "name_zh", "name_en", "category_code"], ["code"],
           ["code", "name_zh", "category_code"]),
    _table("products", ["code", "name_zh", "name_en", "group_code"], ["code"],
           ["code", "name_zh", "group_code"]),
    _table("product_aliases", ["alias", "product_code", "lang"], ["alias"], ["alias", "product_code"]),
    _table("analytes", ["code", "name_zh", "name_en", "kind", "cas_no", "class_code"], ["code"],
           ["code", "name_zh", "kind"]),
    _table("analyte_aliases", ["alias", "analyte_code", "lang"], ["alias"], ["alias", "analyte_code"]),
    _table("test_categories", ["code", "name_zh", "name_en", "analyte_kind"], ["code"], ["code", "name_zh"]),
    _table("test_category_aliases", ["alias", "category_code", "lang"], ["alias"], ["alias", "category_code"]),
    _table("limits", ["standard", "analyte_code", "level", "product_level_code", "kind", "limit_value",
                      "unit", "source", "verified", "effective_date", "note", "source_url", "checked_on",
                      "unverified_reason"],
           ["standard", "analyte_code", "level", "product_level_code"],
           ["standard", "analyte_code", "level", "product_level_code", "kind", "source", "verified"],
           optional=["source_url", "checked_on", "unverified_reason"],
           limit_value=_number, verified=_bool, effective_date=_date, checked_on=_date),
)
TABLE = {t.name: t for t in TABLES}


def read_csv(table: Table, directory: Path, *, missing_ok: bool = False) -> list[Row]:
    """The rows of ``directory/<table>.csv`` as typed values; each row remembers its line.

    ``missing_ok``: a pack holds only the tables it adds to, so an absent file is no rows.
    """
    path = directory / table.file_name
    if not path.exists():
        if missing_ok:
            return []
        raise FileNotFoundError(
            f"{path}: reference file missing; every table in {', '.join(t.file_name for t in TABLES)} "
            f"is needed (see data/README.md)"
        )
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in table.columns if c not in header and c not in table.optional]
        if missing:
            raise ValueError(f"{path}: header lacks column(s) {missing}; expected {list(table.columns)}")
        rows = []
        for line, raw in enumerate(reader, start=2):
            raw = {(k or "").strip(): (v or "") for k, v in raw.items()}
            row: Row = {"_where": f"{path.name} line {line}"}
            for column in table.columns:
                convert = table.converters.get(column, _text)
                try:
                    row[column] = convert(raw.get(column) or "")
                except ValueError as exc:
                    raise ValueError(f"{path} line {line}, column {column}: {exc}") from None
            absent = [c for c in table.required if row[c] is None]
            if absent:
                raise ValueError(f"{path} line {line}: required column(s) {absent} empty")
            rows.append(row)
    return rows


def read_directory(directory: Path, *, missing_ok: bool = False) -> dict[str, list[Row]]:
    return {table.name: read_csv(table, directory, missing_ok=missing_ok) for table in TABLES}
