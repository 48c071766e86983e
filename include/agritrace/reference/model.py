"""Records of the reference data: what a product, an analyte, a standard and a limit are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from agritrace.ingest.text import excerpt

AnalyteKind = Literal["pesticide", "veterinary_drug", "contaminant"]
LimitLevel = Literal["product", "group", "category"]
LimitKind = Literal["mrl", "banned"]

ANALYTE_KINDS = ("pesticide", "veterinary_drug", "contaminant")
# The kind of a test category (农药残留, 食品微生物 …) resolved where an analyte is named: a
# verdict-only row may name one; a value needs the analyte it measures.
TEST_CATEGORY = "test_category"
LIMIT_LEVELS = ("product", "group", "category")


class UnknownReference(ValueError):
    """A name the reference data does not know. Never guessed: the row waits for an alias."""

    _FIX: ClassVar[dict[str, str]] = {
        "product": "add an alias row to ref.product_aliases (alias, product_code)",
        "analyte": "add an alias row to ref.analyte_aliases (alias, analyte_code)",
        "standard": "load that standard's limits into ref.standards and ref.limits (CSV shape in "
        "agritrace/reference/data/README.md) or correct the standard (判定依据) on the row",
        "region": "add the region to ref.regions",
        "jurisdiction": "load that jurisdiction's reference pack (agritrace ref load PACK_DIR)",
    }

    def __init__(self, kind: str, value: str) -> None:
        self.kind = kind
        self.value = value
        fix = self._FIX.get(kind, f"add it to the {kind} reference")
        super().__init__(
            f"unknown {kind} '{excerpt(value)}': the reference data has no {kind} or alias of that name; "
            f"{fix}, then replay the quarantined rows"
        )


@dataclass(frozen=True)
class Product:
    code: str
    name_zh: str
    name_en: str
    category: str  # vegetables | fruits | tea | livestock | eggs | aquatic
    group_zh: str
    group_code: str
    category_zh: str

    @property
    def levels(self) -> tuple[tuple[str, str], ...]:
        """(level, code) from the most specific to the most general: where limits are looked up."""
        return (("product", self.code), ("group", self.group_code), ("category", self.category))


@dataclass(frozen=True)
class Analyte:
    code: str
    name_zh: str
    name_en: str
    kind: str  # pesticide | veterinary_drug | contaminant | test_category
    cas_no: str | None
    # The class a rapid test reports on (e.g. organophosphates & carbamates) this analyte belongs to:
    # a lab result for the analyte confirms or clears a rapid positive for the class.
    class_code: str | None = None


@dataclass(frozen=True)
class Standard:
    code: str
    title_zh: str
    title_en: str
    analyte_kind: str
    role: str  # mrl: carries limits and can be named on a row | ban: a list of prohibited substances
    is_default: bool
    effective_date: date | None
    source: str
    jurisdiction: str  # whose law it is (CN: mainland); rows are judged only with their own jurisdiction's


@dataclass(frozen=True)
class TestCategory:
    """A test category or panel (pesticide residues, microbiology, labelling …)."""

    code: str
    name_zh: str
    name_en: str
    analyte_kind: str | None  # the analyte kind whose items fall in it; None when none do


class NoLimitsLoaded(ValueError):
    """A value to judge for a jurisdiction whose limits are not loaded: never judged with another's."""

    def __init__(self, jurisdiction: str) -> None:
        self.jurisdiction = jurisdiction
        super().__init__(f"not judged: no limits loaded for {jurisdiction}")


@dataclass(frozen=True)
class Limit:
    standard: str
    analyte_code: str
    product_level_code: str
    level: str  # product | group | category
    mg_per_kg: float | None  # None for banned substances: they are judged against the LOD
    kind: str  # mrl | banned
    source: str
    verified: bool
    effective_date: date | None
    value_as_published: str = ""
    unit_as_published: str = ""
    note: str = ""
    source_url: str = ""  # the copy of the standard the figure was checked against
    checked_on: date | None = None
    unverified_reason: str = ""  # why ``verified`` is false: what could not be matched


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    name_en: str
    level: str  # city | county
    parent_code: str | None
