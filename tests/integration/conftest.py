"""Fixtures integration tests share with the reliability tests (a module-wide warehouse, a landing folder)."""

from warehouse_helpers import landing_dir, shared  # noqa: F401 — fixtures, found by pytest by name
