r"""copy_frame round trip: every kind of column that reaches COPY (staging, the tables GX reads,
quarantine) is stored in Postgres with exactly the values pandas' CSV gave before the COPY payload
was written by Arrow, but for text reading ``\N``, which is now kept. Values are compared as
Postgres prints them, so a numeric's scale (``100.0`` against ``100``) and a NULL against an empty
string both count."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest
from agritrace.load.copy import copy_frame
from psycopg import sql

NAN = math.nan
TABLE = sql.Identifier("staging", "copy_frame_round_trip")
# column -> (Postgres type, values written, values stored as Postgres prints them; None is NULL)
COLUMNS = {
    "text_plain": ("text", ["plain", "逗号,和\"引号\"", "", None, NAN, "two\nlines", "  padded  ", "back\\slash"],
                   ["plain", "逗号,和\"引号\"", "", None, None, "two\nlines", "  padded  ", "back\\slash"]),
    "text_empty": ("text", [None] * 8, [None] * 8),
    # Text that reads like a NULL marker is text: pandas' CSV wrote \N bare, COPY's NULL marker then.
    "text_like_null": ("text", ["\\N", "NULL", "null", "\\n", "", None, "\"\"", "N"],
                       ["\\N", "NULL", "null", "\\n", "", None, "\"\"", "N"]),
    "num_float": ("numeric", [100.0, 0.1, 1e-05, 1e16, NAN, 0.30000000000000004, -0.0, 1e15],
                  ["100.0", "0.1", "0.00001", "10000000000000000", None, "0.30000000000000004", "0.0",
                   "1000000000000000.0"]),
    "num_more": ("numeric", [2.5e-07, 12345678901.5, 123456789.123, 0.0001, 1.5e-10, 1e22, 7.0, 1234567890123456.8],
                 ["0.00000025", "12345678901.5", "123456789.123", "0.0001", "0.00000000015", "10000000000000000000000",
                  "7.0", "1234567890123456.8"]),
    "dbl_float": ("double precision", [100.0, 0.1, 1e-05, 1e16, NAN, 0.30000000000000004, 2.5e-07, math.inf],
                  ["100", "0.1", "1e-05", "1e+16", None, "0.30000000000000004", "2.5e-07", "Infinity"]),
    "int_plain": ("bigint", np.array([1, -5, 0, 2**62, 7, 8, 9, 10], dtype="int64"),
                  ["1", "-5", "0", str(2**62), "7", "8", "9", "10"]),
    "int_nullable": ("bigint", pd.array([1, None, -5, 2**62, None, 0, 3, 4], dtype="Int64"),
                     ["1", None, "-5", str(2**62), None, "0", "3", "4"]),
    "bool_plain": ("boolean", np.array([True, False] * 4), ["true", "false"] * 4),
    "bool_object": ("boolean", [True, None, False, True, None, False, True, True],
                    ["true", None, "false", "true", None, "false", "true", "true"]),
    "bool_nullable": ("boolean", pd.array([True, None, False, True, None, False, True, True], dtype="boolean"),
                      ["true", None, "false", "true", None, "false", "true", "true"]),
    "bool_as_text": ("text", [True, None, False, True, None, False, True, True],
                     ["True", None, "False", "True", None, "False", "True", "True"]),
    "date_object": ("date", [dt.date(2024, 1, 2), None, dt.date(1999, 12, 31), dt.date(2024, 2, 29), None,
                             dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)],
                    ["2024-01-02", None, "1999-12-31", "2024-02-29", None, "2024-01-02", "2024-01-03", "2024-01-04"]),
    "date_datetime64": ("date", pd.to_datetime(["2024-01-02", None, "1999-12-31", "2024-02-29", "2024-03-01",
                                                "2024-03-02", None, "2024-03-04"]),
                        ["2024-01-02", None, "1999-12-31", "2024-02-29", "2024-03-01", "2024-03-02", None,
                         "2024-03-04"]),
    "datetime_as_text": ("text", pd.to_datetime(["2024-01-02 10:30:00", None, "2024-01-03", "2024-01-04",
                                                 "2024-01-05 23:59:59", "2024-01-06", "2024-01-07",
                                                 "2024-01-08 00:00:01"], format="ISO8601"),
                         ["2024-01-02 10:30:00", None, "2024-01-03 00:00:00", "2024-01-04 00:00:00",
                          "2024-01-05 23:59:59", "2024-01-06 00:00:00", "2024-01-07 00:00:00",
                          "2024-01-08 00:00:01"]),
    "list_array": ("text[]", [("quality_control", "self_test"), ("self_test",), None, (), ["commissioned_test"],
                              ("quality_control",), None, ("self_test", "commissioned_test")],
                   ["{quality_control,self_test}", "{self_test}", None, "{}", "{commissioned_test}",
                    "{quality_control}", None, "{self_test,commissioned_test}"]),
    # The tables GX reads hold a list column as text.
    "list_as_text": ("text", [("quality_control", "self_test"), None, (), ("self_test",)] * 2,
                     ["{quality_control,self_test}", None, "{}", "{self_test}"] * 2),
    "mixed_types": ("text", [1, "a", 2.5, None, dt.date(2024, 1, 2), True, Decimal("1.10"), 100.0],
                    ["1", "a", "2.5", None, "2024-01-02", "True", "1.10", "100.0"]),
}


def _round_trip(url: str, chunk_rows: int) -> dict[str, list]:
    frame = pd.DataFrame({name: values for name, (_, values, _) in COLUMNS.items()})
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, (kind, _, _) in COLUMNS.items())
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("create table {} (row_number int, {})").format(TABLE, definition))
        frame.insert(0, "row_number", range(len(frame)))
        assert copy_frame(conn, TABLE, frame, list(frame.columns), chunk_rows=chunk_rows) == len(frame)
        # Text as Postgres prints it: a numeric keeps the scale it was written with.
        rows = conn.execute(sql.SQL("select {} from {} order by row_number").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(name)) for name in COLUMNS), TABLE)).fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}


@pytest.mark.parametrize("chunk_rows", [50_000, 3], ids=["one_chunk", "chunks_of_3"])
def test_every_kind_of_column_is_stored_as_written(warehouse: str, chunk_rows: int):
    stored = _round_trip(warehouse, chunk_rows)
    assert stored == {name: expected for name, (_, _, expected) in COLUMNS.items()}
