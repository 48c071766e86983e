"""
### Publish marts — pass rates, exceedances, certificate issuance, producer risk, coverage

Refreshes the analyst marts in schema `mart` whenever any ingest DAG has published new rows to a
core table (asset-triggered: this DAG has no logical date and needs none). Refreshes run
`REFRESH MATERIALIZED VIEW CONCURRENTLY`, so analysts and the marts page keep reading while it runs.

**Reads** `core.*`. **Writes** `mart.*`.

#### Triage
- *Failed*: the log names the mart whose SQL failed (`sql/marts/<name>.sql`). A refresh is
  idempotent: fix the cause and clear the task, or trigger the DAG by hand.
- *Marts look stale*: check that the ingest DAGs' `publish` tasks emitted asset events (Assets view).
"""

from __future__ import annotations

import pendulum
from agritrace.dag_support import default_args, table_asset
from airflow.sdk import dag, task

CORE_ASSETS = [table_asset("core", feed) for feed in ("producers", "certificates", "sampling_batches",
                                                       "inspection_results")]
MARTS = table_asset("mart", "pass_rate_by_period")


@dag(
    dag_id="publish_marts",
    schedule=(CORE_ASSETS[0] | CORE_ASSETS[1] | CORE_ASSETS[2] | CORE_ASSETS[3]),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:marts", "impact:tier2"],
    doc_md=__doc__,
)
def publish_marts():
    @task(outlets=[MARTS])
    def refresh() -> dict:
        from agritrace import db
        from agritrace.dag_support import warehouse_url
        from agritrace.marts.refresh import create_marts, mart_counts, refresh_marts

        with db.connect(warehouse_url(), autocommit=True) as conn:
            create_marts(conn)
            timings = refresh_marts(conn)
            counts = mart_counts(conn)
        print(f"refreshed in seconds: {timings}")
        print(f"rows per mart: {counts}")
        return counts

    refresh()


publish_marts()
