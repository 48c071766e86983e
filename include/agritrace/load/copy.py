"""Bulk loading: COPY a frame into a staging table shaped like its core table.

The COPY payload is CSV written by Arrow. On 200,000 certificate rows it is formatted in 0.19-0.34 s
where pandas' ``to_csv`` took 1.1-1.7 s, and the whole COPY takes 0.8-0.9 s instead of 1.6-2.3 s. The
values stored are the ones pandas' CSV gave (what core already holds, and what a new version is
compared with): a float as Python writes it (``100.0``, which a numeric keeps), booleans as
``True``/``False``, dates without a time of day. ``load.core`` then writes staging into core as versions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv
from psycopg import sql

# Arrow quotes every string and writes a null as an unquoted empty field, which is what COPY's CSV
# format reads as NULL: an empty string stays an empty string.
_WRITE = arrow_csv.WriteOptions(include_header=False)
_ARROW_REFUSES = (pa.ArrowException, OverflowError)


def _csv_value(value):
    if isinstance(value, (list, tuple)):
        # Postgres array literal; items are vocabulary words, never containing quotes or commas.
        return "{" + ",".join(str(item) for item in value) + "}"
    return value


def _as_pandas_writes(values: pd.Series) -> pa.Array:
    """A column Arrow would write otherwise (mixed Python types, times of day, float32 …), as text
    exactly as pandas' CSV writes it: its own CSV of the column, read back."""
    if values.dtype == object:
        # Not Series.map, which would make a float column of 1 and 2.5 (written 1.0).
        values = pd.Series([_csv_value(value) for value in values], dtype=object)
    text = io.StringIO(newline="")
    values.to_frame().to_csv(text, header=False, index=False)
    text.seek(0)
    return pa.array([row[0] for row in csv.reader(text)], pa.string(), mask=values.isna().to_numpy())


def _array_literals(values: pd.Series) -> pa.Array | None:
    """A column of tuples of words as Postgres array literals, each distinct tuple formatted once
    (a few combinations of vocabulary words repeat down the column)."""
    try:
        codes, distinct = pd.factorize(values.to_numpy())
    except TypeError:  # lists: unhashable
        return None
    # Only tuples of words: 1, 1.0 and True are one value to factorize but three texts to pandas.
    if not all(isinstance(t, tuple) and all(isinstance(word, str) for word in t) for t in distinct):
        return None
    return pa.array([_csv_value(t) for t in distinct], pa.string()).take(pa.array(codes, mask=codes < 0))


def _arrow_column(values: pd.Series) -> pa.Array | None:
    """The column for Arrow to write the text pandas' CSV writes; None for a kind it would write otherwise."""
    if values.dtype == "float64":
        # Python's repr, as pandas writes a float: Arrow writes 100.0 as 100 and 1e15 as 1e+15, and a
        # numeric column keeps the scale it reads.
        return pa.array(list(map(repr, values.tolist())), pa.string(), mask=values.isna().to_numpy())
    kind = pd.api.types.infer_dtype(values, skipna=True) if values.dtype == object else None
    if kind == "mixed":
        return _array_literals(values)
    # Object columns of one kind Arrow reads value for value.
    if kind not in (None, "string", "empty", "integer", "boolean"):
        return None
    try:
        array = pa.array(values, from_pandas=True)
    except _ARROW_REFUSES:
        return None
    arrow_type = array.type
    if pa.types.is_boolean(arrow_type):
        # pandas writes True/False: a boolean column reads them as Arrow's true/false, a text column keeps them.
        return pc.if_else(array, "True", "False")
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is None:
        # pandas writes a column of midnights as dates, and any other time of day in full.
        dates = array.cast(pa.date32())
        return dates if dates.cast(arrow_type).equals(array) else None
    if pa.types.is_string(arrow_type) or pa.types.is_integer(arrow_type) or pa.types.is_null(arrow_type):
        return array
    return None


def _csv_bytes(data: pd.DataFrame) -> bytes:
    arrays = []
    for i in range(data.shape[1]):
        array = _arrow_column(data.iloc[:, i])
        arrays.append(_as_pandas_writes(data.iloc[:, i]) if array is None else array)
    buffer = io.BytesIO()
    arrow_csv.write_csv(pa.Table.from_arrays(arrays, names=[str(c) for c in data.columns]), buffer, _WRITE)
    return buffer.getvalue()


def copy_frame(conn: psycopg.Connection, table: sql.Composable, frame: pd.DataFrame, columns: Sequence[str],
               chunk_rows: int = 50_000) -> int:
    """COPY ``frame[columns]`` into ``table``; returns rows copied."""
    statement = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    data = frame.loc[:, list(columns)]
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for start in range(0, len(data), chunk_rows):
            copy.write(_csv_bytes(data.iloc[start : start + chunk_rows]))
    return len(data)


def create_staging(conn: psycopg.Connection, core_table: str, name: str) -> sql.Identifier:
    """A fresh unlogged ``staging.<name>`` shaped like ``core_table``, inside the caller's transaction."""
    staging = sql.Identifier("staging", name)
    conn.execute(sql.SQL("drop table if exists {}").format(staging))
    conn.execute(sql.SQL("create unlogged table {} (like {} including defaults)").format(
        staging, sql.Identifier(*core_table.split("."))))
    return staging
