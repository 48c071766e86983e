"""Every failing batch of the demo set traces back to its producer, certificate and failing items,
and forward to its recall scope."""

from __future__ import annotations

import psycopg
import pytest
from agritrace.bootstrap import bring_up
from agritrace.ingest.landing import landing_files
from agritrace.pipeline import process_file
from agritrace.synth import generate_demo
from agritrace.trace.lookup import trace


@pytest.fixture
def demo_warehouse(warehouse, landing):
    bring_up(warehouse)
    generate_demo(landing)
    for feed in ("producers", "certificates", "sampling_batches", "inspection_results"):
        for path in landing_files(feed):
            process_file(path, feed, url=warehouse)
    return warehouse


def test_every_failing_demo_batch_traces_to_producer_certificate_items_and_recall(demo_warehouse):
    with psycopg.connect(demo_warehouse) as conn:
        failing = conn.execute("""select batch_no, producer_id, certificate_no from core.sampling_batches
                                   where batch_verdict = 'fail' order by batch_no""").fetchall()
        assert len(failing) == 13  # 11 district routine + 2 supervisory, as calibrated
        for batch_no, producer_id, certificate_no in failing:
            result = trace(conn, batch_no, requested_by="test", interface="sql")
            assert result.key_type == "batch_no"
            assert [p.producer_id for p in result.producers] == [producer_id]
            batch = next(b for b in result.batches if b.batch_no == batch_no)
            assert batch.failing and any(item.failing for item in batch.items)
            assert all(item.verdict == "fail" for item in batch.items if item.failing)
            if certificate_no:
                assert certificate_no in {c.certificate_no for c in result.certificates}
                assert certificate_no in {c.certificate_no for c in result.recall.certificates}
            assert batch_no in result.recall.failing_batch_nos
        audited = conn.execute("select count(*) from ops.trace_audit where requested_by = 'test'").fetchone()[0]
        assert audited == len(failing)
