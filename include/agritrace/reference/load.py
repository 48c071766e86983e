"""Load reference packs into ``ref.*``: validated with what is loaded already, then written in one transaction.

A pack is a folder of the CSV files described in data/README.md with a ``pack.yaml`` naming its
jurisdiction, name and version; it holds only the tables it adds to (the shipped mainland pack,
``data/``, holds all of them). A pack's rows are validated together with the reference already in
the database, so a second jurisdiction's limits may name the mainland pack's products and analytes.

Idempotent: a row equal to the stored one is not written, so loading a pack twice changes nothing
(and records no load). A row whose key is stored with other values is updated; for a limit the
version it replaces is kept in ``ref.limits_history`` with the load that replaced it, so no figure
is overwritten silently. Each load that changes something is recorded in ``ref.pack_loads``, and
the limits it set name it (``loaded_by``). Rows are never deleted, so aliases and limits operators
added in the database survive a reload.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
import yaml
from psycopg import sql

from agritrace.config import settings
from agritrace.reference.model import Limit
from agritrace.reference.store import ReferenceData, database_rows
from agritrace.reference.tables import DATA_DIR, TABLE, TABLES, Row, Table, read_directory
from agritrace.triage import RECODE_PRODUCTS, REJUDGE

log = logging.getLogger(__name__)

MANIFEST = "pack.yaml"
_MANIFEST_KEYS = ("jurisdiction", "name", "version")


@dataclass(frozen=True)
class Pack:
    directory: Path
    jurisdiction: str
    name: str
    version: str
    checksum: str  # over the pack's files, as read
    rows: dict[str, list[Row]]

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} ({self.jurisdiction})"


@dataclass
class PackLoad:
    """What loading one pack did."""

    pack: Pack
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    load_id: int | None = None  # ref.pack_loads; None when nothing changed
    counts: dict[str, int] = field(default_factory=dict)  # rows per ref table after the load

    def summary(self) -> str:
        if self.load_id is None:
            return f"reference pack {self.pack.label}: already loaded, nothing changed"
        parts = [f"{t}: {self.inserted.get(t, 0)} added, {self.updated.get(t, 0)} changed"
                 for t in self.inserted if self.inserted.get(t) or self.updated.get(t)]
        kept = self.updated.get("limits", 0)
        return (f"reference pack {self.pack.label} loaded as load {self.load_id}: " + "; ".join(parts)
                + (f"; {kept} earlier limit version(s) kept in ref.limits_history" if kept else "")
                + f". Re-judge the results already loaded with it: {REJUDGE}"
                + (f"; code the batches loaded under the product names it taught: {RECODE_PRODUCTS}"
                   if any(self.inserted.get(t) or self.updated.get(t) for t in ("products", "product_aliases")) else ""))


def read_pack(directory: Path) -> Pack:
    """The pack in ``directory``: its manifest and CSV rows (standards take the pack's jurisdiction)."""
    directory = Path(directory)
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{directory}: not a reference pack: {MANIFEST} is missing; it names the pack's "
                                f"{', '.join(_MANIFEST_KEYS)} (see agritrace/reference/data/README.md)")
    meta = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    missing = [k for k in _MANIFEST_KEYS if not str(meta.get(k) or "").strip()] if isinstance(meta, dict) else \
        list(_MANIFEST_KEYS)
    if missing:
        raise ValueError(f"{manifest}: {', '.join(missing)} missing or empty; a pack names its "
                         f"{', '.join(_MANIFEST_KEYS)}")
    strays = sorted(p.name for p in directory.glob("*.csv") if p.stem not in TABLE)
    if strays:
        raise ValueError(f"{directory}: {', '.join(strays)} is no reference table; a pack's files are "
                         f"{', '.join(t.file_name for t in TABLES)}")
    jurisdiction = str(meta["jurisdiction"]).strip().upper()
    rows = read_directory(directory, missing_ok=True)
    for row in rows["standards"]:
        written = (row.get("jurisdiction") or jurisdiction).strip().upper()
        if written != jurisdiction:
            raise ValueError(f"{directory / 'standards.csv'}: {row['_where']}: standard {row['code']} is of "
                             f"jurisdiction {written} in a pack of {jurisdiction}; one pack holds one jurisdiction")
        row["jurisdiction"] = jurisdiction
    digest = hashlib.sha256()
    for path in sorted([manifest, *directory.glob("*.csv")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return Pack(directory, jurisdiction, str(meta["name"]).strip(), str(meta["version"]).strip(),
                digest.hexdigest(), rows)


def configured_packs() -> list[Path]:
    """The shipped mainland pack, then every pack under AGRITRACE_REFERENCE_PACKS_DIR (by folder name)."""
    folder = settings().reference_packs_dir
    found = sorted(d for d in folder.iterdir() if (d / MANIFEST).is_file()) if folder.is_dir() else []
    return [DATA_DIR, *found]


def _limit_row(limit: Limit) -> Row:
    # Limits are written as validated: codes resolved (a full official table may name foods and
    # analytes instead of codes) and the figure converted to mg/kg.
    return {"standard": limit.standard, "analyte_code": limit.analyte_code, "level": limit.level,
            "product_level_code": limit.product_level_code, "kind": limit.kind,
            "limit_value": Decimal(limit.value_as_published) if limit.value_as_published else None,
            "unit": limit.unit_as_published or None,
            "mg_per_kg": None if limit.mg_per_kg is None else Decimal(str(limit.mg_per_kg)),
            "source": limit.source, "verified": limit.verified, "effective_date": limit.effective_date,
            "note": limit.note or None, "source_url": limit.source_url or None, "checked_on": limit.checked_on,
            "unverified_reason": limit.unverified_reason or None}


def _key(table: Table, row: Row) -> tuple:
    return tuple(row[c] for c in table.key)


def _merged(stored: dict[str, list[Row]], pack: Pack) -> tuple[ReferenceData, dict[str, list[Row]]]:
    """The reference as it will be after the load (validated as a whole), and the pack's rows to write."""
    merged = {}
    for table in TABLES:
        if table.name == "limits":
            continue
        by_key = {_key(table, r): r for r in stored[table.name]}
        by_key.update({_key(table, r): r for r in pack.rows[table.name]})
        merged[table.name] = list(by_key.values())
    # A pack's limits may name products and analytes instead of codes: resolve them against the
    # reference without limits first, then validate everything with the stored limits they join.
    base = ReferenceData({**merged, "limits": []})
    resolved: dict[tuple, Row] = {}
    for row in pack.rows["limits"]:
        limit = _limit_row(base.resolve_limit_row(row))
        key = _key(TABLE["limits"], limit)
        if key in resolved:
            raise ValueError(f"{row['_where']}: a second limit for {key}; keep one row per "
                             f"(standard, analyte, level, product/group/category)")
        resolved[key] = limit
    limits = {_key(TABLE["limits"], r): r for r in stored["limits"]}
    limits.update(resolved)
    reference = ReferenceData({**merged, "limits": list(limits.values())})
    return reference, {**{t: pack.rows[t] for t in merged}, "limits": list(resolved.values())}


def _differs(table: Table, row: Row, stored: Row) -> bool:
    # mg_per_kg is derived from limit_value and unit, so the stored columns are the ones to compare.
    return any(row[c] != stored[c] for c in _columns(row) if c in stored and c not in table.key)


def _columns(row: Row) -> list[str]:
    return [c for c in row if not c.startswith("_")]


def _upsert(conn: psycopg.Connection, table: Table, rows: list[Row], extra: dict[str, object]) -> None:
    columns = _columns(rows[0]) + list(extra)
    updates = [c for c in columns if c not in table.key]
    statement = sql.SQL("insert into {table} ({columns}) values ({values}) on conflict ({key}) do {action}").format(
        table=sql.Identifier("ref", table.name),
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        values=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        key=sql.SQL(", ").join(map(sql.Identifier, table.key)),
        action=sql.SQL("update set {}").format(sql.SQL(", ").join(
            sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in updates))
        if updates else sql.SQL("nothing"),
    )
    with conn.cursor() as cur:
        cur.executemany(statement, [{**{c: r.get(c) for c in columns if c not in extra}, **extra} for r in rows])


def _keep_replaced_limits(conn: psycopg.Connection, keys: list[tuple], load_id: int) -> None:
    table = TABLE["limits"]
    columns = sql.SQL(", ").join(map(sql.Identifier, [*table.columns, "mg_per_kg", "loaded_by"]))
    conn.cursor().executemany(sql.SQL(
        "insert into ref.limits_history ({columns}, superseded_by) select {columns}, %s from ref.limits "
        "where (standard, analyte_code, level, product_level_code) = (%s, %s, %s, %s)").format(columns=columns),
        [(load_id, *key) for key in keys])


def load_pack(conn: psycopg.Connection, directory: Path | None = None) -> PackLoad:
    """Load one pack (the shipped mainland pack by default); see the module docstring."""
    pack = read_pack(Path(directory) if directory else DATA_DIR)
    outcome = PackLoad(pack)
    with conn.transaction():
        stored = database_rows(conn)
        _, to_write = _merged(stored, pack)  # raises before anything is written
        changes: dict[str, tuple[list[Row], list[Row]]] = {}
        for table in TABLES:
            current = {_key(table, r): r for r in stored[table.name]}
            new = [r for r in to_write[table.name] if _key(table, r) not in current]
            changed = [r for r in to_write[table.name]
                       if _key(table, r) in current and _differs(table, r, current[_key(table, r)])]
            changes[table.name] = (new, changed)
            outcome.inserted[table.name], outcome.updated[table.name] = len(new), len(changed)
        if any(new or changed for new, changed in changes.values()):
            outcome.load_id = conn.execute(
                """insert into ref.pack_loads (jurisdiction, pack_name, pack_version, checksum, inserted, updated)
                   values (%s, %s, %s, %s, %s, %s) returning load_id""",
                (pack.jurisdiction, pack.name, pack.version, pack.checksum, sum(outcome.inserted.values()),
                 sum(outcome.updated.values()))).fetchone()[0]
            _keep_replaced_limits(conn, [_key(TABLE["limits"], r) for r in changes["limits"][1]], outcome.load_id)
            for table in TABLES:
                new, changed = changes[table.name]
                if new or changed:
                    extra = {"loaded_by": outcome.load_id} if table.name == "limits" else {}
                    _upsert(conn, table, new + changed, extra)
        for table in TABLES:
            query = sql.SQL("select count(*) from {}").format(sql.Identifier("ref", table.name))
            outcome.counts[table.name] = conn.execute(query).fetchone()[0]
    return outcome


def load_reference(conn: psycopg.Connection, data_dir: Path | None = None) -> dict[str, int]:
    """Load the pack in ``data_dir``, or by default the shipped mainland pack and then every pack under
    AGRITRACE_REFERENCE_PACKS_DIR (``agritrace db up`` and the reference DAG); rows per table after."""
    counts: dict[str, int] = {}
    for directory in [data_dir] if data_dir else configured_packs():
        outcome = load_pack(conn, directory)
        log.info("%s", outcome.summary())
        counts = outcome.counts
    return counts
