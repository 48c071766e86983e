"""Trace lookups through SQL (trace.lookup / trace.search) and Python (agritrace.trace.lookup)."""

import csv
import io
from datetime import date

import psycopg
import pytest
from agritrace.trace.lookup import (
    KeyNotFound,
    MalformedKey,
    render_table,
    search,
    to_csv_rows,
    to_json,
    trace,
    write_xlsx,
)
from openpyxl import load_workbook
from test_trace_fixtures import CO, HH


def _failing_items(result):
    return [(b.batch_no, i.analyte_code) for b in result.batches for i in b.items if i.failing]


@pytest.mark.parametrize(
    ("key", "key_type"),
    [
        ("HGZ-001", "certificate_no"),
        ("B-FAIL", "batch_no"),
        (CO, "producer_id"),
        ("R-2024-001", "report_no"),
        ("TC-0001", "trace_code"),
        ("LOT-0610", "lot_no"),
    ],
)
def test_every_key_type_leads_to_the_producer_the_failing_item_and_the_recall_scope(conn, key, key_type):
    result = trace(conn, key)
    assert result.key_type == key_type
    assert [p.producer_id for p in result.producers] == [CO]
    assert "HGZ-001" in [c.certificate_no for c in result.certificates]
    assert _failing_items(result) == [("B-FAIL", "carbofuran")]
    recall = result.recall
    assert recall.failing_batch_nos == ["B-FAIL"]
    assert {c.certificate_no for c in recall.certificates} == {"HGZ-001", "HGZ-002", "HGZ-004"}
    assert [f.batch_no for f in recall.other_producer_failures] == ["B-OTHER"]


def test_test_items_carry_value_limit_verdict_and_evidence(conn):
    item = next(i for b in trace(conn, "B-FAIL").batches for i in b.items if i.failing)
    assert item.value == 0.05 and item.unit == "mg/kg"
    assert item.limit == 0.02 and item.limit_kind == "mrl"
    assert item.verdict == "fail" and "exceeds the MRL" in item.verdict_reason
    assert item.standard == "GB 2763-2021" and item.method == "GB 23200.113-2018"
    assert item.report_no == "R-2024-001"


def test_recall_takes_certificates_within_recall_days_of_the_failing_sample(conn):
    narrow = trace(conn, "HGZ-001", recall_days=1)
    # sampled 2024-06-10: HGZ-004 (06-09) is within a day, HGZ-002 (06-12) is not; HGZ-001 is the sampled lot
    assert {c.certificate_no for c in narrow.recall.certificates} == {"HGZ-001", "HGZ-004"}
    reasons = {c.certificate_no: c.reason for c in narrow.recall.certificates}
    assert reasons["HGZ-001"] == "sampled_lot"


def test_trace_forward_lists_buyers_named_on_certificates(conn):
    buyers = {b.buyer for b in trace(conn, "HGZ-001").buyers}
    assert "茂名市农产品批发市场" in buyers


def test_date_window_limits_the_producers_other_certificates(conn):
    result = trace(conn, CO, from_date=date(2024, 6, 1), to_date=date(2024, 6, 10))
    assert {c.certificate_no for c in result.certificates} == {"HGZ-001", "HGZ-004"}


def test_ambiguous_key_lists_every_type_and_follows_the_first(conn):
    result = trace(conn, "LOT-DUP")
    assert result.ambiguous is True
    assert [m.key_type for m in result.matched_types] == ["trace_code", "lot_no"]
    assert result.key_type == "trace_code"
    assert result.other_key_types == ["lot_no"]
    assert [c.certificate_no for c in result.certificates if c.is_anchor] == ["HGZ-003"]


def test_key_type_can_be_forced_for_an_ambiguous_key(conn):
    result = trace(conn, "LOT-DUP", key_type="lot_no")
    assert [c.certificate_no for c in result.certificates if c.is_anchor] == ["HGZ-004"]


def test_unknown_key_raises_key_not_found(conn):
    with pytest.raises(KeyNotFound) as caught:
        trace(conn, "HGZ-999")
    assert caught.value.key == "HGZ-999"



@pytest.mark.parametrize("call", ["python", "sql"])
def test_a_key_typed_in_lower_case_finds_the_upper_case_record_with_one_audit_row(conn, call):
    if call == "python":
        result = trace(conn, "hgz-001")
        assert (result.key, result.key_type) == ("HGZ-001", "certificate_no")
    else:
        result = conn.execute("select trace.lookup('b-fail')").fetchone()[0]
        assert (result["found"], result["key"], result["key_type"]) == (True, "B-FAIL", "batch_no")
    assert conn.execute("select count(*) from ops.trace_audit").fetchone()[0] == 1

@pytest.mark.parametrize("key", ["", "x" * 65, "HGZ\n001", "'; drop table core.producers; --"])
def test_malformed_keys_never_reach_the_database(conn, key):
    with pytest.raises(MalformedKey):
        trace(conn, key)
    assert conn.execute("select count(*) from ops.trace_audit").fetchone()[0] == 0


def test_sql_text_in_a_key_is_only_data(conn):
    key = "'; drop table core.producers; --"
    result = conn.execute("select trace.lookup(%s)", (key,)).fetchone()[0]
    assert result["found"] is False
    assert conn.execute("select count(*) from core.producers").fetchone()[0] == 2
    assert conn.execute("select lookup_key from ops.trace_audit").fetchone()[0] == key


