"""Every setting agritrace reads from the environment, in one place.

Variables (all optional; ``SETTINGS`` below is the one table of them, with their defaults):

- ``AGRITRACE_DATABASE_URL``: the warehouse. Unset means an embedded Postgres under ``.agritrace/``.
- ``AGRITRACE_HOME``: where local state lives (embedded Postgres, Airflow home, logs);
  default ``.agritrace/`` in the project root.
- ``AGRITRACE_LANDING_DIR``: the landing folder with one sub-folder per feed; default ``landing/``.
- ``AGRITRACE_GATE_SHARE``: share of failing rows above which a whole file is held (default 0.2).
- ``AGRITRACE_PG_PORT``: the TCP port the embedded Postgres listens on at 127.0.0.1 (for the
  analyst login of BI tools); unset, a free port is chosen at its first start and kept in
  ``.agritrace/pg_port``.
- ``AGRITRACE_ANALYST_PASSWORD``: the password of the read-only analyst login
  (``agritrace db url --role analyst``); unset, one is generated and kept in ``.agritrace/analyst_password``.
- ``AGRITRACE_TIMEZONE``: the bureau's time zone for schedules and "not in the future" rules.
- ``AGRITRACE_SETTLE_SECONDS``: how long a landed file must stay unchanged before it is taken
  (default 30; a ``NAME.done`` marker beside it says it is complete and it is taken at once).
- ``AGRITRACE_RETRY_DELAY_SECONDS``: the first retry delay of the DAGs' tasks (default 120; it
  doubles with each try). The end-to-end test shortens it to see a retry within its time.
- ``AGRITRACE_JURISDICTION``: the bureau's own jurisdiction (default ``CN``, mainland China): rows
  that name none are judged with its limits, and never with another jurisdiction's.
- ``AGRITRACE_REFERENCE_PACKS_DIR``: a folder of reference packs (one sub-folder with a
  ``pack.yaml`` each) the reference DAG loads after the shipped mainland pack; default
  ``reference_packs/`` (absent: no extra packs).
- ``AGRITRACE_BULK_LOAD_ROWS``: a write into core of at least this many rows (and ``BULK_TABLE_SHARE``
  of the table's rows) runs in bulk mode, the table's secondary indexes rebuilt after it (``load.bulk``).
- ``AGRITRACE_MAX_CELL_BYTES``, ``AGRITRACE_MAX_JSON_DEPTH``, ``AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES``,
  ``AGRITRACE_MAX_XLSX_CELLS``: input limits; a file beyond one is rejected with a message naming it
  (defaults and why in ``INPUT_LIMITS`` below).
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

# Input limits: environment variable -> default. Each stops one way a small file can cost
# unbounded memory or time; a file beyond a limit is rejected, naming the limit and its variable.
INPUT_LIMITS = {
    # Excel and WPS hold at most 32,767 characters in a cell, i.e. at most 128 KiB in UTF-8 even
    # for 4-byte characters, so no spreadsheet export has a larger cell (and it is Python's own csv
    # field limit). Larger is a quote opened and never closed, or not inspection data.
    "AGRITRACE_MAX_CELL_BYTES": 131_072,
    # A JSON Lines record is one object of columns; a nested value is kept as its JSON text, and
    # real exports nest a few levels at most. 32 is far above that and far below the ~1,000 levels
    # at which Python's JSON parser runs out of stack.
    "AGRITRACE_MAX_JSON_DEPTH": 32,
    # A full Excel sheet (1,048,576 rows) of the widest feed (14 columns) is about 850 MB of sheet
    # XML (openpyxl writes ~58 bytes a cell); 1 GiB admits it. A workbook that expands beyond
    # that is a compression bomb or a sheet stretched past Excel's own size.
    "AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES": 1 << 30,
    # Cells read, blank cells inside the sheet's used range included: a full Excel sheet of the
    # widest feed plus five unmapped columns (1,048,576 × 19). Stops a sheet whose recorded width
    # or height was stretched to millions of empty cells.
    "AGRITRACE_MAX_XLSX_CELLS": 20_000_000,
}

# Bulk mode (load.bulk) for a write into core of at least BULK_LOAD_ROWS staged rows that are also at
# least BULK_TABLE_SHARE of the rows the table holds: below either, rebuilding the secondary indexes
# costs more than keeping them current. Both measured in docs/scaling.md ("Bulk mode for backfills").
BULK_LOAD_ROWS = 100_000
BULK_TABLE_SHARE = 0.5



@dataclass(frozen=True)
class Setting:
    """One environment variable agritrace reads: what it does and its default."""

    name: str
    meaning: str
    default: str  # the value that behaves as unset ("" where unset means off or generated)
    shown_default: str = ""  # the default as documented, when the value alone does not say it

    @property
    def documented_default(self) -> str:
        return self.shown_default or (f"`{self.default}`" if self.default else "none")


# Every AGRITRACE_* setting, once: the README's settings table, `agritrace airflow env`, the compose
# file's environment and the data contract are checked against (or rendered from) this table.
SETTINGS: tuple[Setting, ...] = (
    Setting("AGRITRACE_DATABASE_URL", "the warehouse", "", "embedded Postgres under `.agritrace/`"),
    Setting("AGRITRACE_HOME", "local state (embedded Postgres, Airflow home, GX Data Docs)", "", "`.agritrace/`"),
    Setting("AGRITRACE_LANDING_DIR", "landing folder, one sub-folder per feed", "", "`landing/`"),
    Setting("AGRITRACE_PROFILES_DIR", "the source profiles folder", "", "`profiles/`"),
    Setting("AGRITRACE_REFERENCE_PACKS_DIR", "reference packs (one sub-folder with a pack.yaml each) loaded after "
            "the shipped mainland pack by `db up` and the reference DAG", "", "`reference_packs/`"),
    Setting("AGRITRACE_JURISDICTION", "the bureau's own jurisdiction: rows that name none are judged with its "
            "limits, never with another's", "CN"),
    Setting("AGRITRACE_GATE_SHARE", "share of failing rows above which a file is held", "0.2"),
    Setting("AGRITRACE_TIMEZONE", "the bureau's time zone", "Asia/Shanghai"),
    Setting("AGRITRACE_SETTLE_SECONDS", "how long a landed file must stay unchanged before it is taken "
            "(`NAME.done` beside it: at once)", "30"),
    Setting("AGRITRACE_RETRY_DELAY_SECONDS", "first retry delay of the DAGs' tasks (doubles with each try)", "120"),
    Setting("AGRITRACE_BULK_LOAD_ROWS", f"rows a write into core must stage (and at least {BULK_TABLE_SHARE:.0%} of "
            "the table's rows) to load in bulk mode: secondary indexes dropped and rebuilt in the same transaction",
            str(BULK_LOAD_ROWS)),
    Setting("AGRITRACE_MAX_CELL_BYTES", "largest cell a file may hold (bytes); a file beyond it is rejected "
            "naming the limit", str(INPUT_LIMITS["AGRITRACE_MAX_CELL_BYTES"])),
    Setting("AGRITRACE_MAX_JSON_DEPTH", "deepest nesting of a JSON Lines record",
            str(INPUT_LIMITS["AGRITRACE_MAX_JSON_DEPTH"])),
    Setting("AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES", "largest uncompressed size of a workbook",
            str(INPUT_LIMITS["AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES"])),
    Setting("AGRITRACE_MAX_XLSX_CELLS", "most cells read from a workbook", str(INPUT_LIMITS["AGRITRACE_MAX_XLSX_CELLS"])),
    Setting("AGRITRACE_PG_PORT", "TCP port of the embedded Postgres on 127.0.0.1 (for BI tools' analyst login)", "",
            "a free port, chosen at the first start and kept"),
    Setting("AGRITRACE_ANALYST_PASSWORD", "password of the read-only analyst login", "",
            "generated, kept in `.agritrace/analyst_password`"),
    Setting("AGRITRACE_AIRFLOW_PORT", "port of the local Airflow api-server", "8080"),
    Setting("AGRITRACE_CELERY_BROKER_URL", "the Celery broker of `make airflow WORKERS=N`", "",
            "Airflow's metadata database"),
    Setting("AGRITRACE_ALERT_WEBHOOK", "URL that receives a JSON POST when a task fails", ""),
    Setting("AGRITRACE_ALERT_EMAIL", "who gets an email when a task fails", ""),
    Setting("AGRITRACE_ALERT_FROM", "sender of those emails", "agritrace@localhost"),
    Setting("AGRITRACE_SMTP_HOST", "mail server for those emails", "localhost"),
    Setting("AGRITRACE_SMTP_PORT", "its port", "25"),
)
# Variables agritrace sets for itself or only its tests read: not settings of a deployment.
INTERNAL_VARIABLES = {
    "AGRITRACE_WORKER_NAME": "set by agritrace for each Celery worker it starts",
    "AGRITRACE_TEST_DATABASE_URL": "the tests' Postgres server",
}


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    home: Path
    landing_dir: Path
    gate_share: float
    timezone: str
    # Uploads over SFTP or SMB write a file in pieces, with pauses of seconds on a slow county link;
    # half a minute without change is a finished upload in practice, and costs a daily feed nothing.
    settle_seconds: float = 30.0
    retry_delay_seconds: float = 120.0
    max_cell_bytes: int = INPUT_LIMITS["AGRITRACE_MAX_CELL_BYTES"]
    max_json_depth: int = INPUT_LIMITS["AGRITRACE_MAX_JSON_DEPTH"]
    max_xlsx_uncompressed_bytes: int = INPUT_LIMITS["AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES"]
    max_xlsx_cells: int = INPUT_LIMITS["AGRITRACE_MAX_XLSX_CELLS"]
    bulk_load_rows: int = BULK_LOAD_ROWS
    pg_port: int | None = None
    analyst_password: str | None = None
    jurisdiction: str = "CN"
    reference_packs_dir: Path = PROJECT_ROOT / "reference_packs"

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


def _seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _limit(name: str, default: int | None = None) -> int:
    """A positive whole number from the environment, or ``default`` (an input limit's own by default)."""
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return INPUT_LIMITS[name] if default is None else default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a positive whole number, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value}")
    return value


def _port(name: str) -> int | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{name} must be a TCP port number (1-65535), got {text!r}")
    return int(text)


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
        settle_seconds=_seconds("AGRITRACE_SETTLE_SECONDS", 30.0),
        retry_delay_seconds=_seconds("AGRITRACE_RETRY_DELAY_SECONDS", 120.0),
        max_cell_bytes=_limit("AGRITRACE_MAX_CELL_BYTES"),
        max_json_depth=_limit("AGRITRACE_MAX_JSON_DEPTH"),
        max_xlsx_uncompressed_bytes=_limit("AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES"),
        max_xlsx_cells=_limit("AGRITRACE_MAX_XLSX_CELLS"),
        bulk_load_rows=_limit("AGRITRACE_BULK_LOAD_ROWS", BULK_LOAD_ROWS),
        pg_port=_port("AGRITRACE_PG_PORT"),
        analyst_password=os.environ.get("AGRITRACE_ANALYST_PASSWORD") or None,
        jurisdiction=os.environ.get("AGRITRACE_JURISDICTION", "").strip() or "CN",
        reference_packs_dir=_path(os.environ.get("AGRITRACE_REFERENCE_PACKS_DIR"), PROJECT_ROOT / "reference_packs"),
    )
