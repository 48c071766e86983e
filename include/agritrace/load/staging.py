"""Staging: checked rows COPYed into a per-load table shaped like their core table, and the checks
on keys that need the rows of a whole file or of core (repeated keys, same-delivery conflicts,
keys written in another form)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.contracts.base import LINEAGE_COLUMNS
from agritrace.load.copy import copy_frame
from agritrace.quality.rows import CheckedRows

# What staging carries into core besides the contract's columns: the file that delivered each row.
STAGED_LINEAGE = LINEAGE_COLUMNS[0]
# Joins the parts of a key in ``row_keys``: normalisation strips it from every code.
KEY_SEPARATOR = "\x1f"


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


class StagedKeys:
    """The keys a file's earlier chunks staged, each with the row that staged it: a later row
    repeating one is held, naming that row (which is already on its way to core).

    A key string and its dict entry cost about 150 bytes, 150 MB for a file of a million rows, the
    largest thing a load held. The keys are kept instead as 64-bit hashes beside row numbers, sorted
    per chunk (16 bytes a key). Only a row whose hash was seen is looked up in staging, and it is held
    only when staging holds its key itself, so a hash collision never holds a row; the rare key whose
    hash another key took first is kept whole, so its row is named exactly too.
    """

    hash = staticmethod(pd.util.hash_array)

    def __init__(self, feed: Feed, staging: sql.Identifier) -> None:
        self.feed, self.staging = feed, staging
        self._blocks: list[tuple[np.ndarray, np.ndarray]] = []
        self._hash_taken: dict[str, int] = {}

    def admit(self, conn: psycopg.Connection, checked: CheckedRows) -> None:
        """Hold the chunk's passing rows whose key an earlier chunk staged; remember the others'."""
        if checked.passing.empty:
            return
        keys = row_keys(checked.passing, self.feed.core_key)
        hashes = self.hash(np.asarray(keys, dtype=object))
        earlier = self._earlier_rows(hashes)
        seen = np.flatnonzero(earlier >= 0)
        if len(seen):
            staged = self._in_staging(conn, [keys[i] for i in seen])
            repeated = {int(i): self._hash_taken.get(keys[i], int(earlier[i])) for i in seen if keys[i] in staged}
            self._hold(checked, repeated)
            kept = np.setdiff1d(np.arange(len(keys)), list(repeated))
            keys, hashes, earlier = [keys[i] for i in kept], hashes[kept], earlier[kept]
        self._remember(keys, hashes, earlier, checked.passing.index.to_numpy(dtype=np.int64))

    def _earlier_rows(self, hashes: np.ndarray) -> np.ndarray:
        """For each hash, the row that staged it first, or -1."""
        rows = np.full(len(hashes), -1, dtype=np.int64)
        for block_hashes, block_rows in self._blocks:
            at = np.minimum(np.searchsorted(block_hashes, hashes), len(block_hashes) - 1)
            hit = (block_hashes[at] == hashes) & (rows < 0)
            rows[hit] = block_rows[at[hit]]
        return rows

    def _in_staging(self, conn: psycopg.Connection, keys: list[str]) -> set[str]:
        columns = list(self.feed.core_key)
        wanted = list(zip(*(key.split(KEY_SEPARATOR) for key in keys)))
        query = sql.SQL("select {staged} from {staging} as s join unnest({arrays}) as w({columns}) on {match}").format(
            staged=sql.SQL(", ").join(sql.SQL("s.{}::text").format(sql.Identifier(c)) for c in columns),
            staging=self.staging,
            arrays=sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in columns),
            columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
            match=sql.SQL(" and ").join(sql.SQL("s.{c}::text = w.{c}").format(c=sql.Identifier(c)) for c in columns))
        return {KEY_SEPARATOR.join(row) for row in conn.execute(query, [list(part) for part in wanted]).fetchall()}

    def _hold(self, checked: CheckedRows, repeated: dict[int, int]) -> None:
        label = "+".join(self.feed.core_key)
        positions = list(repeated)
        indexes = checked.passing.index[positions]
        for index, position in zip(indexes, positions):
            checked.reasons[index] = [{"rule": "duplicate_key", "column": label, "value": None,
                                       "message": f"duplicate of row {repeated[position]}: the same {label} in an "
                                                  "earlier part of this file, which loads"}]
            checked.orphan_only[index] = False
        checked.passing = checked.passing.drop(index=indexes)

    def _remember(self, keys: list[str], hashes: np.ndarray, earlier: np.ndarray, rows: np.ndarray) -> None:
        # A hash taken by an earlier chunk or earlier in this one belongs to another key (this key is
        # not in staging, or the row would have been held).
        first = np.zeros(len(hashes), dtype=bool)
        first[np.unique(hashes, return_index=True)[1]] = True
        taken = (earlier >= 0) | ~first
        for position in np.flatnonzero(taken):
            self._hash_taken[keys[position]] = int(rows[position])
        fresh = ~taken
        order = np.argsort(hashes[fresh], kind="stable")
        if len(order):
            self._blocks.append((hashes[fresh][order], rows[fresh][order]))


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
        joined = joined + KEY_SEPARATOR + parts[column]
    return joined.tolist()
