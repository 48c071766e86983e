"""What operators are told to type: commands and keys, built from the constants they name (the DAG ids
in ``agritrace.dag_support``, the feed contracts, the CLI's command names).

The DAGs' documentation (their Triage sections) prints these strings instead of commands written out
by hand, and pages and messages that tell an operator what to run should too.
``tests/dags/test_triage.py`` parses every command the DAG docs print, and every command built here,
with Airflow's own command-line parser and with the ``agritrace`` command's parser, so guidance that
would fail when followed fails a test.

Placeholders (``START``, ``END``, ``FILE_ID``, ``FEED``) are the words an operator replaces. DAG
files import this module at parse time: it imports nothing heavy.
"""

from __future__ import annotations

import json
import shlex

from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.dag_support import PUBLISH_MARTS, REPLAY_QUARANTINE, RETRY_ORPHANS, ingest_dag_id

START = "START"
END = "END"
FILE_ID = "FILE_ID"
FEED = "FEED"
PLACEHOLDERS = (START, END, FILE_ID, FEED)

# The feeds in the order they load, as an operator types them.
FEED_NAMES = ", ".join(LOAD_ORDER)


def command(*args: str) -> str:
    """One shell command, quoted so it can be pasted as printed."""
    return shlex.join(args)


# --- airflow ------------------------------------------------------------------------------------

def backfill(dag_id: str) -> str:
    """Airflow 3's backfill: the scheduler creates one run per interval between the two dates."""
    return command("airflow", "backfill", "create", "--dag-id", dag_id, "--from-date", START, "--to-date", END)


def ingest_backfill(feed: str) -> str:
    return backfill(ingest_dag_id(feed))


def trigger(dag_id: str, conf: dict | None = None) -> str:
    args = ["airflow", "dags", "trigger", dag_id]
    if conf:
        args += ["--conf", json.dumps(conf, ensure_ascii=False)]
    return command(*args)


# --- agritrace ----------------------------------------------------------------------------------

def quarantine_list(feed: str = FEED) -> str:
    return command("agritrace", "quarantine", "list", "--feed", feed)


def quarantine_replay(feed: str = FEED) -> str:
    return command("agritrace", "quarantine", "replay", feed)


def quarantine_release(file_id: int | str = FILE_ID) -> str:
    """Load a file the gate held, as it is (its failing rows stay quarantined)."""
    return command("agritrace", "quarantine", "release", str(file_id))


RELEASE_HELD_FILE = quarantine_release()
REFRESH_MARTS = command("agritrace", "marts", "refresh")
RECODE_PRODUCTS = command("agritrace", "ref", "recode")
REJUDGE = command("agritrace", "ref", "rejudge")
REPLAY_FEED = trigger(REPLAY_QUARANTINE, {"feed": FEED})
TRIGGER_MARTS = trigger(PUBLISH_MARTS)


# --- keys ---------------------------------------------------------------------------------------

def upsert_key(feed: str) -> str:
    """The columns a feed's core table upserts on (its contract's ``core_key``), as the docs print them."""
    return ", ".join(FEEDS[feed].core_key)


# --- the pages' wording -------------------------------------------------------------------------

# Who retries an orphan (a row waiting for its producer or batch): the quality page's next step.
ORPHANS_RETRIED_BY = (f"retried automatically by the {RETRY_ORPHANS} DAG when producers or sampling batches "
                      "arrive, and at the start of every ingest run")
