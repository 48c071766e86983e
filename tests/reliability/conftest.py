"""Fixtures of the reliability suite: the shared warehouse and landing folder of ``warehouse_helpers``."""

from warehouse_helpers import landing_dir, shared  # noqa: F401 — fixtures, found by pytest by name
