"""`make demo`: the whole pipeline on the demo set, through the real DAGs, and what it produced."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from agritrace import db
from agritrace.config import WAREHOUSE_DATABASE, settings

DAG_ORDER = (
    "load_reference",
    "ingest_producers",
    "ingest_certificates",
    "ingest_sampling_batches",
    "ingest_inspection_results",
    "retry_orphans",
    "publish_marts",
    "replay_quarantine",
)
DEMO_DEFECT_RATE = 0.002


def reset_embedded_warehouse() -> None:
    """Drop and recreate the embedded warehouse database (never touches a configured server)."""
    server = db.server_url()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(WAREHOUSE_DATABASE)))


def run_dags(dag_ids: tuple[str, ...], echo: Callable[[str], None]) -> dict[str, str]:
    """Run each DAG once with ``dag.test()`` in this process, against the configured Postgres."""
    from agritrace.airflow_local import airflow_env, migrate_metadata, run_dag_in_process

    # The demo prints its own account of each run; Airflow's INFO lines (the task logs' level on the
    # local stack) would bury it.
    os.environ.update({**airflow_env(), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"})
    migrate_metadata()
    logging.getLogger("airflow").setLevel(logging.WARNING)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    states = {}
    for dag_id in dag_ids:
        started = time.monotonic()
        run = run_dag_in_process(bag.dags[dag_id])
        states[dag_id] = str(getattr(run.state, "value", run.state))
        echo(f"  {dag_id:28} {states[dag_id]:8} {time.monotonic() - started:6.1f} s")
    return states


def summary_lines(url: str) -> list[str]:
    lines = []
    with psycopg.connect(url) as conn:
        lines.append("Files (ops.files): rows_in = rows_loaded + rows_quarantined for every loaded file")
        for feed, files, rows_in, loaded, quarantined, held, rejected in conn.execute(
            """select feed, count(*), coalesce(sum(rows_in), 0), coalesce(sum(rows_loaded), 0),
                      coalesce(sum(rows_quarantined), 0), count(*) filter (where status = 'held'),
                      count(*) filter (where status = 'rejected')
                 from ops.files group by feed
                order by array_position(array['producers','certificates','sampling_batches','inspection_results'], feed)"""
        ):
            lines.append(f"  {feed:20} {files:3} files  {rows_in:>7,} in  {loaded:>7,} loaded  "
                         f"{quarantined:>5,} quarantined  {held} held  {rejected} rejected")
        balanced = conn.execute(
            "select count(*) filter (where rows_in = rows_loaded + rows_quarantined), count(*) from ops.files "
            "where status = 'loaded'").fetchone()
        lines.append(f"  balanced files: {balanced[0]} of {balanced[1]}")
        lines.append("Quarantine reasons (open rows):")
        for rule, column, rows in conn.execute(
            """select r->>'rule', r->>'column', count(*) from quarantine.rows q, jsonb_array_elements(q.reasons) r
                where q.status = 'open' group by 1, 2 order by 3 desc limit 10"""
        ):
            lines.append(f"  {rule:20} {column:20} {rows:>5}")
        lines.append("Core tables:")
        for table in ("producers", "certificates", "sampling_batches", "inspection_results"):
            count = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("core", table))).fetchone()[0]
            lines.append(f"  core.{table:20} {count:>8,}")
        lines.append("Pass rates 2023 (mart.pass_rate_by_period_totals, year rows):")
        for task_type, level, batches, passed, rate, low, high in conn.execute(
            """select task_type, sampling_level, batches, passed_batches, pass_rate_pct, wilson_low_pct, wilson_high_pct
                 from mart.pass_rate_by_period_totals
                where period_type = 'year' and period_start = date '2023-01-01'
                  and region_code = 'all' and product_category = 'all'
                  and ((task_type = 'routine_monitoring' and sampling_level = 'district')
                    or (task_type = 'supervisory_sampling' and sampling_level = 'all'))
                order by task_type"""
        ):
            lines.append(f"  {task_type:22} {level:9} {batches:>4} batches  {passed:>4} passed  {rate}%  "
                         f"(95% CI {low}–{high})")
        issued = conn.execute(
            """select sum(certificates), count(distinct producer_id) from mart.certificate_issuance
                where date_trunc('year', month) = date '2023-01-01'""").fetchone()
        lines.append(f"Certificates 2023: {issued[0]:,} from {issued[1]} producers")
        failing = conn.execute(
            "select batch_no from core.sampling_batches where batch_verdict = 'fail' order by batch_no limit 1").fetchone()
        if failing:
            lines.append(f"Try a trace: .venv/bin/agritrace trace {failing[0]}")
    return lines


def run_demo(*, fresh: bool, echo: Callable[[str], None]) -> int:
    cfg = settings()
    landing = cfg.home / "demo" / "landing"
    os.environ["AGRITRACE_LANDING_DIR"] = str(landing)
    if fresh:
        if cfg.embedded:
            reset_embedded_warehouse()
        shutil.rmtree(landing, ignore_errors=True)
    from agritrace.bootstrap import bring_up
    from agritrace.synth import generate_demo

    echo("Warehouse:")
    for line in bring_up():
        echo(f"  {line}")
    summary = generate_demo(landing, defect_rate=DEMO_DEFECT_RATE, defects_in_own_files=False)
    echo(f"Demo files in {landing}: " + ", ".join(f"{k} {v:,} rows" for k, v in summary.rows.items()))
    if summary.defects:
        echo("  with injected defects (these must end in quarantine): "
             + ", ".join(f"{k} {v}" for k, v in summary.defects.items()))
    echo("DAG runs (dag.test against Postgres):")
    states = run_dags(DAG_ORDER, echo)
    for line in summary_lines(db.warehouse_url()):
        echo(line)
    failed = [dag for dag, state in states.items() if state != "success"]
    held_expected = {"ingest_producers", "ingest_certificates", "ingest_sampling_batches", "ingest_inspection_results"}
    unexpected = [dag for dag in failed if dag not in held_expected]
    if failed:
        echo(f"DAG runs not successful: {', '.join(failed)} (a failed ingest run means a file was held or "
             "rejected: see the quarantine summary above)")
    return 1 if unexpected else 0
