"""Incremental marts equal a full recomputation from core, whatever sequence of writes came before.

Versions are written through ``load.core.write_core``, the one path every load, correction,
replay and release takes; a step delivered with an older file id than the current version is a
replay or a late release (it goes to history). Corrections move batches and certificates to other
days, products and producers, and change producers' towns. The marts are refreshed after every
write; after the sequence they are read, rebuilt from all of core, and read again.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
from agritrace.contracts import FEEDS
from agritrace.load.core import update_batch_verdicts, write_core
from agritrace.marts.refresh import mart_names, rebuild_summaries, refresh_marts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from warehouse_helpers import Warehouse

START = date(2025, 12, 28)  # a month and a year boundary inside the few days drawn
PRODUCERS = ["MP1", "MP2", "MP3"]
CATEGORIES = ["vegetables", "fruits"]
PRODUCTS = [("V001", "豇豆"), ("V001", "长豆角"), (None, "野菜")]

producer_step = st.fixed_dictionaries({
    "feed": st.just("producers"), "key": st.sampled_from(PRODUCERS),
    "town": st.sampled_from(["镇江镇", "金塘镇 13812345678", None]), "region": st.sampled_from(["440902", "440903"])})
certificate_step = st.fixed_dictionaries({
    "feed": st.just("certificates"), "key": st.integers(1, 4), "producer": st.sampled_from(PRODUCERS),
    "day": st.integers(0, 6), "category": st.sampled_from(CATEGORIES), "kg": st.sampled_from([10, None])})
batch_step = st.fixed_dictionaries({
    "feed": st.just("sampling_batches"), "key": st.integers(1, 4), "producer": st.sampled_from([*PRODUCERS, None]),
    "day": st.integers(0, 6), "product": st.sampled_from(PRODUCTS), "category": st.sampled_from(CATEGORIES),
    "task": st.sampled_from(["routine_monitoring", "rapid_test"])})
result_step = st.fixed_dictionaries({
    "feed": st.just("inspection_results"), "key": st.integers(1, 4), "analyte": st.sampled_from(["a1", "a2"]),
    "verdict": st.sampled_from(["pass", "fail", "positive_unconfirmed"]), "limit": st.sampled_from(["mrl", "banned"])})
# Each step is delivered by a new file, or late by an earlier one (a replay or a release).
steps = st.lists(st.tuples(st.one_of(producer_step, certificate_step, batch_step, result_step), st.booleans()),
                 min_size=3, max_size=12)


def _row(step: dict, run: int) -> dict:
    key = f"M{run}-{step['key']}" if step["feed"] != "producers" else step["key"]
    day = START + timedelta(days=step.get("day", 0))
    if step["feed"] == "producers":
        return {"producer_id": key, "producer_name": f"主体 {key}", "producer_type": "enterprise",
                "region_code": step["region"], "town": step["town"]}
    if step["feed"] == "certificates":
        return {"certificate_no": key, "producer_id": step["producer"], "product_name": "豇豆",
                "product_category": step["category"], "quantity": 10, "unit": "kg" if step["kg"] else "箱",
                "quantity_kg": step["kg"], "commitment_basis": ["self_test"], "issue_date": day}
    if step["feed"] == "sampling_batches":
        code, name = step["product"]
        return {"batch_no": key, "producer_id": step["producer"], "task_type": step["task"],
                "sampling_level": "district", "sampling_stage": "production_base", "product_code": code,
                "product_name": name, "product_category": step["category"], "sampling_date": day}
    return {"batch_no": key, "analyte_code": step["analyte"], "test_kind": "lab", "analyte_name": f"名 {step['analyte']}",
            "is_nondetect": step["verdict"] == "pass", "value_mg_kg": 0.5, "ratio_to_limit": 2,
            "limit_kind": step["limit"], "verdict": step["verdict"], "verdict_reason": "drawn",
            "verdict_disagrees": False, "verdict_basis": "computed", "jurisdiction": "CN"}


def _new_file(conn: psycopg.Connection, feed: str) -> int:
    return conn.execute("insert into ops.files (feed, sha256, file_name, size_bytes, status) "
                        "values (%s, md5(random()::text), 'drawn.csv', 1, 'loaded') returning file_id",
                        (feed,)).fetchone()[0]


def _write(conn: psycopg.Connection, step: dict, late: bool, run: int, earlier_file: int) -> None:
    feed = FEEDS[step["feed"]]
    row = _row(step, run)
    if step["feed"] == "inspection_results" and not conn.execute(
            "select 1 from core.sampling_batches where batch_no = %s", (row["batch_no"],)).fetchone():
        return  # an orphan waits in quarantine: nothing reaches core
    if step["feed"] in ("certificates", "sampling_batches") and row["producer_id"] and not conn.execute(
            "select 1 from core.producers where producer_id = %s", (row["producer_id"],)).fetchone():
        return
    file_id = earlier_file if late else _new_file(conn, step["feed"])
    staging = sql.Identifier("drawn_staging")
    table = sql.Identifier(*feed.core_table.split("."))
    conn.execute("drop table if exists pg_temp.drawn_staging")
    conn.execute(sql.SQL("create temp table drawn_staging as select {}, file_id from {} limit 0").format(
        sql.SQL(", ").join(map(sql.Identifier, feed.core_columns)), table))
    columns = [*row, "file_id"]
    conn.execute(sql.SQL("insert into drawn_staging ({}) values ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(sql.Placeholder() * len(columns))),
        [*row.values(), file_id])
    write_core(conn, feed, staging)
    if step["feed"] == "inspection_results":
        update_batch_verdicts(conn, staging, None)


def _marts(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {name: conn.execute(sql.SQL("select * from {} t order by t::text").format(
        sql.Identifier("mart", name))).fetchall() for name in mart_names()}


_runs = iter(range(1_000_000))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_incremental_marts_equal_a_full_recomputation(shared: Warehouse, sequence) -> None:
    run = next(_runs)
    with psycopg.connect(shared.url, autocommit=True) as conn:
        refresh_marts(conn)
        earlier_file = _new_file(conn, "sampling_batches")  # delivered before every file of the run
        for step, late in sequence:
            with conn.transaction():
                _write(conn, step, late, run, earlier_file)
            # After every write: a correction's old day is then already summarised, and must be logged.
            refresh_marts(conn)
        incremental = _marts(conn)
        with conn.transaction():
            for table in ("batches_daily", "batch_products_daily", "items_daily", "certificates_daily",
                          "producer_batches_daily"):
                conn.execute(sql.SQL("truncate {}").format(sql.Identifier("summary", table)))
        rebuild_summaries(conn)
        assert _marts(conn) == incremental
