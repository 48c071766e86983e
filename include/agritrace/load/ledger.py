"""The per-file ledger in ``ops.files``: a file is known by the hash of its content.

Claiming a file takes a session-level advisory lock on its hash, so two runs that see the same file
at once cannot both load it: the second finds the lock taken and leaves the file alone. A claim
that finds the file still ``processing`` with nobody holding the lock is the retry of a crashed
attempt, which simply starts over (the crashed attempt's load was one transaction and rolled back).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import psycopg


class Claim(Enum):
    NEW = "new"                    # first time this content is seen: process it
    RETRY = "retry"                # seen before, never finished (crash): process it again
    DONE = "done"                  # already loaded, held or rejected: skip, and say so
    BUSY = "busy"                  # another run holds it right now: skip


@dataclass(frozen=True)
class FileClaim:
    claim: Claim
    # None only when busy: the run holding the file has not registered it yet.
    file_id: int | None
    status: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lock_key(feed: str, sha256: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{feed}:{sha256}".encode(), digest_size=8).digest(), "big", signed=True)


def claim_file(conn: psycopg.Connection, *, feed: str, sha256: str, file_name: str, size_bytes: int,
               dag_run_id: str | None) -> FileClaim:
    """Register the file and take its lock; ``conn`` must be in autocommit mode and held until release."""
    locked = conn.execute("select pg_try_advisory_lock(%s)", (_lock_key(feed, sha256),)).fetchone()[0]
    if not locked:
        # Another run holds the file. Only the holder registers it: a row this run inserted would be
        # found by the holder as a 'processing' row it did not write, and taken for an attempt that died.
        row = conn.execute("select file_id, status from ops.files where feed = %s and sha256 = %s",
                           (feed, sha256)).fetchone()
        return FileClaim(Claim.BUSY, *(row or (None, "processing")))
    row = conn.execute(
        """
        insert into ops.files (feed, sha256, file_name, size_bytes, dag_run_id)
        values (%s, %s, %s, %s, %s)
        on conflict (feed, sha256) do nothing
        returning file_id, status
        """,
        (feed, sha256, file_name, size_bytes, dag_run_id),
    ).fetchone()
    if row is not None:
        return FileClaim(Claim.NEW, row[0], row[1])
    file_id, status = conn.execute(
        "select file_id, status from ops.files where feed = %s and sha256 = %s", (feed, sha256)
    ).fetchone()
    if status == "processing":
        conn.execute(
            "update ops.files set started_at = now(), dag_run_id = %s where file_id = %s", (dag_run_id, file_id)
        )
        return FileClaim(Claim.RETRY, file_id, status)
    release_file(conn, feed=feed, sha256=sha256)
    return FileClaim(Claim.DONE, file_id, status)


def release_file(conn: psycopg.Connection, *, feed: str, sha256: str) -> None:
    conn.execute("select pg_advisory_unlock(%s)", (_lock_key(feed, sha256),))


def record_delivery(conn: psycopg.Connection, file_id: int, file_name: str, outcome: str, dag_run_id: str | None) -> None:
    conn.execute(
        "insert into ops.file_deliveries (file_id, file_name, outcome, dag_run_id) values (%s, %s, %s, %s)",
        (file_id, file_name, outcome, dag_run_id),
    )


def finish_file(conn: psycopg.Connection, file_id: int, *, status: str, rows_in: int | None,
                rows_loaded: int | None, rows_quarantined: int | None, message: str | None,
                encoding: str | None = None, source_profile: str | None = None,
                content_sha256: str | None = None, duplicate_of: int | None = None) -> None:
    conn.execute(
        """
        update ops.files
           set status = %s, rows_in = %s, rows_loaded = %s, rows_quarantined = %s, message = %s,
               encoding = coalesce(%s, encoding), source_profile = coalesce(%s, source_profile),
               content_sha256 = coalesce(%s, content_sha256), duplicate_of = %s,
               finished_at = clock_timestamp()  -- now() would be the load transaction's start
         where file_id = %s
        """,
        (status, rows_in, rows_loaded, rows_quarantined, message, encoding, source_profile, content_sha256,
         duplicate_of, file_id),
    )


def earlier_delivery_of_rows(conn: psycopg.Connection, feed: str, content_sha256: str,
                             file_id: int) -> tuple[int, str] | None:
    """The file (id, name) that first delivered the same rows to ``feed``, if another did."""
    return conn.execute(
        """select file_id, file_name from ops.files
            where feed = %s and content_sha256 = %s and file_id <> %s and status in ('loaded', 'held')
            order by file_id limit 1""",
        (feed, content_sha256, file_id),
    ).fetchone()



def held_file(conn: psycopg.Connection, file_id: int) -> tuple[str, str]:
    """The feed and file name of a held file; an error naming what it is otherwise."""
    row = conn.execute("select feed, file_name, status from ops.files where file_id = %s", (file_id,)).fetchone()
    if row is None:
        raise ValueError(f"no file {file_id} in ops.files")
    feed_name, file_name, status = row
    if status != "held":
        raise ValueError(f"file {file_id} ({file_name}) is {status}, not held; only held files can be released")
    return feed_name, file_name


def mark_released(conn: psycopg.Connection, file_id: int, file_name: str) -> None:
    conn.execute("update ops.files set status = 'processing' where file_id = %s", (file_id,))
    record_delivery(conn, file_id, file_name, "released", None)


def record_key_variants(conn: psycopg.Connection, file_id: int, variants: list[tuple[int, str, str, str]]) -> None:
    """(row number, column, raw value, canonical value) of keys written in another form."""
    if not variants:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """insert into ops.key_variants (file_id, row_number, column_name, raw_value, canonical)
               values (%s, %s, %s, %s, %s) on conflict do nothing""",
            [(file_id, *variant) for variant in variants],
        )
