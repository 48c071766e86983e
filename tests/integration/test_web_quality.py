"""The data-quality page and its JSON, against a ledger, quarantine and dq history inserted by hand.

The day (all received today):

- producers_0601.csv   loaded, 10 in, 8 loaded, 2 quarantined (one bad type, one bad phone 138-ABCD-5678)
- certificates_0601.csv loaded, 5 in, 4 loaded, 1 orphan waiting for its producer
- batches_0601.csv     held, 4 in, 0 loaded, 3 quarantined
- results_0601.csv     loaded, 6 in, 5 loaded, 1 with an unknown analyte
- results_0602.xlsx    rejected (not a workbook)
- producers_0510.csv   loaded 40 days ago: outside a 14-day window
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from agritrace.quality.findings import row_kind
from agritrace.web import auth
from agritrace.web.app import create_app
from fastapi.testclient import TestClient

NOW = datetime.now(UTC).replace(microsecond=0)

# name, feed, status, rows in / loaded / quarantined, message, minutes ago
FILES = [
    ("producers_0601.csv", "producers", "loaded", 10, 8, 2, None, 50),
    ("certificates_0601.csv", "certificates", "loaded", 5, 4, 1, None, 40),
    ("batches_0601.csv", "sampling_batches", "held", 4, 0, 3,
     "75% of rows failed (gate 20%): nothing loaded", 30),
    ("results_0601.csv", "inspection_results", "loaded", 6, 5, 1, None, 20),
    ("results_0602.xlsx", "inspection_results", "rejected", None, None, None,
     "it has an .xlsx name but is not an Excel workbook; export it again", 10),
    ("producers_0510.csv", "producers", "loaded", 7, 7, 0, None, 40 * 24 * 60),
]


def _reason(rule: str, column: str, value: str | None, message: str) -> dict:
    return {"rule": rule, "column": column, "value": value, "message": message}


def _insert(conn: psycopg.Connection) -> dict[str, int]:
    ids = {}
    for name, feed, status, rows_in, loaded, quarantined, message, minutes in FILES:
        at = NOW - timedelta(minutes=minutes)
        ids[name] = conn.execute(
            """insert into ops.files (feed, sha256, file_name, size_bytes, rows_in, rows_loaded, rows_quarantined,
                                      status, message, received_at, started_at, finished_at)
               values (%s, %s, %s, 100, %s, %s, %s, %s, %s, %s, %s, %s) returning file_id""",
            (feed, name, name, rows_in, loaded, quarantined, status, message, at, at, at + timedelta(seconds=5)),
        ).fetchone()[0]
    quarantine = [
        ("producers_0601.csv", 3, {"producer_id": "HH-440902-000009", "producer_type": "公司企业",
                                   "contact_phone": "13812345678"},
         [_reason("vocabulary", "producer_type", "公司企业", "producer_type is not one of the vocabulary")], False),
        ("producers_0601.csv", 7, {"producer_id": "HH-440902-000010", "contact_phone": "138-ABCD-5678"},
         [_reason("pattern", "contact_phone", "138-ABCD-5678", "contact_phone does not look like a phone number")],
         False),
        ("certificates_0601.csv", 2, {"certificate_no": "HGZ-9", "producer_id": "HH-440902-000077"},
         [_reason("parent", "producer_id", "HH-440902-000077", "producer_id not found in producers")], True),
        ("batches_0601.csv", 2, {"batch_no": "B-1", "task_type": "抽查"},
         [_reason("vocabulary", "task_type", "抽查", "task_type is not one of the vocabulary")], False),
        ("batches_0601.csv", 3, {"batch_no": "B-2", "task_type": "抽查"},
         [_reason("vocabulary", "task_type", "抽查", "task_type is not one of the vocabulary")], False),
        ("batches_0601.csv", 4, {"batch_no": "B-3", "sampling_date": "2099-01-01"},
         [_reason("not_future", "sampling_date", "2099-01-01", "sampling_date lies in the future")], False),
        ("results_0601.csv", 6, {"batch_no": "B-9", "analyte": "神秘农药"},
         [_reason("reference:analyte", "analyte", "神秘农药", "analyte is not in the analyte reference")], False),
    ]
    for name, row, raw, reasons, orphan in quarantine:
        feed = next(f[1] for f in FILES if f[0] == name)
        conn.execute(
            """insert into quarantine.rows (feed, file_id, row_number, raw, reasons, is_orphan)
               values (%s, %s, %s, %s, %s, %s)""",
            (feed, ids[name], row, json.dumps(raw, ensure_ascii=False), json.dumps(reasons, ensure_ascii=False),
             orphan),
        )
    # expectation, column, success, unexpected, quarantined
    dq = {
        "producers_0601.csv": [("ExpectColumnValuesToBeInSet[vocabulary]", "producer_type", False, 1, 1),
                               ("ExpectColumnValuesToMatchRegex[pattern]", "contact_phone", False, 1, 1)],
        "batches_0601.csv": [("ExpectColumnValuesToBeInSet[vocabulary]", "task_type", False, 2, 2),
                             ("ExpectColumnValuesToBeBetween[not_future]", "sampling_date", False, 1, 1),
                             ("ExpectColumnValuesToNotBeNull[required]", "batch_no", True, 0, 0)],
        "producers_0510.csv": [("ExpectColumnValuesToBeInSet[vocabulary]", "producer_type", False, 9, 9)],
    }
    for name, results in dq.items():
        feed = next(f[1] for f in FILES if f[0] == name)
        validation = conn.execute(
            """insert into dq.validation_runs (file_id, feed, suite, success, evaluated_rows, failing_rows)
               values (%s, %s, %s, false, 10, 2) returning validation_id""",
            (ids[name], feed, f"{feed}_contract"),
        ).fetchone()[0]
        for expectation, column, success, unexpected, quarantined in results:
            conn.execute(
                """insert into dq.expectation_results (validation_id, expectation, column_name, success,
                                                       unexpected_count, quarantined_rows)
                   values (%s, %s, %s, %s, %s, %s)""",
                (validation, expectation, column, success, unexpected, quarantined),
            )
    return ids


@pytest.fixture
def quality_warehouse(warehouse: str) -> dict[str, int]:
    with psycopg.connect(warehouse) as conn:
        return _insert(conn)


@pytest.fixture
def gx_home(warehouse: str, quality_warehouse: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AGRITRACE_HOME with the GX validation page that the run of results_0601.csv wrote and recorded."""
    monkeypatch.setenv("AGRITRACE_HOME", str(tmp_path))
    file_id = quality_warehouse["results_0601.csv"]
    relative = f"inspection_results/{file_id}/validations/inspection_results_contract/__none__/run/agritrace.html"
    page = tmp_path / "gx_docs" / relative
    page.parent.mkdir(parents=True)
    page.write_text("<html>GX validation result</html>")
    (tmp_path / "gx_docs" / "index.html").write_text("<html>GX index</html>")
    with psycopg.connect(warehouse) as conn:
        conn.execute("""insert into dq.validation_runs (file_id, feed, suite, success, evaluated_rows, failing_rows,
                                                        docs_page)
                        values (%s, 'inspection_results', 'inspection_results_contract', false, 10, 1, %s)""",
                     (file_id, relative))
    return tmp_path


