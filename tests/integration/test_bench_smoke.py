"""`agritrace bench` at a tiny size: every stage runs and both reports are written (no timing asserted)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
from agritrace.bench import run_bench
from agritrace.pipeline import LOAD_STAGES

HEADLINE_KEYS = {
    "copy_ceiling_rows_per_s", "to_sql_rows_per_s", "ingest_rows_per_s", "ingest_peak_rss_mb", "gx_rows_per_s",
    "marts_full_refresh_s", "marts_incremental_refresh_s", "trace_p50_ms", "trace_p95_ms", "trace_p99_ms",
    "load_ceiling_rows_per_s", "to_sql_indexed_rows_per_s",
}


def test_a_tiny_benchmark_writes_every_figure_to_json_and_markdown(pg_server_url: str, tmp_path: Path) -> None:
    database = f"agritrace_bench_t_{uuid.uuid4().hex[:8]}"
    result = run_bench(rows=2_000, scales=(1,), out_dir=tmp_path, url=pg_server_url, trace_keys=20,
                       to_sql_rows=500, database=database, echo=lambda line: None)

    written = json.loads((tmp_path / "benchmarks.json").read_text(encoding="utf-8"))
    assert written["headline_scale"] == 1
    for key in HEADLINE_KEYS:
        assert isinstance(written[key], (int, float)) and written[key] > 0, key
    assert written["machine"]["cores"] >= 1 and written["machine"]["memory_gb"] > 0
    assert written["commit"]
    assert set(written["targets"]) == {"ingest_vs_load_ceiling", "ingest_vs_to_sql_indexed", "ingest_peak_rss",
                                       "trace_p95", "marts_incremental"}
    # The load ceiling writes back every feed core held, into the same tables.
    assert set(written["runs"]["1"]["load_ceiling"]["per_feed"]) == set(written["runs"]["1"]["rows_loaded_main"])
    run = written["runs"]["1"]
    assert run["ingest"]["statuses"] == ["loaded"]
    assert run["ingest"]["rows_quarantined"] == 0
    assert run["ingest"]["rows"] == sum(run["rows_loaded_main"].values())
    assert result["ingest_rows_per_s"] == written["ingest_rows_per_s"]
    # The ingest's time, stage by stage: every stage ran, within the time the ingest is measured by.
    stages = run["ingest"]["stage_seconds"]
    assert set(stages) == set(LOAD_STAGES) and all(seconds > 0 for seconds in stages.values())
    assert sum(stages.values()) <= run["ingest"]["seconds"]

    markdown = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    assert "| End-to-end ingest" in markdown and "## Targets" in markdown and "## Method" in markdown
    assert "### Where the ingest time goes" in markdown and "| validate |" in markdown
    assert "ingest time by stage: " in markdown, "a missed ingest target names the stages that limit it"

    with psycopg.connect(pg_server_url) as conn:
        left = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
    assert left is None, "the benchmark database is dropped afterwards"
