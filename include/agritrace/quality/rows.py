"""The one validate step of every path that writes core: a file's load, a replay, a release.

raw rows → typed values (``normalise``) → every check of the contract, the parents, the reference
and the feed's own steps → one validation run → judged rows ready to stage, and the reasons of the
rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg

from agritrace.contracts import Feed
from agritrace.feed_steps import FEED_STEPS
from agritrace.ingest import RowProblem, SourceProfile, normalise
from agritrace.quality.checks import Check, contract_checks, duplicate_checks
from agritrace.quality.context import add_parent_checks, add_reading_checks
from agritrace.quality.validate import Validation, validate, validation_frame
from agritrace.reference import ReferenceData


@dataclass
class CheckedRows:
    # Typed (and for results, judged) rows that may load, indexed like the raw rows.
    passing: pd.DataFrame
    # row index -> every reason the row failed {rule, column, value, message}
    reasons: dict[int, list[dict]]
    # row index -> True when the row only waits for a parent
    orphan_only: dict[int, bool]
    validation: Validation


def prepare_rows(conn: psycopg.Connection, feed: Feed, raw: pd.DataFrame, *, reference: ReferenceData, today: date,
                 profile: SourceProfile | None = None, reading_problems: list[RowProblem] | tuple = (),
                 ) -> tuple[pd.DataFrame, list[Check]]:
    """The validation frame of ``raw`` (typed values and check columns) and every check it must pass."""
    normalised = normalise(feed, raw, profile)
    frame = validation_frame(feed, raw, normalised.values, normalised.parse_ok)
    # A row that could not be read says so first; its empty columns are the consequence.
    checks = add_reading_checks(frame, reading_problems)
    checks += contract_checks(feed, today)
    checks += add_parent_checks(feed, frame, conn)
    for context_check in FEED_STEPS[feed.name].context_checks:
        checks += context_check(frame, conn, reference)
    checks += duplicate_checks(frame, raw.reindex(columns=feed.columns), checks)
    return frame, checks


def check_rows(conn: psycopg.Connection, feed: Feed, raw: pd.DataFrame, *, url: str, reference: ReferenceData,
               today: date, suite: str, profile: SourceProfile | None = None,
               reading_problems: list[RowProblem] | tuple = (), docs_dir: Path | None = None) -> CheckedRows:
    frame, checks = prepare_rows(conn, feed, raw, reference=reference, today=today, profile=profile,
                                 reading_problems=reading_problems)
    validation = validate(suite, frame, raw, checks, url=url, docs_dir=docs_dir)
    reasons = dict(validation.reasons)
    orphan_only = dict(validation.orphan_only)
    passing = validation.passing
    judge = FEED_STEPS[feed.name].judge
    if judge is not None:
        passing, problems = judge(passing, reference)
        for index, extra in problems.items():
            reasons[index] = extra
            orphan_only[index] = False
    return CheckedRows(passing, reasons, orphan_only, validation)
