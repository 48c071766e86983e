"""Throughput of 1, 2, … loaders at once on this machine: the figures docs/scaling.md quotes.

    .venv/bin/python tests/scale/measure_workers.py [--workers 1 2] [--repeat 2]

Each round lands the demo set in a fresh warehouse on the embedded server and loads it the way the
ingest DAGs do on Celery workers: feeds in load order, the files of one feed shared out to
``N`` processes at once, each file one ``process_file`` (Great Expectations included). It prints
rows per second for each ``N`` and the figures of the warehouse after each round, which must agree.
Not a test: it measures, and the machine's other load shows in the figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql


def _load(args: tuple[str, str, str]) -> tuple[str, int, int]:
    from agritrace.pipeline import process_file

    path, feed, url = args
    [outcome, *_] = process_file(Path(path), feed, url=url)
    return outcome.status, outcome.rows_loaded, outcome.rows_quarantined


def _round(server: str, workers: int) -> dict:
    from agritrace import db
    from agritrace.bootstrap import bring_up
    from agritrace.contracts import LOAD_ORDER
    from agritrace.synth import generate_demo

    name = f"agritrace_measure_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = db.with_database(server, name)
    try:
        bring_up(url)
        with tempfile.TemporaryDirectory() as landing:
            summary = generate_demo(Path(landing), defect_rate=0.002, defects_in_own_files=False)
            started = time.perf_counter()
            statuses: dict[str, int] = {}
            # A fresh pool per round; forked children would inherit nothing useful across rounds.
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for feed in LOAD_ORDER:
                    jobs = [(str(p), feed, url) for p in summary.files[feed]]
                    for status, _loaded, _quarantined in pool.map(_load, jobs):
                        statuses[status] = statuses.get(status, 0) + 1
            seconds = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            figures = conn.execute(
                """select (select count(*) from core.certificates), (select count(*) from core.sampling_batches),
                          (select count(*) from ops.files where rows_in <> rows_loaded + rows_quarantined)"""
            ).fetchone()
        rows = sum(summary.rows.values())
        files = sum(len(v) for v in summary.files.values())
        return {"workers": workers, "files": files, "rows": rows, "seconds": round(seconds, 1),
                "rows_per_s": round(rows / seconds), "statuses": statuses,
                "certificates": figures[0], "batches": figures[1], "unbalanced_files": figures[2]}
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2, help="rounds per worker count (the median is fair)")
    args = parser.parse_args()
    os.environ.setdefault("AGRITRACE_SETTLE_SECONDS", "0")
    from agritrace import db

    server = db.server_url()
    print(f"cores: {os.cpu_count()}  load average before: {os.getloadavg()}")
    for _ in range(args.repeat):
        for workers in args.workers:
            print(_round(server, workers), f"load average: {tuple(round(x, 1) for x in os.getloadavg())}",
                  flush=True)


if __name__ == "__main__":
    main()
