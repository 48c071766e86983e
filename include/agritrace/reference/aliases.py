"""Names the reference does not know yet, and aliases that teach it them.

``unknown_names`` reads the open quarantine rows held for an unknown analyte or product
(rules ``reference:analyte`` and ``reference:product``) and lists each name once, with how many
rows carry it and the known names it most resembles. ``add_alias`` writes a row to
ref.analyte_aliases or ref.product_aliases after checking that the target is known and that the
new name does not already mean something else; ``agritrace quarantine replay FEED`` then loads the
rows. Names are compared after ``normalise_name`` (width, brackets, case, traditional → simplified).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from agritrace.reference.model import UnknownReference
from agritrace.reference.names import normalise_name, to_simplified
from agritrace.reference.store import ReferenceData
from agritrace.triage import RECODE_PRODUCTS

KINDS = ("analyte", "product")
RULES = {"reference:analyte": "analyte", "reference:product": "product"}
_TABLES = {"analyte": ("analyte_aliases", "analyte_code"), "product": ("product_aliases", "product_code")}
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class AliasRefused(ValueError):
    """An alias that cannot be added: unknown kind or target, or a name that already means another."""


@dataclass
class UnknownName:
    kind: str  # analyte | product
    name: str  # as the feed wrote it (the most frequent spelling of its normalised form)
    count: int  # open quarantine rows that carry it
    feeds: list[str] = field(default_factory=list)
    likely: list[tuple[str, str]] = field(default_factory=list)  # (known name, code), best first

    def line(self) -> str:
        feeds = ", ".join(self.feeds)
        likely = "; ".join(f"{name} ({code})" for name, code in self.likely) or "no close match"
        return f"{self.kind} {self.name!r}: {self.count} row{'s' if self.count != 1 else ''} [{feeds}] — likely: {likely}"


@dataclass(frozen=True)
class AliasOutcome:
    kind: str
    alias: str
    code: str
    added: bool  # False when the name already resolved to the same code (nothing written)

    def summary(self) -> str:
        if self.added:
            then = f" and `{RECODE_PRODUCTS}` to code the batches already loaded under it" if self.kind == "product" else ""
            return f"{self.kind} alias {self.alias!r} → {self.code} added; replay the quarantine to load its rows{then}"
        return f"{self.kind} {self.alias!r} already resolves to {self.code}; nothing added"


def _known_names(reference: ReferenceData, kind: str) -> dict[str, tuple[str, str]]:
    """normalised name → (a name to show, code) for every name, alias and CAS number of ``kind``."""
    known: dict[str, tuple[str, str]] = {}
    if kind == "analyte":
        for a in reference.analytes:
            for name in (a.name_zh, a.name_en, a.code, a.cas_no, *reference.analyte_aliases(a.code)):
                if name:
                    known.setdefault(normalise_name(name), (name, a.code))
    else:
        for p in reference.products:
            for name in (p.name_zh, p.name_en, p.code, *reference.product_aliases(p.code)):
                if name:
                    known.setdefault(normalise_name(name), (name, p.code))
    return known


def likely_matches(name: str, known: dict[str, tuple[str, str]], n: int = 3) -> list[tuple[str, str]]:
    """The known names ``name`` most resembles after normalisation, one per code, best first."""
    key = normalise_name(name)
    # Chinese names are short: one character in three differs and it is still a likely typo.
    cutoff = 0.5 if _HAN.search(key) else 0.7
    seen: set[str] = set()
    matches = []
    for candidate in difflib.get_close_matches(key, list(known), n=n * 3, cutoff=cutoff):
        shown, code = known[candidate]
        if code not in seen:
            seen.add(code)
            matches.append((shown, code))
    return matches[:n]


def unknown_names(conn: psycopg.Connection, feed: str | None = None,
                  reference: ReferenceData | None = None) -> list[UnknownName]:
    """Unresolved names in open quarantine rows, most rows first, with their likely matches."""
    reference = reference or ReferenceData.from_database(conn)
    rows = conn.execute(
        """select q.feed, r ->> 'rule', coalesce(r ->> 'value', q.raw ->> (r ->> 'column'))
             from quarantine.rows q cross join lateral jsonb_array_elements(q.reasons) r
            where q.status = 'open' and r ->> 'rule' = any(%s)
              and (%s::text is null or q.feed = %s)""",
        (list(RULES), feed, feed)).fetchall()
    counts: Counter[tuple[str, str]] = Counter()
    spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    feeds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for feed_name, rule, value in rows:
        if value is None or not str(value).strip():
            continue
        kind = RULES[rule]
        key = (kind, normalise_name(str(value)))
        counts[key] += 1
        spellings[key][str(value)] += 1
        feeds[key].add(feed_name)
    known = {kind: _known_names(reference, kind) for kind in KINDS}
    found = []
    for (kind, key), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        name = spellings[(kind, key)].most_common(1)[0][0]
        found.append(UnknownName(kind, name, count, sorted(feeds[(kind, key)]), likely_matches(name, known[kind])))
    return found


def _lang(name: str) -> str:
    if _HAN.search(name):
        return "zh-Hant" if to_simplified(name) != name else "zh-Hans"
    return "en" if re.search(r"[A-Za-z]", name) else "other"


def _resolve(reference: ReferenceData, kind: str, name: str):
    return reference.resolve_analyte(name) if kind == "analyte" else reference.resolve_product(name)


def add_alias(conn: psycopg.Connection, kind: str, name: str, target: str) -> AliasOutcome:
    """Make ``name`` mean the analyte or product ``target`` (a code or any name it already has).

    Idempotent: a name that already resolves to the target writes nothing. Refused (``AliasRefused``)
    when the kind is not analyte or product, the target is unknown, or the name means another code.
    """
    if kind not in KINDS:
        raise AliasRefused(f"kind {kind!r} must be one of {', '.join(KINDS)}")
    alias = name.strip()
    if not alias or not normalise_name(alias):
        raise AliasRefused("the alias is empty")
    reference = ReferenceData.from_database(conn)
    try:
        code = _resolve(reference, kind, target).code
    except UnknownReference:
        raise AliasRefused(f"unknown {kind} {target!r}: give a known {kind} code or name as the target") from None
    try:
        existing = _resolve(reference, kind, alias).code
    except UnknownReference:
        existing = None
    if existing == code:
        return AliasOutcome(kind, alias, code, added=False)
    if existing is not None:
        raise AliasRefused(f"{kind} {alias!r} already means {existing}, not {code}; an alias cannot mean two {kind}s")
    table, column = _TABLES[kind]
    with conn.transaction():
        conn.execute(sql.SQL("insert into {} (alias, {}, lang) values (%s, %s, %s) on conflict (alias) do nothing")
                     .format(sql.Identifier("ref", table), sql.Identifier(column)), (alias, code, _lang(alias)))
        try:
            ReferenceData.from_database(conn)  # the reference as a whole still loads with the new name
        except ValueError as exc:
            raise AliasRefused(f"{kind} alias {alias!r} refused: {exc}") from None
    return AliasOutcome(kind, alias, code, added=True)
