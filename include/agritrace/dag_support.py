"""What DAG files share: DAG ids, default arguments, the tag vocabulary, schedules' time zone, and the
task bodies they call.

DAG files import this module at parse time, so it imports nothing heavy at module level: pandas,
Great Expectations and the database are imported inside the functions the tasks run. Task bodies log
through this module's logger (``agritrace.dag_support``); Airflow keeps those lines in the task's log
at its ``[logging] logging_level`` (INFO unless configured otherwise).
"""

from __future__ import annotations

import logging
import os
import re
from datetime import timedelta
from pathlib import Path

from agritrace.config import WAREHOUSE_CONN_ID, settings
from agritrace.contracts import LOAD_ORDER

log = logging.getLogger(__name__)

OWNER = "agritrace-data"

# DAG ids: the DAG files, the triage text and the pages that name a DAG all read them here.
LOAD_REFERENCE = "load_reference"
PUBLISH_MARTS = "publish_marts"
REPLAY_QUARANTINE = "replay_quarantine"
RETRY_ORPHANS = "retry_orphans"


def ingest_dag_id(feed: str) -> str:
    return f"ingest_{feed}"


INGEST_DAG_IDS = tuple(ingest_dag_id(feed) for feed in LOAD_ORDER)
DAG_IDS = (LOAD_REFERENCE, *INGEST_DAG_IDS, PUBLISH_MARTS, REPLAY_QUARANTINE, RETRY_ORPHANS)

# Every DAG's tags come from this vocabulary; the DAG integrity test enforces it.
TAG_VOCABULARY = frozenset({
    *(f"feed:{feed}" for feed in LOAD_ORDER),
    "layer:ingest", "layer:reference", "layer:marts", "layer:trace", "layer:ops",
    "impact:tier1", "impact:tier2",
})


def dag_description(doc: str) -> str:
    """A DAG's one-line description: the first sentence of its documentation, without Markdown marks.

    The documentation opens with a heading (``### Title — what it does``); a heading is a sentence
    of its own, so that is what the Airflow UI shows under the DAG's name.
    """
    paragraph = doc.strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.lstrip("#").split()).replace("`", "").replace("**", "")
    sentence = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return sentence.group(1) if sentence else text


def start_date():
    """When the DAGs' schedules begin, in the bureau's time zone (``AGRITRACE_TIMEZONE``)."""
    import pendulum

    return pendulum.datetime(2026, 1, 1, tz=settings().timezone)


def daily_at(cron: str):
    """A daily schedule with real data intervals, in the bureau's time zone."""
    from airflow.timetables.interval import CronDataIntervalTimetable

    return CronDataIntervalTimetable(cron, timezone=settings().timezone)


def default_args(**overrides) -> dict:
    from agritrace.alerts import failure_notifier

    args = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(seconds=settings().retry_delay_seconds),
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
                     port=port, database=database or "agritrace", query=query)
    return url.render_as_string(hide_password=False)


def list_landing_files(feed: str) -> list[str]:
    from agritrace.ingest.landing import landing_files

    return [str(p) for p in landing_files(feed)]


def ingest_landing_file(feed: str, path: str, run_id: str | None) -> list[dict]:
    """One mapped task: one file. A held or rejected file fails the task with the operator's summary."""
    from agritrace import db
    from agritrace.pipeline import FileOutcome, process_file

    file_path = Path(path)
    # lexists: a link whose target is gone is still an entry to refuse with a ledger row.
    if not os.path.lexists(file_path):
        # Cleared or retried after an earlier attempt already moved the file: nothing left to do.
        outcomes = [FileOutcome(feed, file_path.name, "skipped",
                                message="no longer in the landing folder; an earlier attempt processed it")]
    else:
        try:
            outcomes = process_file(file_path, feed, dag_run_id=run_id, url=warehouse_url())
        except Exception as exc:
            if db.database_error(exc) is None:
                raise
            message = db.lost_database_message(exc, next_step=(
                f"Airflow retries this task; if it keeps failing, check the server the Airflow connection "
                f"{WAREHOUSE_CONN_ID} names, then clear the task"))
            log.error("%s", message)
            from airflow.sdk.exceptions import AirflowException

            # AirflowException, not AirflowFailException: the task's retries still apply.
            raise AirflowException(message) from None
    failed = [o for o in outcomes if o.status in ("held", "rejected")]
    for outcome in outcomes:
        if outcome in failed:
            # An expected business outcome: what happened and where the file's rows are, in one line.
            log.error("%s — its rows: %s", outcome.summary(), file_page(outcome.file_id))
        else:
            log.info("%s", outcome.summary())
    if failed:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException("; ".join(f"{o.file_name} {o.status} (file {o.file_id})" for o in failed))
    return [outcome.__dict__ for outcome in outcomes]


