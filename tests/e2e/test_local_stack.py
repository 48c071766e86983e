"""`make airflow WORKERS=2` for real: the whole local stack schedules the DAGs on the demo set by itself,
its tasks run by two Celery workers, one of which is killed in the middle of a run.

Scheduler, dag-processor, triggerer, api-server and two Celery workers (broker and results in the
metadata database, as `make airflow WORKERS=2` has them) start against a fresh warehouse and a fresh
metadata database; the demo set lands; the scheduled ingest runs (and the asset-triggered marts and
orphan retries) must finish on their own. The mapped file tasks run on both workers; worker 1 is
killed, process tree and all, while it loads a file, and that task is retried on worker 2. The
figures are then the demo's reference figures (those of a LocalExecutor or `make demo` run of the
same files) with nothing loaded twice. Then headless Chromium signs in and sees the DAG list with
successful runs and the data-quality page with the demo's quarantined rows.

This is the suite's one scheduler-driven stack. The LocalExecutor of plain `make airflow` differs
from it only in the executor setting (tests/unit/test_compose.py checks both sets of settings); the
DAGs' tasks themselves also run in the DAG tests' real ``dag.test()`` runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from agritrace import db
from agritrace.airflow_local import (
    COMPONENTS,
    LOCAL_USER,
    WORKER_NAME_VARIABLE,
    airflow_bin,
    airflow_env,
    connection_json,
    prepare_broker,
    worker_args,
    worker_name,
)
from agritrace.config import WAREHOUSE_CONN_ID
from agritrace.contracts import LOAD_ORDER
from psycopg import sql
from support import free_port, local_password, stop, tail

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INGEST_DAGS = ("ingest_producers", "ingest_certificates", "ingest_sampling_batches", "ingest_inspection_results")
RUNS_SECONDS = 900
WORKERS = 2
KILL_SECONDS = 300
# The api-server shares two cores with the scheduler and every running task: under load one answer can
# take far longer than httpx's 5 s default, which is slowness, not failure.
API_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@pytest.fixture(scope="module")
def stack(pg_server_url, template_database, tmp_path_factory):
    from agritrace.bootstrap import bring_up
    from agritrace.synth import generate_demo

    suffix = uuid.uuid4().hex[:10]
    warehouse_name, metadata_name = f"agritrace_stack_{suffix}", f"airflow_stack_{suffix}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(
            sql.Identifier(warehouse_name), sql.Identifier(template_database)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(metadata_name)))
    warehouse = db.with_database(pg_server_url, warehouse_name)
    metadata = db.with_database(pg_server_url, metadata_name)
    home = tmp_path_factory.mktemp("stack-home")
    landing = home / "landing"
    port = free_port()
    env = {
        **os.environ,
        # The settings `make airflow WORKERS=2` uses (executor, broker, result backend, worker names) ...
        **airflow_env(metadata_url=metadata, warehouse=warehouse, workers=WORKERS),
        # ... with this test's port, home, and clocks short enough to see a lost worker's task retried:
        # its heartbeat missed for 45 s, then the first retry after 5-10 s.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "45",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "180",
        "AGRITRACE_RETRY_DELAY_SECONDS": "5",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AGRITRACE_DATABASE_URL": warehouse,
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": connection_json(warehouse),
        "AGRITRACE_HOME": str(home),
        "AGRITRACE_LANDING_DIR": str(landing),
        "NO_PROXY": "*",
    }
    bring_up(warehouse)
    summary = generate_demo(landing, defect_rate=0.002, defects_in_own_files=False)
    migrate = subprocess.run([airflow_bin(), "db", "migrate"], check=False, env=env, capture_output=True, text=True,
                             timeout=300)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    prepare_broker(env)
    processes: list[subprocess.Popen] = []
    logs: dict[str, Path] = {}
    commands = {component: ([airflow_bin(), component] + (["--port", str(port), "--workers", "1"]
                                                          if component == "api-server" else []), {})
                for component in COMPONENTS}
    for number in range(1, WORKERS + 1):
        commands[worker_name(number)] = (worker_args(number), {WORKER_NAME_VARIABLE: worker_name(number)})

    def start(name: str) -> subprocess.Popen:
        args, extra = commands[name]
        logs[name] = home / f"{name.split('@')[0]}.log"
        with logs[name].open("ab") as out:
            process = subprocess.Popen(args, env={**env, **extra}, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        processes.append(process)
        return process

    killer = None
    try:
        workers = {name: start(name) for name in commands if name not in COMPONENTS}
        for component in COMPONENTS:
            start(component)
        base = f"http://localhost:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, tail(logs["api-server"])
            time.sleep(1)
        killer = WorkerKiller(metadata, workers, start)
        killer.start()
        yield {"base": base, "warehouse": warehouse, "metadata": metadata, "summary": summary, "logs": logs,
               "env": env, "killer": killer}
    finally:
        if killer is not None:
            killer.done.set()
            killer.join(timeout=30)
        for process in processes:
            if process.poll() is None:
                stop(process)
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            for name in (warehouse_name, metadata_name):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


class WorkerKiller(threading.Thread):
    """Kills worker 1, process tree and all (as a lost machine would), the moment it is loading a file
    once both workers have loaded one; records the task instance it was running. Once worker 2 has
    taken that task's retry, worker 1 comes back (as a supervisor would restart it), so the rest of
    the run has both workers' slots again."""

    def __init__(self, metadata: str, workers: dict[str, subprocess.Popen], start):
        super().__init__(daemon=True)
        self.metadata, self.workers, self.start_worker = metadata, workers, start
        self.victim, self.survivor = worker_name(1), worker_name(2)
        self.killed: tuple | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            deadline = time.monotonic() + KILL_SECONDS
            with psycopg.connect(self.metadata, autocommit=True) as conn:
                while self.killed is None and time.monotonic() < deadline and not self.done.is_set():
                    loaded = dict(conn.execute(
                        "select hostname, count(*) from task_instance where task_id = 'ingest_file' "
                        "and state = 'success' group by hostname").fetchall())
                    running = conn.execute(
                        "select dag_id, run_id, task_id, map_index, try_number from task_instance "
                        "where task_id = 'ingest_file' and state = 'running' and hostname = %s limit 1",
                        (self.victim,)).fetchone()
                    if running and loaded.get(self.victim) and loaded.get(self.survivor):
                        process = self.workers[self.victim]
                        tree = [process.pid] + [c.pid for c in psutil.Process(process.pid).children(recursive=True)]
                        for pid in tree:
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                        process.wait(timeout=30)
                        self.killed = running
                    time.sleep(0.5)
                dag_id, run_id, task_id, map_index, try_number = self.killed or (None,) * 5
                while self.killed and time.monotonic() < deadline + RUNS_SECONDS and not self.done.is_set():
                    if conn.execute("select 1 from task_instance where dag_id = %s and run_id = %s and task_id = %s "
                                    "and map_index = %s and try_number > %s and hostname = %s",
                                    (dag_id, run_id, task_id, map_index, try_number, self.survivor)).fetchone():
                        self.start_worker(self.victim)
                        break
                    time.sleep(1)
        except BaseException as exc:  # noqa: BLE001  (reported by the test, not lost in the thread)
            self.error = exc


