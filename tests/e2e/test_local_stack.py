"""`make airflow` for real: the whole local stack schedules the DAGs on the demo set by itself.

Scheduler, dag-processor, triggerer and api-server start against a fresh warehouse and a fresh
metadata database; the demo set lands; the scheduled ingest runs (and the asset-triggered marts and
orphan retries) must finish on their own. Then headless Chromium signs in and sees the DAG list with
successful runs and the data-quality page with the demo's quarantined rows.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from agritrace import db
from agritrace.airflow_local import COMPONENTS, LOCAL_USER, airflow_bin, connection_json
from agritrace.config import WAREHOUSE_CONN_ID
from psycopg import sql
from support import free_port, local_password, stop, tail

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INGEST_DAGS = ("ingest_producers", "ingest_certificates", "ingest_sampling_batches", "ingest_inspection_results")
RUNS_SECONDS = 420
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
    home = tmp_path_factory.mktemp("stack-home")
    landing = home / "landing"
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db.sqlalchemy_url(db.with_database(pg_server_url, metadata_name)),
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
    processes, logs = [], {}
    try:
        for component in COMPONENTS:
            logs[component] = home / f"{component}.log"
            args = [airflow_bin(), component] + (["--port", str(port), "--workers", "1"]
                                                 if component == "api-server" else [])
            with logs[component].open("wb") as out:
                processes.append(subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                  start_new_session=True))
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
        yield {"base": base, "warehouse": warehouse, "summary": summary, "logs": logs, "env": env}
    finally:
        for process in processes:
            stop(process)
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            for name in (warehouse_name, metadata_name):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


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
        assert conn.execute("select count(*) from quarantine.rows where status = 'open'").fetchone()[0] > 0
        year = conn.execute("""select batches, pass_rate_pct from mart.pass_rate_by_period_totals
                                where period_type = 'year' and period_start = '2023-01-01'
                                  and task_type = 'routine_monitoring' and sampling_level = 'district'
                                  and region_code = 'all' and product_category = 'all'""").fetchone()
        assert (year[0], float(year[1])) == (586, 98.12)


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
