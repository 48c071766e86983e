"""Airflow for one machine: its configuration, in one place, and the processes of `make airflow`.

Airflow keeps its metadata in its own database (``airflow``) on the warehouse's server, never SQLite.
Everything Airflow reads is passed as environment variables built here, so the local stack, the
demo, the tests and the compose file (which sets the same variables) cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from agritrace import db
from agritrace.config import DAGS_DIR, PLUGINS_DIR, WAREHOUSE_CONN_ID, settings
from agritrace.contracts import LOAD_ORDER
from agritrace.dag_support import INGEST_DAG_IDS, LOAD_REFERENCE, PUBLISH_MARTS

LOCAL_PORT = int(os.environ.get("AGRITRACE_AIRFLOW_PORT", "8080"))
LOCAL_USER = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def connection_json(url: str) -> str:
    """The warehouse as an Airflow connection (JSON form, which keeps a socket directory as the host)."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    return json.dumps({
        "conn_type": "postgres",
        "host": host,
        "port": parsed.port or 5432,
        "login": parsed.username or "postgres",
        "password": parsed.password or "",
        "schema": parsed.database,
    })


def _secret(home: Path) -> str:
    path = home / "jwt_secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))  # HS512 wants a key of 64 bytes or more
    return path.read_text().strip()


def airflow_env(*, metadata_url: str | None = None, warehouse: str | None = None) -> dict[str, str]:
    """Environment for every Airflow process agritrace starts locally."""
    cfg = settings()
    home = cfg.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    if not passwords.exists():
        passwords.write_text(json.dumps({LOCAL_USER: LOCAL_USER}))
    warehouse = warehouse or db.warehouse_url()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": cfg.timezone,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{LOCAL_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{LOCAL_PORT}/execution/",
        "AIRFLOW__CORE__PARALLELISM": "4",
        # Locally the DAGs run as soon as they are parsed, so `make airflow` fills the UI on its own.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__PORT": str(LOCAL_PORT),
        "AIRFLOW__API__BASE_URL": f"http://localhost:{LOCAL_PORT}",
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db.sqlalchemy_url(metadata_url or db.airflow_metadata_url()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # INFO: each file's task log says what came in, loaded and was quarantined.
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": connection_json(warehouse),
        "AGRITRACE_HOME": str(cfg.home),
        "AGRITRACE_LANDING_DIR": str(cfg.landing_dir),
        "NO_PROXY": "*",
    }
    if cfg.database_url:
        env["AGRITRACE_DATABASE_URL"] = cfg.database_url
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def run_airflow(args: list[str], *, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, **airflow_env()}
    return subprocess.run([airflow_bin(), *args], env=env, check=check, text=True,
                          capture_output=capture)


def migrate_metadata() -> None:
    """Create or upgrade Airflow's metadata database (a no-op when it is current)."""
    run_airflow(["db", "migrate"], capture=True)


def _pid_dir() -> Path:
    path = settings().airflow_home / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_stack() -> dict[str, int]:
    """Start api-server, scheduler, dag-processor and triggerer in the background; pids are kept in files."""
    migrate_metadata()
    env = {**os.environ, **airflow_env()}
    logs = settings().airflow_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pids = {}
    for component in COMPONENTS:
        pid_file = _pid_dir() / f"{component}.pid"
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            pids[component] = int(pid_file.read_text())
            continue
        with (logs / f"{component}.log").open("ab") as log:
            process = subprocess.Popen([airflow_bin(), component], env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        pid_file.write_text(str(process.pid))
        pids[component] = process.pid
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_stack(timeout: float = 20.0) -> list[str]:
    """Stop what ``start_stack`` started: SIGTERM to each process group, SIGKILL after ``timeout``."""
    stopped = []
    for pid_file in sorted(_pid_dir().glob("*.pid")):
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
            stopped.append(pid_file.stem)
        pid_file.unlink()
    return stopped


def unpause_scheduled_dags() -> None:
    """DAGs a ``dag.test()`` (``make demo``) registered first stay paused; the local stack runs them all."""
    scheduled = "|".join(re.escape(dag_id) for dag_id in (LOAD_REFERENCE, *INGEST_DAG_IDS, PUBLISH_MARTS))
    run_airflow(["dags", "unpause", "--treat-dag-id-as-regex", "--yes", f"^({scheduled})$"], check=False, capture=True)


def wait_until_ready(timeout: float = 180.0) -> bool:
    """Wait for the api-server to answer; False if it did not within ``timeout`` seconds."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://localhost:{LOCAL_PORT}/api/v2/version", timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(2)
    return False


def land_demo_data() -> str:
    """Put the demo set in the landing folder for the scheduled DAGs, unless files already wait there."""
    from agritrace.ingest.landing import landing_files
    from agritrace.synth import generate_demo

    landing = settings().landing_dir
    if any(landing_files(feed) for feed in LOAD_ORDER):
        return f"landing folder {landing} already has files; left as it is"
    summary = generate_demo(landing, defect_rate=0.002, defects_in_own_files=False)
    rows = sum(summary.rows.values())
    return f"landed the demo set in {landing}: {rows:,} rows in {sum(len(v) for v in summary.files.values())} files"


def run_dag_in_process(dag, **kwargs):
    """``dag.test()`` for a DAG that may carry a deadline alert.

    Airflow 3.3's ``dag.test()`` looks deadline alerts up by the DAG's in-memory definitions instead of
    their stored ids and fails when a run succeeds; the scheduler path is unaffected. In-process runs
    (the demo, the tests) therefore run a copy without its deadline.
    """
    import copy

    if getattr(dag, "deadline", None):
        dag = copy.copy(dag)
        dag.deadline = None
    return dag.test(**kwargs)
