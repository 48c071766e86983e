"""
### Replay quarantine — load rows that now pass, after a fix

Triggered by hand after a fix: an alias added to `ref.product_aliases` / `ref.analyte_aliases`, a
producer registered, a corrected reference row, or to release a file the gate held.
Replay re-validates the chosen open quarantine rows with the same rules as ingestion; the rows that
now pass are upserted into core (so nothing is counted twice) and marked `loaded`; the rest stay
open with their refreshed reasons.

**Params**: `feed` (required), `quarantine_ids` (list; empty = all open rows of the feed),
`file_id` (only that file's rows), `release_file_id` (re-process a held file ignoring the gate).

#### Triage
- Nothing loads: the log lists the reasons still failing; fix those first.
- Safe to re-run any number of times.
"""

from __future__ import annotations

import pendulum
from agritrace.dag_support import default_args
from airflow.sdk import Param, dag, get_current_context, task


@dag(
    dag_id="replay_quarantine",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args=default_args(retries=2),
    tags=["layer:ops", "impact:tier2"],
    doc_md=__doc__,
    params={
        "feed": Param("inspection_results", enum=["producers", "certificates", "sampling_batches",
                                                  "inspection_results"]),
        "quarantine_ids": Param([], type="array", description="Quarantine ids; empty means every open row"),
        "file_id": Param(None, type=["null", "integer"], description="Only rows of this file"),
        "release_file_id": Param(None, type=["null", "integer"], description="Re-process this held file"),
    },
)
def replay_quarantine():
    @task
    def replay() -> dict:
        from agritrace.dag_support import warehouse_url
        from agritrace.pipeline import release_held_file
        from agritrace.pipeline import replay as run_replay

        params = get_current_context()["params"]
        url = warehouse_url()
        if params.get("release_file_id"):
            outcomes = release_held_file(int(params["release_file_id"]), url=url)
            for outcome in outcomes:
                print(outcome.summary())
            return {"released": [o.__dict__ for o in outcomes]}
        outcome = run_replay(params["feed"], quarantine_ids=params.get("quarantine_ids") or None,
                             file_id=params.get("file_id"), url=url, requested_by="replay_quarantine DAG")
        print(f"replayed {outcome.examined}: {outcome.loaded} loaded, {outcome.still_quarantined} still quarantined")
        return outcome.__dict__

    replay()


replay_quarantine()
