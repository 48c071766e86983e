"""Crashes, a lost database connection and two runs at once: nothing lost, nothing counted twice.

A load is one transaction per feed per file, and the file is claimed in ``ops.files`` under a
session advisory lock. These tests break a load at its worst moments and check that the retry
ends with exactly the rows of one clean load:

- the loader process dies after every COPY into staging and before the upsert into core
  (``os._exit`` in a child process: no cleanup runs), or is SIGKILLed while Postgres is running
  its COPY or its upsert;
- the database drops the loader's connections mid-load. Restarting the shared test server would
  break every other test using it, so the restart is simulated the way a client sees it:
  ``pg_terminate_backend`` on every connection of the load (the claim's and the loader's), which
  is exactly what a server restart does to them;
- two runs process the same file at the same moment;
- several processes (as several Celery workers would) load files of one feed and of its parent
  feed at the same moment.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from agritrace import pipeline
from agritrace.load import ledger, staging
from warehouse_helpers import (
    CERTIFICATE_COLUMNS,
    PRODUCER_COLUMNS,
    Warehouse,
    certificate_row,
    producer_row,
    query,
    write_csv,
)

CHILD = Path(__file__).with_name("child_load.py")
BAD = 5  # rows with a future issue date: quarantined on every attempt


def certificates_file(w: Warehouse, folder: Path, good: int, name: str) -> tuple[Path, list[str]]:
    rows = [certificate_row(w.keys.certificate(), w.producer_id) for _ in range(good)]
    rows += [certificate_row(w.keys.certificate(), w.producer_id, issue_date="2099-01-01") for _ in range(BAD)]
    path = write_csv(folder / "certificates" / name, CERTIFICATE_COLUMNS, rows)
    return path, [r["certificate_no"] for r in rows]


def spawn(path: Path, url: str, *flags: str, app: str, chunk_rows: int = 100_000,
          feed: str = "certificates") -> subprocess.Popen:
    env = {**os.environ, "PGAPPNAME": app}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(path), feed, url, "--chunk-rows", str(chunk_rows), *flags],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def backends(url: str, app: str) -> list[tuple[int, str, str]]:
    return query(url, "select pid, state, query from pg_stat_activity where application_name = %s", (app,))


def wait_until_gone(url: str, app: str, timeout: float = 30) -> None:
    """The dead client's server processes notice the closed socket and end (their locks with them)."""
    deadline = time.monotonic() + timeout
    while backends(url, app):
        assert time.monotonic() < deadline, f"backends of {app} still alive: {backends(url, app)}"
        time.sleep(0.05)


def file_state(url: str, path_sha: str) -> list[tuple]:
    return query(url, "select file_id, status, rows_in, rows_loaded, rows_quarantined from ops.files "
                      "where feed = 'certificates' and sha256 = %s", (path_sha,))


def assert_nothing_committed(w: Warehouse, sha: str, keys: list[str], path: Path) -> int:
    [(file_id, status, *_)] = file_state(w.url, sha)
    assert status == "processing", "the crashed attempt never finished"
    assert query(w.url, "select count(*) from core.certificates where certificate_no = any(%s)", (keys,)) == [(0,)]
    assert query(w.url, "select count(*) from quarantine.rows where file_id = %s", (file_id,)) == [(0,)]
    assert query(w.url, "select to_regclass(%s)", (f"staging.certificates_{file_id}",)) == [(None,)]
    assert path.exists(), "the file waits in the landing folder for the retry"
    return file_id


def assert_loaded_once(w: Warehouse, sha: str, keys: list[str], good: int) -> None:
    [(file_id, status, rows_in, loaded, quarantined)] = file_state(w.url, sha)
    assert (status, rows_in, loaded, quarantined) == ("loaded", good + BAD, good, BAD)
    assert query(w.url, "select count(*), count(distinct certificate_no) from core.certificates "
                        "where certificate_no = any(%s)", (keys,)) == [(good, good)]
    assert query(w.url, "select count(*), count(distinct row_number) from quarantine.rows where file_id = %s",
                 (file_id,)) == [(BAD, BAD)]
    # Every row validated once: the dead attempt's validation runs went with it.
    assert query(w.url, "select sum(evaluated_rows)::int from dq.validation_runs where file_id = %s",
                 (file_id,)) == [(good + BAD,)]