def _client(role: str, name: str = "night-operator") -> TestClient:
    app = create_app()
    app.dependency_overrides[auth.current_viewer] = lambda: auth.Viewer(name, role, auth.rights_for_role(role))
    return TestClient(app)


def test_summary_counts_files_and_rows_per_feed_and_day(quality_warehouse, gx_home):
    summary = _client("op").get("/api/quality/summary", params={"days": 14}).json()
    totals = summary["totals"]
    assert (totals["files"], totals["rows_in"], totals["rows_loaded"], totals["rows_quarantined"]) == (5, 25, 17, 7)
    assert (totals["held"], totals["rejected"], totals["open_quarantine"]) == (1, 1, 7)
    by_feed = {d["feed"]: d for d in summary["days"]}
    assert by_feed["sampling_batches"]["held"] == 1 and by_feed["sampling_batches"]["state"] == "bad"
    assert by_feed["inspection_results"]["files"] == 2 and by_feed["inspection_results"]["rejected"] == 1
    assert by_feed["producers"]["rows_quarantined"] == 2 and by_feed["producers"]["state"] == "warn"


def test_file_received_before_the_window_is_not_counted(quality_warehouse, gx_home):
    summary = _client("op").get("/api/quality/summary", params={"days": 60, "feed": "producers"}).json()
    assert summary["totals"]["files"] == 2
    assert {d["day"] for d in summary["days"]} == {
        str((NOW - timedelta(minutes=50)).astimezone(_tz()).date()),
        str((NOW - timedelta(days=40)).astimezone(_tz()).date()),
    }


