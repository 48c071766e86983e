"""What each feed needs beyond its contract's own rules, as one table instead of name branches.

- ``context_checks``: checks that need more than the file (parents in core, the reference data),
  or derive a column (a certificate's weight in kg); each adds columns to the validation frame.
- ``judge``: turns validated rows into judged rows (inspection results get their verdicts).
- ``before_write``: what staged rows take from core before they are written (a batch's region).
- ``after_write``: what core recomputes once the feed's rows are written (a batch's verdict).

Every feed also gets the parent checks its contract declares (``references``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.load.core import WriteCounts, fill_batch_regions, update_batch_verdicts, write_core
from agritrace.quality.checks import Check
from agritrace.quality.context import add_product_checks, add_product_codes, add_result_checks, add_weight
from agritrace.reference import ReferenceData
from agritrace.reference.judge_rows import judge_rows

ContextCheck = Callable[[pd.DataFrame, psycopg.Connection, ReferenceData], list[Check]]
Judge = Callable[[pd.DataFrame, ReferenceData], tuple[pd.DataFrame, dict[int, list[dict]]]]
WriteStep = Callable[[psycopg.Connection, sql.Identifier, ReferenceData], None]


@dataclass(frozen=True)
class FeedSteps:
    context_checks: tuple[ContextCheck, ...] = ()
    judge: Judge | None = None
    before_write: tuple[WriteStep, ...] = ()
    after_write: tuple[WriteStep, ...] = ()


FEED_STEPS: dict[str, FeedSteps] = {
    "producers": FeedSteps(),
    "certificates": FeedSteps(context_checks=(add_product_checks, add_weight)),
    "sampling_batches": FeedSteps(context_checks=(add_product_codes,), before_write=(fill_batch_regions,)),
    "inspection_results": FeedSteps(context_checks=(add_result_checks,), judge=judge_rows,
                                    after_write=(update_batch_verdicts,)),
}


def write_staged(conn: psycopg.Connection, feed: Feed, staging: sql.Identifier,
                 reference: ReferenceData) -> WriteCounts:
    """Write staged rows into core with the feed's steps around it: every write from staging (a load,
    a replay, a re-judgement, a recoding) goes through here."""
    steps = FEED_STEPS[feed.name]
    for step in steps.before_write:
        step(conn, staging, reference)
    counts = write_core(conn, feed, staging)
    for step in steps.after_write:
        step(conn, staging, reference)
    return counts
