"""`agritrace ref rejudge`: results in core judged again with today's reference, history kept.

A corrected limit or a widened ban changes the verdicts of results that arrived before it. The
re-judgement registers a ledger entry of its own, writes the results that change as new versions
(the old ones move to core.inspection_results_history), recomputes their batches' verdicts, and
leaves every result whose judged values do not change as it is.
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from agritrace.bootstrap import bring_up
from agritrace.cli import app
from agritrace.pipeline import process_file
from agritrace.quality.rules import uscc_check_character
from agritrace.reference import load_reference
from agritrace.reference.rejudge import RewriteRefused, rejudge
from typer.testing import CliRunner

HEADER = ("委托单号,样品编号,样品名称,样品类别,任务来源,抽样日期,抽样环节,受检单位名称,受检单位信用代码,抽样地点,"
          "抽样单位,抽样量(g),检测机构,检测项目,检测结果,计量单位,检出限,限量要求,单项结论,检验依据,判定依据,报告编号,检测日期")
TODAY = date(2026, 11, 30)


def _uscc() -> str:
    first17 = "93440902MA0000001"
    return first17 + uscc_check_character(first17)


def _sample(no: str, product: str, category: str, sampled: str) -> str:
    return f"WT1,{no},{product},{category},例行监测,{sampled},基地,甲,{_uscc()},金塘镇,茂南区农检站,1000,茂名市农检中心"


ROWS = [
    # cowpea, 2023: cyromazine over the 0.5 mg/kg MRL; banned substances not detected in several forms
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},灭蝇胺,700,ppb,10,,,GB 23200.121-2021,GB 2763-2021,R1,20230104",
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},毒死蜱,ND,ppb,10,,,GB 23200.113-2018,GB 2763-2021,R1,20230104",
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},克百威,<0.01,mg/kg,,,,GB 23200.121-2021,,R1,20230104",
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},氧乐果,≤0.01,mg/kg,0.01,,,NY/T 761-2008,,R1,20230104",
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},水胺硫磷,≤0.02,mg/kg,,,,NY/T 761-2008,,R1,20230104",
    f"{_sample('S01', '豇豆', '蔬菜', '20230102')},有机磷和氨基甲酸酯类农药,30,%,,,,GB/T 5009.199-2003,,R1,20230104",
    # lychee, 2023: acephate detected; a limit written on the row for carbendazim
    f"{_sample('S02', '荔枝', '水果', '20230301')},乙酰甲胺磷,0.05,mg/kg,0.01,,,NY/T 761-2008,GB 2763-2021,R2,20230303",
    f"{_sample('S02', '荔枝', '水果', '20230301')},多菌灵,0.3,mg/kg,0.01,0.5,,GB 23200.121-2021,GB 2763-2021,R2,20230303",
    # cowpea, 2024
    f"{_sample('S03', '豇豆', '蔬菜', '20240501')},灭蝇胺,0.7,mg/kg,0.01,,,GB 23200.121-2021,GB 2763-2021,R3,20240503",
]
LAB_ROWS_JUDGED_BY_THE_REFERENCE = 7  # the rapid test and the row with its own limit are left out


@pytest.fixture
def loaded(warehouse, landing):
    bring_up(warehouse)
    with psycopg.connect(warehouse) as conn:
        # The shipped reference as it was before acephate's ban was extended to 瓜果.
        conn.execute("delete from ref.limits where analyte_code = 'acephate' and product_level_code = 'fruits'")
    producers = landing / "producers" / "p.csv"
    producers.write_text(f"producer_id,producer_name,producer_type,region_code,town\n{_uscc()},甲,合作社,440902,金塘镇\n",
                         encoding="utf-8")
    process_file(producers, "producers", url=warehouse)
    results = landing / "inspection_results" / "lims.csv"
    results.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    outcomes = process_file(results, "inspection_results", url=warehouse)
    assert [(o.feed, o.status, o.rows_loaded) for o in outcomes] == [
        ("sampling_batches", "loaded", 3), ("inspection_results", "loaded", len(ROWS))]
    return warehouse


def query(url, text, params=()):
    with psycopg.connect(url) as conn:
        return conn.execute(text, params).fetchall()


def verdicts(url):
    return {(b, a): v for b, a, v in query(
        url, "select batch_no, analyte_code, verdict from core.inspection_results where test_kind = 'lab'")}


def test_an_unchanged_reference_changes_nothing_but_the_run_is_in_the_ledger(loaded):
    before = query(loaded, "select * from core.inspection_results order by batch_no, analyte_code, test_kind")
    with psycopg.connect(loaded) as conn:
        outcome = rejudge(conn, today=TODAY)
    assert (outcome.examined, outcome.changed, outcome.kept_in_history) == (LAB_ROWS_JUDGED_BY_THE_REFERENCE, 0, 0)
    assert outcome.not_judged == [] and outcome.verdicts_changed == [] and outcome.batches_changed == []
    assert query(loaded, "select * from core.inspection_results order by batch_no, analyte_code, test_kind") == before
    assert query(loaded, "select count(*) from core.inspection_results_history") == [(0,)]
    assert query(loaded, """select feed, file_name, status, rows_in, rows_loaded, rows_quarantined, size_bytes
                              from ops.files where file_id = %s""", (outcome.file_id,)) == [
        ("inspection_results", "re-judgement 2026-11-30", "loaded", 7, 7, 0, 0)]


def test_a_corrected_limit_and_a_widened_ban_make_new_versions_and_keep_the_old(loaded):
    original = verdicts(loaded)
    assert original[("WT1-S01", "cyromazine")] == "fail" and original[("WT1-S02", "acephate")] == "pass"
    assert query(loaded, "select batch_no, batch_verdict from core.sampling_batches order by 1") == [
        ("WT1-S01", "fail"), ("WT1-S02", "pass"), ("WT1-S03", "fail")]
    with psycopg.connect(loaded) as conn:
        load_reference(conn)  # the shipped ban on acephate in 瓜果 (农业部公告第2552号) is back
        conn.execute("""update ref.limits set limit_value = 1, mg_per_kg = 1
                         where analyte_code = 'cyromazine' and product_level_code = 'legume_vegetables'""")
    file_ids = {(b, a): f for b, a, f in query(loaded, "select batch_no, analyte_code, file_id "
                                                      "from core.inspection_results")}
    with psycopg.connect(loaded) as conn:
        outcome = rejudge(conn, today=TODAY)
    # 0.7 mg/kg of cyromazine now passes in both cowpea batches; acephate in lychee is now banned
    assert outcome.verdicts_changed == [("WT1-S01", "cyromazine", "fail", "pass"),
                                        ("WT1-S02", "acephate", "pass", "fail"),
                                        ("WT1-S03", "cyromazine", "fail", "pass")]
    assert (outcome.changed, outcome.kept_in_history) == (3, 3)
    # S01 is not a pass: its omethoate item was reported only as ≤ its LOD (inconclusive)
    assert outcome.batches_changed == [("WT1-S01", "fail", "inconclusive"), ("WT1-S02", "pass", "fail"),
                                       ("WT1-S03", "fail", "pass")]
    history = query(loaded, """select batch_no, analyte_code, verdict, limit_mg_kg, file_id, superseded_by_file
                                 from core.inspection_results_history order by 1, 2""")
    assert [(b, a, v, None if m is None else float(m)) for b, a, v, m, _, _ in history] == [
        ("WT1-S01", "cyromazine", "fail", 0.5), ("WT1-S02", "acephate", "pass", None),
        ("WT1-S03", "cyromazine", "fail", 0.5)]
    assert {(b, a): (f, s) for b, a, _, _, f, s in history} == {
        key: (file_ids[key], outcome.file_id)
        for key in [("WT1-S01", "cyromazine"), ("WT1-S02", "acephate"), ("WT1-S03", "cyromazine")]}
    now = {(b, a): (v, f, src) for b, a, v, f, src in query(
        loaded, "select batch_no, analyte_code, verdict, file_id, limit_source from core.inspection_results")}
    assert now[("WT1-S02", "acephate")][:2] == ("fail", outcome.file_id)
    assert "2552" in now[("WT1-S02", "acephate")][2]
    # results whose judged values did not change keep the delivery that brought them
    assert now[("WT1-S01", "chlorpyrifos")][1] == file_ids[("WT1-S01", "chlorpyrifos")]
    assert now[("WT1-S02", "carbendazim")][1] == file_ids[("WT1-S02", "carbendazim")]
    assert query(loaded, "select batch_no, batch_verdict from core.sampling_batches order by 1") == [
        ("WT1-S01", "inconclusive"), ("WT1-S02", "fail"), ("WT1-S03", "pass")]
    # a second run finds nothing left to change
    with psycopg.connect(loaded) as conn:
        again = rejudge(conn, today=TODAY)
    assert (again.changed, again.verdicts_changed) == (0, [])
    assert query(loaded, "select count(*) from core.inspection_results_history") == [(3,)]


def test_since_limits_the_results_to_later_batches(loaded):
    with psycopg.connect(loaded) as conn:
        conn.execute("""update ref.limits set limit_value = 1, mg_per_kg = 1
                         where analyte_code = 'cyromazine' and product_level_code = 'legume_vegetables'""")
    with psycopg.connect(loaded) as conn:
        outcome = rejudge(conn, since=date(2024, 1, 1), today=TODAY)
    assert outcome.examined == 1
    assert outcome.verdicts_changed == [("WT1-S03", "cyromazine", "fail", "pass")]
    assert verdicts(loaded)[("WT1-S01", "cyromazine")] == "fail"
    [(message,)] = query(loaded, "select message from ops.files where file_id = %s", (outcome.file_id,))
    assert "since 2024-01-01" in message


def test_a_dry_run_writes_nothing(loaded):
    with psycopg.connect(loaded) as conn:
        load_reference(conn)
        files = conn.execute("select count(*) from ops.files").fetchone()
    with psycopg.connect(loaded) as conn:
        outcome = rejudge(conn, dry_run=True, today=TODAY)
    assert outcome.dry_run and outcome.file_id is None
    assert outcome.verdicts_changed == [("WT1-S02", "acephate", "pass", "fail")]
    assert query(loaded, "select count(*) from ops.files") == [files]
    assert query(loaded, "select count(*) from core.inspection_results_history") == [(0,)]
    assert verdicts(loaded)[("WT1-S02", "acephate")] == "pass"


def test_refused_while_a_results_file_is_loading(loaded):
    with psycopg.connect(loaded) as conn:
        conn.execute("""insert into ops.files (feed, sha256, file_name, size_bytes)
                        values ('inspection_results', 'f00d', 'arriving.csv', 10)""")
        files = conn.execute("select count(*) from ops.files").fetchone()
    with psycopg.connect(loaded) as conn, pytest.raises(RewriteRefused, match="arriving.csv"):
        rejudge(conn, today=TODAY)
    assert query(loaded, "select count(*) from ops.files") == [files]


def test_the_commands(loaded):
    with psycopg.connect(loaded) as conn:
        load_reference(conn)
    runner = CliRunner()
    status = runner.invoke(app, ["ref", "status"])
    assert status.exit_code == 0, status.output
    assert "Limits verified against a published copy of the standard:" in status.output
    assert "GB 2763-2021" in status.output and "why:" in status.output
    dry = runner.invoke(app, ["ref", "rejudge", "--dry-run", "--since", "2023-01-01"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "WT1-S02 acephate: pass -> fail" in dry.output
    bad = runner.invoke(app, ["ref", "rejudge", "--since", "yesterday"])
    assert bad.exit_code == 1 and "is not a date" in bad.output
