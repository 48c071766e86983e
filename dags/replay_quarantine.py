"""
### Replay quarantine — load rows that now pass, after a fix

Triggered by hand after a fix: an alias added to `ref.product_aliases` / `ref.analyte_aliases`, a
producer registered, a corrected reference row, or to release a file the gate held.
Replay re-validates the chosen open quarantine rows with the same rules as ingestion; the rows that
now pass are upserted into core (so nothing is counted twice) and marked `loaded`; the rest stay
open with their refreshed reasons. When rows loaded, `publish_<feed>` emits that core table's asset
event, so `publish_marts` refreshes the marts as after an ingest run; the other feeds' publish tasks skip.

The release and replay buttons of the data-quality page start this DAG as the signed-in user.

**Params**: `feed` (required), `quarantine_ids` (list; empty = all open rows of the feed),
`file_id` (only that file's rows), `release_file_id` (re-process a held file ignoring the gate).

#### Triage
- Nothing loads: the log lists the reasons still failing; fix those first (`{quarantine_list}`
  shows them too).
- Safe to re-run any number of times. From a terminal the same replay is `{quarantine_replay}`,
  and the same release is `{release}`.
"""

from __future__ import annotations

from agritrace import triage
from agritrace.contracts import LOAD_ORDER
from agritrace.dag_support import REPLAY_QUARANTINE, dag_description, default_args, start_date, table_asset
from airflow.sdk import Metadata, Param, dag, get_current_context, task

DOC = __doc__.format(quarantine_list=triage.quarantine_list(), quarantine_replay=triage.quarantine_replay(),
                     release=triage.RELEASE_HELD_FILE)


@dag(
    dag_id=REPLAY_QUARANTINE,
    description=dag_description(DOC),
    schedule=None,
    start_date=start_date(),
    catchup=False,
    default_args=default_args(retries=2),
    tags=["layer:ops", "impact:tier2"],
    doc_md=DOC,
    params={
        "feed": Param("inspection_results", enum=list(LOAD_ORDER)),
        "quarantine_ids": Param([], type="array", description="Quarantine ids; empty means every open row"),
        "file_id": Param(None, type=["null", "integer"], description="Only rows of this file"),
        "release_file_id": Param(None, type=["null", "integer"], description="Re-process this held file"),
    },
)
def replay_quarantine():
    @task
    def replay() -> dict:
        from agritrace.dag_support import replay_quarantine as run

        return run(get_current_context()["params"])

    def publish(feed: str):
        asset = table_asset("core", feed)

        @task(task_id=f"publish_{feed}", outlets=[asset])
        def publish_feed(result: dict):
            from airflow.sdk.exceptions import AirflowSkipException

            if result["feed"] != feed or not result["rows_loaded"]:
                raise AirflowSkipException(f"no new rows in core.{feed}; no asset event")
            yield Metadata(asset, {"rows_loaded": result["rows_loaded"], "by": REPLAY_QUARANTINE})

        return publish_feed

    result = replay()
    for feed in LOAD_ORDER:
        publish(feed)(result)


replay_quarantine()