def _tz():
    from zoneinfo import ZoneInfo

    from agritrace.config import settings

    return ZoneInfo(settings().timezone)


def test_held_and_rejected_files_say_what_to_do(quality_warehouse, gx_home):
    summary = _client("op").get("/api/quality/summary").json()
    attention = {f["file_name"]: f for f in summary["attention"]}
    assert set(attention) == {"batches_0601.csv", "results_0602.xlsx"}
    held = attention["batches_0601.csv"]
    assert f"agritrace quarantine release {quality_warehouse['batches_0601.csv']}" in held["next_step"]
    assert held["quarantine"].endswith(f"file_id={quality_warehouse['batches_0601.csv']}")
    assert "not an Excel workbook" in attention["results_0602.xlsx"]["message"]
    assert "deliver it again" in attention["results_0602.xlsx"]["next_step"]


def test_open_quarantine_is_grouped_by_the_fix_it_needs(quality_warehouse, gx_home):
    queue = {(q["feed"], q["kind"]): q for q in _client("op").get("/api/quality/summary").json()["queue"]}
    assert queue[("certificates", "orphan")]["rows"] == 1
    assert "retried automatically" in queue[("certificates", "orphan")]["next_step"]
    assert queue[("sampling_batches", "other")]["rows"] == 3
    unknown = queue[("inspection_results", "unknown_analyte")]
    assert "ref.analyte_aliases" in unknown["next_step"]
    assert "agritrace quarantine replay inspection_results" in unknown["next_step"]


def test_top_failing_expectations_sum_unexpected_rows_in_the_window(quality_warehouse, gx_home):
    top = _client("op").get("/api/quality/summary").json()["top_failing"]
    assert [(t["feed"], t["column"], t["unexpected_rows"]) for t in top] == [
        ("sampling_batches", "task_type", 2),
        ("producers", "producer_type", 1),
        ("producers", "contact_phone", 1),
        ("sampling_batches", "sampling_date", 1),
    ]


def test_file_links_to_the_gx_page_its_validation_recorded(quality_warehouse, gx_home):
    files = {f["file_name"]: f for f in _client("op").get("/api/quality/summary").json()["files"]}
    [link] = files["results_0601.csv"]["docs"]
    assert link.startswith(f"docs/gx/inspection_results/{quality_warehouse['results_0601.csv']}/validations/")
    assert files["results_0602.xlsx"]["docs"] == []
    client = _client("op")
    assert client.get("/" + link).text == "<html>GX validation result</html>"
    assert client.get("/docs/gx/").text == "<html>GX index</html>"


def test_gx_docs_never_serve_files_outside_their_folder(quality_warehouse, gx_home):
    (gx_home / "secret.txt").write_text("not for the web")
    assert _client("op").get("/docs/gx/%2E%2E/secret.txt").status_code == 404


def test_quality_page_shows_counts_status_and_hints(quality_warehouse, gx_home):
    html = _client("op").get("/ui/quality").text
    assert "1 held and 1 rejected file(s) need a person" in html
    assert "batches_0601.csv" in html and "HELD" in html and "REJECTED" in html
    assert f"<code>agritrace quarantine release {quality_warehouse['batches_0601.csv']}</code>" in html
    assert "ExpectColumnValuesToBeInSet[vocabulary]" in html
    assert 'href="../ui/quality/quarantine?feed=sampling_batches&amp;file_id=' in html
    assert 'href="../docs/gx/index.html"' in html
    assert "signed in as night-operator" in html


def test_quarantine_page_lists_rows_with_raw_values_and_reasons(quality_warehouse, gx_home):
    file_id = quality_warehouse["batches_0601.csv"]
    html = _client("op").get("/ui/quality/quarantine", params={"file_id": file_id}).text
    assert f"open rows · file #{file_id}: 3" in html
    assert "task_type is not one of the vocabulary" in html and "<b>抽查</b>" in html
    assert "sampling_date lies in the future" in html
    assert f"agritrace quarantine release {file_id}" in html


