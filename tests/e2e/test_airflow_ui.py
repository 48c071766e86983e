"""Airflow's api-server with the agritrace plugin, used the way people use it: through a browser."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from agritrace.airflow_local import LOCAL_USER
from demo_files import FAILING_BATCH
from support import local_password

pytestmark = pytest.mark.e2e


def test_trace_api_refuses_a_call_without_login(airflow_server):
    response = httpx.get(f"{airflow_server.base_url}/agritrace/api/trace/{FAILING_BATCH}", timeout=10)
    assert response.status_code == 401
    assert httpx.get(f"{airflow_server.base_url}/agritrace/openapi.json", timeout=10).status_code == 401


def test_trace_api_answers_a_bearer_token_from_airflow(airflow_server):
    token = httpx.post(f"{airflow_server.base_url}/auth/token", timeout=10,
                       json={"username": LOCAL_USER, "password": local_password()}).json()["access_token"]
    response = httpx.get(f"{airflow_server.base_url}/agritrace/api/trace/{FAILING_BATCH}", timeout=10,
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["recall"]["failing_batch_nos"] == [FAILING_BATCH]


def test_page_without_login_goes_to_the_airflow_login(airflow_server):
    response = httpx.get(f"{airflow_server.base_url}/agritrace/ui/trace", timeout=10, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login?next=%2Fagritrace%2Fui%2Ftrace"


def test_plugin_registers_its_views_in_the_navigation(airflow_server):
    token = httpx.post(f"{airflow_server.base_url}/auth/token", timeout=10,
                       json={"username": LOCAL_USER, "password": local_password()}).json()["access_token"]
    plugins = httpx.get(f"{airflow_server.base_url}/api/v2/plugins", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).json()["plugins"]
    [agritrace] = [p for p in plugins if p["name"] == "agritrace"]
    views = {v["href"]: v for v in agritrace["external_views"]}
    nav = {href for href, v in views.items() if v["destination"] == "nav" and v["nav_top_level"]}
    assert nav == {"/agritrace/ui/trace", "/agritrace/ui/quality", "/agritrace/ui/marts"}
    [tab] = [v for v in views.values() if v["destination"] == "task_instance"]
    assert tab["href"] == ("/agritrace/ui/quality/task?dag_id={DAG_ID}&run_id={RUN_ID}&task_id={TASK_ID}"
                           "&map_index={MAP_INDEX}")
    assert agritrace["fastapi_apps"][0]["url_prefix"] == "/agritrace"


def test_quality_page_after_login(signed_in, airflow_server, screenshots):
    page = signed_in
    page.goto(f"{airflow_server.base_url}/agritrace/ui/quality")
    assert "1 held and 1 rejected file(s) need a person" in page.locator(".banner").inner_text()
    attention = page.locator("table").first
    assert "sampling_batches_e2e_broken.csv" in attention.inner_text()
    assert "agritrace quarantine release" in attention.inner_text()
    assert "signed in as admin" in page.locator("header").inner_text()
    page.screenshot(path=str(screenshots / "quality.png"), full_page=True)
    page.get_by_role("link", name="2 open rows").first.click()
    page.wait_for_url("**/ui/quality/quarantine?**")
    rows = page.locator("table").inner_text()
    assert "vocabulary" in rows and "spot_check" in rows
    page.screenshot(path=str(screenshots / "quarantine.png"), full_page=True)


def test_trace_page_finds_the_failing_batch(signed_in, airflow_server, screenshots):
    page = signed_in
    page.goto(f"{airflow_server.base_url}/agritrace/ui/trace")
    page.locator("input[name=q]").fill(FAILING_BATCH)
    page.get_by_role("button", name="Trace").click()
    page.wait_for_url(f"**/ui/trace?q={FAILING_BATCH}**")
    page.screenshot(path=str(screenshots / "trace.png"), full_page=True)
    assert FAILING_BATCH in page.locator("body").inner_text()
    highlighted = "\n".join(page.locator("tr.fail").all_inner_texts())
    assert "克百威" in highlighted and "fail" in highlighted


def test_marts_page_renders(signed_in, airflow_server, screenshots):
    page = signed_in
    page.goto(f"{airflow_server.base_url}/agritrace/ui/marts")
    assert "2024" in page.title()
    page.screenshot(path=str(screenshots / "marts.png"), full_page=True)


def test_navigation_opens_the_pages_inside_airflow(signed_in, airflow_server, screenshots):
    page = signed_in
    page.goto(f"{airflow_server.base_url}/")
    # One click from the side bar: the pages are top-level entries, not under Plugins.
    page.get_by_role("link", name="Data quality · 数据质量").click()
    page.wait_for_url("**/plugin/agritrace-quality")
    frame = page.frame_locator("iframe")
    assert "Needs attention" in frame.locator("main").inner_text()
    page.screenshot(path=str(screenshots / "airflow-nav.png"))


# --- the three paths of issue 16, each as its user walks it ---------------------------------------

LATE_CERTIFICATES = "certificates_e2e_late.csv"


def _token(server) -> str:
    return httpx.post(f"{server.base_url}/auth/token", timeout=60,
                      json={"username": LOCAL_USER, "password": local_password()}).json()["access_token"]


def _dags():
    from agritrace.config import DAGS_DIR
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags


def _marts(page, server) -> tuple[str, str, str]:
    """The marts page for 2024 as the analyst sees it: its X-Data-As-Of, its subtitle, certificates issued."""
    response = page.goto(f"{server.base_url}/agritrace/ui/marts?year=2024")
    assert response.status == 200 and page.locator(".cards").count(), page.locator("body").inner_text()[:600]
    card = page.locator(".card", has_text="Certificates issued").locator(".n").inner_text()
    return response.headers["x-data-as-of"], page.locator("header p.sub").inner_text(), card


def test_operator_releases_a_held_file_from_its_task_instance(signed_in, airflow_server, screenshots, tmp_path,
                                                              monkeypatch):
    """Held file → its task instance's File tab → its rows → release through Airflow → marts move."""
    from urllib.parse import quote

    from agritrace.airflow_local import connection_json, run_dag_in_process
    from agritrace.config import WAREHOUSE_CONN_ID
    from demo_files import coop_code

    # The in-process DAG runs (standing in for the scheduler, which this api-server runs without) use
    # the module's warehouse and home, and the same Airflow metadata database as the api-server.
    monkeypatch.setenv(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}", connection_json(airflow_server.warehouse))
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", airflow_server.warehouse)
    monkeypatch.setenv("AGRITRACE_HOME", str(airflow_server.home))
    landing = tmp_path / "landing"
    (landing / "certificates").mkdir(parents=True)
    # One good certificate, two bad rows: 67% failing, over the 20% gate, so the file is held.
    (landing / "certificates" / LATE_CERTIFICATES).write_text(
        "certificate_no,producer_id,product_name,quantity,unit,origin,issue_date,commitment_basis,buyer\n"
        f"E2E-HGZ-004,{coop_code()},豇豆,120,kg,茂南区,2024-06-22,self_test,金塘农贸市场\n"
        f"E2E-HGZ-005,{coop_code()},豇豆,-5,kg,茂南区,2024-06-23,self_test,金塘农贸市场\n"
        f"E2E-HGZ-006,{coop_code()},豇豆,90,kg,茂南区,2099-06-24,self_test,金塘农贸市场\n", encoding="utf-8")
    monkeypatch.setenv("AGRITRACE_LANDING_DIR", str(landing))
    dags = _dags()
    page = signed_in
    as_of_before, _, certificates_before = _marts(page, airflow_server)

    ingest = run_dag_in_process(dags["ingest_certificates"])
    assert "failed" in str(ingest.state).lower()
    page.goto(f"{airflow_server.base_url}/dags/ingest_certificates/runs/{quote(ingest.run_id, safe='')}"
              "/tasks/ingest_file/mapped/0")
    page.get_by_text("File · 文件", exact=True).click()
    frame = page.frame_locator("iframe")
    banner = frame.locator(".banner").first
    banner.wait_for(timeout=60_000)
    assert LATE_CERTIFICATES in banner.inner_text() and "HELD" in banner.inner_text()
    body = frame.locator("main").inner_text()
    assert "expectations passed" in body  # its validation results
    assert "E2E-HGZ-005" in body and "E2E-HGZ-006" in body  # its quarantined rows
    page.screenshot(path=str(screenshots / "task-file.png"), full_page=True)

    frame.get_by_role("button", name="Release through Airflow").click()
    run_banner = frame.locator(".banner", has_text="Airflow run")
    run_banner.wait_for(timeout=60_000)
    replay_id = run_banner.locator("code.run-id").inner_text()
    answer = httpx.get(f"{airflow_server.base_url}/api/v2/dags/replay_quarantine/dagRuns/{quote(replay_id, safe='')}",
                       headers={"Authorization": f"Bearer {_token(airflow_server)}"}, timeout=60).json()
    assert answer["conf"]["release_file_id"] and answer["triggering_user_name"] == LOCAL_USER

    # The scheduler's part: the triggered run (same logical date, so the same run id), then the
    # asset-triggered marts refresh its core asset event starts.
    from datetime import datetime

    logical_date = datetime.fromisoformat(answer["logical_date"])
    replay = run_dag_in_process(dags["replay_quarantine"], logical_date=logical_date, run_after=logical_date,
                                run_conf=answer["conf"])
    assert replay.run_id == replay_id and "success" in str(replay.state).lower()
    states = {ti.task_id: str(ti.state).rsplit(".", 1)[-1].lower() for ti in replay.get_task_instances()}
    assert states["publish_certificates"] == "success"
    run_dag_in_process(dags["publish_marts"])

    run_frame = next(f for f in page.frames if "/ui/quality/run" in f.url)
    run_frame.goto(run_frame.url)
    outcome = frame.locator("a.outcome")
    assert outcome.get_attribute("href") == f"/dags/replay_quarantine/runs/{quote(replay_id, safe='')}"
    assert "success" in frame.locator(".banner").first.inner_text()
    page.screenshot(path=str(screenshots / "release-run.png"), full_page=True)

    as_of_after, subtitle, certificates_after = _marts(page, airflow_server)
    assert as_of_after > as_of_before
    assert datetime.fromisoformat(as_of_after).strftime("%Y-%m-%d %H:%M") in subtitle
    assert int(certificates_after) == int(certificates_before) + 1  # E2E-HGZ-004, released