def retry(w: Warehouse, path: Path) -> pipeline.FileOutcome:
    [outcome] = pipeline.process_file(path, "certificates", url=w.url, chunk_rows=5_000)
    return outcome


def assert_same_content_again_is_skipped(w: Warehouse, path_in_archive: Path, folder: Path, keys: list[str],
                                         good: int) -> None:
    again = folder / "certificates" / "again.csv"
    shutil.copy(path_in_archive, again)
    [outcome] = pipeline.process_file(again, "certificates", url=w.url)
    assert outcome.status == "skipped"
    assert query(w.url, "select count(*) from core.certificates where certificate_no = any(%s)", (keys,)) == [(good,)]


def test_loader_killed_between_copy_and_upsert_retry_loads_every_row_once(shared: Warehouse, landing_dir: Path):
    good = 2_000
    path, keys = certificates_file(shared, landing_dir, good, "killed.csv")
    sha = ledger.sha256_of(path)
    app = f"reliability-{uuid.uuid4().hex[:8]}"
    child = spawn(path, shared.url, "--die-before-upsert", app=app, chunk_rows=500)
    _, err = child.communicate(timeout=300)
    assert child.returncode == 17, err[-2000:]
    wait_until_gone(shared.url, app)
    file_id = assert_nothing_committed(shared, sha, keys, path)

    outcome = retry(shared, path)
    assert (outcome.status, outcome.file_id, outcome.rows_loaded, outcome.rows_quarantined) == (
        "loaded", file_id, good, BAD)
    assert_loaded_once(shared, sha, keys, good)
    # The ledger says the dead attempt's claim was taken over and started again.
    assert query(shared.url, "select outcome from ops.file_deliveries where file_id = %s order by delivery_id",
                 (file_id,)) == [("recovered",), ("processed",)]
    archived = landing_dir / "certificates" / "archive" / f"{file_id}_killed.csv"
    assert_same_content_again_is_skipped(shared, archived, landing_dir, keys, good)


@pytest.mark.slow
@pytest.mark.parametrize("statement", ["copy", "insert into \"core\""], ids=["during_copy", "during_upsert"])
def test_loader_sigkilled_mid_statement_retry_loads_every_row_once(shared: Warehouse, landing_dir: Path,
                                                                   statement: str):
    # Five chunks: COPY runs five times and the write into core once, long enough to be caught mid-flight.
    good = 25_000
    path, keys = certificates_file(shared, landing_dir, good, f"sigkill_{statement[:4]}.csv")
    sha = ledger.sha256_of(path)
    app = f"reliability-{uuid.uuid4().hex[:8]}"
    child = spawn(path, shared.url, app=app, chunk_rows=5_000)
    seen = None
    deadline = time.monotonic() + 300
    while seen is None and child.poll() is None and time.monotonic() < deadline:
        seen = next((q for _, state, q in backends(shared.url, app)
                     if state == "active" and q.lower().lstrip().startswith(statement)), None)
        if seen is None:
            time.sleep(0.002)
    assert seen is not None, f"never saw {statement!r} running; the child ended first: {child.poll()}"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    wait_until_gone(shared.url, app)
    assert_nothing_committed(shared, sha, keys, path)

    outcome = retry(shared, path)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", good, BAD)
    assert_loaded_once(shared, sha, keys, good)


def _terminate_every_other_connection(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as admin:
        return len(admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'"
        ).fetchall())


