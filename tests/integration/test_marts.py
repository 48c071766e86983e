"""The analyst marts against small, hand-checkable core data inserted directly.

Two data sets: ``small`` (2024, seven producers, a dozen batches; every figure below can be
checked by hand from the rows) and ``reference`` (2023: the contract's Maonan figures, 586
district routine batches at 98.12% and 164 supervisory batches at 98.78%).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import combinations

import pandas as pd
import psycopg
import pytest
from agritrace.marts.dictionary import DICTIONARY_PATH, data_dictionary, undocumented_columns
from agritrace.marts.refresh import SUMMARIES, create_marts, mart_counts, mart_names, refresh_marts
from agritrace.marts.report import write_report
from fastapi import FastAPI
from fastapi.testclient import TestClient

MARTS = {
    "analyte_exceedance", "certificate_issuance", "pass_rate_by_period", "pass_rate_by_product",
    "pass_rate_by_town", "producer_risk", "sampling_coverage", "test_category_results",
    "pass_rate_by_period_totals", "pass_rate_by_product_totals", "pass_rate_by_town_totals",
    "analyte_exceedance_totals", "sampling_coverage_totals",
}

SMALL = """
insert into core.producers (producer_id, producer_name, producer_type, region_code, town, grid_id, contact_phone, file_id) values
  ('P1', '镇江蔬菜合作社', 'cooperative', '440902', '镇江镇', 'G01', '13812341234', %(f)s),
  ('P2', '山阁水产户', 'household', '440902', '山阁镇', 'G02', '0668-2281234', %(f)s),
  ('P3', '镇江农业公司', 'enterprise', '440902', '镇江镇', 'G01', null, %(f)s),
  ('P4', '金塘家庭农场', 'family_farm', '440902', '金塘镇', 'G03', '139 0000 5678', %(f)s),
  ('P5', '金塘禽蛋公司', 'enterprise', '440902', '金塘镇', 'G03', null, %(f)s),
  ('P6', '新坡茶场', 'enterprise', '440902', '新坡镇', 'G04', null, %(f)s),
  ('P7', '镇江茶叶合作社', 'cooperative', '440902', '镇江镇', 'G01', null, %(f)s);

insert into core.certificates (certificate_no, producer_id, product_name, product_code, product_category,
                               quantity, unit, quantity_kg, commitment_basis, issue_date, file_id) values
  ('C1', 'P1', '豇豆', 'V001', 'vegetables', 100, 'kg', 100, '{quality_control}', '2024-01-05', %(f)s),
  ('C2', 'P1', '豇豆', 'V001', 'vegetables', 200, 'kg', 200, '{self_test,quality_control}', '2024-01-06', %(f)s),
  ('C3', 'P1', '豇豆', 'V001', 'vegetables', 0.3, 't', 300, '{commissioned_test}', '2024-01-07', %(f)s),
  ('C4', 'P1', '荔枝', 'F001', 'fruits', 500, 'kg', 500, '{quality_control}', '2024-02-01', %(f)s),
  ('C5', 'P2', '罗非鱼', 'A001', 'aquatic', 50, 'kg', 50, '{self_test}', '2024-01-10', %(f)s),
  ('C6', 'P2', '罗非鱼', 'A001', 'aquatic', 20, '尾', null, '{quality_control}', '2024-01-11', %(f)s),
  ('C7', 'P4', '生猪', 'L001', 'livestock', 3, '头', null, '{quality_control}', '2024-03-05', %(f)s),
  ('C8', 'P4', '生猪', 'L001', 'livestock', 2, '头', null, '{quality_control}', '2024-03-05', %(f)s),
  ('C9', 'P5', '鸡蛋', 'E001', 'eggs', 30, 'kg', 30, '{self_test}', '2024-02-02', %(f)s);
insert into core.certificates (certificate_no, producer_id, product_name, product_code, product_category,
                               quantity, unit, quantity_kg, commitment_basis, issue_date, file_id)
select 'T6-' || n, 'P6', '绿茶', 'T001', 'tea', 10, 'kg', 10, array['quality_control'], date '2024-02-01' + n %% 20, %(f)s
from generate_series(1, 150) n
union all
select 'T7-' || n, 'P7', '绿茶', 'T001', 'tea', 10, 'kg', 10, array['quality_control'], date '2024-02-01', %(f)s
from generate_series(1, 10) n;