def _token(base: str) -> str:
    response = httpx.post(f"{base}/auth/token", json={"username": LOCAL_USER, "password": local_password()},
                          timeout=API_TIMEOUT)
    response.raise_for_status()
    return response.json()["access_token"]


def _wait_for_runs(stack) -> dict[str, str]:
    base = stack["base"]
    headers = {"Authorization": f"Bearer {_token(base)}"}
    deadline = time.monotonic() + RUNS_SECONDS
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base}/api/v2/dags/~/dagRuns", params={"limit": 100}, headers=headers,
                                 timeout=API_TIMEOUT)
        except httpx.TransportError:
            time.sleep(5)
            continue
        runs = response.json()["dag_runs"]
        states = {}
        for run in runs:
            states.setdefault(run["dag_id"], run["state"])
            if run["state"] == "success":
                states[run["dag_id"]] = "success"
        done = all(states.get(d) == "success" for d in (*INGEST_DAGS, "publish_marts"))
        busy = any(r["state"] in ("queued", "running") for r in runs)
        if done and not busy:
            return states
        time.sleep(5)
    pytest.fail(f"scheduled runs did not finish in {RUNS_SECONDS} s: {states}\n{tail(stack['logs']['scheduler'])}")


def test_scheduled_runs_load_the_demo_set_on_their_own(stack):
    states = _wait_for_runs(stack)
    assert all(states[d] == "success" for d in INGEST_DAGS)
    with psycopg.connect(stack["warehouse"]) as conn:
        assert conn.execute("select count(*) from core.certificates").fetchone()[0] == 17467
        assert conn.execute("""select count(*) from ops.files where status = 'loaded'
                                and rows_in <> rows_loaded + rows_quarantined""").fetchone()[0] == 0
        # Nothing loaded twice: each landed file has one ledger row, its rows counted once.
        ledger = {feed: (files, rows) for feed, files, rows in conn.execute(
            "select feed, count(*), sum(rows_in) from ops.files group by feed").fetchall()}
        summary = stack["summary"]
        assert ledger == {feed: (len(summary.files[feed]), summary.rows[feed]) for feed in LOAD_ORDER}
        assert conn.execute("select count(*) from quarantine.rows where status = 'open'").fetchone()[0] > 0
        year = conn.execute("""select batches, pass_rate_pct from mart.pass_rate_by_period_totals
                                where period_type = 'year' and period_start = '2023-01-01'
                                  and task_type = 'routine_monitoring' and sampling_level = 'district'
                                  and region_code = 'all' and product_category = 'all'""").fetchone()
        assert (year[0], float(year[1])) == (586, 98.12)


