"""Verdict-only test items end to end: a results file whose rows carry a verdict and no value loads,
keeps the supplied verdict as the verdict of record (basis: supplied), decides its batch, counts in
the pass-rate marts and shows as supplied in trace."""

from __future__ import annotations

import psycopg
from agritrace.marts.refresh import refresh_marts
from agritrace.trace.lookup import trace
from agritrace.trace.render import render_table, to_csv_rows
from warehouse_helpers import BATCH_COLUMNS, batch_row, quarantined, query, write_csv

# A month no other test of this module samples in, so the mart row for it holds these batches only.
SAMPLED = "2021-03-10"
COLUMNS = ("batch_no", "analyte", "result_value", "unit", "verdict", "tested_on")
# Enough items with a supplied verdict that one held item stays below the gate's share.
VERDICT_ONLY = ("吡虫啉", "噻虫胺", "毒死蜱", "克百威", "甲拌磷")


def _batches(w, landing, count: int) -> list[str]:
    numbers = [w.keys.batch() for _ in range(count)]
    path = write_csv(landing / "sampling_batches" / f"{numbers[0]}.csv", BATCH_COLUMNS,
                     [batch_row(n, w.producer_id, sampling_date=SAMPLED) for n in numbers])
    [outcome] = w.load(path, "sampling_batches")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", count), outcome.summary()
    return numbers


def _row(batch_no: str, analyte: str, verdict: str, value: str = "") -> dict[str, str]:
    return {"batch_no": batch_no, "analyte": analyte, "result_value": value, "unit": "mg/kg" if value else "",
            "verdict": verdict, "tested_on": "2021-03-12"}


def test_verdict_only_rows_load_decide_their_batch_and_count_in_pass_rates(shared, landing_dir):
    passed, failed, mixed = _batches(shared, landing_dir, 3)
    rows = [
        _row(passed, "灭蝇胺", "合格"), _row(passed, "噻虫胺", "符合規定"),
        _row(failed, "灭蝇胺", "合格"), _row(failed, "吡虫啉", "不符合规定"),
        # With a value the computed verdict stands: 0.3 mg/kg is within cyromazine's 0.5 in cowpea.
        _row(mixed, "灭蝇胺", "不合格", value="0.3"), _row(mixed, "噻虫胺", "合格"),
    ]
    path = write_csv(landing_dir / "inspection_results" / "verdict_only.csv", COLUMNS, rows)
    [outcome] = shared.load(path, "inspection_results")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 6), outcome.summary()
    assert quarantined(shared.url, outcome.file_id) == []

    items = query(shared.url, """select batch_no, analyte_name, result_value::float, verdict, verdict_basis, verdict_disagrees
                                   from core.inspection_results where batch_no = any(%s)
                                  order by batch_no, analyte_name""", ([passed, failed, mixed],))
    assert sorted(items) == sorted([
        (passed, "噻虫胺", None, "pass", "supplied", False), (passed, "灭蝇胺", None, "pass", "supplied", False),
        (failed, "吡虫啉", None, "fail", "supplied", False), (failed, "灭蝇胺", None, "pass", "supplied", False),
        (mixed, "噻虫胺", None, "pass", "supplied", False), (mixed, "灭蝇胺", 0.3, "pass", "computed", True),
    ])
    verdicts = dict(query(shared.url, "select batch_no, batch_verdict from core.sampling_batches "
                                      "where batch_no = any(%s)", ([passed, failed, mixed],)))
    assert verdicts == {passed: "pass", failed: "fail", mixed: "pass"}

    with psycopg.connect(shared.url) as conn:
        refresh_marts(conn)
    assert query(shared.url, """select batches, passed_batches, failed_batches from mart.pass_rate_by_period_totals
                                 where period_type = 'month' and period_start = %s and task_type = 'all'
                                   and sampling_level = 'all' and region_code = 'all'
                                   and product_category = 'all'""", (SAMPLED[:8] + "01",)) == [(3, 2, 1)]


def test_trace_shows_a_supplied_verdict(shared, landing_dir):
    [batch_no] = _batches(shared, landing_dir, 1)
    path = write_csv(landing_dir / "inspection_results" / "supplied.csv", COLUMNS,
                     [_row(batch_no, "吡虫啉", "不符合規定")])
    [outcome] = shared.load(path, "inspection_results")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1), outcome.summary()
    with psycopg.connect(shared.url) as conn:
        result = trace(conn, batch_no)
    [item] = [i for b in result.batches if b.batch_no == batch_no for i in b.items]
    assert (item.verdict, item.verdict_basis, item.failing) == ("fail", "supplied", True)
    assert "fail (supplied)" in render_table(result)
    rows = to_csv_rows(result)
    tested = [dict(zip(rows[0], r)) for r in rows[1:] if r[0] == "test_item" and r[rows[0].index("batch_no")] == batch_no]
    assert [(r["verdict"], r["verdict_basis"]) for r in tested] == [("fail", "supplied")]


def test_an_unknown_product_holds_only_the_items_that_need_a_limit(shared, landing_dir):
    """A bureau-wide export names products the reference lacks: the batch loads with its name as written,
    its supplied verdicts count, and only a measured value waits for the product (then loads once)."""
    from agritrace.pipeline import replay
    from agritrace.reference.aliases import add_alias, unknown_names

    local_name = "豆仔"  # a local name of cowpea that no reference holds yet
    [batch_no] = [shared.keys.batch()]
    path = write_csv(landing_dir / "sampling_batches" / f"{batch_no}.csv", (*BATCH_COLUMNS, "source_category"),
                     [{**batch_row(batch_no, shared.producer_id, sampling_date=SAMPLED, product_name=local_name),
                       "source_category": "蔬菜-->豆类"}])
    [outcome] = shared.load(path, "sampling_batches")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1), outcome.summary()
    assert query(shared.url, "select product_name, product_code, source_category from core.sampling_batches "
                             "where batch_no = %s", (batch_no,)) == [(local_name, None, "蔬菜-->豆类")]

    path = write_csv(landing_dir / "inspection_results" / "unknown_product.csv", COLUMNS,
                     [*(_row(batch_no, analyte, "合格") for analyte in VERDICT_ONLY),
                      _row(batch_no, "灭蝇胺", "", value="0.3")])
    [outcome] = shared.load(path, "inspection_results")
    assert (outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined) == (6, 5, 1), outcome.summary()
    [(_, _, reasons)] = quarantined(shared.url, outcome.file_id)
    assert [(r["rule"], r["column"], r["value"]) for r in reasons] == [("reference:product", "batch_no", local_name)]
    assert query(shared.url, "select distinct verdict, verdict_basis from core.inspection_results where batch_no = %s",
                 (batch_no,)) == [("pass", "supplied")]

    with psycopg.connect(shared.url) as conn:
        assert [(n.kind, n.name) for n in unknown_names(conn, feed="inspection_results")
                if n.name == local_name] == [("product", local_name)]
        add_alias(conn, "product", local_name, "豇豆")
    assert replay("inspection_results", file_id=outcome.file_id, url=shared.url).loaded == 1
    assert replay("inspection_results", file_id=outcome.file_id, url=shared.url).examined == 0
    assert query(shared.url, "select result_value::float, verdict, verdict_basis from core.inspection_results "
                             "where batch_no = %s and analyte_code = 'cyromazine'", (batch_no,)) == [(0.3, "pass", "computed")]
