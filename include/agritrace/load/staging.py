"""Staging: checked rows COPYed into a per-load table shaped like their core table, and the checks
on keys that need the rows of a whole file or of core (repeated keys, same-delivery conflicts,
keys written in another form)."""

from __future__ import annotations

import pandas as pd
import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.contracts.base import LINEAGE_COLUMNS
from agritrace.load.copy import copy_frame
from agritrace.quality.rows import CheckedRows

# What staging carries into core besides the contract's columns: the file that delivered each row.
STAGED_LINEAGE = LINEAGE_COLUMNS[0]


def drop_staging(conn: psycopg.Connection, staging: sql.Identifier) -> None:
    conn.execute(sql.SQL("drop table {}").format(staging))


def stage_rows(conn: psycopg.Connection, staging: sql.Identifier, feed: Feed, rows: pd.DataFrame, file_ids) -> None:
    """COPY checked rows into staging, each with the file that delivered it."""
    if rows.empty:
        return
    staged = rows.copy()
    staged[STAGED_LINEAGE] = file_ids
    copy_frame(conn, staging, staged, [*feed.core_columns, STAGED_LINEAGE])


def keep_conflicts_quarantined(checked: CheckedRows, feed: Feed, conflicts: set[tuple]) -> None:
    keys = list(zip(*(checked.passing[k] for k in feed.core_key)))
    conflicting = [i for i, k in zip(checked.passing.index, keys) if k in conflicts]
    for index in conflicting:
        checked.reasons[index] = [{
            "rule": "unique", "column": "+".join(feed.core_key), "value": None,
            "message": "the same key is already loaded from this file with other values; one delivery cannot hold "
                       "two versions of a row: deliver a correction with the right values"}]
        checked.orphan_only[index] = False
    checked.passing = checked.passing.drop(index=conflicting)


def hold_repeated_keys(checked: CheckedRows, feed: Feed, seen_keys: dict[str, int]) -> None:
    """A key that an earlier chunk of the same file already staged: the later row is held, naming
    the row that staged it (that row is already on its way to core)."""
    if checked.passing.empty:
        return
    keys = row_keys(checked.passing, feed.core_key)
    repeated = [(i, k) for i, k in zip(checked.passing.index, keys) if k in seen_keys]
    label = "+".join(feed.core_key)
    for index, key in repeated:
        checked.reasons[index] = [{"rule": "duplicate_key", "column": label, "value": None,
                                   "message": f"duplicate of row {seen_keys[key]}: the same {label} in an earlier "
                                              "part of this file, which loads"}]
        checked.orphan_only[index] = False
    checked.passing = checked.passing.drop(index=[i for i, _ in repeated])


def remember_keys(seen_keys: dict[str, int], checked: CheckedRows, feed: Feed) -> None:
    """The keys a chunk staged, each with the row that staged it."""
    for key, index in zip(row_keys(checked.passing, feed.core_key), checked.passing.index):
        seen_keys.setdefault(key, int(index))


def key_variants(feed: Feed, raw: pd.DataFrame, loaded: pd.DataFrame) -> list[tuple[int, str, str, str]]:
    """Loaded rows whose key or parent code arrived in another form than the canonical one."""
    variants: list[tuple[int, str, str, str]] = []
    if loaded.empty:
        return variants
    for column in (f.name for f in feed.fields if f.case_insensitive):
        written = raw.loc[loaded.index, column].astype(object)
        read = loaded[column].astype(object)
        differs = written.notna() & read.notna() & (written.astype(str).str.strip() != read.astype(str))
        variants += [(int(i), column, str(written[i]), str(read[i])) for i in loaded.index[differs.to_numpy()]]
    return variants


def row_keys(frame: pd.DataFrame, key_columns) -> list[str]:
    """Each row's key as one string (a file's keys are kept until it is loaded: a string per row is
    the smallest exact form). The parts are joined by U+001F, which normalisation strips from every
    code, so two different keys never give the same string."""
    key_columns = list(key_columns)
    if frame.empty:
        return []
    parts = frame[key_columns].astype(str)
    joined = parts[key_columns[0]]
    for column in key_columns[1:]:
        joined = joined + "\x1f" + parts[column]
    return joined.tolist()
