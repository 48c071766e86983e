"""Fixtures of the hardening suite: one brought-up warehouse per module, and a landing folder per test.

Bringing a warehouse up takes seconds, so a module shares one (``shared``); every test writes files
with keys of its own (``Keys``) and asserts on its own ``file_id``s. Helpers live in
``hardening_helpers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agritrace.bootstrap import bring_up
from agritrace.contracts import FEEDS
from agritrace.pipeline import process_file
from hardening_helpers import (
    BATCH_COLUMNS,
    PRODUCER_COLUMNS,
    Keys,
    Warehouse,
    batch_row,
    drop_database,
    make_database,
    producer_row,
    write_csv,
)


@pytest.fixture(scope="module")
def shared(pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = make_database(pg_server_url, template_database)
    bring_up(url)
    keys = Keys()
    producer_id, batch_no = keys.producer(), keys.batch()
    base = tmp_path_factory.mktemp("base")
    for feed in FEEDS:
        (base / feed).mkdir()
    for path, feed in (
        (write_csv(base / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer_id)]), "producers"),
        (write_csv(base / "sampling_batches" / "b.csv", BATCH_COLUMNS, [batch_row(batch_no, producer_id)]),
         "sampling_batches"),
    ):
        [outcome] = process_file(path, feed, url=url, use_gx=False)
        assert outcome.status == "loaded" and outcome.rows_loaded == 1, outcome.summary()
    yield Warehouse(url, producer_id, batch_no, keys)
    drop_database(pg_server_url, url)


@pytest.fixture
def landing_dir(tmp_path: Path) -> Path:
    """A landing folder of the test's own (one sub-folder per feed)."""
    root = tmp_path / "landing"
    for feed in FEEDS:
        (root / feed).mkdir(parents=True)
    return root
