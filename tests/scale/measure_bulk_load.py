"""Bulk mode against keeping the indexes: the measurement docs/scaling.md quotes ("Bulk mode for backfills").

    .venv/bin/python tests/scale/measure_bulk_load.py [--rows 200000] [--repeat 3] [--held 0 200000 600000 1200000]

In scratch databases on the embedded server, with synthetic certificates (``agritrace.synth``):

1. end to end: ``process_file`` of one certificates file of ``--rows`` rows into an empty table,
   then of a second file (new keys) into the table holding the first, once with the indexes kept
   (``AGRITRACE_BULK_LOAD_ROWS`` above any file) and once in bulk mode;
2. the write alone (``write_core``, what bulk mode changes): ``--rows`` and a quarter of that staged
   as new keys into ``core.certificates`` holding each of ``--held`` rows, indexes kept and bulk mode
   (forced whatever the share of the table: where that rule comes from), each write rolled back and
   the table vacuumed before the next, the median of ``--repeat``.

Not a test: it measures, and the machine's other load shows (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from agritrace import config, db
from agritrace.bootstrap import bring_up
from agritrace.contracts import FEEDS
from agritrace.load.copy import create_staging
from agritrace.load.core import write_core
from agritrace.pipeline import process_file
from agritrace.synth.scale import generate_scale
from psycopg import sql

FEED = FEEDS["certificates"]
KEPT, BULK = str(10**12), "1"  # AGRITRACE_BULK_LOAD_ROWS: never, and whenever the table share allows


def _warehouse(server: str, name: str, producers: list[Path], landing: Path) -> str:
    """A new migrated warehouse holding the generated producers (a template copy would need the
    source database without sessions, and the validation engine keeps its own)."""
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = db.with_database(server, name)
    bring_up(url)
    for path in producers:
        process_file(_landed(path, landing, "producers"), "producers", url=url, move=False)
    return url


def _drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _split(source: Path, rows: int, out: Path) -> tuple[Path, Path]:
    """The generated certificates as two files of ``rows`` rows each."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = out / "certificates_1.csv", out / "certificates_2.csv"
    first.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[rows + 1: 2 * rows + 1]), encoding="utf-8")
    return first, second


def _landed(path: Path, landing: Path, feed: str) -> Path:
    target = landing / feed / path.name
    target.write_bytes(path.read_bytes())
    return target


def end_to_end(server: str, base: str, files: tuple[Path, Path], producers: list[Path], landing: Path) -> None:
    print("end to end (process_file: read, validate, stage, write), seconds:")
    for mode, threshold in (("indexes kept", KEPT), ("bulk mode", BULK)):
        os.environ["AGRITRACE_BULK_LOAD_ROWS"] = threshold
        name = f"{base}_{mode.split()[0]}"
        url = _warehouse(server, name, producers, landing)
        try:
            for label, path in zip(("into an empty table", "second file, table holding the first"), files):
                target = _landed(path, landing, FEED.name)
                started = time.perf_counter()
                [outcome] = process_file(target, FEED.name, url=url, move=False)
                seconds = time.perf_counter() - started
                print(f"  {mode:<13} {label:<38} {seconds:6.1f}  ({outcome.rows_loaded:,} rows loaded; "
                      f"{outcome.message or 'no message'})")
        finally:
            _drop(server, name)


def _grow(conn: psycopg.Connection, held: int) -> None:
    """Make core.certificates hold ``held`` rows, copies of the loaded ones under other keys."""
    have = conn.execute("select count(*) from core.certificates").fetchone()[0]
    columns = [c for c in FEED.core_columns if c != "certificate_no"]
    listed = sql.SQL(", ").join(map(sql.Identifier, columns))
    round_no = 0
    while have < held:
        round_no += 1
        conn.execute(sql.SQL(
            "insert into core.certificates (certificate_no, {cols}, file_id) "
            "select certificate_no || '-h' || {tag}, {cols}, file_id from bench_rows limit {n}").format(
            cols=listed, tag=sql.Literal(f"{have}-{round_no}"), n=sql.Literal(held - have)))
        have = conn.execute("select count(*) from core.certificates").fetchone()[0]
    conn.execute("vacuum analyze core.certificates")


