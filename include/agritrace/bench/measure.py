"""Measurements run from the benchmark's own process: raw COPY, to_sql, marts and trace lookups."""

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


def refresh_marts(url: str, *, concurrently: bool) -> dict:
    """Refresh every mart once; seconds in total and per mart, and the rows each holds."""
    from agritrace.marts.refresh import mart_counts
    from agritrace.marts.refresh import refresh_marts as refresh

    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        per_mart = refresh(conn, concurrently=concurrently)
        seconds = time.perf_counter() - started
        counts = mart_counts(conn)
    return {"seconds": seconds, "per_mart_s": per_mart, "rows": counts}


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
