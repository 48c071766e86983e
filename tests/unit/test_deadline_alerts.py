"""The ingest DAGs' deadline alert: sent for a run that is really late, naming its run and data interval;
silent for backfills, for the first catch-up (queued after its deadline) and for runs that have ended.

The context is the one Airflow 3.3's scheduler hands a deadline callback: the DAG run in its REST
form and the deadline's time (``dag.test()`` cannot resolve deadline alerts, so this is the test).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from agritrace.alerts import ingest_deadline_missed

INTERVAL = ("2026-06-01T17:00:00Z", "2026-06-02T17:00:00Z")  # 01:00 to 01:00 in Asia/Shanghai
DEADLINE = "2026-06-02T19:00:00Z"


def _run(**changes) -> dict:
    run = {"dag_run_id": "scheduled__2026-06-01T17:00:00+00:00", "dag_id": "ingest_certificates",
           "run_type": "scheduled", "state": "running", "queued_at": "2026-06-02T17:00:05Z",
           "run_after": "2026-06-02T17:00:00Z", "logical_date": INTERVAL[0],
           "data_interval_start": INTERVAL[0], "data_interval_end": INTERVAL[1]}
    return {**run, **changes}


def _alerts(home) -> list[dict]:
    path = home / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _miss(run: dict) -> None:
    asyncio.run(ingest_deadline_missed("certificates", context={
        "dag_run": run, "deadline": {"id": "d1", "deadline_time": DEADLINE}}))


def test_a_late_run_is_alerted_with_its_run_and_data_interval(tmp_path, monkeypatch):
    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path))
    _miss(_run())
    [alert] = _alerts(tmp_path)
    assert alert["run_id"] == "scheduled__2026-06-01T17:00:00+00:00"
    assert (alert["data_interval_start"], alert["data_interval_end"]) == INTERVAL
    assert alert["deadline"] == DEADLINE and alert["dag_id"] == "ingest_certificates"
    assert "scheduled__2026-06-01T17:00:00+00:00" in alert["reason"] and INTERVAL[0] in alert["reason"]


@pytest.mark.parametrize("run", [
    _run(run_type="backfill", dag_run_id="backfill__2026-03-01T17:00:00+00:00", queued_at="2026-06-02T17:00:00Z"),
    # make airflow's first catch-up: yesterday's interval, queued after its deadline had passed
    _run(run_type="scheduled", queued_at="2026-06-03T08:12:00Z"),
    _run(state="failed"),
    _run(state="success"),
], ids=["backfill", "first-catch-up", "failed-run", "finished-run"])
def test_no_alert_for_runs_late_on_purpose_or_already_ended(run, tmp_path, monkeypatch):
    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path))
    _miss(run)
    assert _alerts(tmp_path) == []
