"""
### Load reference data — products, analytes, limits, banned lists, regions

Loads the versioned reference CSVs shipped with agritrace (`include/agritrace/reference/data/`) into
schema `ref`: regions, products and their GB 2763 groups, analytes and their aliases, maximum residue
limits (GB 2763 / GB 31650 / GB 2762) and the must-not-be-detected lists. Every verdict the ingest
DAGs compute is judged against these tables. Rows the project could not verify against the
published standard carry `verified = false`, and that mark follows every verdict that used them.

**Reads** the package CSVs. **Writes** `ref.*` (upsert: operators' own aliases and rows are kept).

#### Triage
- *Failed*: usually a malformed row in a CSV someone edited; the error names file, line and column.
  Fix the file and clear the task. The load is one transaction, so a failure changes nothing.
- After adding an alias for a product or analyte that was quarantined, trigger `replay_quarantine`.
"""

from __future__ import annotations

import pendulum
from agritrace.dag_support import default_args, table_asset
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

REFERENCE = table_asset("ref", "limits")


@dag(
    dag_id="load_reference",
    schedule=CronDataIntervalTimetable("30 0 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["layer:reference", "impact:tier1"],
    doc_md=__doc__,
)
def load_reference():
    @task(outlets=[REFERENCE])
    def load() -> dict:
        from agritrace import db
        from agritrace.dag_support import warehouse_url
        from agritrace.reference import load_reference as load_tables

        with db.connect(warehouse_url()) as conn:
            counts = load_tables(conn)
        print(f"reference rows: {counts}")
        return counts

    load()


load_reference()
