"""The `agritrace` command: the same functions the DAGs run, for a terminal.

Each sub-command group lives in its own module and registers itself on `app` when imported; the
import order is the order `agritrace --help` lists them in.
"""

# ruff: noqa: I001, F401
from agritrace.cli import run
from agritrace.cli import trace, ref, profile, quarantine, marts, db, airflow
from agritrace.cli.base import EXIT_DATABASE_LOST, EXIT_USAGE, _AgritraceGroup, app

__all__ = ["EXIT_DATABASE_LOST", "EXIT_USAGE", "_AgritraceGroup", "app"]
