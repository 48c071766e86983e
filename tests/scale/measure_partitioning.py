"""Would monthly partitions help the large core tables? The measurement docs/scaling.md quotes.

    .venv/bin/python tests/scale/measure_partitioning.py [--rows 10000000] [--months 36]

Builds two copies of an inspection-results-shaped table in a scratch database on the embedded
server, one plain and one range-partitioned by month of ``tested_on``, with the same rows, and
times what the pipeline and the pages do with them: the trace lookup of one batch's results by its
business key, the month a mart refresh reads, the upsert of a corrected delivery by business key,
and setting aside the oldest month. Not a test: it measures, and the machine's other load shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import psycopg
from psycopg import sql

TABLE = """(
    batch_no     text not null,
    analyte_code text not null,
    test_kind    text not null default 'screening',
    tested_on    date not null,
    result_value numeric,
    verdict      text not null,
    file_id      bigint not null
)"""

ROWS = """select 'B' || (i / 8)::text, 'A' || (i %% 8)::text, 'screening',
                 date '2021-01-01' + ((i::bigint * %(months)s * 30) / %(rows)s)::int,
                 (i %% 1000) / 1000.0, case when i %% 50 = 0 then 'fail' else 'pass' end, 1
            from generate_series(0, %(rows)s - 1) as i"""


def _month(offset: int) -> str:
    year, month = divmod(offset, 12)
    return f"{2021 + year}-{month + 1:02d}-01"


def timed(conn: psycopg.Connection, statement: str, params: dict | None = None, repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` runs (each in a transaction rolled back: nothing changes)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with conn.transaction(force_rollback=True):
            conn.execute(statement, params or {})
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def build(conn: psycopg.Connection, rows: int, months: int) -> dict[str, float]:
    seconds = {}
    conn.execute(f"create table plain {TABLE}")
    conn.execute(f"create table monthly {TABLE} partition by range (tested_on)")
    for m in range(months + 2):
        # DDL takes no parameters: the bounds are literals.
        conn.execute(sql.SQL("create table {} partition of monthly for values from ({}) to ({})").format(
            sql.Identifier(f"monthly_{m:03d}"), sql.Literal(_month(m)), sql.Literal(_month(m + 1))))
    for table in ("plain", "monthly"):
        started = time.perf_counter()
        conn.execute(f"insert into {table} {ROWS}", {"rows": rows, "months": months})
        seconds[f"load {table} (s)"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    # The core key as the plain table has it; a partitioned table's unique keys must hold the partition key.
    conn.execute("alter table plain add primary key (batch_no, analyte_code, test_kind)")
    conn.execute("create index on plain (tested_on)")
    seconds["index plain (s)"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    conn.execute("alter table monthly add primary key (batch_no, analyte_code, test_kind, tested_on)")
    conn.execute("create index on monthly (batch_no)")
    seconds["index monthly (s)"] = round(time.perf_counter() - started, 1)
    conn.execute("analyze plain")
    conn.execute("analyze monthly")
    return seconds


def measure(conn: psycopg.Connection, rows: int) -> dict[str, float]:
    batch = f"B{rows // 16}"
    correction = """insert into {t} (batch_no, analyte_code, test_kind, tested_on, result_value, verdict, file_id)
                    select batch_no, analyte_code, test_kind, tested_on, result_value + 1, verdict, 2
                      from {t} where batch_no in (select 'B' || g from generate_series(%(first)s, %(first)s + 1249) g)
                    on conflict ({key}) do update set result_value = excluded.result_value, file_id = excluded.file_id"""
    month = """select verdict, count(*) from {t} where tested_on >= date '2022-06-01' and tested_on < date '2022-07-01'
               group by verdict"""
    out = {}
    for table, key in (("plain", "batch_no, analyte_code, test_kind"),
                       ("monthly", "batch_no, analyte_code, test_kind, tested_on")):
        t = sql.Identifier(table).as_string(conn)
        out[f"trace lookup by key, {table} (ms)"] = timed(
            conn, f"select * from {t} where batch_no = %(b)s", {"b": batch}, repeat=20)
        out[f"one month's verdicts, {table} (ms)"] = timed(conn, month.format(t=t))
        out[f"upsert 10,000 corrected rows, {table} (ms)"] = timed(
            conn, correction.format(t=t, key=key), {"first": rows // 32}, repeat=3)
    out["delete oldest month, plain (ms)"] = timed(
        conn, "delete from plain where tested_on < date '2021-02-01'", repeat=1)
    out["detach oldest month, monthly (ms)"] = timed(
        conn, "alter table monthly detach partition monthly_000", repeat=1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=36)
    args = parser.parse_args()
    from agritrace import db

    server = db.server_url()
    name = f"agritrace_partitions_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(db.with_database(server, name), autocommit=True) as conn:
            print(f"cores: {os.cpu_count()}  rows: {args.rows:,}  months: {args.months}")
            for key, value in {**build(conn, args.rows, args.months), **measure(conn, args.rows)}.items():
                print(f"{key:50} {value:>10}")
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