def _timed_write(url: str, staged: int, threshold: str, repeat: int) -> float:
    os.environ["AGRITRACE_BULK_LOAD_ROWS"] = threshold
    times = []
    columns = [c for c in FEED.core_columns if c != "certificate_no"]
    listed = sql.SQL(", ").join(map(sql.Identifier, columns))
    with psycopg.connect(url) as conn, psycopg.connect(url, autocommit=True) as vacuum:
        file_id = conn.execute("insert into ops.files (feed, sha256, file_name, size_bytes, status) values "
                               "('certificates', md5(random()::text), 'measure.csv', 1, 'processing') "
                               "returning file_id").fetchone()[0]
        conn.commit()
        for _ in range(repeat):
            # A rolled-back write leaves its rows dead in the table and its indexes, which the next
            # write (and, far more, an index rebuild) would read: each write starts from a clean table.
            vacuum.execute("vacuum analyze core.certificates")
            with conn.transaction(force_rollback=True):
                staging = create_staging(conn, FEED.core_table, "bulk_measure")
                conn.execute(sql.SQL(
                    "insert into {staging} (certificate_no, {cols}, file_id) "
                    "select certificate_no || '-new', {cols}, {file_id} from bench_rows limit {n}").format(
                    staging=staging, cols=listed, file_id=sql.Literal(file_id), n=sql.Literal(staged)))
                started = time.perf_counter()
                write_core(conn, FEED, staging)
                times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_alone(server: str, base: str, files: tuple[Path, Path], producers: list[Path], landing: Path,
                held_sizes: list[int], rows: int, repeat: int) -> None:
    # Bulk mode whatever the table holds: this is where the table-share rule is measured from.
    config.BULK_TABLE_SHARE = 0.0
    name = f"{base}_write"
    try:
        # The rows come from one file loaded once, indexes kept, so they are what a load writes.
        os.environ["AGRITRACE_BULK_LOAD_ROWS"] = KEPT
        url = _warehouse(server, name, producers, landing)
        process_file(_landed(files[0], landing, FEED.name), FEED.name, url=url, move=False)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("create table bench_rows as select {}, file_id from core.certificates").format(
                sql.SQL(", ").join(map(sql.Identifier, FEED.core_columns))))
            conn.execute("truncate core.certificates")
        print(f"write_core alone (median of {repeat}, rolled back), seconds:")
        print(f"  {'rows held':>10} {'rows staged':>12} {'indexes kept':>13} {'bulk mode':>10} {'kept/bulk':>10}")
        for held in held_sizes:
            with psycopg.connect(url, autocommit=True) as conn:
                _grow(conn, held)
            for staged in (rows, rows // 4):
                kept = _timed_write(url, staged, KEPT, repeat)
                bulk = _timed_write(url, staged, BULK, repeat)
                print(f"  {held:>10,} {staged:>12,} {kept:>13.2f} {bulk:>10.2f} {kept / bulk:>10.2f}")
    finally:
        _drop(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="certificates in one file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--held", type=int, nargs="+", default=[0, 200_000, 600_000, 1_200_000])
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    server = db.server_url()
    base = f"agritrace_bulk_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        landing = scratch / "landing"
        for feed in FEEDS:
            (landing / feed).mkdir(parents=True)
        os.environ["AGRITRACE_LANDING_DIR"] = str(landing)
        data = generate_scale(scratch / "data", inspection_results=1, certificates=2 * args.rows, batches=1)
        files = _split(data.files["certificates"][0], args.rows, scratch)
        producers = data.files["producers"]
        if not args.skip_end_to_end:
            end_to_end(server, base, files, producers, landing)
        write_alone(server, base, files, producers, landing, args.held, args.rows, args.repeat)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
