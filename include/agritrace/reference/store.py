"""``ReferenceData``: products, analytes, standards, limits and regions, with name resolution.

Where a limit comes from
------------------------
A sample is judged against one MRL standard per analyte kind: the standard named on the row
(判定依据) when it covers that kind, else the default standard for the kind (GB 2763-2021 for
pesticides, GB 31650-2019 for veterinary drugs, GB 2762-2022 for contaminants; ``is_default`` in
ref.standards). Inside that standard the limit is looked up from the most specific level up:
the product, then its group (豆类蔬菜), then its category (蔬菜).

Bans are rows of ref.limits with ``kind = 'banned'`` (there is no separate banned table). They
come from prohibition lists (农业农村部公告第250号, 禁限用农药名录) or from a standard's
"禁用" entries, and they apply whichever MRL standard the row names: a prohibition is law, not a
choice of yardstick. A banned substance has no numeric limit; it is judged against the LOD.

A standard named on a row that the reference does not know is not guessed:
``UnknownReference('standard', …)``.

Jurisdictions
-------------
Every standard (MRL standard or prohibition list) belongs to a jurisdiction (CN for the shipped
mainland pack). A row is judged with the standards and bans of its own jurisdiction only: the
default standard is the jurisdiction's default for the analyte kind, a standard named on the row
must be of that jurisdiction, and only that jurisdiction's bans apply. A jurisdiction with no
standard loaded raises ``NoLimitsLoaded``: its rows are never judged with another's limits.

Test categories
---------------
Where a row names a test category (农药残留, 食品微生物, 标示 …) instead of an analyte,
``resolve_analyte`` returns it as an ``Analyte`` of kind ``test_category`` (its code is the
category's): such an item can only carry a supplied verdict. A name may not mean both an analyte
and a category. Every analyte belongs to the category of its kind (``test_category_of``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from agritrace.config import settings
from agritrace.reference.model import (
    ANALYTE_KINDS,
    LIMIT_LEVELS,
    TEST_CATEGORY,
    Analyte,
    Limit,
    NoLimitsLoaded,
    Product,
    Region,
    Standard,
    TestCategory,
    UnknownReference,
)
from agritrace.reference.names import normalise_name, normalise_standard
from agritrace.reference.tables import DATA_DIR, TABLES, Row, read_directory
from agritrace.reference.values import normalise_unit, to_mg_per_kg_decimal


@dataclass(frozen=True)
class LimitLookup:
    """The outcome of a limit lookup, with what is needed to explain it."""

    limit: Limit | None
    standard: str | None  # the MRL standard the sample is judged by
    note: str  # why that standard, when it is not the one named on the row


def _where(row: Row) -> str:
    return row.get("_where", "row")


def database_rows(conn: psycopg.Connection) -> dict[str, list[Row]]:
    """Every ref.* table's rows, as the CSV reader gives them (each remembers where it is from)."""
    rows: dict[str, list[Row]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for table in TABLES:
            columns = ", ".join(table.columns)
            cur.execute(f"select {columns} from {table.qualified} order by {', '.join(table.key)}")
            rows[table.name] = [{**r, "_where": f"{table.qualified} {r}"} for r in cur.fetchall()]
    return rows


def jurisdiction_or_home(jurisdiction: str | None) -> str:
    """The jurisdiction a row names, else the bureau's own (``AGRITRACE_JURISDICTION``)."""
    if jurisdiction is not None and str(jurisdiction).strip():
        return str(jurisdiction).strip().upper()
    return settings().jurisdiction.upper()


def _jurisdiction(row: Row) -> str:
    if not row.get("jurisdiction"):
        raise ValueError(f"{_where(row)}: standard {row['code']} has no jurisdiction; fill the jurisdiction column "
                         f"or load the files as a pack (its pack.yaml names the jurisdiction)")
    return str(row["jurisdiction"]).strip().upper()


class ReferenceData:
    def __init__(self, rows: dict[str, list[Row]]) -> None:
        self._standards = {r["code"]: Standard(r["code"], r["title_zh"], r["title_en"] or "",
                                               r["analyte_kind"], r["role"], bool(r["is_default"]),
                                               r["effective_date"], r["source"] or "", _jurisdiction(r))
                           for r in rows["standards"]}
        self._regions = {r["code"]: Region(r["code"], r["name_zh"], r["name_en"] or "", r["level"],
                                           r["parent_code"]) for r in rows["regions"]}
        self._towns: dict[str, list[str]] = defaultdict(list)
        for r in sorted(rows["towns"], key=lambda r: (r["region_code"], r["kind"] or "", r["name_zh"])):
            self._towns[r["region_code"]].append(r["name_zh"])
        categories = {r["code"]: r for r in rows["product_categories"]}
        groups = {r["code"]: r for r in rows["product_groups"]}
        self._categories, self._groups = categories, groups
        self._products: dict[str, Product] = {}
        for r in rows["products"]:
            group = groups.get(r["group_code"])
            if group is None or group["category_code"] not in categories:
                raise ValueError(f"{_where(r)}: product {r['code']} names group {r['group_code']!r}, "
                                 f"which is not in product_groups (or has no known category)")
            category = categories[group["category_code"]]
            self._products[r["code"]] = Product(r["code"], r["name_zh"], r["name_en"] or "",
                                                category["code"], group["name_zh"], group["code"],
                                                category["name_zh"])
        self._analytes = {r["code"]: Analyte(r["code"], r["name_zh"], r["name_en"] or "", r["kind"],
                                             r["cas_no"], r["class_code"]) for r in rows["analytes"]}
        for analyte in self._analytes.values():
            if analyte.kind not in ANALYTE_KINDS:
                raise ValueError(f"analyte {analyte.code}: kind {analyte.kind!r} is not one of {ANALYTE_KINDS}")
        self._product_aliases = self._aliases(rows["product_aliases"], "product_code", self._products)
        self._analyte_aliases = self._aliases(rows["analyte_aliases"], "analyte_code", self._analytes)
        self._test_categories = {r["code"]: TestCategory(r["code"], r["name_zh"], r["name_en"] or "",
                                                         r["analyte_kind"]) for r in rows.get("test_categories", ())}
        self._category_of_kind = {c.analyte_kind: c.code for c in self._test_categories.values() if c.analyte_kind}
        self._product_index = self._index(self._products.values(), self._product_aliases, "product")
        self._analyte_index = self._index(self._analytes.values(), self._analyte_aliases, "analyte")
        category_aliases = self._aliases(rows.get("test_category_aliases", ()), "category_code",
                                         self._test_categories)
        self._category_index = self._index(self._test_categories.values(), category_aliases, "test category")
        for key, code in self._category_index.items():
            if key in self._analyte_index:
                raise ValueError(f"name {key!r} would mean both the analyte {self._analyte_index[key]} and the "
                                 f"test category {code}; remove one of the aliases")
        self._level_names = {
            "group": {normalise_name(n): c for c, g in groups.items() for n in (c, g["name_zh"])},
            "category": {normalise_name(n): c for c, k in categories.items() for n in (c, k["name_zh"])},
        }
        self._limits: dict[tuple[str, str, str, str], Limit] = {}
        self._bans: dict[tuple[str, str, str], list[Limit]] = defaultdict(list)
        for r in rows["limits"]:
            limit = self._limit(r)
            key = (limit.standard, limit.analyte_code, limit.level, limit.product_level_code)
            if key in self._limits:
                raise ValueError(f"{_where(r)}: a second limit for {key}; keep one row per "
                                 f"(standard, analyte, level, product/group/category)")
            self._limits[key] = limit
            if limit.kind == "banned":
                self._bans[(limit.analyte_code, limit.level, limit.product_level_code)].append(limit)

    # construction -------------------------------------------------------------------------

    @classmethod
    def from_package(cls) -> ReferenceData:
        """The CSV files shipped with agritrace."""
        return cls.from_directory(DATA_DIR)

    @classmethod
    def from_directory(cls, directory: Path) -> ReferenceData:
        """A complete reference in CSV files of the shape described in data/README.md (a pack's
        ``pack.yaml``, when there is one, gives its standards their jurisdiction)."""
        from agritrace.reference.load import MANIFEST, read_pack

        directory = Path(directory)
        if (directory / MANIFEST).is_file():
            return cls(read_pack(directory).rows)
        return cls(read_directory(directory))

    @classmethod
    def from_database(cls, conn: psycopg.Connection) -> ReferenceData:
        """The ref.* tables, including aliases and limits operators added there."""
        return cls(database_rows(conn))

    def _aliases(self, rows: list[Row], column: str, known: dict) -> dict[str, list[str]]:
        aliases: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            if r[column] not in known:
                raise ValueError(f"{_where(r)}: alias {r['alias']!r} points at {r[column]!r}, "
                                 f"which is not a known code; fix {column}")
            aliases[r[column]].append(r["alias"])
        return aliases

    @staticmethod
    def _index(records: Iterable, aliases: dict[str, list[str]], kind: str) -> dict[str, str]:
        index: dict[str, str] = {}
        for record in records:
            cas = getattr(record, "cas_no", None)
            for name in (record.code, record.name_zh, record.name_en, cas, *aliases.get(record.code, ())):
                if not name:
                    continue
                key = normalise_name(name)
                if index.setdefault(key, record.code) != record.code:
                    raise ValueError(f"{kind} name {name!r} would mean both {index[key]} and "
                                     f"{record.code}; remove one of the aliases")
        return index

    def _limit(self, r: Row) -> Limit:
        where = _where(r)
        if r["kind"] not in ("mrl", "banned"):
            raise ValueError(f"{where}: kind {r['kind']!r} must be mrl or banned")
        if r["level"] not in LIMIT_LEVELS:
            raise ValueError(f"{where}: level {r['level']!r} must be one of {LIMIT_LEVELS}")
        if r["standard"] not in self._standards:
            raise ValueError(f"{where}: standard {r['standard']!r} is not in standards.csv; add it there")
        try:
            analyte = self.resolve_analyte(r["analyte_code"])
            level_code = self._level_code(r["level"], r["product_level_code"])
        except UnknownReference as exc:
            raise ValueError(f"{where}: {exc}") from None
        if analyte.kind == TEST_CATEGORY:
            raise ValueError(f"{where}: {r['analyte_code']!r} is a test category; a limit is set for an analyte")
        mg_per_kg: Decimal | None = None
        if r["kind"] == "mrl":
            if r["limit_value"] is None:
                raise ValueError(f"{where}: an mrl row needs limit_value (and unit)")
            try:
                mg_per_kg = to_mg_per_kg_decimal(Decimal(r["limit_value"]), r["unit"])
            except ValueError as exc:
                raise ValueError(f"{where}, column unit: {exc}") from None
        effective = r["effective_date"]
        if r["verified"] and r.get("unverified_reason"):
            raise ValueError(f"{where}: a verified limit cannot have an unverified_reason; empty it or set verified to false")
        checked = r.get("checked_on")
        return Limit(
            standard=r["standard"], analyte_code=analyte.code, product_level_code=level_code,
            level=r["level"], mg_per_kg=None if mg_per_kg is None else float(mg_per_kg), kind=r["kind"],
            source=r["source"], verified=bool(r["verified"]),
            effective_date=effective if isinstance(effective, date) or effective is None else None,
            value_as_published="" if r["limit_value"] is None else format(r["limit_value"], "f"),
            unit_as_published=normalise_unit(r["unit"]) if r["limit_value"] is not None else "",
            note=r.get("note") or "",
            source_url=r.get("source_url") or "",
            checked_on=checked if isinstance(checked, date) else None,
            unverified_reason=r.get("unverified_reason") or "",
        )

    def resolve_limit_row(self, row: Row) -> Limit:
        """A limits.csv row validated and resolved (codes for names, the figure in mg/kg)."""
        return self._limit(row)

    def _level_code(self, level: str, name: str) -> str:
        if level == "product":
            return self.resolve_product(name).code
        code = self._level_names[level].get(normalise_name(name))
        if code is None:
            raise UnknownReference(f"product {level}", name)
        return code

    # names --------------------------------------------------------------------------------

    def resolve_product(self, name: str) -> Product:
        code = self._product_index.get(normalise_name(name or ""))
        if code is None:
            raise UnknownReference("product", name)
        return self._products[code]

    def resolve_analyte(self, name: str) -> Analyte:
        """The analyte a name means, or the test category (kind ``test_category``) it names."""
        key = normalise_name(name or "")
        code = self._analyte_index.get(key)
        if code is not None:
            return self._analytes[code]
        category = self._category_index.get(key)
        if category is None:
            raise UnknownReference("analyte", name)
        return self._category_as_analyte(self._test_categories[category])

    @staticmethod
    def _category_as_analyte(category: TestCategory) -> Analyte:
        return Analyte(category.code, category.name_zh, category.name_en, TEST_CATEGORY, None)

    def test_category_of(self, analyte_code: str) -> str | None:
        """The test category an item belongs to: its own code for a category, else its kind's."""
        if analyte_code in self._test_categories:
            return analyte_code
        return self._category_of_kind.get(self._analyte(analyte_code).kind)

    @property
    def test_categories(self) -> tuple[TestCategory, ...]:
        return tuple(self._test_categories.values())

    @property
    def jurisdictions(self) -> frozenset[str]:
        """Jurisdictions with at least one standard loaded."""
        return frozenset(s.jurisdiction for s in self._standards.values())

    @property
    def products(self) -> tuple[Product, ...]:
        return tuple(self._products.values())

    @property
    def analytes(self) -> tuple[Analyte, ...]:
        return tuple(self._analytes.values())

    @property
    def standards(self) -> tuple[Standard, ...]:
        return tuple(self._standards.values())

    @property
    def limits(self) -> tuple[Limit, ...]:
        return tuple(self._limits.values())

    @property
    def regions(self) -> tuple[Region, ...]:
        return tuple(self._regions.values())

    def product_aliases(self, code: str) -> list[str]:
        """Other names of a product as feeds write them (traditional, English, local)."""
        return list(self._product_aliases.get(code, ()))

    def analyte_aliases(self, code: str) -> list[str]:
        return list(self._analyte_aliases.get(code, ()))

    def towns(self, region_code: str) -> list[str]:
        """Towns and sub-districts (乡镇/街道) of a county the reference knows; [] when none."""
        if region_code not in self._regions:
            raise UnknownReference("region", region_code)
        return list(self._towns.get(region_code, ()))

    # limits -------------------------------------------------------------------------------

    def standards_named(self, text: str) -> list[Standard]:
        """Known standards whose code appears in a 判定依据 text, longest code first."""
        folded = normalise_standard(text)
        found = [s for s in self._standards.values() if normalise_standard(s.code) in folded]
        return sorted(found, key=lambda s: -len(s.code))

    def standard_for(self, analyte_code: str, named: str | None = None, jurisdiction: str | None = None) -> str | None:
        """The MRL standard an analyte is judged by, given the standard named on the row."""
        return self._choose_standard(self._analyte(analyte_code), named, jurisdiction)[0]

    def _choose_standard(self, analyte: Analyte, named: str | None,
                         jurisdiction: str | None) -> tuple[str | None, str]:
        jurisdiction = jurisdiction_or_home(jurisdiction)
        if jurisdiction not in self.jurisdictions:
            raise NoLimitsLoaded(jurisdiction)
        default = next((s.code for s in self._standards.values()
                        if s.role == "mrl" and s.is_default and s.analyte_kind == analyte.kind
                        and s.jurisdiction == jurisdiction), None)
        if default is None:  # the jurisdiction is loaded, but sets no limits for this kind of analyte
            raise NoLimitsLoaded(f"{jurisdiction} ({analyte.kind.replace('_', ' ')}s)")
        if not named or not named.strip():
            return default, ""
        candidates = self.standards_named(named)
        if not candidates:
            raise UnknownReference("standard", named)
        foreign = [s for s in candidates if s.jurisdiction != jurisdiction]
        if foreign and len(foreign) == len(candidates):
            raise ValueError(f"the standard named on the row ({named.strip()}) is of jurisdiction "
                             f"{foreign[0].jurisdiction}, the row's is {jurisdiction}: a row is judged only with its "
                             f"own jurisdiction's limits; correct the standard or the row's jurisdiction")
        for standard in (s for s in candidates if s.jurisdiction == jurisdiction):
            if standard.role == "mrl" and standard.analyte_kind == analyte.kind:
                return standard.code, ""
        return default, (f"the standard named on the row ({named.strip()}) sets no limits for "
                         f"{analyte.kind.replace('_', ' ')}s; judged by the default {default}")

    def lookup(self, product_code: str, analyte_code: str, standard: str | None = None,
               jurisdiction: str | None = None) -> LimitLookup:
        """The applicable limit (a ban first, then the MRL nearest to the product) and its standard,
        within ``jurisdiction``; ``NoLimitsLoaded`` when that jurisdiction has no standard loaded."""
        product = self._product(product_code)
        analyte = self._analyte(analyte_code)
        jurisdiction = jurisdiction_or_home(jurisdiction)
        chosen, note = self._choose_standard(analyte, standard, jurisdiction)
        for level, code in product.levels:
            bans = [b for b in self._bans.get((analyte.code, level, code), ())
                    if self._standards[b.standard].jurisdiction == jurisdiction]
            if bans:
                return LimitLookup(min(bans, key=lambda b: b.standard), chosen, note)
        for level, code in product.levels:
            limit = self._limits.get((chosen, analyte.code, level, code)) if chosen else None
            if limit is not None and limit.kind == "mrl":
                return LimitLookup(limit, chosen, note)
        return LimitLookup(None, chosen, note)

    def find_limit(self, product_code: str, analyte_code: str, standard: str | None = None,
                   jurisdiction: str | None = None) -> Limit | None:
        return self.lookup(product_code, analyte_code, standard, jurisdiction).limit

    def product(self, code: str) -> Product:
        return self._product(code)

    def level_name(self, level: str, code: str) -> str:
        """The Chinese name of the product, group or category a limit is set for."""
        if level == "product":
            return self._product(code).name_zh
        row = (self._groups if level == "group" else self._categories).get(code)
        return row["name_zh"] if row else code

    def level_category(self, level: str, code: str) -> str:
        """The product category (vegetables, fruits, …) a limit's product, group or category is in."""
        if level == "product":
            return self._product(code).category
        if level == "group":
            return self._groups[code]["category_code"]
        return code

    def category_name(self, code: str) -> str:
        return self._categories[code]["name_zh"] if code in self._categories else code

    def analyte(self, code: str) -> Analyte:
        return self._analyte(code)

    def _product(self, code: str) -> Product:
        product = self._products.get(code)
        if product is None:
            raise UnknownReference("product", code)
        return product

    def _analyte(self, code: str) -> Analyte:
        analyte = self._analytes.get(code)
        if analyte is None:
            if code in self._test_categories:
                return self._category_as_analyte(self._test_categories[code])
            raise UnknownReference("analyte", code)
        return analyte
