"""Versioned SQL migrations from ``sql/migrations/``, applied in order and recorded with checksums.

Files are named ``V<number>__<what>.sql``. Each runs in its own transaction and is recorded in
``ops.schema_migrations`` with the SHA-256 of its text. Re-running applies nothing new; a migration
whose text changed after it was applied stops the run with an error that names it, because the
database no longer matches what the file says.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from agritrace.config import SQL_DIR

MIGRATIONS_DIR = SQL_DIR / "migrations"
_NAME = re.compile(r"^V(?P<version>\d+)__(?P<name>[A-Za-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every agritrace process on a server.
_ADVISORY_LOCK = 0x61677274

_LEDGER = """
create schema if not exists ops;
create table if not exists ops.schema_migrations (
    version     integer primary key,
    name        text not null,
    checksum    text not null,
    applied_at  timestamptz not null default now(),
    duration_ms integer not null
);
"""


class MigrationError(RuntimeError):
    """The migrations on disk and the ones recorded in the database disagree."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path}: migration files must be named V<number>__<what>.sql; rename it"
            )
        migrations.append(Migration(int(match["version"]), match["name"], path))
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise MigrationError(f"{directory}: more than one migration has version {duplicates}")
    return migrations


def apply_migrations(url: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Apply every migration not yet recorded; returns those applied now (empty when up to date)."""
    migrations = discover(directory)
    applied_now: list[Migration] = []
    with psycopg.connect(url, autocommit=True) as conn:
        # Two processes migrating at once would race on the same versions; one waits for the other.
        conn.execute("select pg_advisory_lock(%s)", (_ADVISORY_LOCK,))
        try:
            conn.execute(_LEDGER)
            recorded = dict(conn.execute("select version, checksum from ops.schema_migrations").fetchall())
            for migration in migrations:
                if migration.version in recorded:
                    if recorded[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"{migration.path.name} was edited after it was applied "
                            f"(recorded checksum {recorded[migration.version][:12]}…, file now "
                            f"{migration.checksum[:12]}…). Restore the applied text and put the change "
                            f"in a new migration with a higher version."
                        )
                    continue
                _apply_one(conn, migration)
                applied_now.append(migration)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_ADVISORY_LOCK,))
    return applied_now


def _apply_one(conn: psycopg.Connection, migration: Migration) -> None:
    with conn.transaction():
        started = conn.execute("select clock_timestamp()").fetchone()[0]
        try:
            conn.execute(migration.text)
        except psycopg.Error as exc:
            raise MigrationError(f"{migration.path.name} failed: {exc}") from exc
        conn.execute(
            """
            insert into ops.schema_migrations (version, name, checksum, duration_ms)
            values (%s, %s, %s, (extract(epoch from clock_timestamp() - %s) * 1000)::int)
            """,
            (migration.version, migration.name, migration.checksum, started),
        )
