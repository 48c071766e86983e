"""Every setting agritrace reads from the environment, in one place.

Variables (all optional):

- ``AGRITRACE_DATABASE_URL``: the warehouse. Unset means an embedded Postgres under ``.agritrace/``.
- ``AGRITRACE_HOME``: where local state lives (embedded Postgres, Airflow home, logs);
  default ``.agritrace/`` in the project root.
- ``AGRITRACE_LANDING_DIR``: the landing folder with one sub-folder per feed; default ``landing/``.
- ``AGRITRACE_GATE_SHARE``: share of failing rows above which a whole file is held (default 0.2).
- ``AGRITRACE_TIMEZONE``: the bureau's time zone for schedules and "not in the future" rules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
DAGS_DIR = PROJECT_ROOT / "dags"
PLUGINS_DIR = PROJECT_ROOT / "plugins"

WAREHOUSE_DATABASE = "agritrace"
AIRFLOW_DATABASE = "airflow"
WAREHOUSE_CONN_ID = "agritrace_warehouse"


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    home: Path
    landing_dir: Path
    gate_share: float
    timezone: str

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"


def _path(value: str | None, default: Path) -> Path:
    path = Path(value) if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


def settings() -> Settings:
    """Read the settings now; never cached, so tests and tasks see the environment they set."""
    gate = os.environ.get("AGRITRACE_GATE_SHARE", "0.2")
    try:
        gate_share = float(gate)
    except ValueError as exc:
        raise ValueError(f"AGRITRACE_GATE_SHARE must be a number between 0 and 1, got {gate!r}") from exc
    if not 0 <= gate_share <= 1:
        raise ValueError(f"AGRITRACE_GATE_SHARE must be between 0 and 1, got {gate_share}")
    return Settings(
        database_url=os.environ.get("AGRITRACE_DATABASE_URL") or None,
        home=_path(os.environ.get("AGRITRACE_HOME"), PROJECT_ROOT / ".agritrace"),
        landing_dir=_path(os.environ.get("AGRITRACE_LANDING_DIR"), PROJECT_ROOT / "landing"),
        gate_share=gate_share,
        timezone=os.environ.get("AGRITRACE_TIMEZONE", "Asia/Shanghai"),
    )