def test_analyst_filters_the_marts_and_downloads_a_csv_that_sums_to_the_page(signed_in, airflow_server, screenshots):
    import csv
    import io
    import re

    page = signed_in
    response = page.goto(f"{airflow_server.base_url}/agritrace/ui/marts?year=2024")
    assert response.status == 200 and page.locator("form.filters").count(), page.locator("body").inner_text()[:600]
    category = page.locator("select[name=product_category] option").nth(1).get_attribute("value")
    page.select_option("select[name=product_category]", category)
    page.get_by_role("button", name="筛选 Filter").click()
    page.wait_for_url(f"**product_category={category}**")
    headline = page.locator(".card", has_text="All sampling").locator(".d").inner_text()
    passed, batches = (int(n.replace(",", "")) for n in re.match(r"([\d,]+)/([\d,]+)", headline).groups())
    page.screenshot(path=str(screenshots / "marts-filtered.png"), full_page=True)
    section = page.locator("section", has_text="By task type and sampling level")
    with page.expect_download(timeout=60_000) as download:
        section.get_by_role("link", name="CSV", exact=True).click()
    assert f"product_category={category}" in download.value.url
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows and {r["rollup"] for r in rows} == {"no"}
    assert (sum(int(r["passed_batches"]) for r in rows), sum(int(r["batches"]) for r in rows)) == (passed, batches)


def test_regulator_goes_from_a_failing_batch_to_a_recall_list_with_totals(signed_in, airflow_server, screenshots):
    import csv
    import io

    page = signed_in
    page.goto(f"{airflow_server.base_url}/agritrace/ui/trace?q={FAILING_BATCH}")
    totals = page.locator("p.totals").inner_text()
    certificates = int(totals.split(" certificates")[0].rsplit("·", 1)[-1].strip())
    with page.expect_download(timeout=60_000) as download:
        page.locator("p.downloads", has_text="Recall list").get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    header, *listed, total = rows
    assert header[0].startswith("合格证编号") and total[0] == "合计 total"
    kg = header.index(next(h for h in header if h.startswith("折合千克")))
    assert len(listed) == certificates >= 1
    assert float(total[kg]) == sum(float(r[kg]) for r in listed if r[kg])
    assert f"{certificates} 张合格证 certificates" in total
    page.screenshot(path=str(screenshots / "recall.png"), full_page=True)
