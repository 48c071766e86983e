"""Real DAG runs with ``dag.test()`` against Postgres: reruns, clears and backfills change nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pendulum
import psycopg
import pytest
from agritrace.airflow_local import run_dag_in_process
from agritrace.bootstrap import bring_up
from agritrace.config import DAGS_DIR
from agritrace.quality.rules import uscc_check_character

HEADER = "producer_id,producer_name,producer_type,region_code,town"


def uscc(serial: int) -> str:
    first17 = f"93440902MA{serial:07d}"
    return first17 + uscc_check_character(first17)


@pytest.fixture(scope="session")
def dags(airflow_metadata):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags


@pytest.fixture
def ready(warehouse):
    bring_up(warehouse)
    return warehouse


def core_snapshot(url: str) -> list:
    with psycopg.connect(url) as conn:
        return conn.execute("select producer_id, producer_name, town from core.producers order by 1").fetchall()


def land(landing: Path, name: str, rows: list[str]) -> Path:
    path = landing / "producers" / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


ROWS = [f"{uscc(i)},主体{i},企业,440902,金塘镇" for i in range(1, 6)]


def test_a_dag_run_loads_the_landing_folder_and_emits_the_asset(dags, ready, landing):
    land(landing, "day1.csv", ROWS)
    run = run_dag_in_process(dags["ingest_producers"])
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert len(core_snapshot(ready)) == 5
    assert (landing / "producers" / "archive").is_dir()


def test_rerunning_with_the_same_files_changes_nothing(dags, ready, landing):
    land(landing, "day1.csv", ROWS)
    run_dag_in_process(dags["ingest_producers"])
    before = core_snapshot(ready)
    # The sender delivers the same file again (another name), and the DAG runs again.
    archived = next((landing / "producers" / "archive").iterdir())
    shutil.copy(archived, landing / "producers" / "again.csv")
    run_dag_in_process(dags["ingest_producers"])
    assert core_snapshot(ready) == before
    with psycopg.connect(ready) as conn:
        assert conn.execute("select count(*) from ops.files").fetchone()[0] == 1
        assert conn.execute("select count(*) from ops.file_deliveries where outcome = 'skipped_duplicate'").fetchone()[0] == 1


def test_backfilling_several_days_gives_the_same_core_as_one_run(dags, ready, landing):
    land(landing, "batch.csv", ROWS)
    for day in (1, 2, 3):
        archived = list((landing / "producers" / "archive").glob("*")) if day > 1 else []
        for path in archived:
            shutil.copy(path, landing / "producers" / f"day{day}_{path.name}")
        run = run_dag_in_process(dags["ingest_producers"], logical_date=pendulum.datetime(2026, 3, day, tz="Asia/Shanghai"))
        assert str(run.state) in ("success", "DagRunState.SUCCESS")
    assert len(core_snapshot(ready)) == 5
    with psycopg.connect(ready) as conn:
        assert conn.execute("select sum(rows_loaded) from ops.files").fetchone()[0] == 5


def test_clearing_a_finished_file_task_is_safe(dags, ready, landing):
    from agritrace.dag_support import ingest_landing_file

    path = land(landing, "day1.csv", ROWS)
    run_dag_in_process(dags["ingest_producers"])
    before = core_snapshot(ready)
    # A cleared mapped task runs again with the same input: the path its first attempt archived.
    [outcome] = ingest_landing_file("producers", str(path), "manual__cleared")
    assert outcome["status"] == "skipped"
    assert core_snapshot(ready) == before


def test_a_held_file_fails_its_task_and_the_notifier_fires(dags, ready, landing, tmp_path, monkeypatch):
    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path / "home"))
    land(landing, "bad.csv", ["NOT-A-CODE,坏,企业,440902,金塘镇", "ALSO-BAD,坏,企业,440902,金塘镇"])
    land(landing, "good.csv", ROWS)
    run = run_dag_in_process(dags["ingest_producers"])
    assert "failed" in str(run.state).lower()
    # The other file of the same run still loaded.
    assert len(core_snapshot(ready)) == 5
    alerts = [json.loads(line) for line in (tmp_path / "home" / "alerts.jsonl").read_text().splitlines()]
    alert = next(a for a in alerts if a["task_id"] == "ingest_file")
    assert alert["dag_id"] == "ingest_producers" and alert["run_id"] == run.run_id
    assert alert["data_interval_end"] is not None  # which day's data the alert is about
    assert "held" in alert["reason"] and "bad.csv" in alert["reason"]


def test_orphans_load_when_their_parent_arrives_through_the_asset_triggered_dag(dags, ready, landing):
    from agritrace.pipeline import process_file

    certificates = landing / "certificates" / "early.csv"
    certificates.write_text("certificate_no,producer_id,product_name,quantity,unit,issue_date,commitment_basis\n"
                            f"HG-9,{uscc(9)},豇豆,50,斤,2023-05-01,自检合格\n", encoding="utf-8")
    process_file(certificates, "certificates", url=ready)
    land(landing, "late.csv", [f"{uscc(9)},后到,企业,440902,金塘镇"])
    run_dag_in_process(dags["ingest_producers"])
    run = run_dag_in_process(dags["retry_orphans"])
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    with psycopg.connect(ready) as conn:
        assert conn.execute("select quantity_kg from core.certificates").fetchall() == [(25,)]
        assert conn.execute("select status from quarantine.rows").fetchall() == [("loaded",)]


def test_replay_dag_loads_an_unknown_analyte_after_its_alias_is_added(dags, ready, landing):
    from agritrace.pipeline import process_file

    land(landing, "p.csv", [f"{uscc(3)},甲,企业,440902,金塘镇"])
    process_file(landing / "producers" / "p.csv", "producers", url=ready)
    batches = landing / "sampling_batches" / "b.csv"
    batches.write_text("batch_no,task_type,sampling_level,sampling_date,sampling_stage,producer_id,product_name\n"
                       f"B-1,例行监测,区县,2023-06-01,生产基地,{uscc(3)},豇豆\n", encoding="utf-8")
    process_file(batches, "sampling_batches", url=ready)
    results = landing / "inspection_results" / "r.csv"
    results.write_text("batch_no,analyte,result_value,unit\nB-1,灭蝇胺,0.02,mg/kg\nB-1,噻虫安,0.9,mg/kg\n",
                       encoding="utf-8")
    [outcome] = process_file(results, "inspection_results", url=ready, ignore_gate=True)
    assert outcome.rows_quarantined == 1
    with psycopg.connect(ready) as conn:
        [(reasons,)] = conn.execute("select reasons from quarantine.rows where status = 'open'").fetchall()
        assert reasons[0]["rule"] == "reference:analyte" and reasons[0]["value"] == "噻虫安"
        # The operator recognises a typo of 噻虫胺 and teaches the reference the alias.
        code = conn.execute("select code from ref.analytes where name_zh = '噻虫胺'").fetchone()[0]
        conn.execute("insert into ref.analyte_aliases (alias, analyte_code) values ('噻虫安', %s)", (code,))
    run = run_dag_in_process(dags["replay_quarantine"], run_conf={"feed": "inspection_results"})
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    # The replayed feed's core table gets its asset event (publish_marts listens); the others' publish skip.
    states = {ti.task_id: str(ti.state).rsplit(".", 1)[-1].lower() for ti in run.get_task_instances()}
    assert states["publish_inspection_results"] == "success"
    assert {states[f"publish_{feed}"] for feed in ("producers", "certificates", "sampling_batches")} == {"skipped"}
    with psycopg.connect(ready) as conn:
        assert conn.execute("select status from quarantine.rows").fetchall() == [("loaded",)]
        items = conn.execute("select analyte_name, value_mg_kg::float, verdict from core.inspection_results "
                             "order by analyte_name").fetchall()
        assert items == [("噻虫安", 0.9, "fail"), ("灭蝇胺", 0.02, "pass")]
        assert conn.execute("select batch_verdict from core.sampling_batches").fetchall() == [("fail",)]
    # Replaying again finds nothing open and changes nothing.
    run_dag_in_process(dags["replay_quarantine"], run_conf={"feed": "inspection_results"})
    with psycopg.connect(ready) as conn:
        assert conn.execute("select count(*) from core.inspection_results").fetchone()[0] == 2
