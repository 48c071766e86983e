"""What DAG files share: default arguments, the tag vocabulary, and the task bodies they call.

DAG files import this module at parse time, so it imports nothing heavy at module level: pandas,
Great Expectations and the database are imported inside the functions the tasks run.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agritrace.config import WAREHOUSE_CONN_ID

OWNER = "agritrace-data"

# Every DAG's tags come from this vocabulary; the DAG integrity test enforces it.
TAG_VOCABULARY = frozenset({
    "feed:producers", "feed:certificates", "feed:sampling_batches", "feed:inspection_results",
    "layer:ingest", "layer:reference", "layer:marts", "layer:trace", "layer:ops",
    "impact:tier1", "impact:tier2",
})


def default_args(**overrides) -> dict:
    from agritrace.alerts import failure_notifier

    args = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": failure_notifier(),
    }
    args.update(overrides)
    return args


def warehouse_url() -> str:
    """The warehouse as the Airflow connection ``agritrace_warehouse`` describes it."""
    from airflow.sdk import Connection

    conn = Connection.get(WAREHOUSE_CONN_ID)
    return url_from_connection(conn.host, conn.port, conn.login, conn.password, conn.schema)


def url_from_connection(host: str | None, port: int | None, login: str | None, password: str | None,
                        database: str | None) -> str:
    from sqlalchemy.engine import URL

    host = host or "localhost"
    query = {}
    if host.startswith("/"):
        # A Unix socket directory travels as the host query parameter in a libpq URL.
        query, host = {"host": host}, None
    url = URL.create("postgresql", username=login or None, password=password or None, host=host,
                     port=port if host else None, database=database or "agritrace", query=query)
    return url.render_as_string(hide_password=False)


def list_landing_files(feed: str) -> list[str]:
    from agritrace.ingest.landing import landing_files

    return [str(p) for p in landing_files(feed)]


def ingest_landing_file(feed: str, path: str, run_id: str | None) -> list[dict]:
    """One mapped task: one file. A held or rejected file fails the task with the operator's summary."""
    from agritrace.pipeline import FileOutcome, process_file

    file_path = Path(path)
    if not file_path.exists():
        # Cleared or retried after an earlier attempt already moved the file: nothing left to do.
        outcomes = [FileOutcome(feed, file_path.name, "skipped",
                                message="no longer in the landing folder; an earlier attempt processed it")]
    else:
        outcomes = process_file(file_path, feed, dag_run_id=run_id, url=warehouse_url())
    for outcome in outcomes:
        print(outcome.summary())
    failed = [o for o in outcomes if o.status in ("held", "rejected")]
    if failed:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("\n".join(o.summary() for o in failed))
    return [outcome.__dict__ for outcome in outcomes]


def retry_orphans(feed: str) -> dict:
    from agritrace.pipeline import replay

    outcome = replay(feed, orphans_only=True, url=warehouse_url(), requested_by="scheduled orphan retry")
    print(f"[{feed}] orphans: {outcome.examined} examined, {outcome.loaded} loaded now, "
          f"{outcome.still_quarantined} still waiting")
    return outcome.__dict__


def summarise_feed(feed: str, outcomes: list) -> dict:
    rows = [o for batch in outcomes if batch for o in batch]
    totals = {
        "files": len(rows),
        "loaded_files": sum(o["status"] == "loaded" for o in rows),
        "skipped_files": sum(o["status"] == "skipped" for o in rows),
        "rows_in": sum(o["rows_in"] for o in rows),
        "rows_loaded": sum(o["rows_loaded"] for o in rows),
        "rows_quarantined": sum(o["rows_quarantined"] for o in rows),
    }
    print(f"[{feed}] {totals}")
    return totals


WAREHOUSE_ASSET_HOST = "postgres://agritrace-warehouse/agritrace"


def table_asset(schema: str, table: str):
    """The Asset for a warehouse table: ingest DAGs emit core assets, the marts DAG listens to them."""
    from airflow.sdk import Asset

    return Asset(name=f"{schema}.{table}", uri=f"{WAREHOUSE_ASSET_HOST}/{schema}/{table}", group=f"agritrace-{schema}")
