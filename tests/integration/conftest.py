"""Fixtures integration tests share: with the reliability tests (a module-wide warehouse, a landing folder), and
the trace tests' warehouse holding the trace dataset."""

import psycopg
import pytest
from test_trace_fixtures import prepare_trace_warehouse
from warehouse_helpers import landing_dir, shared  # noqa: F401 — fixtures, found by pytest by name


@pytest.fixture
def trace_warehouse(warehouse):
    return prepare_trace_warehouse(warehouse)


@pytest.fixture
def conn(trace_warehouse):
    with psycopg.connect(trace_warehouse) as connection:
        yield connection