def test_sql_function_refuses_an_oversized_key(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="longer than 64"):
        conn.execute("select trace.lookup(%s)", ("x" * 65,))


def test_every_lookup_writes_one_audit_row(conn):
    trace(conn, "HGZ-001", requested_by="li.wei", interface="api")
    with pytest.raises(KeyNotFound):
        trace(conn, "HGZ-999")
    conn.execute("select trace.lookup('B-FAIL')")
    rows = conn.execute(
        "select requested_by, interface, action, lookup_key, key_type, found, records_returned, db_user "
        "from ops.trace_audit order by audit_id"
    ).fetchall()
    assert [r[:6] for r in rows] == [
        ("li.wei", "api", "lookup", "HGZ-001", "certificate_no", True),
        ("cli", "cli", "lookup", "HGZ-999", None, False),
        (None, "sql", "lookup", "B-FAIL", "batch_no", True),
    ]
    assert rows[0][6] > 0 and rows[1][6] == 0
    assert all(r[7] for r in rows)


def test_phone_is_masked_unless_personal_data_is_requested(conn):
    masked = trace(conn, "HGZ-001")
    shown = trace(conn, "HGZ-001", include_personal=True)
    assert masked.producers[0].contact_phone == "138****5678"
    assert shown.producers[0].contact_phone == "13812345678"
    assert conn.execute("select array_agg(personal_shown order by audit_id) from ops.trace_audit").fetchone()[0] == [
        False,
        True,
    ]


def test_regulator_role_can_look_up_and_is_audited_as_itself(conn):
    with conn.transaction():
        conn.execute("set local role agritrace_regulator")
        result = conn.execute("select trace.lookup('HGZ-001')").fetchone()[0]
        conn.execute("reset role")
        role = conn.execute("select db_role from ops.trace_audit").fetchone()[0]
    assert result["found"] is True
    assert result["producers"][0]["contact_phone"] == "13812345678"
    assert role == "agritrace_regulator"


def test_analyst_role_cannot_look_up(conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("set local role agritrace_analyst")
        conn.execute("select trace.lookup('HGZ-001')")


def test_regulator_cannot_call_the_internal_chain_or_read_core(conn):
    for statement in (
        "select trace.chain('HGZ-001', 'certificate_no', null, null, 7, true)",
        "select * from core.producers",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("set local role agritrace_regulator")
            conn.execute(statement)


def test_name_search_finds_producers_by_partial_chinese_name(conn):
    found = search(conn, "绿源")
    assert [p.producer_id for p in found.producers] == [CO]
    assert search(conn, "李").producers[0].producer_id == HH


def test_name_search_finds_products(conn):
    assert [p.product_name for p in search(conn, "豇").products] == ["豇豆"]


def test_name_search_treats_wildcards_as_themselves(conn):
    for query in ("%", "_", "\\"):
        result = conn.execute("select trace.search(%s)", (query,)).fetchone()[0]
        assert result["producers"] == [] and result["products"] == []
    assert search(conn, "_").found is False


def test_name_search_is_audited(conn):
    search(conn, "绿源", requested_by="li.wei")
    row = conn.execute("select action, key_type, lookup_key, records_returned from ops.trace_audit").fetchone()
    assert row == ("search", "name", "绿源", 1)


def test_table_rendering_marks_failing_items_and_shows_recall(conn):
    text = render_table(trace(conn, "HGZ-001"))
    failing = [line for line in text.splitlines() if "✗ FAIL" in line and "克百威" in line]
    assert failing and "0.02 mg/kg" in failing[0]
    assert "毒死蜱" in text and "Recall scope" in text and "B-OTHER" in text
    assert "138****5678" in text


def test_csv_rows_and_json_and_xlsx_carry_the_chain(conn, tmp_path):
    result = trace(conn, "HGZ-001")
    rows = to_csv_rows(result)
    header = rows[0]
    items = [dict(zip(header, r)) for r in rows[1:] if r[0] == "test_item"]
    assert [(i["analyte"], i["failing"]) for i in items] == [("克百威", True), ("毒死蜱", False)]
    assert '"克百威"' in to_json(result)
    path = write_xlsx(result, tmp_path / "chain.xlsx")
    values = [c.value for row in load_workbook(path)["buyer"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert '=HYPERLINK("http://x")' not in values


def test_csv_export_of_the_chain_neutralises_formula_buyers(conn):
    from agritrace.trace import cells

    rows = to_csv_rows(trace(conn, "HGZ-001"))
    out = io.StringIO()
    cells.write_csv(out, rows[0], rows[1:])
    buyers = {r["buyer"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert '\'=HYPERLINK("http://x")' in buyers and "'+广州江南果菜批发市场" in buyers


def test_installing_again_replaces_the_functions_without_duplicates(conn):
    from agritrace.trace.install import install_trace_functions

    install_trace_functions(conn)
    names = conn.execute(
        "select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname = 'trace' order by 1"
    ).fetchall()
    assert [n for (n,) in names] == ["chain", "changed_values", "key_matches", "lookup", "mask_phone", "product_events", "search"]
    assert trace(conn, "HGZ-001").found is True
