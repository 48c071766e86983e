"""
### Retry orphans — load rows that were waiting for a parent that has now arrived

A certificate whose producer is not registered yet, a batch whose producer is unknown, or a result
whose batch has not arrived is kept in quarantine as an *orphan*. This DAG runs whenever new
producers or sampling batches reach core (asset-triggered, no logical date), and replays the open
orphans of the child feeds; the ingest DAGs also retry their own orphans at the start of every run.

**Reads** `quarantine.rows` (open orphans). **Writes** `core.certificates`, `core.sampling_batches`,
`core.inspection_results`, and marks the rows it loaded `loaded` in quarantine.

#### Triage
- *Failed*: usually the database; clear the task. Replays are idempotent (upserts by business key).
- *Orphans never load*: the parent never arrived. The data-quality page lists them per feed; ask the
  sender for the producer registry or the sampling batches, or correct the key and replay.
"""

from __future__ import annotations

import pendulum
from agritrace.dag_support import default_args, table_asset
from airflow.sdk import Metadata, dag, task

PARENTS = [table_asset("core", "producers"), table_asset("core", "sampling_batches")]
CHILDREN = ("sampling_batches", "certificates", "inspection_results")


@dag(
    dag_id="retry_orphans",
    schedule=(PARENTS[0] | PARENTS[1]),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:ingest", "impact:tier2"],
    doc_md=__doc__,
)
def retry_orphans():
    # Batches first: a result orphan may be waiting for a batch that was itself an orphan.
    previous = None
    for feed in CHILDREN:
        current = retry_task(feed)()
        if previous is not None:
            previous >> current
        previous = current


def retry_task(feed: str):
    asset = table_asset("core", feed)

    @task(task_id=f"retry_{feed}", outlets=[asset], trigger_rule="none_failed")
    def retry():
        from agritrace.dag_support import retry_orphans as run
        from airflow.sdk.exceptions import AirflowSkipException

        outcome = run(feed)
        if not outcome["loaded"]:
            raise AirflowSkipException(f"no {feed} orphan could load yet")
        yield Metadata(asset, {"orphans_loaded": outcome["loaded"]})

    return retry


retry_orphans()
