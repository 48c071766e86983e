"""Reference data (regions, products, analytes, standards, limits, bans) and the judgement engine.

- ``ReferenceData.from_package()`` / ``from_database(conn)``: resolve names, find limits, list towns.
- ``load_reference(conn)`` / ``load.load_pack(conn, PACK_DIR)``: idempotent loads of reference packs
  (the shipped mainland pack, and others' with their jurisdiction) into ``ref.*``.
- ``judge_item`` / ``judge_batch`` / ``explain``: pure verdict functions used by ingestion and the CLI.

Rules are documented in ``judge.py`` (verdicts) and ``store.py`` (which standard and limit apply,
jurisdictions, test categories); the pack format in ``data/README.md``.
"""

from agritrace.reference.judge import (
    RAPID_POSITIVE_AT,
    ItemVerdict,
    canonical_verdict,
    explain,
    judge_batch,
    judge_item,
)
from agritrace.reference.load import load_reference
from agritrace.reference.model import Analyte, Limit, Product, Region, Standard, UnknownReference
from agritrace.reference.names import normalise_name
from agritrace.reference.store import LimitLookup, ReferenceData
from agritrace.reference.values import normalise_unit, parse_result_value, to_mg_per_kg

__all__ = [
    "RAPID_POSITIVE_AT",
    "Analyte",
    "ItemVerdict",
    "Limit",
    "LimitLookup",
    "Product",
    "ReferenceData",
    "Region",
    "Standard",
    "UnknownReference",
    "canonical_verdict",
    "explain",
    "judge_batch",
    "judge_item",
    "load_reference",
    "normalise_name",
    "normalise_unit",
    "parse_result_value",
    "to_mg_per_kg",
]
