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
- *Orphans never load*: the parent never arrived. The data-quality page lists them per feed (so does
  `{quarantine_list}`); ask the sender for the producer registry or the sampling batches, or
  correct the key and replay with `{quarantine_replay}`.
"""

from __future__ import annotations

import functools
import operator

from agritrace import triage
from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.dag_support import RETRY_ORPHANS, dag_description, default_args, start_date, table_asset
from airflow.sdk import Metadata, dag, task

# From the contracts: a feed with a column that must exist in another feed is a child; that feed is a
# parent. In load order, so a result orphan waiting for a batch that was itself an orphan finds it.
CHILDREN = tuple(name for name in LOAD_ORDER if FEEDS[name].references)
PARENTS = tuple(name for name in LOAD_ORDER
                if any(parent == name for child in CHILDREN for parent, _ in FEEDS[child].references.values()))
DOC = __doc__.format(quarantine_list=triage.quarantine_list(), quarantine_replay=triage.quarantine_replay())


@dag(
    dag_id=RETRY_ORPHANS,
    description=dag_description(DOC),
    # New rows in any parent's core table.
    schedule=functools.reduce(operator.or_, (table_asset("core", parent) for parent in PARENTS)),
    start_date=start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:ingest", "impact:tier2"],
    doc_md=DOC,
)
def retry_orphans():
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
