"""
### Ingest `{feed}` — {title_zh} ({title_en})

{description}

**Reads** every file in `landing/{feed}/` (CSV, XLSX or JSON Lines; Chinese or English headers;
other platforms' exports through the source profiles in `profiles/`).
**Writes** `{core_table}` (upsert by `{key}`), `quarantine.rows` (every failing row with its reasons),
`dq.validation_runs` / `dq.expectation_results` (Great Expectations results), `ops.files` (one ledger
row per distinct file). Processed files move to `archive/`, held files to `held/`, unreadable ones to
`rejected/` with a `.reason.txt` beside them. Nothing is deleted.

**Flow:** retry orphans waiting for a parent → list the landing folder → one mapped task per file
(named after the file) → publish the `{core_table}` asset with the run's counts.

#### Triage
- *A mapped task failed with "held"*: more than the gate share (default 20%) of the file's rows
  failed validation, so nothing of it loaded. The task log lists the top reasons; the data-quality
  page (`/agritrace/ui/quality`) shows the rows, and so does `{quarantine_list}`. Ask the sender for
  a corrected file and drop it in the landing folder, or release the file as it is with
  `{release}` (its failing rows stay quarantined).
- *"rejected"*: the file could not be read (encoding, format, empty, duplicated headers). The reason
  is in `landing/{feed}/rejected/<file>.reason.txt` and in `ops.files.message`.
- *Any other error* (database down, disk full): fix the cause and **clear the failed task**. Retries
  are safe: a file is identified by its content hash, its load is one transaction, and a file that an
  earlier attempt already processed is skipped.
- *Backfill*: `{backfill}` is safe; files carry no dates, so every run processes
  whatever is in the landing folder and nothing is counted twice.
"""

from __future__ import annotations

from datetime import timedelta

from agritrace import triage
from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.dag_support import dag_description, daily_at, default_args, ingest_dag_id, start_date, table_asset
from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, Metadata, dag, get_current_context, task


def ingest_cron(feed_name: str) -> str:
    """01:00, then every 20 minutes in load order: parents first, so a child usually finds its parent
    in the same night."""
    minutes = 60 + 20 * LOAD_ORDER.index(feed_name)
    return f"{minutes % 60} {minutes // 60} * * *"


def build_ingest_dag(feed_name: str):
    feed = FEEDS[feed_name]
    asset = table_asset("core", feed_name)
    doc = __doc__.format(
        feed=feed_name, title_zh=feed.title_zh, title_en=feed.title_en, description=feed.description,
        core_table=feed.core_table, key=triage.upsert_key(feed_name), quarantine_list=triage.quarantine_list(feed_name),
        release=triage.RELEASE_HELD_FILE, backfill=triage.ingest_backfill(feed_name),
    )

    @dag(
        dag_id=ingest_dag_id(feed_name),
        description=dag_description(doc),
        schedule=daily_at(ingest_cron(feed_name)),
        start_date=start_date(),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(),
        dagrun_timeout=timedelta(hours=6),
        # Logical date = start of the daily interval; it ends a day later, and two hours after that
        # operators want to know the data is still not in.
        deadline=DeadlineAlert(
            reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
            interval=timedelta(days=1, hours=2),
            callback=AsyncCallback("agritrace.alerts.ingest_deadline_missed", kwargs={"feed": feed_name}),
        ),
        tags=[f"feed:{feed_name}", "layer:ingest", "impact:tier1"],
        doc_md=doc,
    )
    def ingest():
        @task
        def retry_orphans() -> dict:
            from agritrace.dag_support import retry_orphans as run

            return run(feed_name)

        @task
        def find_files() -> list[str]:
            from agritrace.dag_support import list_landing_files

            return list_landing_files(feed_name)

        @task(map_index_template="{{ file_name }}")
        def ingest_file(path: str) -> list[dict]:
            from pathlib import Path

            from agritrace.dag_support import ingest_landing_file

            context = get_current_context()
            context["file_name"] = Path(path).name
            return ingest_landing_file(feed_name, path, context["run_id"])

        @task(outlets=[asset], trigger_rule="all_done")
        def publish(outcomes: list, orphans: dict):
            from agritrace.dag_support import summarise_feed
            from airflow.sdk.exceptions import AirflowSkipException

            # Index rather than iterate: iterating a mapped XCom probes one past the end and logs an error.
            totals = summarise_feed(feed_name, [outcomes[i] for i in range(len(outcomes))])
            totals["orphans_loaded"] = orphans["loaded"] if orphans else 0
            if not totals["rows_loaded"] and not totals["orphans_loaded"]:
                raise AirflowSkipException(f"nothing new in {feed.core_table}; no asset event")
            yield Metadata(asset, totals)

        @task
        def every_file_loaded() -> str:
            # A leaf that fails the run (upstream_failed) when any file was held or rejected.
            return "every file of this run loaded or was already processed"

        orphans = retry_orphans()
        files = find_files()
        orphans >> files
        loaded = ingest_file.expand(path=files)
        publish(loaded, orphans)
        loaded >> every_file_loaded()

    return ingest()


for _feed_name in LOAD_ORDER:
    globals()[ingest_dag_id(_feed_name)] = build_ingest_dag(_feed_name)
