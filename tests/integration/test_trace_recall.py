"""The regulator's path (issue 16): recall totals, buyers with whom to ask, the recall list, bilingual exports.

On the fixture (``test_trace_fixtures``) the failing sample B-FAIL puts three certificates in the recall
scope at ±7 days: HGZ-001 (500 kg), HGZ-002 (300 kg) and HGZ-004 (80 箱 of 荔枝, a counted unit).
"""

import csv
import io
from datetime import date

import pytest
from agritrace.cli import app as cli_app
from agritrace.trace.export import EVENT_COLUMNS, events_csv_text, events_for_product, to_epcis
from agritrace.trace.lookup import to_csv_text, trace
from agritrace.trace.render import (
    RECALL_TOTAL_LABEL,
    recall_csv_text,
    render_table,
    to_csv_rows,
    write_recall_xlsx,
)
from agritrace.web import trace_routes
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

BUYERS = {"茂名市农产品批发市场", '=HYPERLINK("http://x")', "+广州江南果菜批发市场"}


@pytest.fixture
def client(trace_warehouse):
    app = FastAPI()
    app.include_router(trace_routes.router, prefix="/agritrace")
    return TestClient(app)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_recall_totals_add_kg_and_keep_counted_units_apart(conn):
    recall = trace(conn, "HGZ-001").recall
    assert {c.certificate_no for c in recall.certificates} == {"HGZ-001", "HGZ-002", "HGZ-004"}
    totals = recall.totals
    assert (totals.certificates, totals.buyers) == (3, 3)
    assert totals.quantity_kg == 800  # 500 kg + 300 kg; the 80 箱 cannot be added to kg
    assert totals.counted_units == {"箱": 80}
    assert totals.amount == "800 kg + 80 箱"
    assert "total: 800 kg + 80 箱   3 certificates, 3 buyers" in render_table(trace(conn, "HGZ-001"))


def test_a_chain_without_failure_has_empty_totals(conn):
    totals = trace(conn, "HGZ-003", from_date=date(2024, 6, 25), to_date=date(2024, 7, 5)).recall.totals
    assert (totals.certificates, totals.buyers, totals.quantity_kg, totals.counted_units) == (0, 0, None, {})


def test_buyer_contact_is_the_producers_phone_masked_without_the_regulator_right(conn):
    recall = trace(conn, "HGZ-001").recall
    assert {x.buyer for x in recall.buyer_contacts} == BUYERS
    assert {(x.contact, x.contact_via) for x in recall.buyer_contacts} == {("138****5678", "producer")}
    assert {c.buyer_contact for c in recall.certificates} == {"138****5678"}
    market = next(x for x in recall.buyer_contacts if x.buyer == "+广州江南果菜批发市场")
    assert (market.counted_units, market.quantity_kg, market.certificate_nos) == ({"箱": 80}, None, ["HGZ-004"])
    assert "13812345678" not in recall_csv_text(trace(conn, "HGZ-001"))


def test_buyer_contact_is_clear_with_the_regulator_right(conn):
    result = trace(conn, "HGZ-001", include_personal=True)
    assert {x.contact for x in result.recall.buyer_contacts} == {"13812345678"}
    assert "13812345678" in recall_csv_text(result)


def test_api_json_gains_the_recall_fields_and_keeps_the_old_ones(client):
    body = client.get("/agritrace/api/trace/HGZ-001").json()
    recall = body["recall"]
    assert set(recall) == {"failing_batch_nos", "certificates", "buyers", "other_producer_failures", "totals",
                           "buyer_contacts"}
    assert set(recall["buyers"]) == BUYERS  # still a list of names
    assert recall["totals"] == {"certificates": 3, "buyers": 3, "quantity_kg": 800, "counted_units": {"箱": 80}}
    certificate = recall["certificates"][0]
    assert {"certificate_no", "producer_id", "product_name", "quantity", "unit", "quantity_kg", "lot_no",
            "trace_code", "buyer", "issue_date", "failing_batch_no", "reason", "same_product",
            "days_from_sample"} <= set(certificate)
    assert certificate["buyer_contact"] == "138****5678"
    client.app.dependency_overrides[trace_routes.get_include_personal] = lambda: True
    clear = client.get("/agritrace/api/trace/HGZ-001").json()["recall"]
    assert {x["contact"] for x in clear["buyer_contacts"]} == {"13812345678"}


