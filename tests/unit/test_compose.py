"""The server deployment agrees with the local one (no Docker engine is needed to check that)."""

from __future__ import annotations

import re

import pytest
import yaml
from agritrace.config import PROJECT_ROOT, WAREHOUSE_CONN_ID

COMPOSE = PROJECT_ROOT / "docker-compose.yaml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker",
                    "airflow-triggerer", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _environment(service: dict) -> dict:
    return {str(k): str(v) for k, v in (service.get("environment") or {}).items()}


def test_every_component_of_the_official_stack_is_there(compose):
    services = set(compose["services"])
    assert AIRFLOW_SERVICES <= services
    assert {"postgres", "redis", "warehouse"} <= services


def test_every_mounted_path_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (PROJECT_ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_include_and_sql_are_mounted(compose):
    mounts = {v.split(":")[0] for v in compose["services"]["airflow-scheduler"]["volumes"]}
    assert {"./include", "./sql", "./dags", "./plugins"} <= mounts


def test_every_command_is_a_real_airflow_subcommand(compose):
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        command = compose["services"][name]["command"]
        args = command.split() if isinstance(command, str) else list(command)
        with_help = [*args, "--help"]
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args(with_help)
        assert exit_info.value.code == 0, f"{name}: `airflow {command}` is not an airflow command"
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in init and "agritrace db up" in init


def test_settings_agree_with_the_local_stack(compose):
    from agritrace.airflow_local import airflow_env

    env = _environment(compose["services"]["airflow-scheduler"])
    local = airflow_env()
    key = f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"
    assert key in env and key in local
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == local["AIRFLOW__CORE__DEFAULT_TIMEZONE"]
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == local["AIRFLOW__CORE__LOAD_EXAMPLES"].lower()
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("/dags")
    # `make airflow` runs the LocalExecutor, `make airflow WORKERS=N` and the server Celery. Both are documented.
    assert local["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "CeleryExecutor" in readme and "LocalExecutor" in readme and "WORKERS=2" in readme


def test_celery_settings_agree_with_the_local_celery_stack(compose, monkeypatch):
    from agritrace.airflow_local import WORKER_COMMAND, airflow_env

    env = _environment(compose["services"]["airflow-worker"])
    monkeypatch.delenv("AGRITRACE_CELERY_BROKER_URL", raising=False)
    local = airflow_env(workers=2)
    assert local["AIRFLOW__CORE__EXECUTOR"] == env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for key in ("AIRFLOW__CELERY__WORKER_CONCURRENCY", "AIRFLOW__CORE__HOSTNAME_CALLABLE"):
        assert local[key] == env[key], key
    # Results in the metadata database, by the same driver, in both.
    for settings in (env, local):
        assert settings["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + settings["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # Locally the broker needs no server: kombu's SQLAlchemy transport on the metadata database ...
    assert local["AIRFLOW__CELERY__BROKER_URL"] == "sqla+" + local["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # ... and a real broker, such as compose's Redis, is used as it is given.
    monkeypatch.setenv("AGRITRACE_CELERY_BROKER_URL", env["AIRFLOW__CELERY__BROKER_URL"])
    assert airflow_env(workers=2)["AIRFLOW__CELERY__BROKER_URL"] == env["AIRFLOW__CELERY__BROKER_URL"]
    # The workers are the same Airflow command; the hostname callable is importable where tasks run.
    command = compose["services"]["airflow-worker"]["command"]
    assert tuple(command.split() if isinstance(command, str) else command) == WORKER_COMMAND
    from agritrace.airflow_local import worker_hostname

    monkeypatch.setenv("AGRITRACE_WORKER_NAME", "worker-7@here")
    assert worker_hostname() == "worker-7@here"


def test_dockerfile_builds_on_the_locked_airflow_version():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    lock = (PROJECT_ROOT / "uv.lock").read_text()
    locked = re.search(r'name = "apache-airflow"\nversion = "([^"]+)"', lock).group(1)
    assert f"AIRFLOW_VERSION={locked}" in dockerfile
    assert "uv export --frozen" in dockerfile
