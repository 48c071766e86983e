"""Every AGRITRACE_* setting is in the one table (config.SETTINGS) and in every place a user looks:
the README's settings table, `agritrace airflow env`, docker-compose's environment and the data contract."""

from __future__ import annotations

import re

import pytest
import yaml
from agritrace.config import INTERNAL_VARIABLES, PROJECT_ROOT, SETTINGS

NAMES = {s.name for s in SETTINGS}
# A variable name, not a longer one it is part of (AIRFLOW_CONN_AGRITRACE_WAREHOUSE is Airflow's).
_VARIABLE = re.compile(r"(?<![A-Z0-9_])AGRITRACE_[A-Z0-9_]*[A-Z0-9]")


def test_every_variable_the_code_reads_is_a_setting():
    read = set()
    for folder in ("include", "dags", "plugins"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            read |= set(_VARIABLE.findall(path.read_text(encoding="utf-8")))
    missing = read - NAMES - set(INTERNAL_VARIABLES)
    assert not missing, f"add {sorted(missing)} to SETTINGS in include/agritrace/config.py"


@pytest.mark.parametrize("place", ["README.md", "docs/data_contract.md"])
def test_every_setting_is_a_row_of_the_settings_tables(place):
    text = (PROJECT_ROOT / place).read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"| `{name}` |" not in text]
    assert not missing, f"{place} lacks a settings-table row for {missing}"


def test_every_setting_is_in_the_compose_environment():
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))
    environment = compose["x-airflow-common"]["environment"]
    missing = sorted(NAMES - set(environment))
    assert not missing, f"docker-compose.yaml's x-airflow-common environment lacks {missing}"


def test_every_setting_is_in_the_airflow_environment(monkeypatch, tmp_path):
    from agritrace.airflow_local import airflow_env

    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path))
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", "postgresql://u:p@db:5432/agritrace")
    env = airflow_env(metadata_url="postgresql://u:p@db:5432/airflow")
    missing = sorted(NAMES - set(env))
    assert not missing, f"agritrace airflow env lacks {missing}"
    # Unset settings are exported at their defaults, which the code reads back as unset.
    assert env["AGRITRACE_JURISDICTION"] == "CN" and env["AGRITRACE_SMTP_PORT"] == "25"
