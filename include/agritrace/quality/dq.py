"""The validation history in ``dq``: one run per validated chunk, one row per expectation."""

from __future__ import annotations

from pathlib import Path

import psycopg

from agritrace.quality.validate import Validation


def record_validation(conn: psycopg.Connection, file_id: int, feed: str, validation: Validation,
                      docs_folder: Path) -> None:
    suite = validation.suite
    if suite is None:
        return
    validation_id = conn.execute(
        """insert into dq.validation_runs
               (file_id, feed, suite, success, evaluated_rows, failing_rows, gx_version, docs_page)
           values (%s, %s, %s, %s, %s, %s, %s, %s) returning validation_id""",
        (file_id, feed, suite.suite, suite.success, suite.evaluated_rows, len(validation.reasons), suite.gx_version,
         (docs_folder / suite.docs_page).as_posix() if suite.docs_page else None),
    ).fetchone()[0]
    quarantined = validation.failing_rows_per_check()
    with conn.cursor() as cur:
        cur.executemany(
            """insert into dq.expectation_results
               (validation_id, expectation, column_name, success, unexpected_count, unexpected_pct, quarantined_rows)
               values (%s, %s, %s, %s, %s, %s, %s)""",
            [(validation_id, f"{o.check.expectation}[{o.check.rule}]", o.check.column, o.success, o.unexpected_count,
              None if o.unexpected_percent is None else round(float(o.unexpected_percent), 2),
              quarantined.get(o.check.key, 0)) for o in suite.outcomes],
        )


def forget_attempt(conn: psycopg.Connection, file_id: int) -> None:
    """A retry after a crash starts the file over; the crashed attempt's validation runs go."""
    conn.execute("delete from dq.validation_runs where file_id = %s", (file_id,))
