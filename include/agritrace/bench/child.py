"""Measurements that run in a process of their own, so its peak memory is the work's alone.

``python -m agritrace.bench.child ingest|gx '<json>'`` prints one JSON object on its last stdout
line. ``run_child`` starts it and reads that line back.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def run_child(mode: str, args: dict, env: dict[str, str]) -> dict:
    """Run one measurement in a fresh interpreter; raises with its stderr tail when it fails."""
    completed = subprocess.run(
        [sys.executable, "-m", "agritrace.bench.child", mode, json.dumps(args)],
        env={**os.environ, **env}, capture_output=True, text=True, check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark step '{mode}' failed (exit {completed.returncode}):\n"
                           + "\n".join(completed.stderr.strip().splitlines()[-25:]))
    return json.loads(lines[-1])


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program.

    ``VmHWM`` belongs to the process's own address space; ``ru_maxrss`` (and ``wait4``'s usage)
    also counts what the parent held when it forked, so a child of a large process (a long test
    run, the benchmark harness) would report the parent's size.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _startup() -> float:
    """Import what the pipeline imports lazily (GX takes seconds), so per-file timings exclude it."""
    started = time.perf_counter()
    for module in ("agritrace.pipeline", "agritrace.quality.gx_run", "agritrace.reference"):
        importlib.import_module(module)
    return time.perf_counter() - started


def ingest(args: dict) -> dict:
    """``process_file`` on every file, in order, exactly as a DAG task calls it (files stay in place)."""
    from agritrace.pipeline import LOAD_STAGES, process_file

    startup = _startup()
    files = []
    for feed, path in args["files"]:
        started = time.perf_counter()
        outcomes = process_file(Path(path), feed, url=args["url"], move=False,
                                chunk_rows=args["chunk_rows"])
        seconds = time.perf_counter() - started
        files.append({
            "feed": feed, "file": Path(path).name, "seconds": seconds,
            "rows_in": sum(o.rows_in for o in outcomes), "rows_loaded": sum(o.rows_loaded for o in outcomes),
            "rows_quarantined": sum(o.rows_quarantined for o in outcomes),
            "statuses": sorted({o.status for o in outcomes}),
            "stage_seconds": {stage: sum(o.stage_seconds.get(stage, 0.0) for o in outcomes)
                              for stage in LOAD_STAGES},
        })
    return {"startup_s": startup, "files": files, "peak_rss_mb": peak_rss_mb()}


def gx(args: dict) -> dict:
    """Great Expectations alone: the suite on each chunk's validation frame, everything else untimed."""
    import psycopg

    from agritrace.contracts import feed as feed_named
    from agritrace.ingest import iter_feed_file, load_profiles
    from agritrace.pipeline import today_in_bureau
    from agritrace.quality.gx_run import run_suite
    from agritrace.quality.rows import prepare_rows
    from agritrace.reference import ReferenceData

    startup = _startup()
    profiles = load_profiles()
    per_feed: dict[str, dict] = {}
    with psycopg.connect(args["url"]) as conn:
        reference = ReferenceData.from_database(conn)
        for feed_name, path in args["files"]:
            feed = feed_named(feed_name)
            done = per_feed.setdefault(feed_name, {"rows": 0, "seconds": 0.0})
            if done["rows"] >= args["max_rows_per_feed"]:
                continue
            for parsed in iter_feed_file(Path(path), feed, profiles, chunk_rows=args["chunk_rows"]):
                profile = next((p for p in profiles if p.name == parsed.profile), None)
                frame, checks = prepare_rows(conn, feed, parsed.raw, reference=reference, today=today_in_bureau(),
                                             profile=profile, reading_problems=parsed.problems)
                started = time.perf_counter()
                run_suite(f"{feed_name}_bench", frame, checks, url=args["url"])
                done["seconds"] += time.perf_counter() - started
                done["rows"] += len(frame)
                if done["rows"] >= args["max_rows_per_feed"]:
                    break
        conn.rollback()
    return {"startup_s": startup, "feeds": per_feed, "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    mode, payload = sys.argv[1], json.loads(sys.argv[2])
    result = {"ingest": ingest, "gx": gx}[mode](payload)
    print(json.dumps(result))
