"""``run_bench``: every stage at every scale, in one run, in a database of its own."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from agritrace import db
from agritrace.bench import measure
from agritrace.bench.child import run_child
from agritrace.bench.data import BenchData, Sizes, prepare
from agritrace.bench.report import machine_info, summarise, write_report
from agritrace.pipeline import LOAD_STAGES

BENCH_DATABASE = "agritrace_bench"
DEFAULT_SCALES = (0.1, 1, 3)


def run_bench(
    rows: int = 1_000_000,
    scales: Sequence[float] = DEFAULT_SCALES,
    out_dir: Path = Path("docs"),
    url: str | None = None,
    *,
    seed: int = 7,
    chunk_rows: int = 100_000,
    trace_keys: int = 1_000,
    to_sql_rows: int = 50_000,
    gx_rows_per_feed: int = 500_000,
    scale_budget_s: float = 25 * 60,
    database: str = BENCH_DATABASE,
    echo: Callable[[str], None] = print,
) -> dict:
    """Measure ingestion, validation, marts and lookups at each scale; write benchmarks.md/.json.

    ``rows`` inspection results (and as many certificates, a tenth as many batches) make scale 1.
    The run uses a database of its own (``database``, dropped and re-created per scale) on the
    server ``url`` names, else the configured warehouse's server (embedded by default). At a
    scale above 1 whose load-dependent stages are forecast (from the scale before) to exceed
    ``scale_budget_s``, only the stages that need no load run, and the report says so.
    Returns what it wrote to ``out_dir/benchmarks.json``.
    """
    server = db.with_database(url, "postgres") if url else db.server_url()
    started = time.perf_counter()
    machine = machine_info(server)
    settings = {"rows": rows, "scales": list(scales), "seed": seed, "chunk_rows": chunk_rows,
                "trace_keys_per_kind": trace_keys, "to_sql_rows_per_feed": to_sql_rows,
                "gx_rows_per_feed": gx_rows_per_feed, "scale_budget_s": scale_budget_s}
    runs: dict[str, dict] = {}
    previous: dict | None = None
    with tempfile.TemporaryDirectory(prefix="agritrace-bench-") as scratch:
        for scale in scales:
            echo(f"scale {scale:g}×: generating data")
            run = _run_scale(db.with_database(server, database), Path(scratch), Sizes.at(rows, scale), scale,
                             settings, previous, echo)
            runs[f"{scale:g}"] = run
            previous = run
            # Written after every scale, so a long run that is stopped still leaves what it measured.
            result = summarise(runs, machine=machine, settings=settings, seconds=time.perf_counter() - started)
            write_report(result, Path(out_dir))
    return result


def _run_scale(bench_url: str, scratch: Path, sizes: Sizes, scale: float, settings: dict, previous: dict | None,
               echo: Callable[[str], None]) -> dict:
    work = scratch / f"scale_{scale:g}"
    started = time.perf_counter()
    data = prepare(work, sizes, seed=settings["seed"])
    run: dict = {"scale": scale, "sizes": vars(sizes), "rows_loaded_main": data.main_rows,
                 "rows_last_day": data.day_rows, "last_day": data.last_day,
                 "generate_s": time.perf_counter() - started, "skipped": {}}
    url = _fresh_database(bench_url)
    env = {"AGRITRACE_DATABASE_URL": url, "AGRITRACE_HOME": str(work / "home")}
    try:
        echo(f"scale {scale:g}×: raw COPY ceiling ({data.total_rows:,} rows)")
        ceiling = measure.copy_ceiling(url, data)
        run["copy_ceiling"] = {"rows": ceiling.rows, "seconds": ceiling.seconds, "rows_per_s": ceiling.rows_per_s,
                               "per_feed": ceiling.detail}
        echo(f"scale {scale:g}×: pandas to_sql baseline (first {settings['to_sql_rows_per_feed']:,} rows per feed)")
        baseline = measure.to_sql_baseline(url, data, settings["to_sql_rows_per_feed"])
        run["to_sql"] = {"rows": baseline.rows, "seconds": baseline.seconds, "rows_per_s": baseline.rows_per_s,
                         "per_feed": baseline.detail}
        forecast = _forecast(previous, data)
        if scale > 1 and forecast is not None and forecast > settings["scale_budget_s"]:
            reason = (f"forecast {forecast / 60:.0f} min from the previous scale exceeds the "
                      f"{settings['scale_budget_s'] / 60:.0f} min budget per scale")
            for stage in ("ingest", "gx", "marts_full", "ingest_day", "marts_incremental", "trace", "load_ceiling",
                          "to_sql_indexed"):
                run["skipped"][stage] = reason
            echo(f"scale {scale:g}×: skipping the load-dependent stages: {reason}")
            return run
        _load_dependent(run, url, env, data, settings, echo)
    finally:
        _drop_database(bench_url)
        shutil.rmtree(work, ignore_errors=True)
    run["total_s"] = time.perf_counter() - started
    return run


def _load_dependent(run: dict, url: str, env: dict, data: BenchData, settings: dict,
                    echo: Callable[[str], None]) -> None:
    scale = run["scale"]
    echo(f"scale {scale:g}×: end-to-end ingest (parse, normalise, validate with GX, quarantine, COPY, upsert)")
    ingest = run_child("ingest", {"url": url, "files": [[f, str(p)] for f, p in data.files()],
                                  "chunk_rows": settings["chunk_rows"]}, env)
    run["ingest"] = _ingest_summary(ingest)
    echo(f"scale {scale:g}×: marts, first refresh (every day is new: the summaries are built from all of core)")
    run["marts_full"] = measure.refresh_marts(url)
    echo(f"scale {scale:g}×: Great Expectations alone")
    gx = run_child("gx", {"url": url, "files": [[f, str(p)] for f, p in data.files()],
                          "chunk_rows": settings["chunk_rows"], "max_rows_per_feed": settings["gx_rows_per_feed"]},
                   env)
    rows = sum(f["rows"] for f in gx["feeds"].values())
    seconds = sum(f["seconds"] for f in gx["feeds"].values())
    run["gx"] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0,
                 "per_feed": gx["feeds"]}
    echo(f"scale {scale:g}×: one more day ({data.last_day}), then the marts' refresh")
    day = run_child("ingest", {"url": url, "files": [[f, str(p)] for f, p in data.files("day")],
                               "chunk_rows": settings["chunk_rows"]}, env)
    run["ingest_day"] = _ingest_summary(day)
    run["marts_incremental"] = measure.refresh_marts(url)
    echo(f"scale {scale:g}×: trace lookups ({settings['trace_keys_per_kind']:,} random keys per kind)")
    run["trace"] = measure.trace_lookups(url, measure.sample_keys(url, settings["trace_keys_per_kind"]))
    # Last: both write into the same indexed core tables, which they empty first.
    exports = measure.export_core(url)
    frames = measure.core_frames(url, settings["to_sql_rows_per_feed"])
    echo(f"scale {scale:g}×: load ceiling (COPY to staging + INSERT … ON CONFLICT into indexed core, no validation)")
    ceiling = measure.load_ceiling(url, exports)
    run["load_ceiling"] = {"rows": ceiling.rows, "seconds": ceiling.seconds, "rows_per_s": ceiling.rows_per_s,
                           "per_feed": ceiling.detail}
    echo(f"scale {scale:g}×: pandas to_sql into the same indexed core tables "
         f"(first {settings['to_sql_rows_per_feed']:,} rows per feed)")
    indexed = measure.to_sql_indexed(url, frames, settings["to_sql_rows_per_feed"])
    run["to_sql_indexed"] = {"rows": indexed.rows, "seconds": indexed.seconds, "rows_per_s": indexed.rows_per_s,
                             "per_feed": indexed.detail}


def _ingest_summary(child: dict) -> dict:
    files = child["files"]
    rows = sum(f["rows_in"] for f in files)
    seconds = sum(f["seconds"] for f in files)
    per_feed: dict[str, dict] = {}
    for f in files:
        feed = per_feed.setdefault(f["feed"], {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "seconds": 0.0})
        for key in ("rows_in", "rows_loaded", "rows_quarantined", "seconds"):
            feed[key] += f[key]
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds if seconds else 0.0,
            "rows_loaded": sum(f["rows_loaded"] for f in files),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
            "statuses": sorted({s for f in files for s in f["statuses"]}),
            "stage_seconds": {stage: sum(f["stage_seconds"][stage] for f in files) for stage in LOAD_STAGES},
            "peak_rss_mb": child["peak_rss_mb"], "startup_s": child["startup_s"], "per_feed": per_feed}


def _forecast(previous: dict | None, data: BenchData) -> float | None:
    """Seconds the load-dependent stages should take: loads and refreshes scaled linearly from the
    previous scale, trace lookups as long as there (a fixed number of keys, each kind time-capped)."""
    if previous is None or "ingest" not in previous:
        return None
    loads = sum(previous[k]["seconds"] for k in ("ingest", "gx", "ingest_day", "marts_full", "marts_incremental"))
    growth = data.total_rows / max(1, sum(previous["rows_loaded_main"].values()))
    return loads * growth + previous["trace"]["seconds"]


def _fresh_database(url: str) -> str:
    from agritrace.bootstrap import bring_up

    _drop_database(url)
    with psycopg.connect(db.with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(db.make_url(url).database)))
    bring_up(url)
    return url


def _drop_database(url: str) -> None:
    with psycopg.connect(db.with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(db.make_url(url).database)))
