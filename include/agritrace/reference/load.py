"""Load the reference CSV files into ``ref.*``: validated first, then upserted in one transaction.

Idempotent: every row is an upsert on the table's key, so loading twice leaves the same rows.
Rows are never deleted, so aliases and limits operators added in the database survive a reload;
a CSV row with the same key as an operator's row wins (the files are the versioned truth).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import sql

from agritrace.reference.store import ReferenceData
from agritrace.reference.tables import DATA_DIR, TABLES, Row, Table, read_directory


def _limit_rows(ref: ReferenceData) -> list[Row]:
    # Limits are written as validated: codes resolved (a full official table may name foods and
    # analytes instead of codes) and the figure converted to mg/kg.
    return [
        {"standard": limit.standard, "analyte_code": limit.analyte_code, "level": limit.level,
         "product_level_code": limit.product_level_code, "kind": limit.kind,
         "limit_value": Decimal(limit.value_as_published) if limit.value_as_published else None,
         "unit": limit.unit_as_published or None,
         "mg_per_kg": None if limit.mg_per_kg is None else Decimal(str(limit.mg_per_kg)),
         "source": limit.source, "verified": limit.verified, "effective_date": limit.effective_date,
         "note": limit.note or None, "source_url": limit.source_url or None, "checked_on": limit.checked_on,
         "unverified_reason": limit.unverified_reason or None}
        for limit in ref.limits
    ]


def _upsert(conn: psycopg.Connection, table: Table, rows: list[Row]) -> None:
    if not rows:
        return
    columns = [c for c in rows[0] if not c.startswith("_")]
    updates = [c for c in columns if c not in table.key]
    statement = sql.SQL("insert into {table} ({columns}) values ({values}) on conflict ({key}) do {action}").format(
        table=sql.Identifier("ref", table.name),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        key=sql.SQL(", ").join(map(sql.Identifier, table.key)),
        action=sql.SQL("update set {}").format(sql.SQL(", ").join(
            sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in updates))
        if updates else sql.SQL("nothing"),
    )
    with conn.cursor() as cur:
        cur.executemany(statement, [{c: r[c] for c in columns} for r in rows])


def load_reference(conn: psycopg.Connection, data_dir: Path | None = None) -> dict[str, int]:
    """Upsert the reference CSVs (the shipped ones by default) into ref.*; row counts per table after."""
    directory = Path(data_dir) if data_dir else DATA_DIR
    rows = read_directory(directory)
    ref = ReferenceData(rows)  # validates the files as a whole before anything is written
    rows["limits"] = _limit_rows(ref)
    counts: dict[str, int] = {}
    with conn.transaction():
        for table in TABLES:
            _upsert(conn, table, rows[table.name])
        for table in TABLES:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("ref", table.name))
            counts[table.name] = conn.execute(query).fetchone()[0]
    return counts
