"""Rows that did not load, kept with every reason until a later run or a replay loads them."""

from __future__ import annotations

import json

import pandas as pd
import psycopg
from psycopg import sql

from agritrace.load.copy import copy_frame


def _jsonable(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def write_quarantine(conn: psycopg.Connection, *, feed: str, file_id: int, raw: pd.DataFrame,
                     reasons: dict[int, list[dict]], orphan_only: dict[int, bool]) -> int:
    """Insert one quarantine row per failing row (row numbers are the frame's index)."""
    if not reasons:
        return 0
    rows = []
    for index in sorted(reasons):
        record = {column: _jsonable(value) for column, value in raw.loc[index].items()}
        rows.append((feed, file_id, int(index), json.dumps(record, ensure_ascii=False),
                     json.dumps(reasons[index], ensure_ascii=False), bool(orphan_only.get(index, False))))
    frame = pd.DataFrame(rows, columns=["feed", "file_id", "row_number", "raw", "reasons", "is_orphan"])
    copy_frame(conn, sql.Identifier("quarantine", "rows"), frame, list(frame.columns))
    return len(frame)


def open_rows(conn: psycopg.Connection, feed: str, *, orphans_only: bool = False,
              quarantine_ids: list[int] | None = None, file_id: int | None = None) -> pd.DataFrame:
    """Open quarantine rows of a feed as a raw frame indexed by quarantine_id."""
    conditions = [sql.SQL("feed = %s"), sql.SQL("status = 'open'")]
    params: list = [feed]
    if orphans_only:
        conditions.append(sql.SQL("is_orphan"))
    if quarantine_ids is not None:
        conditions.append(sql.SQL("quarantine_id = any(%s)"))
        params.append(quarantine_ids)
    if file_id is not None:
        conditions.append(sql.SQL("file_id = %s"))
        params.append(file_id)
    query = sql.SQL("select quarantine_id, file_id, row_number, raw from quarantine.rows where {} order by quarantine_id").format(
        sql.SQL(" and ").join(conditions))
    records = conn.execute(query, params).fetchall()
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame([r[3] for r in records], index=pd.Index([r[0] for r in records], name="quarantine_id"))
    frame["__file_id"] = [r[1] for r in records]
    frame["__row_number"] = [r[2] for r in records]
    return frame


def forget_attempt(conn: psycopg.Connection, file_id: int) -> None:
    """A retry after a crash starts the file over; the crashed attempt's open rows go."""
    conn.execute("delete from quarantine.rows where file_id = %s and status = 'open'", (file_id,))


def mark_loaded(conn: psycopg.Connection, quarantine_ids: list[int], requested_by: str) -> None:
    conn.execute(
        """update quarantine.rows set status = 'loaded', resolved_at = now(), resolved_by = %s
            where quarantine_id = any(%s)""",
        (requested_by, quarantine_ids),
    )


def update_reasons(conn: psycopg.Connection, reasons: dict[int, list[dict]], orphan_only: dict[int, bool]) -> None:
    """Rows still quarantined after a replay carry the reasons of today's rules."""
    with conn.cursor() as cur:
        cur.executemany(
            "update quarantine.rows set reasons = %s, is_orphan = %s where quarantine_id = %s",
            [(json.dumps(r, ensure_ascii=False), bool(orphan_only.get(i, False)), int(i)) for i, r in reasons.items()],
        )
