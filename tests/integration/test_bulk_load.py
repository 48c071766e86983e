"""Bulk mode (``load.bulk``): a large write into core drops the table's secondary indexes and
rebuilds them in the same transaction. Same rows, versions and history as a load that keeps them;
afterwards every index exists as it was; a failure in the middle leaves every index in place."""

from __future__ import annotations

import logging

import psycopg
import pytest
from agritrace.bootstrap import bring_up
from agritrace.config import BULK_TABLE_SHARE
from agritrace.contracts import FEEDS
from agritrace.load.bulk import wants_bulk
from agritrace.load.copy import create_staging
from agritrace.load.core import write_core
from agritrace.pipeline import process_file
from warehouse_helpers import (
    CERTIFICATE_COLUMNS,
    PRODUCER_COLUMNS,
    certificate_row,
    producer_row,
    query,
    uscc,
    write_csv,
)

HEADER = (*CERTIFICATE_COLUMNS, "lot_no", "trace_code")
CORE_INDEXES = "select tablename, indexname, indexdef from pg_indexes where schemaname = 'core' order by 1, 2"


def certificates(landing, name: str, numbers, quantity: int, producer=lambda number: 1):
    """Certificates ``HG-<number>``, half of them without a lot (the partial index's predicate)."""
    return write_csv(landing / "certificates" / name, HEADER, [certificate_row(
        f"HG-{n}", uscc(producer(n)), quantity=str(quantity), issue_date=f"2023-05-0{1 + n % 9}",
        lot_no=f"L{n}" if n % 2 else "", trace_code=f"T{n}") for n in numbers])


@pytest.fixture
def with_producers(warehouse, landing):
    bring_up(warehouse)
    path = write_csv(landing / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(uscc(i)) for i in (1, 2)])
    assert process_file(path, "producers", url=warehouse)[0].rows_loaded == 2
    return warehouse


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk mode", "indexes kept"])
def test_bulk_mode_writes_the_same_versions_and_keeps_every_index(with_producers, landing, monkeypatch, bulk):
    url = with_producers
    monkeypatch.setenv("AGRITRACE_BULK_LOAD_ROWS", "5" if bulk else "1000")
    indexes = query(url, CORE_INDEXES)

    [loaded] = process_file(certificates(landing, "a.csv", range(1, 9), 100), "certificates", url=url)
    # A correction of four certificates (two moved to the other producer) and four new ones.
    second = certificates(landing, "b.csv", range(5, 13), 200, producer=lambda n: 1 + n % 2)
    [corrected] = process_file(second, "certificates", url=url)

    for outcome in (loaded, corrected):
        assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 8, 0)
        assert ("loaded in bulk mode" in outcome.message) is bulk
        assert ("6 secondary index(es) of core.certificates" in outcome.message) is bulk
    assert query(url, "select message from ops.files where file_id = %s", (corrected.file_id,)) == [
        (corrected.message or None,)]
    assert query(url, "select certificate_no, producer_id, quantity, lot_no, trace_code, file_id "
                      "from core.certificates order by certificate_no") == sorted(
        [(f"HG-{i}", uscc(1), 100, f"L{i}" if i % 2 else None, f"T{i}", loaded.file_id) for i in range(1, 5)]
        + [(f"HG-{i}", uscc(1 + i % 2), 200, f"L{i}" if i % 2 else None, f"T{i}", corrected.file_id)
           for i in range(5, 13)])
    assert query(url, "select certificate_no, quantity, file_id, superseded_by_file from core.certificates_history "
                      "order by certificate_no") == [
        (f"HG-{i}", 100, loaded.file_id, corrected.file_id) for i in range(5, 9)]
    # The marts' triggers saw both writes (V019): every issue day is waiting for the next refresh.
    assert query(url, "select count(distinct day) from ops.mart_touched_days") == [(9,)]
    assert query(url, CORE_INDEXES) == indexes
    assert query(url, "select count(*) from pg_index where not (indisvalid and indisready)") == [(0,)]


def test_a_failure_in_the_middle_of_a_bulk_write_leaves_every_index(with_producers, landing, monkeypatch, caplog):
    url = with_producers
    process_file(certificates(landing, "a.csv", range(1, 9), 100), "certificates", url=url)
    indexes, rows = query(url, CORE_INDEXES), query(url, "select * from core.certificates order by 1")
    monkeypatch.setenv("AGRITRACE_BULK_LOAD_ROWS", "5")
    feed = FEEDS["certificates"]
    with psycopg.connect(url) as conn:
        file_id = conn.execute("select max(file_id) from ops.files").fetchone()[0]
        staging = create_staging(conn, feed.core_table, "bulk_failure")
        # Eight rows, the last naming a producer core does not hold: the foreign key stops the
        # insert into core, after bulk mode has dropped the indexes.
        conn.execute(psycopg.sql.SQL(
            """insert into {} (certificate_no, producer_id, product_name, quantity, unit, issue_date,
                               commitment_basis, file_id)
               select 'HG-' || i, case when i = 16 then 'nobody' else %s end, '豇豆', 300, 'kg', date '2023-06-01',
                      '{{quality_control}}', %s
                 from generate_series(9, 16) i""").format(staging), (uscc(1), file_id))
        with caplog.at_level(logging.INFO, logger="agritrace.load.bulk"), pytest.raises(psycopg.errors.ForeignKeyViolation):
            write_core(conn, feed, staging)
        assert "6 secondary index(es) dropped" in caplog.text
        conn.rollback()
    assert query(url, CORE_INDEXES) == indexes
    assert query(url, "select * from core.certificates order by 1") == rows


def test_bulk_mode_needs_many_rows_and_a_large_share_of_the_table(monkeypatch):
    monkeypatch.setenv("AGRITRACE_BULK_LOAD_ROWS", "1000")
    assert wants_bulk(1000, 0)
    assert not wants_bulk(999, 0)
    assert wants_bulk(1000, int(1000 / BULK_TABLE_SHARE))
    assert not wants_bulk(1000, int(1000 / BULK_TABLE_SHARE) + 1)
