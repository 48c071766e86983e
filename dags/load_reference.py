"""
### Load reference data — products, analytes, limits, banned lists, regions

Loads the reference packs into schema `ref`: first the mainland pack shipped with agritrace
(`include/agritrace/reference/data/`: regions, products and their GB 2763 groups, analytes and their
aliases, test categories, maximum residue limits (GB 2763 / GB 31650 / GB 2762) and the
must-not-be-detected lists), then every pack under `AGRITRACE_REFERENCE_PACKS_DIR` (another
jurisdiction's standards and limits, more products and aliases). A row is judged only with its own
jurisdiction's limits. Every verdict the ingest DAGs compute is judged against these tables. Rows
the project could not verify against the published standard carry `verified = false`, and that
mark follows every verdict that used them.

**Reads** the packs' CSVs. **Writes** `ref.*` (a load that changes nothing writes nothing; a changed
limit keeps its earlier version in `ref.limits_history`; operators' own aliases and rows are kept).

#### Triage
- *Failed*: usually a malformed row in a CSV someone edited; the error names file, line and column.
  Fix the file and clear the task. Each pack loads in one transaction, so a failed pack changes nothing.
- After a pack changed limits, re-judge the results already loaded: `agritrace ref rejudge`.
- After adding an alias for a product or analyte that was quarantined, replay that feed's open rows
  with the `{replay_dag}` DAG, `{replay_feed}`, or from a terminal `{quarantine_replay}`
  (FEED is one of {feeds}).
"""

from __future__ import annotations

from agritrace import triage
from agritrace.dag_support import (
    LOAD_REFERENCE,
    REPLAY_QUARANTINE,
    dag_description,
    daily_at,
    default_args,
    start_date,
    table_asset,
)
from airflow.sdk import dag, task

REFERENCE = table_asset("ref", "limits")
DOC = __doc__.format(replay_dag=REPLAY_QUARANTINE, replay_feed=triage.REPLAY_FEED,
                     quarantine_replay=triage.quarantine_replay(), feeds=triage.FEED_NAMES)


@dag(
    dag_id=LOAD_REFERENCE,
    description=dag_description(DOC),
    schedule=daily_at("30 0 * * *"),
    start_date=start_date(),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:reference", "impact:tier1"],
    doc_md=DOC,
)
def load_reference():
    @task(outlets=[REFERENCE])
    def load() -> dict:
        from agritrace.dag_support import load_reference as run

        return run()

    load()


load_reference()