def test_file_tasks_ran_on_both_workers_and_a_killed_workers_task_was_retried_on_the_other(stack):
    _wait_for_runs(stack)
    killer = stack["killer"]
    killer.join(timeout=5)
    assert killer.error is None, killer.error
    assert killer.killed, (f"worker 1 was never seen loading a file within {KILL_SECONDS} s; its log:\n"
                           f"{tail(stack['logs'][killer.victim])}")
    dag_id, run_id, task_id, map_index, try_number = killer.killed
    with psycopg.connect(stack["metadata"]) as conn:
        tries = conn.execute(
            """select try_number, hostname, state from task_instance_history
                where dag_id = %(d)s and run_id = %(r)s and task_id = %(t)s and map_index = %(m)s
                  and try_number >= %(n)s
               union all
               select try_number, hostname, state from task_instance
                where dag_id = %(d)s and run_id = %(r)s and task_id = %(t)s and map_index = %(m)s
               order by 1""", {"d": dag_id, "r": run_id, "t": task_id, "m": map_index, "n": try_number}).fetchall()
        hosts = {h for (h,) in conn.execute(
            "select hostname from task_instance where task_id = 'ingest_file' and state = 'success'").fetchall()}
    # The killed try ran on worker 1 and failed (its heartbeat stopped); the retry succeeded on worker 2.
    assert tries[0][:2] == (try_number, killer.victim) and tries[0][2] != "success", tries
    assert tries[1][1] == killer.survivor and tries[-1][2] == "success", tries
    assert {killer.victim, killer.survivor} <= hosts, hosts


def test_browser_sees_successful_runs_and_the_demo_quarantine(stack, browser, screenshots: Path):
    _wait_for_runs(stack)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{stack['base']}/dags")
        page.wait_for_url("**/auth/login**")
        page.get_by_label("Username").fill(LOCAL_USER)
        page.get_by_label("Password").fill(local_password())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dags**")
        for dag_id in INGEST_DAGS:
            page.get_by_text(dag_id, exact=True).first.wait_for()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(screenshots / "dags.png"), full_page=True)
        page.goto(f"{stack['base']}/agritrace/ui/quality")
        body = page.locator("body").inner_text()
        for feed in ("certificates", "inspection_results"):
            assert feed in body
        page.screenshot(path=str(screenshots / "quality-demo.png"), full_page=True)
        page.goto(f"{stack['base']}/agritrace/ui/quality/quarantine?feed=certificates")
        rows = page.locator("body").inner_text()
        assert "issue_date" in rows or "quantity" in rows
        # The analysts' and regulators' pages on the demo year, for the docs.
        page.goto(f"{stack['base']}/agritrace/ui/marts?year=2023")
        assert "98.12%" in page.locator("body").inner_text()
        page.screenshot(path=str(screenshots / "marts-demo.png"), full_page=True)
        with psycopg.connect(stack["warehouse"]) as conn:
            failing = conn.execute("select batch_no from core.sampling_batches where batch_verdict = 'fail' "
                                   "order by batch_no limit 1").fetchone()[0]
        page.goto(f"{stack['base']}/agritrace/ui/trace?q={failing}")
        assert failing in page.locator("body").inner_text()
        page.screenshot(path=str(screenshots / "trace-demo.png"), full_page=True)
    finally:
        context.close()
