"""The warehouse side of the task-instance tab: the file an ingest task handled, its validation, a run's files.

An ingest DAG run records each file it saw in ``ops.file_deliveries`` (its run id and the name the
file had in the landing folder), so a run, a feed and a file name lead to the ledger row even when
the same content had been delivered before under another name. File names come from
``ops.files_masked`` unless the user may see personal data, as on every quality page.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel


class ExpectationResult(BaseModel):
    suite: str
    expectation: str
    column: str
    success: bool
    unexpected_count: int
    unexpected_pct: Decimal | None
    validated_at: datetime


class RunFile(BaseModel):
    file_id: int
    file_name: str
    status: str
    outcome: str
    rows_in: int | None
    rows_loaded: int | None
    rows_quarantined: int | None


def delivered_file_id(conn: psycopg.Connection, *, feed: str, run_id: str, file_name: str) -> int | None:
    """The ledger file that ``run_id`` of ``feed``'s ingest DAG saw under ``file_name`` (its last sighting)."""
    row = conn.execute(
        """select d.file_id from ops.file_deliveries d join ops.files f using (file_id)
            where f.feed = %s and d.dag_run_id = %s and d.file_name = %s
            order by d.delivery_id desc limit 1""", (feed, run_id, file_name)).fetchone()
    return row[0] if row else None


def file_validation(conn: psycopg.Connection, file_id: int) -> list[ExpectationResult]:
    """Every expectation of every validation of the file, failing ones first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """select v.suite, e.expectation, e.column_name as column, e.success, e.unexpected_count,
                      e.unexpected_pct, v.validated_at
                 from dq.validation_runs v join dq.expectation_results e using (validation_id)
                where v.file_id = %s
                order by v.validation_id, e.success, e.unexpected_count desc, e.expectation, e.column_name""",
            (file_id,)).fetchall()
    return [ExpectationResult(**row) for row in rows]


def run_files(conn: psycopg.Connection, *, feed: str, run_id: str, show_personal: bool) -> list[RunFile]:
    """The files one ingest run saw, in the order it saw them."""
    files = sql.Identifier("ops", "files" if show_personal else "files_masked")
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql.SQL(
            """select f.file_id, f.file_name, f.status, d.outcome, f.rows_in, f.rows_loaded, f.rows_quarantined
                 from ops.file_deliveries d join {files} f using (file_id)
                where f.feed = %s and d.dag_run_id = %s
                order by d.delivery_id""").format(files=files), (feed, run_id)).fetchall()
    return [RunFile(**row) for row in rows]
