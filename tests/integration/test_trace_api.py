"""The trace HTTP routes on a FastAPI app that includes the router."""

import io
from urllib.parse import quote

import pytest
from agritrace.web import trace_routes
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from test_trace_fixtures import CO


@pytest.fixture
def client(trace_warehouse):
    app = FastAPI()
    app.include_router(trace_routes.router, prefix="/agritrace")
    return TestClient(app)


def test_lookup_returns_the_chain(client):
    response = client.get("/agritrace/api/trace/HGZ-001")
    assert response.status_code == 200
    body = response.json()
    assert body["key_type"] == "certificate_no"
    assert body["window"]["from"] == "2024-05-09"
    assert body["producers"][0]["contact_phone"] == "138****5678"
    assert body["recall"]["failing_batch_nos"] == ["B-FAIL"]


def test_cli_json_is_the_api_document(client, trace_warehouse):
    import json

    import psycopg
    from agritrace.trace.lookup import to_json, trace

    with psycopg.connect(trace_warehouse) as conn:
        printed = json.loads(to_json(trace(conn, "HGZ-001")))
    assert printed == client.get("/agritrace/api/trace/HGZ-001").json()


def test_unknown_key_is_404_with_a_message(client):
    response = client.get("/agritrace/api/trace/HGZ-999")
    assert response.status_code == 404
    assert "HGZ-999" in response.json()["detail"]


def test_malformed_key_is_400(client):
    response = client.get("/agritrace/api/trace/" + quote("'; drop table core.producers; --"))
    assert response.status_code == 400
    assert "which no key or name uses" in response.json()["detail"]


def test_reversed_dates_are_400(client):
    assert client.get("/agritrace/api/trace/HGZ-001?from=2024-07-01&to=2024-06-01").status_code == 400


def test_requester_and_personal_data_come_from_overridable_dependencies(client, trace_warehouse):
    import psycopg

    client.app.dependency_overrides[trace_routes.get_requester] = lambda: "li.wei"
    client.app.dependency_overrides[trace_routes.get_include_personal] = lambda: True
    body = client.get(f"/agritrace/api/trace/{CO}").json()
    assert body["producers"][0]["contact_phone"] == "13812345678"
    with psycopg.connect(trace_warehouse) as conn:
        assert conn.execute("select requested_by, interface from ops.trace_audit").fetchone() == ("li.wei", "api")


def test_search_route_finds_chinese_names(client):
    body = client.get("/agritrace/api/trace/search", params={"q": "绿源"}).json()
    assert [p["producer_id"] for p in body["producers"]] == [CO]


def test_chain_downloads_as_csv_and_xlsx(client):
    csv_response = client.get("/agritrace/api/trace/HGZ-001?format=csv")
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK" in csv_response.text
    xlsx = client.get("/agritrace/api/trace/HGZ-001?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["test_item"].max_row == 3


@pytest.mark.parametrize(
    ("fmt", "media"),
    [("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats"), ("epcis", "application/ld+json")],
)
def test_product_export_in_each_format(client, fmt, media):
    response = client.get(
        "/agritrace/api/trace/export",
        params={"product": "豇豆", "from": "2024-01-01", "to": "2024-12-31", "format": fmt},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "attachment" in response.headers["content-disposition"]


def test_export_longer_than_a_year_is_400(client):
    response = client.get(
        "/agritrace/api/trace/export", params={"product": "豇豆", "from": "2020-01-01", "to": "2024-12-31"}
    )
    assert response.status_code == 400


def test_openapi_describes_the_routes(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/agritrace/api/trace/{key}",
        "/agritrace/api/trace/search",
        "/agritrace/api/trace/export",
        "/agritrace/ui/trace",
    } <= set(paths)
    lookup = paths["/agritrace/api/trace/{key}"]["get"]
    assert lookup["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("TraceResult")
    assert "404" in lookup["responses"] and "400" in lookup["responses"]


def test_page_shows_the_chain_with_failing_items_in_red(client):
    response = client.get("/agritrace/ui/trace", params={"q": "B-FAIL"})
    assert response.status_code == 200
    html = response.text
    assert '<tr class="fail"><td>克百威</td>' in html
    assert "Recall scope" in html and "B-OTHER" in html
    assert "../api/trace/B-FAIL?recall_days=7&amp;format=csv" in html
    assert "<script src" not in html and "<link" not in html
    assert "=HYPERLINK(&quot;http://x&quot;)" in html  # escaped, never markup


def test_page_falls_back_to_name_search(client):
    html = client.get("/agritrace/ui/trace", params={"q": "绿源"}).text
    assert f"?q={CO}" in html


def test_page_explains_a_malformed_key(client):
    response = client.get("/agritrace/ui/trace", params={"q": "<script>"})
    assert response.status_code == 400
    assert "&lt;script&gt;" in response.text and "<script>alert" not in response.text


def test_empty_page_has_the_search_box(client):
    html = client.get("/agritrace/ui/trace").text
    assert '<input name="q"' in html