def test_phones_in_quarantined_rows_are_masked_unless_regulator(quality_warehouse, gx_home):
    params = {"feed": "producers"}
    operator = _client("op").get("/api/quality/quarantine", params=params).json()
    assert operator["masked"] and operator["total"] == 2
    assert [r["raw"]["contact_phone"] for r in operator["rows"]] == ["138****5678", "138******5678"]
    assert operator["rows"][1]["reasons"][0]["value"] == "138******5678"
    regulator = _client("admin").get("/api/quality/quarantine", params=params).json()
    assert [r["raw"]["contact_phone"] for r in regulator["rows"]] == ["13812345678", "138-ABCD-5678"]


def test_file_names_and_messages_are_masked_unless_regulator(warehouse, quality_warehouse, gx_home):
    file_id = quality_warehouse["batches_0601.csv"]
    with psycopg.connect(warehouse) as conn:
        conn.execute("update ops.files set message = 'row 3: call 13812345678' where file_id = %s", (file_id,))
        masked = conn.execute("select message from ops.files_masked where file_id = %s", (file_id,)).fetchone()[0]
    assert "13812345678" not in masked
    operator = _client("op")
    held = next(f for f in operator.get("/api/quality/summary").json()["attention"] if f["file_id"] == file_id)
    assert held["message"] == masked
    for page in ("/ui/quality", f"/ui/quality/quarantine?file_id={file_id}"):
        assert "13812345678" not in operator.get(page).text
    assert "13812345678" in _client("admin").get(f"/ui/quality/quarantine?file_id={file_id}").text


def test_unknown_feed_is_refused_with_the_list_of_feeds(quality_warehouse, gx_home):
    response = _client("op").get("/api/quality/summary", params={"feed": "fish"})
    assert response.status_code == 400
    assert "producers" in response.json()["detail"]


def test_quality_needs_the_operator_right(quality_warehouse, gx_home):
    client = _client("viewer", name="analyst-1")
    assert client.get("/api/quality/summary").status_code == 403
    page = client.get("/ui/quality")
    assert page.status_code == 403 and "lacks the agritrace operator right" in page.text


def test_row_kind_prefers_orphan_then_reference_fixes():
    assert row_kind(True, [{"rule": "reference:analyte"}]) == "orphan"
    assert row_kind(False, [{"rule": "pattern"}, {"rule": "reference:analyte"}]) == "unknown_analyte"
    assert row_kind(False, [{"rule": "reference:product"}]) == "unknown_product"
    assert row_kind(False, [{"rule": "required"}]) == "other"


def test_quarantine_page_shows_phones_masked_by_the_database_unless_regulator(warehouse, quality_warehouse, gx_home):
    with psycopg.connect(warehouse) as conn:
        masked = conn.execute("select ops.mask_phone('13812345678')").fetchone()[0]
    operator = _client("op").get("/ui/quality/quarantine", params={"feed": "producers"}).text
    assert masked in operator and "13812345678" not in operator and "is masked" in operator
    regulator = _client("admin").get("/ui/quality/quarantine", params={"feed": "producers"}).text
    assert "13812345678" in regulator and "is masked" not in regulator



# --- the task-instance tab, and recovery through Airflow ----------------------------------------

RUN_ID = "scheduled__2026-06-01T17:40:00+00:00"


def _task_client(file_names: list[str]) -> TestClient:
    """An operator's client whose find_files list (Airflow's XCom in a real api-server) is ``file_names``."""
    from agritrace.web import quality_routes

    client = _client("op")
    client.app.dependency_overrides[quality_routes.task_file_lookup] = lambda: (
        lambda dag_id, run_id, index: file_names[index] if dag_id == "ingest_sampling_batches" and run_id == RUN_ID
        else None)
    return client


def _delivered(warehouse: str, ids: dict[str, int], *names: str) -> None:
    with psycopg.connect(warehouse) as conn:
        for name in names:
            conn.execute("insert into ops.file_deliveries (file_id, file_name, outcome, dag_run_id) "
                         "values (%s, %s, 'processed', %s)", (ids[name], name, RUN_ID))