insert into core.sampling_batches (batch_no, producer_id, task_type, sampling_level, sampling_stage, region_code,
                                   product_name, product_code, product_category, sampling_date, batch_verdict, file_id) values
  ('B1', 'P1', 'routine_monitoring', 'district', 'production_base', '440902', '豇豆', 'V001', 'vegetables', '2024-01-10', 'pass', %(f)s),
  ('B2', 'P1', 'routine_monitoring', 'district', 'production_base', null, '长豆角', 'V001', 'vegetables', '2024-01-20', 'fail', %(f)s),
  ('B3', 'P2', 'supervisory_sampling', 'province', 'production_base', '440902', '罗非鱼', 'A001', 'aquatic', '2024-02-05', 'pass', %(f)s),
  ('B4', 'P2', 'supervisory_sampling', 'city', 'production_base', '440902', '罗非鱼', 'A001', 'aquatic', '2024-02-15', 'fail', %(f)s),
  ('B5', 'P3', 'rapid_test', 'district', 'production_base', '440902', '小白菜', null, 'vegetables', '2024-03-01', 'positive_unconfirmed', %(f)s),
  ('B6', null, 'routine_monitoring', 'district', 'farmers_market', '440903', '荔枝', 'F001', 'fruits', '2024-03-10', 'pass', %(f)s),
  ('B7', 'P3', 'routine_monitoring', 'district', 'production_base', '440902', '豇豆', 'V001', 'vegetables', '2024-03-20', null, %(f)s),
  ('B8', 'P5', 'routine_monitoring', 'district', 'production_base', '440902', '鸡蛋', 'E001', 'eggs', '2024-02-20', 'pass', %(f)s),
  ('B9', 'P5', 'routine_monitoring', 'district', 'production_base', '440902', '鸡蛋', 'E001', 'eggs', '2022-06-01', 'fail', %(f)s),
  ('B10', 'P6', 'routine_monitoring', 'district', 'production_base', '440902', '绿茶', 'T001', 'tea', '2024-02-25', 'pass', %(f)s),
  ('B11', 'P7', 'routine_monitoring', 'district', 'production_base', '440902', '绿茶', 'T001', 'tea', '2024-02-10', 'pass', %(f)s),
  ('B12', 'P7', 'routine_monitoring', 'district', 'production_base', '440902', '绿茶', 'T001', 'tea', '2024-02-12', 'pass', %(f)s);

