"""The real thing: Airflow's api-server with the agritrace plugin, a warehouse fed by the real
pipeline, and headless Chromium signing in through Airflow's login form.

One api-server per module (it takes a few seconds to start); every wait is bounded, and the
server's whole process group is stopped afterwards whatever happened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from agritrace.airflow_local import LOCAL_USER, airflow_bin, connection_json
from agritrace.config import PROJECT_ROOT, WAREHOUSE_CONN_ID
from psycopg import sql
from support import free_port, local_password, stop, tail

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
MIGRATE_SECONDS = 240
START_SECONDS = 90


@dataclass(frozen=True)
class Server:
    base_url: str
    warehouse: str
    home: Path
    log: Path


@pytest.fixture(scope="module")
def e2e_warehouse(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A migrated warehouse of the module's own (the ``warehouse`` fixture lives for one test only)."""
    from agritrace import db

    name = f"agritrace_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name),
                                                                      sql.Identifier(template_database)))
    yield db.with_database(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def delivered(e2e_warehouse: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small delivery (demo_files.py) ingested by the pipeline; returns the AGRITRACE_HOME it used."""
    from agritrace.marts.refresh import refresh_marts
    from agritrace.pipeline import process_file
    from agritrace.reference import load_reference
    from agritrace.trace.install import install_trace_functions
    from demo_files import write_delivery

    home = tmp_path_factory.mktemp("agritrace-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGRITRACE_HOME", str(home))
        patch.setenv("AGRITRACE_DATABASE_URL", e2e_warehouse)
        with psycopg.connect(e2e_warehouse) as conn:
            load_reference(conn)
            install_trace_functions(conn)
        for feed, path in write_delivery(home / "landing"):
            process_file(path, feed, url=e2e_warehouse)
        with psycopg.connect(e2e_warehouse) as conn:
            refresh_marts(conn)
    return home




def _server_env(port: int, warehouse: str, home: Path) -> dict[str, str]:
    # The Airflow settings come from tests/conftest.py (airflow_env with the airflow_test metadata DB);
    # only the port, the warehouse and where the GX Data Docs lie differ here.
    return {
        **os.environ,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AGRITRACE_DATABASE_URL": warehouse,
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": connection_json(warehouse),
        "AGRITRACE_HOME": str(home),
        "NO_PROXY": "*",
    }






@pytest.fixture(scope="module")
def airflow_server(e2e_warehouse: str, delivered: Path) -> Iterator[Server]:
    """``airflow api-server`` on a free port with the plugin; its metadata database migrated first."""
    port = free_port()
    env = _server_env(port, e2e_warehouse, delivered)
    migrate = subprocess.run([airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True,
                             timeout=MIGRATE_SECONDS, check=False)
    assert migrate.returncode == 0, f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}"
    log = delivered / "api-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([airflow_bin(), "api-server", "--port", str(port), "--workers", "1"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://localhost:{port}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the api-server exited with {process.returncode}:\n{tail(log)}")
            try:
                if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the api-server did not answer within {START_SECONDS} s:\n{tail(log)}")
            time.sleep(0.5)
        yield Server(base, e2e_warehouse, delivered, log)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.fail(f"headless Chromium is required at {CHROMIUM} for the browser tests: install the Debian "
                    "package (apt-get install --no-install-recommends chromium); browsers are never downloaded")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                              timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def signed_in(browser, airflow_server: Server) -> Iterator[object]:
    """A browser page signed in as the local admin through Airflow's login form."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{airflow_server.base_url}/agritrace/ui/quality")
    page.wait_for_url("**/auth/login**")
    page.get_by_label("Username").fill(LOCAL_USER)
    page.get_by_label("Password").fill(local_password())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/agritrace/ui/quality")
    try:
        yield page
    finally:
        context.close()




@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