@pytest.mark.parametrize("where", ["copy_frame", "write_staged"], ids=["mid_copy", "at_upsert"])
def test_database_connections_dropped_mid_load_retry_completes(shared: Warehouse, landing_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch, where: str):
    good = 1_500
    path, keys = certificates_file(shared, landing_dir, good, f"dropped_{where}.csv")
    sha = ledger.sha256_of(path)
    # COPY happens in staging; the write into core is the pipeline's own step.
    module = staging if where == "copy_frame" else pipeline
    original = getattr(module, where)
    calls = []

    def restart_then_continue(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2 or where == "write_staged":  # the second chunk's COPY, or the upsert
            assert _terminate_every_other_connection(shared.url) >= 2  # the claim's and the loader's
        return original(*args, **kwargs)

    monkeypatch.setattr(module, where, restart_then_continue)
    with pytest.raises(psycopg.OperationalError):
        pipeline.process_file(path, "certificates", url=shared.url, chunk_rows=500)
    monkeypatch.undo()
    assert_nothing_committed(shared, sha, keys, path)

    outcome = retry(shared, path)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", good, BAD)
    assert_loaded_once(shared, sha, keys, good)


def _race(targets) -> list:
    """Run the callables at the same instant on threads; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(i, target):
        barrier.wait()
        try:
            results[i] = target()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion, not lost in the thread)
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results


def test_two_runs_of_the_same_file_at_once_load_it_once(shared: Warehouse, landing_dir: Path):
    good = 20_000
    path, keys = certificates_file(shared, landing_dir, good, "twice_at_once.csv")
    sha = ledger.sha256_of(path)

    def run():
        return pipeline.process_file(path, "certificates", url=shared.url, chunk_rows=5_000)

    results = _race([run, run])
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(o.status for [o] in results)
    assert statuses == ["busy", "loaded"], statuses
    [busy] = [o for [o] in results if o.status == "busy"]
    assert "another run is processing this file" in busy.message
    assert_loaded_once(shared, sha, keys, good)
    assert query(shared.url, "select count(*) from ops.file_deliveries d join ops.files f using (file_id) "
                             "where f.sha256 = %s", (sha,)) == [(1,)]


@pytest.mark.slow
def test_two_processes_of_the_same_file_at_once_load_it_once(shared: Warehouse, landing_dir: Path):
    good = 20_000
    path, keys = certificates_file(shared, landing_dir, good, "two_processes.csv")
    sha = ledger.sha256_of(path)
    children = [spawn(path, shared.url, app=f"reliability-{uuid.uuid4().hex[:8]}", chunk_rows=5_000)
                for _ in range(2)]
    outputs = [child.communicate(timeout=600) for child in children]
    assert [c.returncode for c in children] == [0, 0], [err[-2000:] for _, err in outputs]
    statuses = sorted(json.loads(out.strip().splitlines()[-1])[0]["status"] for out, _ in outputs)
    assert statuses == ["busy", "loaded"], statuses
    assert_loaded_once(shared, sha, keys, good)


def test_two_deliveries_of_the_same_keys_at_once_count_each_key_once(shared: Warehouse, landing_dir: Path):
    good = 3_000
    rows = [certificate_row(shared.keys.certificate(), shared.producer_id) for _ in range(good)]
    keys = [r["certificate_no"] for r in rows]
    first = write_csv(landing_dir / "certificates" / "first.csv", CERTIFICATE_COLUMNS, rows)
    second = write_csv(landing_dir / "certificates" / "corrected.csv", CERTIFICATE_COLUMNS,
                       [{**r, "quantity": "42"} for r in rows])

    def run(path):
        return lambda: pipeline.process_file(path, "certificates", url=shared.url)

    results = _race([run(first), run(second)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(o.status for [o] in results) == ["loaded", "loaded"]
    [(count, distinct, quantities)] = query(
        shared.url, "select count(*), count(distinct certificate_no), array_agg(distinct quantity::int) "
                    "from core.certificates where certificate_no = any(%s)", (keys,))
    assert (count, distinct) == (good, good)
    assert quantities in ([42], [100]), "one delivery wins whole; rows are never mixed or doubled"


@pytest.mark.slow
def test_processes_loading_a_feed_and_its_parent_at_once_lose_nothing(shared: Warehouse, landing_dir: Path):
    """Four processes at once, as four Celery workers of one night would run them: new producers; their
    certificates (a child of a parent committed at the same moment); certificates of an existing
    producer; a correction of those same certificates. No deadlock, no lost update, ledger balanced."""
    good = 1_000
    new_producers = [shared.keys.producer() for _ in range(20)]
    own = [certificate_row(shared.keys.certificate(), shared.producer_id) for _ in range(good)]
    children = [certificate_row(shared.keys.certificate(), new_producers[i % len(new_producers)])
                for i in range(good)]
    files = {
        "producers": write_csv(landing_dir / "producers" / "new_producers.csv", PRODUCER_COLUMNS,
                               [producer_row(p) for p in new_producers]),
        "children": write_csv(landing_dir / "certificates" / "children.csv", CERTIFICATE_COLUMNS, children),
        "own": write_csv(landing_dir / "certificates" / "own.csv", CERTIFICATE_COLUMNS, own),
        "corrected": write_csv(landing_dir / "certificates" / "own_corrected.csv", CERTIFICATE_COLUMNS,
                               [{**r, "quantity": "42"} for r in own]),
    }
    processes = {name: spawn(path, shared.url, app=f"reliability-{uuid.uuid4().hex[:8]}", chunk_rows=500,
                             feed="producers" if name == "producers" else "certificates")
                 for name, path in files.items()}
    outputs = {name: child.communicate(timeout=600) for name, child in processes.items()}
    # A deadlock or a serialization failure would end a process with an error.
    assert {n: c.returncode for n, c in processes.items()} == dict.fromkeys(files, 0), \
        {n: err[-2000:] for n, (_, err) in outputs.items()}
    outcomes = {name: json.loads(out.strip().splitlines()[-1])[0] for name, (out, _) in outputs.items()}
    assert {n: o["status"] for n, o in outcomes.items()} == dict.fromkeys(files, "loaded"), outcomes
    file_ids = {name: o["file_id"] for name, o in outcomes.items()}
    assert query(shared.url, "select count(*) from ops.files where file_id = any(%s) "
                             "and rows_in = rows_loaded + rows_quarantined", (list(file_ids.values()),)) == [(4,)]

    # Children that came before their parent committed wait in quarantine; the orphan retry loads them.
    pipeline.replay("certificates", orphans_only=True, url=shared.url)
    child_keys = [r["certificate_no"] for r in children]
    assert query(shared.url, "select count(*), count(distinct certificate_no) from core.certificates "
                             "where certificate_no = any(%s)", (child_keys,)) == [(good, good)]
    assert query(shared.url, "select count(*) from quarantine.rows where status = 'open' and file_id = %s",
                 (file_ids["children"],)) == [(0,)]

    # No lost update: whichever committed first, the later delivery (the higher ledger id) is current for
    # every key and the other version is in history, once.
    own_keys = [r["certificate_no"] for r in own]
    later, earlier = sorted((file_ids["own"], file_ids["corrected"]), reverse=True)
    assert query(shared.url, "select file_id, count(*) from core.certificates where certificate_no = any(%s) "
                             "group by file_id", (own_keys,)) == [(later, good)]
    assert query(shared.url, "select file_id, count(*), count(distinct certificate_no) from core.certificates_history "
                             "where certificate_no = any(%s) group by file_id", (own_keys,)) == [(earlier, good, good)]


def test_validation_tables_left_by_killed_processes_are_dropped_by_the_next_load(shared: Warehouse,
                                                                                 landing_dir: Path):
    from agritrace.quality import gx_run

    # A process killed while GX read its table leaves it behind; another one is validating right now.
    abandoned = f"dq_certificates_contract_{int(time.time()) - gx_run.ABANDONED_AFTER_S - 60}_4242_1"
    running = gx_run._validation_table_name("certificates_contract")
    with psycopg.connect(shared.url, autocommit=True) as conn:
        for name in (abandoned, running):
            conn.execute(f'create unlogged table staging."{name}" (row_number bigint)')
    gx_run._drop_abandoned_tables.cache_clear()
    path, _ = certificates_file(shared, landing_dir, 100, "after_a_crash.csv")
    assert retry(shared, path).rows_loaded == 100
    left = {name for (name,) in query(shared.url, "select tablename from pg_tables where schemaname = 'staging'")}
    assert abandoned not in left and running in left


def test_a_run_that_finds_the_file_taken_does_not_register_it_for_the_run_that_took_it(shared: Warehouse):
    """The interleaving two runs of one file can meet: the first takes the file's lock, the second
    looks before the first has registered the file. The first must then see a new file, not a
    'processing' row it never wrote (which it would take for a dead attempt and record as recovered)."""
    sha, args = uuid.uuid4().hex * 2, {"feed": "certificates", "file_name": "raced.csv", "size_bytes": 1,
                                       "dag_run_id": None}
    with psycopg.connect(shared.url, autocommit=True) as first, psycopg.connect(shared.url, autocommit=True) as second:
        first.execute("select pg_advisory_lock(%s)", (ledger._lock_key("certificates", sha),))
        busy = ledger.claim_file(second, sha256=sha, **args)
        assert (busy.claim, busy.file_id) == (ledger.Claim.BUSY, None)
        assert ledger.claim_file(first, sha256=sha, **args).claim is ledger.Claim.NEW
        assert ledger.claim_file(second, sha256=sha, **args).claim is ledger.Claim.BUSY


def test_two_writes_of_the_same_keys_at_once_keep_every_version(shared: Warehouse, landing_dir: Path):
    """The moment two loads meet, forced: the newer delivery has written its versions and not yet
    committed when the older one writes the same keys. The older must end in history (it arrived
    late), and the version both replaced must be in history once."""
    from agritrace.contracts import feed
    from agritrace.load.copy import create_staging
    from agritrace.load.core import write_core

    certificates = feed("certificates")
    keys = [shared.keys.certificate() for _ in range(3)]
    path = write_csv(landing_dir / "certificates" / "first.csv", CERTIFICATE_COLUMNS,
                     [certificate_row(k, shared.producer_id) for k in keys])
    [first] = pipeline.process_file(path, "certificates", url=shared.url)
    with psycopg.connect(shared.url, autocommit=True) as ledger_conn:
        earlier, later = (ledger.claim_file(ledger_conn, feed="certificates", sha256=uuid.uuid4().hex * 2,
                                            file_name=f"{n}.csv", size_bytes=1, dag_run_id=None).file_id
                          for n in ("earlier", "later"))

    def stage(conn: psycopg.Connection, file_id: int, quantity: int):
        staged = create_staging(conn, certificates.core_table, f"race_{file_id}")
        columns = ", ".join(certificates.core_columns)
        values = ", ".join("%(quantity)s" if c == "quantity" else c for c in certificates.core_columns)
        conn.execute(f"insert into {staged.as_string(conn)} ({columns}, file_id) select {values}, %(file_id)s "
                     "from core.certificates where certificate_no = any(%(keys)s)",
                     {"quantity": quantity, "file_id": file_id, "keys": keys})
        return staged

    def write_earlier():
        with psycopg.connect(shared.url) as conn:
            write_core(conn, certificates, stage(conn, earlier, 1))

    with psycopg.connect(shared.url) as newer:
        write_core(newer, certificates, stage(newer, later, 2))
        racing = threading.Thread(target=write_earlier)
        racing.start()
        time.sleep(1)  # the earlier write is under way, waiting on the newer one's rows or its turn
        newer.commit()
    racing.join(timeout=60)
    assert query(shared.url, "select file_id, count(*) from core.certificates where certificate_no = any(%s) "
                             "group by file_id", (keys,)) == [(later, 3)]
    assert query(shared.url, "select file_id, count(*) from core.certificates_history where certificate_no = any(%s) "
                             "group by file_id order by file_id", (keys,)) == [(first.file_id, 3), (earlier, 3)]