def file_page(file_id: int | None) -> str:
    """The data-quality page of one ledger file (its quarantined rows), on this Airflow's web server."""
    base = os.environ.get("AIRFLOW__API__BASE_URL", "").rstrip("/")
    return f"{base}/agritrace/ui/quality/quarantine?file_id={file_id}"


def retry_orphans(feed: str) -> dict:
    from agritrace.pipeline import replay

    outcome = replay(feed, orphans_only=True, url=warehouse_url(), requested_by="scheduled orphan retry")
    log.info("[%s] orphans: %d examined, %d loaded now, %d still waiting", feed, outcome.examined,
             outcome.loaded, outcome.still_quarantined)
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
    log.info("[%s] %s", feed, totals)
    return totals


def load_reference() -> dict:
    """Load the reference CSVs into ``ref.*`` in one transaction; returns rows per table."""
    from agritrace import db
    from agritrace.reference import load_reference as load_tables

    with db.connect(warehouse_url()) as conn:
        counts = load_tables(conn)
    log.info("reference rows: %s", counts)
    return counts


def refresh_marts() -> dict:
    """Create missing marts and refresh every one; returns rows per mart."""
    from agritrace import db
    from agritrace.marts.refresh import create_marts, mart_counts
    from agritrace.marts.refresh import refresh_marts as refresh

    with db.connect(warehouse_url(), autocommit=True) as conn:
        create_marts(conn)
        timings = refresh(conn)
        counts = mart_counts(conn)
    log.info("refreshed in seconds: %s", timings)
    log.info("rows per mart: %s", counts)
    return counts


def replay_quarantine(params: dict) -> dict:
    """The replay DAG's main task: release a held file, or re-validate a feed's open quarantine rows.

    Returns the feed whose core table changed and how many rows loaded (``feed``, ``rows_loaded``),
    which the DAG's publish tasks turn into that table's asset event."""
    from agritrace.pipeline import release_held_file, replay

    url = warehouse_url()
    if params.get("release_file_id"):
        outcomes = release_held_file(int(params["release_file_id"]), url=url)
        for outcome in outcomes:
            log.info("%s", outcome.summary())
        return {"feed": outcomes[0].feed if outcomes else params["feed"],
                "rows_loaded": sum(o.rows_loaded or 0 for o in outcomes),
                "released": [o.__dict__ for o in outcomes]}
    outcome = replay(params["feed"], quarantine_ids=params.get("quarantine_ids") or None,
                     file_id=params.get("file_id"), url=url, requested_by=f"{REPLAY_QUARANTINE} DAG")
    log.info("replayed %d: %d loaded, %d still quarantined", outcome.examined, outcome.loaded,
             outcome.still_quarantined)
    return {**outcome.__dict__, "feed": params["feed"], "rows_loaded": outcome.loaded}


WAREHOUSE_ASSET_HOST = "postgres://agritrace-warehouse/agritrace"


def table_asset(schema: str, table: str):
    """The Asset for a warehouse table: ingest DAGs emit core assets, the marts DAG listens to them."""
    from airflow.sdk import Asset

    return Asset(name=f"{schema}.{table}", uri=f"{WAREHOUSE_ASSET_HOST}/{schema}/{table}", group=f"agritrace-{schema}")
