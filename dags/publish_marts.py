"""
### Publish marts — pass rates, exceedances, certificate issuance, producer risk, coverage

Refreshes the analyst marts in schema `mart` whenever any ingest DAG has published new rows to a
core table (asset-triggered: this DAG has no logical date and needs none). The marts are views over
daily summaries; a refresh recomputes only the days written since the last one (logged by triggers
on core, old and new days of a correction alike), in one transaction, so analysts and the marts page
keep reading the previous figures until it commits, and it takes as long as the new days, not the
history.

**Reads** `core.*`, `ops.mart_touched_days`. **Writes** `summary.*` (read by `mart.*`).

#### Triage
- *Failed*: the log names the mart whose SQL failed (`sql/marts/<name>.sql`). A refresh is
  idempotent: fix the cause and clear the task, or trigger the DAG by hand (`{trigger}`), or
  refresh from a terminal with `{refresh}`.
- *Marts look stale*: check that the ingest DAGs' `publish` tasks emitted asset events (Assets view).
"""

from __future__ import annotations

import functools
import operator

from agritrace import triage
from agritrace.contracts import LOAD_ORDER
from agritrace.dag_support import PUBLISH_MARTS, dag_description, default_args, start_date, table_asset
from airflow.sdk import dag, task

CORE_ASSETS = [table_asset("core", feed) for feed in LOAD_ORDER]
MARTS = table_asset("mart", "pass_rate_by_period")
DOC = __doc__.format(trigger=triage.TRIGGER_MARTS, refresh=triage.REFRESH_MARTS)


@dag(
    dag_id=PUBLISH_MARTS,
    description=dag_description(DOC),
    # Any core table with new rows.
    schedule=functools.reduce(operator.or_, CORE_ASSETS),
    start_date=start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:marts", "impact:tier2"],
    doc_md=DOC,
)
def publish_marts():
    @task(outlets=[MARTS])
    def refresh() -> dict:
        from agritrace.dag_support import refresh_marts

        return refresh_marts()

    refresh()


publish_marts()
