"""Airflow for one machine: its configuration, in one place, and the processes of `make airflow`.

Airflow keeps its metadata in its own database (``airflow``) on the warehouse's server, never SQLite.
Everything Airflow reads is passed as environment variables built here, so the local stack, the
demo, the tests and the compose file (which sets the same variables) cannot drift apart.

``make airflow`` runs the LocalExecutor; ``make airflow WORKERS=N`` runs the CeleryExecutor with N
Celery workers on this machine. Their broker needs no server of its own: kombu's SQLAlchemy transport
keeps the queue in Airflow's metadata database (``AGRITRACE_CELERY_BROKER_URL`` names a real broker,
such as the Redis of docker-compose.yaml, instead); results go to the same database, as in compose.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from agritrace import db
from agritrace.config import DAGS_DIR, PLUGINS_DIR, SETTINGS, WAREHOUSE_CONN_ID, settings
from agritrace.contracts import LOAD_ORDER
from agritrace.dag_support import INGEST_DAG_IDS, LOAD_REFERENCE, PUBLISH_MARTS

LOCAL_PORT = int(os.environ.get("AGRITRACE_AIRFLOW_PORT", "8080"))
LOCAL_USER = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
# `airflow celery worker`, as docker-compose.yaml runs it; each local worker adds a name of its own.
WORKER_COMMAND = ("celery", "worker")
# Task slots per worker: with the default of two workers, the four of the LocalExecutor's parallelism.
WORKER_CONCURRENCY = 2
# The variable a worker's name travels in to its task processes (see worker_hostname).
WORKER_NAME_VARIABLE = "AGRITRACE_WORKER_NAME"


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


def celery_env(metadata_url: str) -> dict[str, str]:
    """The Celery settings: the broker and result backend on Airflow's metadata database unless
    ``AGRITRACE_CELERY_BROKER_URL`` names a broker."""
    metadata = db.sqlalchemy_url(metadata_url)
    return {
        "AIRFLOW__CELERY__BROKER_URL": os.environ.get("AGRITRACE_CELERY_BROKER_URL") or f"sqla+{metadata}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # A task instance's hostname names the worker that ran it (worker_hostname).
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "agritrace.airflow_local.worker_hostname",
    }


def prepare_broker(env: dict[str, str]) -> None:
    """Create the tables and the task queue of a broker kept in the metadata database before any
    worker starts.

    kombu's SQLAlchemy transport creates both on a worker's first connection, without retrying: two
    workers starting at once race on the same ``CREATE SEQUENCE``, then on the same queue row, and
    the loser dies (``duplicate key … queue_id_sequence`` or ``… kombu_queue_name_key``), leaving
    the stack one worker short. Celery's result backend retries the same race by itself.
    """
    from kombu import Connection

    broker = env["AIRFLOW__CELERY__BROKER_URL"]
    if broker.startswith("sqla+"):
        with Connection(broker) as connection:
            connection.default_channel.queue_declare(queue=env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "default"))


def worker_hostname() -> str:
    """The Celery worker's name when a local worker runs the task, else the machine's name.

    Airflow records ``socket.getfqdn()`` on each task instance by default, which is the same for
    every worker on one machine; the worker's own name shows which of them ran the task.
    """
    return os.environ.get(WORKER_NAME_VARIABLE) or socket.getfqdn()


def worker_name(number: int) -> str:
    return f"worker-{number}@{socket.gethostname()}"


def worker_args(number: int) -> list[str]:
    """``airflow celery worker`` as worker ``number`` of this machine.

    The task logs land in the shared log folder the api-server reads, so no worker serves its own
    (two log servers would want the same port).
    """
    return [airflow_bin(), *WORKER_COMMAND, "--celery-hostname", worker_name(number),
            "--concurrency", str(WORKER_CONCURRENCY), "--skip-serve-logs"]


def airflow_env(*, metadata_url: str | None = None, warehouse: str | None = None,
                workers: int = 0) -> dict[str, str]:
    """Environment for every Airflow process agritrace starts locally: the LocalExecutor, or the
    CeleryExecutor when ``workers`` Celery workers run the tasks."""
    cfg = settings()
    home = cfg.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    if not passwords.exists():
        passwords.write_text(json.dumps({LOCAL_USER: LOCAL_USER}))
    warehouse = warehouse or db.warehouse_url()
    metadata_url = metadata_url or db.airflow_metadata_url()
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor" if workers else "LocalExecutor",
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
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db.sqlalchemy_url(metadata_url),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # The api-server shares this machine's cores with the scheduler and every running task: a task
        # starting under that load can wait longer than the default 5 s for its answer, and fail for it.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # INFO: each file's task log says what came in, loaded and was quarantined.
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": connection_json(warehouse),
        "AGRITRACE_HOME": str(cfg.home),
        "AGRITRACE_LANDING_DIR": str(cfg.landing_dir),
        "NO_PROXY": "*",
        **celery_env(metadata_url),
    }
    if cfg.database_url:
        env["AGRITRACE_DATABASE_URL"] = cfg.database_url
    # Every other setting as this process sees it (unset: its default), so the tasks read the same.
    for setting in SETTINGS:
        env.setdefault(setting.name, os.environ.get(setting.name, setting.default))
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def run_airflow(args: list[str], *, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, **airflow_env(workers=running_workers())}
    return subprocess.run([airflow_bin(), *args], env=env, check=check, text=True,
                          capture_output=capture)


def migrate_metadata() -> None:
    """Create or upgrade Airflow's metadata database (a no-op when it is current)."""
    run_airflow(["db", "migrate"], capture=True)


def _pid_dir() -> Path:
    path = settings().airflow_home / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def running_workers() -> int:
    """How many Celery workers the running local stack has (0: the LocalExecutor, or none running)."""
    return len([p for p in _pid_dir().glob("worker-*.pid") if _alive(int(p.read_text()))])


def start_stack(workers: int = 0) -> dict[str, int]:
    """Start api-server, scheduler, dag-processor, triggerer and ``workers`` Celery workers in the
    background; pids are kept in files.

    A stack already running on the other executor is stopped first: the scheduler and its workers
    must agree on it.
    """
    if running_workers() != workers and any(_pid_dir().glob("*.pid")):
        stop_stack()
    migrate_metadata()
    env = {**os.environ, **airflow_env(workers=workers)}
    if workers:
        prepare_broker(env)
    logs = settings().airflow_home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {component: ([airflow_bin(), component], {}) for component in COMPONENTS}
    for number in range(1, workers + 1):
        commands[f"worker-{number}"] = (worker_args(number), {WORKER_NAME_VARIABLE: worker_name(number)})
    pids = {}
    for name, (args, extra_env) in commands.items():
        pid_file = _pid_dir() / f"{name}.pid"
        if pid_file.exists() and _alive(int(pid_file.read_text())):
            pids[name] = int(pid_file.read_text())
            continue
        with (logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(args, env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        pid_file.write_text(str(process.pid))
        pids[name] = process.pid
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
