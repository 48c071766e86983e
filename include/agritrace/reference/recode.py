"""Coding the sampling batches already in core whose product the reference has learnt since
(``agritrace ref recode``).

A batch whose product name the reference does not know loads as written, without a
``product_code`` (``quality.context.add_product_codes``): the marts count it under an unknown
product and a trace by product code misses it. Once an alias (``ref alias add product``) or a pack
teaches the reference that name, recoding codes those batches by the rule they met on arrival
(``resolve_products``: the code, and the category it implies where the batch has none), and writes
them the way a delivery is written, so history is kept:

- a ledger entry of its own in ``ops.files`` (feed ``sampling_batches``, file name
  ``product recoding <date>``, status ``loaded``), whose ``file_id`` places the recoded versions
  after every delivery so far;
- each recoded batch becomes a new current version through ``write_core`` and the version it
  replaces moves to ``core.sampling_batches_history`` (``superseded_by_file`` = that ``file_id``).
  The batch's verdict stays (it comes from its results, which recoding does not touch).

The marts take the changed days at their next refresh (core's triggers log them). Refused while a
batches file is loading (``register_rewrite``). One transaction: everything or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import psycopg
from psycopg import sql

from agritrace.reference.rejudge import finish_rewrite, register_rewrite
from agritrace.reference.store import ReferenceData

FEED = "sampling_batches"
STAGING = "sampling_batches_recode"


@dataclass
class RecodeOutcome:
    file_id: int | None
    file_name: str
    uncoded: int = 0  # current batches without a product code
    recoded: int = 0  # of those, coded now (each a new current version)
    by_name: list[tuple[str, str, int]] = field(default_factory=list)  # (name as written, code, batches)
    dry_run: bool = False

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        head = "dry run, nothing written" if self.dry_run else (
            f"{self.file_name} (file {self.file_id})" if self.file_id else "nothing to recode")
        unknown = self.uncoded - self.recoded
        lines = [f"{head}: {self.recoded:,} of {self.uncoded:,} batches without a product code {would}coded; "
                 + f"{unknown:,} still name a product the reference does not know"]
        lines += [f"  {name} → {code}: {count:,} batch(es)" for name, code, count in self.by_name]
        return "\n".join(lines)


def recode_products(conn: psycopg.Connection, *, dry_run: bool = False, today: date | None = None) -> RecodeOutcome:
    """Code the current batches whose product name the reference in ref.* now knows; commits unless
    ``dry_run``."""
    from agritrace.contracts import feed as get_feed
    from agritrace.feed_steps import write_staged
    from agritrace.load.copy import create_staging
    from agritrace.load.staging import drop_staging, stage_rows
    from agritrace.pipeline import today_in_bureau
    from agritrace.quality.context import resolve_products

    feed = get_feed(FEED)
    today = today or today_in_bureau()
    try:
        reference = ReferenceData.from_database(conn)
        with conn.cursor() as cur:
            cur.execute(sql.SQL("select {} from core.sampling_batches where product_code is null "
                                "and product_name is not null order by batch_no").format(
                sql.SQL(", ").join(map(sql.Identifier, feed.core_columns))))
            batches = pd.DataFrame(cur.fetchall(), columns=list(feed.core_columns), dtype=object)
        if batches.empty:
            return RecodeOutcome(None, "", dry_run=dry_run)
        resolve_products(batches, reference, "product_name")
        coded = batches[batches["product_code"].notna()]
        outcome = RecodeOutcome(None, "", uncoded=len(batches), recoded=len(coded), dry_run=dry_run)
        outcome.by_name = [(name, code, int(count)) for (name, code), count in
                           coded.groupby(["product_name", "product_code"]).size().items()]
        if coded.empty:
            conn.rollback()
            return outcome
        outcome.file_id, outcome.file_name = register_rewrite(conn, FEED, "product recoding", "recode", today)
        staging = create_staging(conn, feed.core_table, STAGING)
        stage_rows(conn, staging, feed, coded, outcome.file_id)
        write_staged(conn, feed, staging, reference)
        drop_staging(conn, staging)
        message = (f"product recoding with the reference of {today.isoformat()}: {outcome.recoded} batches coded, "
                   f"{outcome.uncoded - outcome.recoded} still without a known product")
        outcome.file_id = finish_rewrite(conn, outcome.file_id, outcome.file_name, outcome.recoded, message,
                                         dry_run=dry_run)
        return outcome
    except BaseException:
        conn.rollback()
        raise