def test_recall_list_rows_equal_the_recall_scope_and_the_totals_row_sums(conn):
    result = trace(conn, "HGZ-001")
    header, *rows, total = _csv(recall_csv_text(result))
    assert header == ["合格证编号 certificate_no", "开具日期 issue_date", "产品名称 product_name", "数量 quantity",
                      "单位 unit", "折合千克 quantity_kg", "收货方 buyer", "收货方联系方式 buyer_contact",
                      "不合格样品批次 failing_batch_no", "列入原因 why"]
    assert [r[0] for r in rows] == [c.certificate_no for c in result.recall.certificates]
    assert {r[0] for r in rows} == {"HGZ-001", "HGZ-002", "HGZ-004"}
    assert total[0] == RECALL_TOTAL_LABEL
    assert float(total[5]) == sum(float(r[5]) for r in rows if r[5]) == 800
    assert total[4] == "80 箱" == " ".join(r[3] + " " + r[4] for r in rows if not r[5])
    assert total[6].startswith("3 ") and total[9].startswith("3 ") and total[8] == "B-FAIL"
    assert all(r[7].startswith("138****5678") for r in rows)
    assert {r[6] for r in rows} == {"茂名市农产品批发市场", '\'=HYPERLINK("http://x")', "'+广州江南果菜批发市场"}
    assert next(r for r in rows if r[0] == "HGZ-001")[9].startswith("抽检样品所附批次 · the lot sampled in B-FAIL")


def test_recall_list_downloads_from_the_page_and_the_route(client, tmp_path):
    html = client.get("/agritrace/ui/trace", params={"q": "HGZ-001"}).text
    assert "../api/trace/HGZ-001?recall_days=7&amp;format=recall-csv" in html
    assert "800 kg + 80 箱" in html and "138****5678" in html
    response = client.get("/agritrace/api/trace/HGZ-001", params={"format": "recall-csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "recall-HGZ-001.csv" in response.headers["content-disposition"]
    assert [r[0] for r in _csv(response.text)][1:] == ["HGZ-001", "HGZ-004", "HGZ-002", RECALL_TOTAL_LABEL]
    xlsx = client.get("/agritrace/api/trace/HGZ-001", params={"format": "recall-xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content))["recall"]
    assert sheet.max_row == 5 and sheet["A1"].value == "合格证编号 certificate_no"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_recall_list_from_the_cli(trace_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", trace_warehouse)
    out = tmp_path / "recall.csv"
    result = CliRunner().invoke(cli_app, ["trace", "HGZ-001", "--format", "recall-csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _csv(out.read_text(encoding="utf-8-sig"))
    assert [r[0] for r in rows[1:]] == ["HGZ-001", "HGZ-004", "HGZ-002", RECALL_TOTAL_LABEL]
    xlsx = tmp_path / "recall.xlsx"
    result = CliRunner().invoke(cli_app, ["trace", "HGZ-001", "--format", "recall-xlsx", "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert load_workbook(xlsx)["recall"].max_row == 5


def test_write_recall_xlsx_defuses_formula_buyers(conn, tmp_path):
    path = write_recall_xlsx(trace(conn, "HGZ-001"), tmp_path / "recall.xlsx")
    values = [c.value for row in load_workbook(path)["recall"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values and '=HYPERLINK("http://x")' not in values


def test_chain_export_headers_and_record_kinds_are_bilingual(conn):
    result = trace(conn, "HGZ-001")
    header, *rows = _csv(to_csv_text(result))
    assert header[:5] == ["记录类型 record", "不合格 failing", "生产主体代码 producer_id",
                          "生产主体名称 producer_name", "合格证编号 certificate_no"]
    assert {r[0] for r in rows} >= {"合格证 certificate", "检测项目 test_item", "召回范围内合格证 recall_certificate"}
    assert to_csv_rows(result)[0][:2] == ["record", "failing"]  # the rows for programs keep the bare names


def test_event_export_headers_and_category_are_bilingual_and_epcis_is_unchanged(conn):
    events = events_for_product(conn, "豇豆", date(2024, 1, 1), date(2024, 12, 31))
    header, *rows = _csv(events_csv_text(events))
    assert header[0] == "追溯批次码 traceability_lot_code"
    assert [h.split(" ")[-1] for h in header] == list(EVENT_COLUMNS)
    category = header.index("产品类别 product_category")
    assert {r[category] for r in rows} - {""} == {"蔬菜 vegetables"}  # sample events carry no category here
    assert "开具合格证 certificate_issued" in {r[header.index("事件类型 event_type")] for r in rows}
    assert {e["product_category"] for e in events} - {None} == {"vegetables"}
    assert "蔬菜" not in str(to_epcis(events))