def test_task_tab_shows_the_file_its_mapped_task_handled(warehouse, quality_warehouse, gx_home):
    _delivered(warehouse, quality_warehouse, "batches_0601.csv")
    page = _task_client(["other.csv", "batches_0601.csv"]).get("/ui/quality/task", params={
        "dag_id": "ingest_sampling_batches", "run_id": RUN_ID, "task_id": "ingest_file", "map_index": "1"})
    assert page.status_code == 200
    text = page.text
    assert f"File #{quality_warehouse['batches_0601.csv']} batches_0601.csv" in text
    assert "75% of rows failed" in text  # the ledger row's message
    assert "2 of 3 expectations" not in text and "1 of 3 expectations passed" in text
    assert "ExpectColumnValuesToBeInSet[vocabulary]" in text and "sampling_date" in text
    assert text.count("<dl class=\"raw\">") == 3  # its three quarantined rows
    assert 'name="action" value="release"' in text and "Release through Airflow" in text


def test_task_tab_of_an_unmapped_task_lists_the_run_files(warehouse, quality_warehouse, gx_home):
    _delivered(warehouse, quality_warehouse, "batches_0601.csv")
    page = _task_client([]).get("/ui/quality/task", params={
        "dag_id": "ingest_sampling_batches", "run_id": RUN_ID, "task_id": "publish", "map_index": "{MAP_INDEX}"})
    assert page.status_code == 200
    assert "Files of this run" in page.text and "batches_0601.csv" in page.text
    other = _task_client([]).get("/ui/quality/task", params={
        "dag_id": "publish_marts", "run_id": RUN_ID, "task_id": "refresh", "map_index": "-1"})
    assert "loads no landing files" in other.text


def test_recover_refuses_a_form_from_another_site_and_a_bad_action(quality_warehouse, gx_home):
    client = _client("op")
    foreign = client.post("/ui/quality/recover", data={"action": "release", "feed": "sampling_batches", "file_id": 3},
                          headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403
    bad = client.post("/ui/quality/recover", data={"action": "delete", "feed": "sampling_batches"},
                      follow_redirects=False)
    assert bad.status_code == 400
    assert _client("user").post("/ui/quality/recover", data={"action": "replay", "feed": "producers"}).status_code == 403


def test_run_page_says_when_airflow_cannot_be_reached(quality_warehouse, gx_home, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", f"http://127.0.0.1:{port}")
    response = _client("op").get("/ui/quality/run", params={"run_id": "manual__2026-06-01T00:00:00+00:00"})
    assert response.status_code == 502
    assert "cannot reach Airflow's API" in response.text and "AIRFLOW__API__BASE_URL" in response.text


def test_an_item_exploded_from_a_cell_is_named_by_its_row_and_item(warehouse, quality_warehouse, gx_home):
    from agritrace.cli import app
    from typer.testing import CliRunner

    file_id = quality_warehouse["results_0601.csv"]
    raw = {"batch_no": "2023年第48号-12", "analyte": None, "source_row": 12, "source_item": 3,
           "source_cell": "不合格项目║检验结果║标准值", "item_text": "腐霉利是一个坏项目"}
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            """insert into quarantine.rows (feed, file_id, row_number, raw, reasons, is_orphan)
               values ('inspection_results', %s, 12003, %s, %s, false)""",
            (file_id, json.dumps(raw, ensure_ascii=False), json.dumps(
                [_reason("item_pattern", "不合格项目║检验结果║标准值", "腐霉利是一个坏项目", "row 12 item 3 does not match")],
                ensure_ascii=False)))
    html = _client("op").get("/ui/quality/quarantine", params={"file_id": file_id}).text
    assert '<td class="num">12 item 3</td>' in html and '<td class="num">12003</td>' not in html
    listed = CliRunner().invoke(app, ["quarantine", "list", "--feed", "inspection_results"])
    assert listed.exit_code == 0, listed.output
    assert "results_0601.csv row 12 item 3: item_pattern" in listed.output
    assert "results_0601.csv row 6: reference:analyte" in listed.output, "a row of its own keeps its number"
