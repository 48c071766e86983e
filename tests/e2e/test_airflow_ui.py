"""Airflow's api-server with the agritrace plugin, used the way people use it: through a browser."""

from __future__ import annotations

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
