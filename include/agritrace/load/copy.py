"""Bulk loading: COPY a frame into a staging table shaped like its core table.

COPY with CSV text built by pandas is the fastest path psycopg 3 offers from Python; ``load.core``
then writes staging into core as versions.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import psycopg
from psycopg import sql

NULL = r"\N"
# What pandas.api.types.infer_dtype calls a column that cannot hold a list or tuple.
_SCALAR_KINDS = frozenset({"string", "empty", "boolean", "integer", "floating", "mixed-integer-float", "decimal",
                           "date", "datetime", "datetime64", "time", "bytes"})


def _csv_value(value):
    if isinstance(value, (list, tuple)):
        # Postgres array literal; items are vocabulary words, never containing quotes or commas.
        return "{" + ",".join(str(item) for item in value) + "}"
    return value


def copy_frame(conn: psycopg.Connection, table: sql.Composable, frame: pd.DataFrame, columns: Sequence[str],
               chunk_rows: int = 50_000) -> int:
    """COPY ``frame[columns]`` into ``table``; returns rows copied."""
    statement = sql.SQL("copy {} ({}) from stdin (format csv, null {})").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Literal(NULL)
    )
    data = frame.loc[:, list(columns)]
    for column in columns:
        # Only a column holding lists needs the per-value conversion; most hold text alone.
        if data[column].dtype == object and pd.api.types.infer_dtype(data[column], skipna=True) not in _SCALAR_KINDS:
            data[column] = data[column].map(_csv_value)
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(data), chunk_rows):
            buffer = io.StringIO()
            data.iloc[start : start + chunk_rows].to_csv(buffer, header=False, index=False, na_rep=NULL)
            copy.write(buffer.getvalue())
    return len(data)


def create_staging(conn: psycopg.Connection, core_table: str, name: str) -> sql.Identifier:
    """A fresh unlogged ``staging.<name>`` shaped like ``core_table``, inside the caller's transaction."""
    staging = sql.Identifier("staging", name)
    conn.execute(sql.SQL("drop table if exists {}").format(staging))
    conn.execute(sql.SQL("create unlogged table {} (like {} including defaults)").format(
        staging, sql.Identifier(*core_table.split("."))))
    return staging

