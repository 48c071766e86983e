"""Measurements run from the benchmark's own process: raw COPY, load ceiling, to_sql, marts and trace lookups."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from agritrace import db
from agritrace.bench.data import BenchData
from agritrace.contracts import FEEDS, LOAD_ORDER

SCRATCH_SCHEMA = "bench"
COPY_BLOCK = 1 << 20
TO_SQL_CHUNK = 10_000
WARM_UP_LOOKUPS = 20
# Every kind of key a regulator traces by (trace.key_matches); lot numbers may repeat across certificates.
# The synthetic lot numbers are one per day for every producer ("<date>-01"), so a lot lookup
# returns a whole day's certificates and their producers' chains: measured, but kept out of the
# headline percentiles (trace_code stands for the trace code / lot number slot).
HEADLINE_KINDS = ("certificate_no", "batch_no", "producer_id", "report_no", "trace_code")
KEY_SAMPLES = {
    "certificate_no": "select certificate_no from core.certificates",
    "batch_no": "select batch_no from core.sampling_batches",
    "producer_id": "select producer_id from core.producers",
    "report_no": "select report_no from core.inspection_results where report_no is not null",
    "trace_code": "select trace_code from core.certificates where trace_code is not null",
    "lot_no": "select lot_no from core.certificates where lot_no is not null",
}


@dataclass
class Throughput:
    rows: int
    seconds: float
    detail: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _scratch(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCRATCH_SCHEMA)))
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(SCRATCH_SCHEMA)))


def _header(path: Path) -> list[str]:
    return list(pd.read_csv(path, nrows=0).columns)


def copy_ceiling(url: str, data: BenchData) -> Throughput:
    """COPY the generated CSV files as they are into unindexed text tables: no parsing, no checks."""
    rows, seconds, per_feed = 0, 0.0, {}
    with psycopg.connect(url, autocommit=True) as conn:
        _scratch(conn)
        for feed, path in data.files():
            table = sql.Identifier(SCRATCH_SCHEMA, f"copy_{feed}")
            columns = _header(path)
            conn.execute(sql.SQL("create table if not exists {} ({})").format(
                table, sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)))
            statement = sql.SQL("copy {} from stdin (format csv, header true)").format(table)
            started = time.perf_counter()
            with path.open("rb") as handle, conn.cursor() as cur:
                with cur.copy(statement) as copy:
                    while block := handle.read(COPY_BLOCK):
                        copy.write(block)
                copied = cur.rowcount
            elapsed = time.perf_counter() - started
            rows += copied
            seconds += elapsed
            done = per_feed.setdefault(feed, {"rows": 0, "seconds": 0.0})
            done["rows"] += copied
            done["seconds"] += elapsed
        conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(SCRATCH_SCHEMA)))
    return Throughput(rows, seconds, per_feed)


def to_sql_baseline(url: str, data: BenchData, subset_rows: int) -> Throughput:
    """pandas ``DataFrame.to_sql`` (default method: batched INSERTs) of the first rows of each feed."""
    from sqlalchemy import create_engine

    engine = create_engine(db.sqlalchemy_url(url))
    rows, seconds, per_feed = 0, 0.0, {}
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            _scratch(conn)
        for feed in dict.fromkeys(feed for feed, _ in data.files()):
            path = next(p for f, p in data.files() if f == feed)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=subset_rows)
            started = time.perf_counter()
            frame.to_sql(f"to_sql_{feed}", engine, schema=SCRATCH_SCHEMA, if_exists="replace", index=False,
                         chunksize=TO_SQL_CHUNK)
            elapsed = time.perf_counter() - started
            rows += len(frame)
            seconds += elapsed
            per_feed[feed] = {"rows": len(frame), "seconds": elapsed}
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(SCRATCH_SCHEMA)))
    finally:
        engine.dispose()
    return Throughput(rows, seconds, per_feed)


def refresh_marts(url: str, *, rebuild: bool = False) -> dict:
    """Bring the marts up to date once (or, with ``rebuild``, recompute every summary from all of
    core); seconds in total and per summary, and the rows each mart holds."""
    from agritrace.marts.refresh import mart_counts, rebuild_summaries
    from agritrace.marts.refresh import refresh_marts as refresh

    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        per_mart = (rebuild_summaries if rebuild else refresh)(conn)
        seconds = time.perf_counter() - started
        counts = mart_counts(conn)
    return {"seconds": seconds, "per_mart_s": per_mart, "rows": counts}


def export_core(url: str) -> dict[str, bytes]:
    """Each core table's rows as the ingest left them (typed, normalised), as CSV: what a load
    without validation would have to write."""
    exports: dict[str, bytes] = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for name in LOAD_ORDER:
            feed = FEEDS[name]
            query = sql.SQL("copy (select {} from {}) to stdout (format csv)").format(
                sql.SQL(", ").join(map(sql.Identifier, feed.core_columns)),
                sql.Identifier(*feed.core_table.split(".")))
            with cur.copy(query) as copy:
                exports[name] = b"".join(bytes(block) for block in copy)
    return exports


def _delivery(conn: psycopg.Connection, feed: str) -> int:
    return conn.execute("insert into ops.files (feed, sha256, file_name, size_bytes, status) "
                        "values (%s, md5(random()::text), 'bench.csv', 1, 'processing') returning file_id",
                        (feed,)).fetchone()[0]


def _empty_core(conn: psycopg.Connection) -> None:
    tables = [sql.Identifier(*FEEDS[name].core_table.split(".")) for name in LOAD_ORDER]
    conn.execute(sql.SQL("truncate {} cascade").format(sql.SQL(", ").join(tables)))


def load_ceiling(url: str, exports: dict[str, bytes]) -> Throughput:
    """COPY the core-shaped rows into an unlogged staging table, then INSERT … ON CONFLICT into the
    indexed core tables (keys, secondary indexes, foreign keys, the marts' triggers): the write the
    ingest must do, with no reading, validation or versioning. Core is emptied first."""
    rows, seconds, per_feed = 0, 0.0, {}
    with psycopg.connect(url, autocommit=True) as conn:
        _empty_core(conn)
        _scratch(conn)
        for name in LOAD_ORDER:
            feed = FEEDS[name]
            core = sql.Identifier(*feed.core_table.split("."))
            staging = sql.Identifier(SCRATCH_SCHEMA, f"stage_{name}")
            columns = sql.SQL(", ").join(map(sql.Identifier, feed.core_columns))
            updates = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c))
                                         for c in [*feed.core_columns, "file_id"] if c not in feed.core_key)
            file_id = _delivery(conn, name)
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(sql.SQL("create unlogged table {} as select {} from {} limit 0").format(
                    staging, columns, core))
                with conn.cursor() as cur, cur.copy(sql.SQL("copy {} ({}) from stdin (format csv)").format(
                        staging, columns)) as copy:
                    copy.write(exports[name])
                written = conn.execute(sql.SQL(
                    "insert into {core} ({columns}, file_id) select {columns}, %s from {staging} "
                    "on conflict ({key}) do update set {updates}").format(
                    core=core, columns=columns, staging=staging, updates=updates,
                    key=sql.SQL(", ").join(map(sql.Identifier, feed.core_key))), (file_id,)).rowcount
            elapsed = time.perf_counter() - started
            rows += written
            seconds += elapsed
            per_feed[name] = {"rows": written, "seconds": elapsed}
        conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(SCRATCH_SCHEMA)))
        _empty_core(conn)
    return Throughput(rows, seconds, per_feed)


def core_frames(url: str, subset_rows: int) -> dict[str, pd.DataFrame]:
    """Core's rows as typed frames (dates, numbers, arrays as Python values, as an application would
    hold them): every producer and result, the first ``subset_rows`` certificates and batches."""
    frames: dict[str, pd.DataFrame] = {}
    with psycopg.connect(url) as conn:
        for name in LOAD_ORDER:
            feed = FEEDS[name]
            limit = sql.SQL("") if name in ("producers", "inspection_results") else sql.SQL(" limit {}").format(
                sql.Literal(subset_rows))
            cur = conn.execute(sql.SQL("select {} from {}{}").format(
                sql.SQL(", ").join(map(sql.Identifier, feed.core_columns)),
                sql.Identifier(*feed.core_table.split(".")), limit))
            frames[name] = pd.DataFrame(cur.fetchall(), columns=list(feed.core_columns), dtype=object)
    return frames


def to_sql_indexed(url: str, frames: dict[str, pd.DataFrame], subset_rows: int) -> Throughput:
    """pandas ``DataFrame.to_sql`` (default method) of core-shaped rows appended to the same indexed
    core tables: every producer, then the first ``subset_rows`` certificates and batches and the
    first ``subset_rows`` results of those batches (so every foreign key holds). Core is emptied
    before and after."""
    from sqlalchemy import MetaData, Table, create_engine

    engine = create_engine(db.sqlalchemy_url(url))
    rows, seconds, per_feed = 0, 0.0, {}
    batches: set[str] = set()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            _empty_core(conn)
            files = {name: _delivery(conn, name) for name in LOAD_ORDER}
        for name in LOAD_ORDER:
            feed = FEEDS[name]
            frame = frames[name].copy()
            if name == "inspection_results":
                frame = frame[frame["batch_no"].isin(batches)].head(subset_rows)
            if name == "sampling_batches":
                batches = set(frame["batch_no"])
            frame["file_id"] = files[name]
            schema, table = feed.core_table.split(".")
            # The table's own column types, so pandas binds dates, numbers and arrays as such.
            types = {c.name: c.type for c in Table(table, MetaData(), schema=schema, autoload_with=engine).columns
                     if c.name in frame.columns}
            started = time.perf_counter()
            frame.to_sql(table, engine, schema=schema, if_exists="append", index=False, chunksize=TO_SQL_CHUNK,
                         dtype=types)
            elapsed = time.perf_counter() - started
            rows += len(frame)
            seconds += elapsed
            per_feed[name] = {"rows": len(frame), "seconds": elapsed}
        with psycopg.connect(url, autocommit=True) as conn:
            _empty_core(conn)
    finally:
        engine.dispose()
    return Throughput(rows, seconds, per_feed)


def sample_keys(url: str, per_kind: int, seed: float = 0.42) -> dict[str, list[str]]:
    """``per_kind`` random keys of each kind from core (with repeats where fewer distinct keys exist)."""
    keys: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        conn.execute("select setseed(%s)", (seed,))
        for kind, query in KEY_SAMPLES.items():
            statement = sql.SQL("{} order by random() limit %s").format(sql.SQL(query))
            found = [row[0] for row in conn.execute(statement, (per_kind,)).fetchall()]
            if found and len(found) < per_kind:
                found = (found * (per_kind // len(found) + 1))[:per_kind]
            keys[kind] = found
    return keys


def trace_lookups(url: str, keys: dict[str, list[str]], *, headline_kinds: tuple[str, ...] = HEADLINE_KINDS,
                  seconds_per_kind: float = 90.0) -> dict:
    """Latency of ``agritrace.trace.lookup.trace`` (the CLI/API path, audited) for every sampled key.

    ``all`` is over the ``headline_kinds``; each kind stops after ``seconds_per_kind`` (its
    ``lookups`` then says how many ran), so a kind whose every key matches thousands of rows
    cannot stall the run.
    """
    from agritrace.trace.lookup import trace

    per_kind: dict[str, list[float]] = {}
    capped: dict[str, bool] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for kind_keys in keys.values():
            for key in kind_keys[:WARM_UP_LOOKUPS // max(1, len(keys)) + 1]:
                trace(conn, key, requested_by="agritrace bench")
        for kind, kind_keys in keys.items():
            timings = per_kind.setdefault(kind, [])
            deadline = time.perf_counter() + seconds_per_kind
            for key in kind_keys:
                started = time.perf_counter()
                trace(conn, key, key_type=kind, requested_by="agritrace bench")
                timings.append((time.perf_counter() - started) * 1000)
                if time.perf_counter() > deadline:
                    break
            capped[kind] = len(timings) < len(kind_keys)
    headline = [t for kind in headline_kinds for t in per_kind.get(kind, [])]
    return {"all": _percentiles(headline), "headline_kinds": list(headline_kinds),
            "seconds": sum(sum(v) for v in per_kind.values()) / 1000,
            "per_kind": {k: {**_percentiles(v), "stopped_at_time_cap": capped[k]} for k, v in per_kind.items()}}


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"lookups": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"lookups": len(values), "p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99),
            "max_ms": float(max(values))}