insert into core.inspection_results (batch_no, analyte_code, test_kind, analyte_name, is_nondetect, value_mg_kg,
                                     limit_mg_kg, limit_kind, ratio_to_limit, verdict, verdict_reason, file_id) values
  ('B1', 'chlorpyrifos', 'lab', '毒死蜱', true, null, 0.02, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B1', 'carbofuran', 'lab', '克百威', true, null, 0.01, 'banned', null, 'pass', 'not detected', %(f)s),
  ('B2', 'chlorpyrifos', 'lab', '毒死蜱', false, 0.01, 0.02, 'mrl', 0.5, 'pass', 'below MRL', %(f)s),
  ('B2', 'carbofuran', 'lab', '克百威', false, 0.05, 0.01, 'banned', 5, 'fail', 'banned substance detected', %(f)s),
  ('B3', 'enrofloxacin', 'lab', '恩诺沙星', true, null, 0.1, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B4', 'enrofloxacin', 'lab', '恩诺沙星', false, 0.25, 0.1, 'mrl', 2.5, 'fail', 'MRL exceeded', %(f)s),
  ('B5', 'op_carbamate', 'rapid', '有机磷和氨基甲酸酯类', false, 62, 50, 'rapid', 1.24, 'positive_unconfirmed', 'inhibition >= 50%%', %(f)s),
  ('B6', 'chlorpyrifos', 'lab', '毒死蜱', true, null, 1, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B8', 'enrofloxacin', 'lab', '恩诺沙星', true, null, 0.1, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B9', 'chloramphenicol', 'lab', '氯霉素', false, 0.002, 0.0003, 'banned', 6.67, 'fail', 'banned substance detected', %(f)s),
  ('B10', 'chlorpyrifos', 'lab', '毒死蜱', true, null, 0.1, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B11', 'chlorpyrifos', 'lab', '毒死蜱', true, null, 0.1, 'mrl', 0, 'pass', 'not detected', %(f)s),
  ('B12', 'chlorpyrifos', 'lab', '毒死蜱', true, null, 0.1, 'mrl', 0, 'pass', 'not detected', %(f)s);
"""

# The contract's reference year: 586 district routine batches, 575 passed; 164 supervisory
# batches (100 province, 64 city), 162 passed; plus batches that must not be judged.
REFERENCE = """
insert into core.sampling_batches (batch_no, producer_id, task_type, sampling_level, sampling_stage, region_code,
                                   product_name, product_category, sampling_date, batch_verdict, file_id)
select 'R' || n, null, 'routine_monitoring', 'district', 'farmers_market', '440902', '豇豆',
       (array['vegetables', 'fruits', 'aquatic', 'livestock'])[n %% 4 + 1],
       date '2023-01-01' + (n %% 365), case when n <= 575 then 'pass' else 'fail' end, %(f)s
from generate_series(1, 586) n
union all
select 'SP' || n, null, 'supervisory_sampling', 'province', 'wholesale_market', '440902', '荔枝', 'fruits',
       date '2023-01-01' + (n * 3 %% 365), case when n <= 99 then 'pass' else 'fail' end, %(f)s
from generate_series(1, 100) n
union all
select 'SC' || n, null, 'supervisory_sampling', 'city', 'supermarket', '440902', '罗非鱼', 'aquatic',
       date '2023-01-01' + (n * 5 %% 365), case when n <= 63 then 'pass' else 'fail' end, %(f)s
from generate_series(1, 64) n
union all
select 'RT' || n, null, 'rapid_test', 'district', 'farmers_market', '440902', '菜心', 'vegetables',
       date '2023-06-01', 'positive_unconfirmed', %(f)s
from generate_series(1, 3) n
union all
select 'RP' || n, null, 'routine_monitoring', 'district', 'farmers_market', '440902', '菜心', 'vegetables',
       date '2023-12-30', null, %(f)s
from generate_series(1, 2) n;
"""


def _seed(conn: psycopg.Connection, *scripts: str) -> None:
    file_id = conn.execute(
        "insert into ops.files (feed, sha256, file_name, size_bytes, status) "
        "values ('sampling_batches', 'seed', 'seed.csv', 1, 'processing') returning file_id"
    ).fetchone()[0]
    for script in scripts:
        # One statement per execute: server-side parameters allow no more.
        for statement in filter(str.strip, script.split(";\n")):
            conn.execute(statement, {"f": file_id})
    conn.commit()


@pytest.fixture
def small(warehouse):
    with psycopg.connect(warehouse) as conn:
        _seed(conn, SMALL)
        refresh_marts(conn)
    return warehouse


@pytest.fixture
def reference(warehouse):
    with psycopg.connect(warehouse) as conn:
        _seed(conn, REFERENCE)
        refresh_marts(conn)
    return warehouse


@pytest.fixture
def both(warehouse):
    with psycopg.connect(warehouse) as conn:
        _seed(conn, SMALL, REFERENCE)
        refresh_marts(conn)
    return warehouse


def _one(url: str, query: str, params: tuple = ()) -> dict:
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute(query, params).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {query} {params}"
    return rows[0]


def _rate(url, period_type, period_start, task="all", level="all", region="all", category="all") -> dict:
    return _one(
        url,
        """
        select * from (select * from mart.pass_rate_by_period union all select * from mart.pass_rate_by_period_totals) r
        where period_type = %s and period_start = %s and task_type = %s
          and sampling_level = %s and region_code = %s and product_category = %s
        """,
        (period_type, period_start, task, level, region, category),
    )


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Reference formula (Wilson 1927), written independently of the SQL."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round(100 * (centre - half), 2), round(100 * (centre + half), 2)


# --- creation and refresh ----------------------------------------------------------------------


def test_create_marts_builds_every_mart_once(warehouse):
    with psycopg.connect(warehouse) as conn:
        assert set(create_marts(conn)) == MARTS
        assert create_marts(conn) == []
        assert set(mart_counts(conn)) == MARTS
    assert set(mart_names()) == MARTS


def test_refresh_creates_missing_marts_and_times_each_summary(warehouse):
    with psycopg.connect(warehouse) as conn:
        timings = refresh_marts(conn)
        assert set(timings) == set(SUMMARIES) and all(t >= 0 for t in timings.values())
        recorded = dict(conn.execute("select mart_name, refreshed_at from ops.mart_builds").fetchall())
    assert set(recorded) == MARTS and all(recorded.values())


def test_changed_mart_file_is_recreated(warehouse, tmp_path):
    from agritrace.marts.refresh import MARTS_DIR

    for path in MARTS_DIR.glob("*.sql"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with psycopg.connect(warehouse) as conn:
        create_marts(conn, tmp_path)
        edited = tmp_path / "producer_risk.sql"
        edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
        assert create_marts(conn, tmp_path) == ["producer_risk"]


def test_second_refresh_changes_nothing(small):
    with psycopg.connect(small) as conn:
        before = {name: conn.execute(f"select md5(string_agg(t::text, '|' order by t::text)) from mart.{name} t").fetchone()[0]
                  for name in MARTS}
        counts = mart_counts(conn)
        refresh_marts(conn)
        after = {name: conn.execute(f"select md5(string_agg(t::text, '|' order by t::text)) from mart.{name} t").fetchone()[0]
                 for name in MARTS}
        assert mart_counts(conn) == counts
    assert before == after


def test_a_refresh_in_progress_blocks_no_reader_and_shows_its_figures_when_it_commits(small):
    with psycopg.connect(small) as refresher, psycopg.connect(small, autocommit=True) as reader:
        reader.execute("set lock_timeout = '2s'")
        before = reader.execute("select count(*) from mart.producer_risk where risk_grade = 'D'").fetchone()[0]
        refresher.execute("update core.sampling_batches set batch_verdict = 'pass' where batch_no = 'B2'")
        refresh_marts(refresher)  # a savepoint inside the open transaction: held until commit
        assert reader.execute("select count(*) from mart.producer_risk where risk_grade = 'D'").fetchone()[0] == before
        refresher.commit()
        assert reader.execute("select count(*) from mart.producer_risk where risk_grade = 'D'").fetchone()[0] == before
        assert reader.execute("select batches_sampled, failures from mart.producer_risk where producer_id = 'P1'"
                              ).fetchone() == (2, 0)


# --- access --------------------------------------------------------------------------------------


def test_analyst_reads_marts_but_not_core(small):
    with psycopg.connect(small) as conn:
        with conn.transaction():
            conn.execute("set local role agritrace_analyst")
            for name in MARTS:
                conn.execute(f"select * from mart.{name} limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("set local role agritrace_analyst")
            conn.execute("select * from core.producers limit 1")


def test_no_mart_carries_an_unmasked_phone(small):
    with psycopg.connect(small) as conn:
        columns = {r[0] for r in conn.execute(
            "select attname from pg_attribute a join pg_class c on c.oid = a.attrelid "
            "join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'mart' and a.attnum > 0"
        )}
        phones = dict(conn.execute("select producer_id, contact_phone_masked from mart.producer_risk").fetchall())
    assert "contact_phone" not in columns
    assert phones["P1"] == "138****1234"
    assert phones["P2"] == "066*****1234"  # ops.mask_phone keeps the length of what it hides
    assert phones["P4"] == "139******5678"
    assert phones["P3"] is None


# --- pass_rate_by_period ---------------------------------------------------------------------------


def test_reference_year_district_routine_pass_rate(reference):
    row = _rate(reference, "year", date(2023, 1, 1), task="routine_monitoring", level="district")
    assert (row["batches"], row["passed_batches"], row["pass_rate_pct"]) == (586, 575, Decimal("98.12"))
    assert row["pending_batches"] == 2


def test_reference_year_supervisory_province_and_city_together(reference):
    row = _rate(reference, "year", date(2023, 1, 1), task="supervisory_sampling", level="all")
    assert (row["batches"], row["passed_batches"], row["pass_rate_pct"]) == (164, 162, Decimal("98.78"))


def test_wilson_interval_matches_reference_formula(reference):
    row = _rate(reference, "year", date(2023, 1, 1), task="routine_monitoring", level="district")
    low, high = wilson(575, 586)
    assert (float(row["wilson_low_pct"]), float(row["wilson_high_pct"])) == (low, high)
    assert low < 98.12 < high


def test_unconfirmed_and_pending_batches_are_not_judged(small):
    row = _rate(small, "year", date(2024, 1, 1))
    assert (row["batches"], row["passed_batches"], row["failed_batches"]) == (9, 7, 2)
    assert (row["unconfirmed_batches"], row["pending_batches"]) == (1, 1)
    assert row["pass_rate_pct"] == Decimal("77.78")
    unconfirmed_only = _rate(small, "month", date(2024, 3, 1), task="rapid_test")
    assert unconfirmed_only["batches"] == 0 and unconfirmed_only["pass_rate_pct"] is None


def test_a_total_equals_the_sum_of_the_detail_rows_and_the_detail_holds_no_total(small):
    with psycopg.connect(small) as conn:
        total = conn.execute(
            """
            select batches, passed_batches from mart.pass_rate_by_period_totals
            where period_type = 'quarter' and period_start = '2024-01-01' and task_type = 'all'
              and sampling_level = 'all' and region_code = 'all' and product_category = 'all'
            """
        ).fetchone()
        summed = conn.execute(
            """
            select sum(batches), sum(passed_batches) from mart.pass_rate_by_period
            where period_type = 'quarter' and period_start = '2024-01-01'
            """
        ).fetchone()
        details_with_all = conn.execute(
            """
            select count(*) from mart.pass_rate_by_period
            where 'all' in (task_type, sampling_level, region_code, product_category)
            """
        ).fetchone()[0]
    assert total == summed == (9, 7)
    assert details_with_all == 0


def test_region_falls_back_to_the_producers_county(small):
    # B2 has no region_code: it counts in its producer's county 440902, not in 'unknown'.
    row = _rate(small, "month", date(2024, 1, 1), region="440902")
    assert row["batches"] == 2
    other = _rate(small, "year", date(2024, 1, 1), region="440903")
    assert (other["batches"], other["passed_batches"]) == (1, 1)


def test_pass_rates_recomputed_from_core_with_pandas_match_the_mart(both):
    with psycopg.connect(both) as conn:
        batches = pd.read_sql(
            """
            select b.task_type, b.sampling_level, coalesce(b.region_code, p.region_code, 'unknown') as region_code,
                   coalesce(b.product_category, 'unknown') as product_category, b.sampling_date, b.batch_verdict
            from core.sampling_batches b left join core.producers p using (producer_id)
            """,
            conn,
        )
        # Detail and totals together make the whole CUBE, each combination once.
        mart = pd.read_sql("select * from mart.pass_rate_by_period union all "
                           "select * from mart.pass_rate_by_period_totals", conn)
    dims = ["task_type", "sampling_level", "region_code", "product_category"]
    judged = batches[batches.batch_verdict.isin(["pass", "fail"])].copy()
    judged["passed"] = judged.batch_verdict.eq("pass")
    expected = []
    for period_type, freq in (("month", "MS"), ("quarter", "QS"), ("year", "YS")):
        judged["period_start"] = pd.to_datetime(judged.sampling_date).dt.to_period(freq[0]).dt.start_time.dt.date
        for size in range(len(dims) + 1):
            for kept in combinations(dims, size):
                grouped = judged.groupby(["period_start", *kept]).agg(batches=("passed", "size"), passed=("passed", "sum"))
                frame = grouped.reset_index()
                for dim in dims:
                    if dim not in kept:
                        frame[dim] = "all"
                frame["period_type"] = period_type
                expected.append(frame)
    expected = pd.concat(expected)
    expected["pass_rate_pct"] = (100 * expected.passed / expected.batches).round(2)
    keys = ["period_type", "period_start", *dims]
    merged = expected.merge(mart[mart.batches > 0], on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys]
    assert (merged.batches_x == merged.batches_y).all()
    assert (merged.passed == merged.passed_batches).all()
    assert ((merged.pass_rate_pct_x - merged.pass_rate_pct_y.astype(float)).abs() < 0.005).all()


# --- the other marts ------------------------------------------------------------------------------


def test_pass_rate_by_product_groups_by_code_and_keeps_uncoded_names(small):
    with psycopg.connect(small) as conn:
        rows = {
            (code, name): (batches, passed, unconfirmed)
            for code, name, batches, passed, unconfirmed in conn.execute(
                """
                select product_code, product_name, batches, passed_batches, unconfirmed_batches
                from mart.pass_rate_by_product_totals
                where period_type = 'year' and period_start = '2024-01-01' and task_type = 'all'
                """
            )
        }
    # B1 (豇豆) and B2 (长豆角) share code V001; the most frequent name wins.
    assert rows[("V001", "豇豆")] == (2, 1, 0)
    assert rows[("unknown", "小白菜")] == (0, 0, 1)
    assert rows[("A001", "罗非鱼")] == (2, 1, 0)


def test_pass_rate_by_town_uses_the_producers_town(small):
    with psycopg.connect(small) as conn:
        rows = {
            town: (batches, passed, unconfirmed)
            for town, batches, passed, unconfirmed in conn.execute(
                """
                select town, sum(batches), sum(passed_batches), sum(unconfirmed_batches) from mart.pass_rate_by_town_totals
                where period_type = 'year' and period_start = '2024-01-01' and task_type = 'all' group by town
                """
            )
        }
    assert rows["镇江镇"] == (4, 3, 1)  # B1 pass, B2 fail, B11 and B12 pass; B5 unconfirmed; B7 pending
    assert rows["山阁镇"] == (2, 1, 0)
    assert rows["unknown"] == (1, 1, 0)  # the market sample B6


def test_analyte_exceedance_counts_items_by_reason(small):
    def row(analyte, product="all"):
        return _one(
            small,
            "select * from (select * from mart.analyte_exceedance union all select * from mart.analyte_exceedance_totals) i "
            "where year = 2024 and analyte_code = %s and product_code = %s",
            (analyte, product),
        )

    carbofuran = row("carbofuran")
    assert (carbofuran["tested"], carbofuran["detected"], carbofuran["exceeded"], carbofuran["banned_detected"]) == (2, 1, 0, 1)
    enrofloxacin = row("enrofloxacin")
    assert (enrofloxacin["exceeded"], enrofloxacin["banned_detected"]) == (1, 0)
    assert enrofloxacin["max_ratio_to_limit"] == Decimal("2.500")
    assert row("chlorpyrifos")["tested"] == 6
    assert row("chlorpyrifos", "V001")["tested"] == 2
    assert row("op_carbamate")["unconfirmed_positives"] == 1


def test_certificate_issuance_splits_by_commitment_basis(small):
    p1 = _one(
        small,
        "select * from mart.certificate_issuance where producer_id = 'P1' and month = '2024-01-01' and product_category = 'vegetables'",
    )
    assert (p1["certificates"], p1["quantity_kg"], p1["town"]) == (3, Decimal(600), "镇江镇")
    assert (p1["certificates_quality_control"], p1["certificates_self_test"], p1["certificates_commissioned_test"]) == (2, 1, 1)
    p2 = _one(small, "select * from mart.certificate_issuance where producer_id = 'P2'")
    assert (p2["certificates"], p2["quantity_kg"], p2["certificates_counted_units"]) == (2, Decimal(50), 1)
    totals = _one(small, "select sum(certificates) as n, count(distinct producer_id) as producers from mart.certificate_issuance")
    assert (totals["n"], totals["producers"]) == (169, 6)


def test_producer_risk_grades_follow_the_rule(small):
    with psycopg.connect(small) as conn:
        grades = {p: (g, cov) for p, g, cov in conn.execute(
            "select producer_id, risk_grade, sampling_coverage from mart.producer_risk"
        )}
        as_of = conn.execute("select distinct as_of_date from mart.producer_risk").fetchall()
    assert as_of == [(date(2024, 3, 20),)]
    assert grades["P1"] == ("D", Decimal("50.00"))  # banned carbofuran in B2
    assert grades["P2"][0] == "C"  # MRL exceeded in B4
    assert grades["P3"][0] == "C"  # unconfirmed rapid-test positive B5
    assert grades["P4"] == ("B", Decimal("0.00"))  # never sampled
    assert grades["P5"][0] == "A"  # the 2022 banned failure is outside the 12-month window
    assert grades["P6"] == ("B", Decimal("0.67"))  # 1 batch for 150 certificates
    assert grades["P7"] == ("A", Decimal("20.00"))
    p5 = _one(small, "select last_failure_date, failures from mart.producer_risk where producer_id = 'P5'")
    assert (p5["last_failure_date"], p5["failures"]) == (date(2022, 6, 1), 0)


def test_sampling_coverage_flags_towns_below_half_the_county_rate(small):
    def row(town, category):
        return _one(
            small,
            "select * from (select * from mart.sampling_coverage union all select * from mart.sampling_coverage_totals) c "
            "where year = 2024 and town = %s and product_category = %s",
            (town, category),
        )

    county_tea = row("all", "tea")
    assert (county_tea["certificates"], county_tea["batches_sampled"]) == (160, 3)
    assert county_tea["batches_per_1000_certificates"] == Decimal("18.75")
    xinpo = row("新坡镇", "tea")
    assert (xinpo["batches_per_1000_certificates"], xinpo["under_sampled"]) == (Decimal("6.67"), True)
    assert row("镇江镇", "tea")["under_sampled"] is False  # 10 certificates: too few to judge
    year = row("all", "all")
    assert (year["certificates"], year["batches_sampled"]) == (169, 11)


# --- documentation, report and web ---------------------------------------------------------------


def test_every_mart_and_column_has_a_comment(warehouse):
    with psycopg.connect(warehouse) as conn:
        create_marts(conn)
        assert undocumented_columns(conn) == []


def test_data_dictionary_file_matches_the_database(warehouse):
    with psycopg.connect(warehouse) as conn:
        create_marts(conn)
        generated = data_dictionary(conn)
    assert "## `mart.pass_rate_by_period`" in generated
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == generated, (
        "docs/data_dictionary.md is out of date: regenerate it with `python -m agritrace.marts.dictionary`"
    )


def test_report_is_a_self_contained_html_file(small, tmp_path):
    with psycopg.connect(small) as conn:
        path = write_report(conn, 2024, tmp_path / "reports" / "2024.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 4
    for external in ('src="http', "src='http", 'href="http', "href='http", "<script src", "<link", "@import", "url("):
        assert external not in html
    assert "77.78%" in html  # all sampling, 2024
    assert "恩诺沙星" in html and "克百威" in html
    assert "新坡镇" in html  # under-sampled


def test_web_routes_serve_marts_as_json_and_html(small):
    from agritrace.web.marts_routes import router

    app = FastAPI()
    app.include_router(router, prefix="/agritrace")
    client = TestClient(app)
    response = client.get(
        "/agritrace/api/marts/pass-rate",
        params={"period_type": "year", "year": 2024, "task_type": "all", "sampling_level": "all",
                "region_code": "all", "product_category": "all"},
    )
    assert response.status_code == 200
    assert [(r["batches"], r["pass_rate_pct"]) for r in response.json()] == [(9, 77.78)]
    risk = client.get("/agritrace/api/marts/producer_risk", params={"risk_grade": "D"}).json()
    assert [r["producer_id"] for r in risk] == ["P1"] and "contact_phone" not in risk[0]
    assert client.get("/agritrace/api/marts/producers").status_code == 404
    bad = client.get("/agritrace/api/marts/producer_risk", params={"contact_phone": "x"})
    assert bad.status_code == 400 and "no column contact_phone" in bad.json()["detail"]
    page = client.get("/agritrace/ui/marts", params={"year": 2024})
    assert page.status_code == 200 and "<svg" in page.text and "2024" in page.text


def test_pages_report_and_api_say_when_the_marts_were_refreshed(small, tmp_path):
    from agritrace.marts.refresh import data_as_of
    from agritrace.web.marts_routes import router

    with psycopg.connect(small) as conn:
        refreshed = conn.execute("select min(refreshed_at) from ops.mart_builds").fetchone()[0]
        assert data_as_of(conn) == refreshed is not None
        html = write_report(conn, 2024, tmp_path / "r.html").read_text(encoding="utf-8")
    stamp = f"Data as of {refreshed.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    assert stamp in html
    client = TestClient(FastAPI())
    client.app.include_router(router, prefix="/agritrace")
    for path in ("/agritrace/api/marts/pass-rate", "/agritrace/api/marts/producer_risk"):
        response = client.get(path)
        assert response.status_code == 200
        assert datetime.fromisoformat(response.headers["X-Data-As-Of"]) == refreshed
    page = client.get("/agritrace/ui/marts")
    assert stamp in page.text and page.headers["X-Data-As-Of"] == refreshed.isoformat()


def test_marts_never_refreshed_say_so(warehouse):
    from agritrace.marts.refresh import data_as_of

    with psycopg.connect(warehouse) as conn:
        create_marts(conn)
        assert data_as_of(conn) is None


def _marts_client() -> TestClient:
    from agritrace.web.marts_routes import router

    client = TestClient(FastAPI())
    client.app.include_router(router, prefix="/agritrace")
    return client


def _csv(response) -> list[dict[str, str]]:
    import csv
    import io

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def test_page_tables_download_as_csv_and_xlsx_with_the_pages_figures(small):
    import io

    from openpyxl import load_workbook

    client = _marts_client()
    page = client.get("/agritrace/ui/marts", params={"year": 2024}).text
    assert 'href="marts/download/by_task?year=2024&amp;format=csv"' in page
    response = client.get("/agritrace/ui/marts/download/by_task", params={"year": 2024, "format": "csv"})
    assert "agritrace-by_task-2024.csv" in response.headers["content-disposition"]
    rows = _csv(response)
    # Roll-up rows are left out by default, so the column sums to the page's "all sampling" headline.
    assert {r["rollup"] for r in rows} == {"no"}
    total = sum(int(r["batches"]) for r in rows)
    passed = sum(int(r["passed_batches"]) for r in rows)
    assert (passed, total) == (7, 9) and f"{passed:,}/{total:,} 批次 batches" in page
    with_totals = _csv(client.get("/agritrace/ui/marts/download/by_task", params={"year": 2024, "rollups": "true"}))
    assert "rollups=true" in page and len(with_totals) > len(rows)
    assert [r for r in with_totals if r["rollup"] == "no"] == rows
    grand = [r for r in with_totals if r["task_type"] == "all" and r["sampling_level"] == "all"]
    assert [int(r["batches"]) for r in grand] == [total]

    xlsx = client.get("/agritrace/ui/marts/download/by_task", params={"year": 2024, "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert list(values[0]) == list(rows[0]) and len(values) == len(rows) + 1

    analytes = _csv(client.get("/agritrace/ui/marts/download/analytes", params={"year": 2024}))
    assert {r["analyte_name"] for r in analytes} >= {"恩诺沙星", "克百威"}
    assert client.get("/agritrace/ui/marts/download/nope").status_code == 404
    assert client.get("/agritrace/ui/marts/download/by_task", params={"format": "pdf"}).status_code == 422


def test_marts_page_filters_narrow_the_page_and_its_downloads(small):
    client = _marts_client()
    query = {"year": 2024, "task_type": "supervisory_sampling"}
    page = client.get("/agritrace/ui/marts", params=query)
    assert page.status_code == 200 and "已筛选 Filtered" in page.text
    assert '<option value="supervisory_sampling" selected>' in page.text
    assert "2/2 批次 batches" not in page.text and "1/2 批次 batches" in page.text  # supervisory, all levels
    rows = _csv(client.get("/agritrace/ui/marts/download/by_task", params=query))
    assert {r["task_type"] for r in rows} == {"supervisory_sampling"}
    assert sum(int(r["batches"]) for r in rows) == 2

    aquatic = {"year": 2024, "product_category": "aquatic"}
    analytes = _csv(client.get("/agritrace/ui/marts/download/analytes", params=aquatic))
    assert [(r["analyte_name"], r["exceeded"]) for r in analytes] == [("恩诺沙星", "1")]
    by_task = _csv(client.get("/agritrace/ui/marts/download/by_task", params=aquatic))
    assert {r["product_category"] for r in by_task} == {"aquatic"}

    xinpo = {"year": 2024, "town": "新坡镇"}
    risk = _csv(client.get("/agritrace/ui/marts/download/risk_grades", params=xinpo))
    assert {r["risk_grade"]: int(r["producers"]) for r in risk} == {"A": 0, "B": 1, "C": 0, "D": 0}
    under = _csv(client.get("/agritrace/ui/marts/download/under_sampled", params=xinpo))
    assert [r["town"] for r in under] == ["新坡镇"]


@pytest.mark.parametrize(("params", "message"), [
    ({"town": "nowhere"}, "unknown town 'nowhere'; the marts hold: "),
    ({"product_category": "grain"}, "unknown product_category 'grain'; the marts hold: aquatic, eggs"),
    ({"task_type": "x"}, "unknown task_type 'x'"),
    ({"sampling_level": "galactic"}, "unknown sampling_level 'galactic'; the marts hold: city, district, province"),
    ({"year": 1999}, "no data for year 1999; the marts hold: 2024, 2022"),
])
def test_unknown_filter_values_are_a_clear_400(small, params, message):
    client = _marts_client()
    for path in ("/agritrace/ui/marts", "/agritrace/ui/marts/download/by_task"):
        response = client.get(path, params=params)
        assert response.status_code == 400 and message in response.json()["detail"], response.text


def test_pass_rates_compare_with_the_previous_year(both):
    client = _marts_client()
    query = {"year": 2024, "task_type": "routine_monitoring", "sampling_level": "district"}
    page = client.get("/agritrace/ui/marts", params=query).text
    assert "2023 合格率 Pass rate" in page and "98.12%" in page and "-12.41 pp" in page  # 6/7 = 85.71% in 2024
    [row] = _csv(client.get("/agritrace/ui/marts/download/by_task", params=query))
    assert (row["pass_rate_pct"], row["prev_year_pass_rate_pct"], row["change_pct_points"]) == ("85.71", "98.12", "-12.41")


def test_every_column_holding_rollup_rows_is_flagged_in_its_comment(small):
    """A column is documented as a ROLL-UP FLAG exactly when some of its rows hold the total 'all'."""
    with psycopg.connect(small) as conn:
        columns = conn.execute(
            """
            select c.relname, a.attname, coalesce(col_description(c.oid, a.attnum), '') like '%%ROLL-UP FLAG%%'
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where n.nspname = 'mart' and c.relkind = 'v' and a.atttypid = 'text'::regtype
            """
        ).fetchall()
        flagged, holding_all = set(), set()
        for mart, column, is_flagged in columns:
            if is_flagged:
                flagged.add((mart, column))
            query = f"select exists (select 1 from mart.{mart} where {column} = 'all')"  # names from the catalogue
            if conn.execute(query).fetchone()[0]:
                holding_all.add((mart, column))
    assert flagged == holding_all
    assert ("pass_rate_by_period_totals", "sampling_level") in flagged
    assert ("analyte_exceedance_totals", "product_code") in flagged
    assert not any(mart in ("pass_rate_by_period", "analyte_exceedance") for mart, _ in flagged)
