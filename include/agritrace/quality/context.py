"""Checks that need more than the file: parents in Postgres, and the reference data.

These add boolean columns to the validation frame, so Great Expectations validates them like any
other column and the quarantine shows them like any other reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from agritrace.contracts import Feed
from agritrace.contracts.certificates import KG_PER_UNIT
from agritrace.quality.checks import Check, flag_check, flag_column, unique_check
from agritrace.quality.rules import is_valid_producer_code
from agritrace.reference import ReferenceData, parse_result_value
from agritrace.reference.values import ImplausibleValue

# 10^6 mg/kg is the whole sample; in μg/kg or ppb that is 10^9. Anything above is no measurement.
MAX_RESIDUE_IN_ANY_UNIT = 1e9

PARENT_TABLES = {"producers": ("core", "producers"), "sampling_batches": ("core", "sampling_batches")}


def existing_keys(conn: psycopg.Connection, feed: str, column: str, keys: list[str]) -> set[str]:
    schema, table = PARENT_TABLES[feed]
    if not keys:
        return set()
    query = sql.SQL("select {col} from {table} where {col} = any(%s)").format(
        col=sql.Identifier(column), table=sql.Identifier(schema, table))
    return {row[0] for row in conn.execute(query, (keys,))}


def add_parent_checks(feed: Feed, frame: pd.DataFrame, conn: psycopg.Connection) -> list[Check]:
    checks = []
    for column, (parent_feed, parent_column) in feed.references.items():
        values = frame[column]
        found = existing_keys(conn, parent_feed, parent_column, values.dropna().unique().tolist())
        flag = flag_column(column, "parent")
        # A code that cannot be one (its own check fails) is a bad value, not a parent still to come.
        malformed = False
        if feed.field(column).check == "producer_code":
            # Once per distinct code: a file repeats its producers on many rows.
            malformed = values.isin([code for code in values.dropna().unique() if not is_valid_producer_code(code)])
        frame[flag] = values.isna() | values.isin(found) | malformed
        checks.append(flag_check(
            "parent", column, flag,
            f"{column} not found in {parent_feed}; the row waits in quarantine and loads when it arrives",
            orphan=True,
        ))
    return checks


def add_product_checks(frame: pd.DataFrame, conn: psycopg.Connection, reference: ReferenceData,
                       product_column: str = "product_name") -> list[Check]:
    """Resolve product names to the reference; an unknown product is never guessed, and holds the row."""
    resolve_products(frame, reference, product_column)
    flag = flag_column(product_column, "known")
    frame[flag] = frame[product_column].isna() | frame["product_code"].notna()
    return [flag_check(
        "reference:product", product_column, flag,
        f"{product_column} is not in the product reference; add an alias to ref.product_aliases and replay",
    )]


def add_product_codes(frame: pd.DataFrame, conn: psycopg.Connection, reference: ReferenceData) -> list[Check]:
    """A sampling batch's product resolved where the reference knows it; no check.

    Bureau-wide exports name hundreds of products the reference does not hold, and a verdict the lab
    supplied needs no limit: such a batch loads with its product as written (``product_code`` empty,
    ``source_category`` as the source gives it). Only judging a measured value needs the product, so
    an inspection result with a value waits in quarantine as ``reference:product`` (``judge_rows``).
    """
    resolve_products(frame, reference, "product_name")
    return []


def resolve_products(frame: pd.DataFrame, reference: ReferenceData, product_column: str) -> None:
    """``product_code`` from the reference where it knows the name; the category it implies where the
    row has none (a category the source gave is kept)."""
    codes: dict[str, object] = {}
    for name in frame[product_column].dropna().unique():
        try:
            codes[name] = reference.resolve_product(name)
        except ValueError:
            codes[name] = None
    products = frame[product_column].map(lambda name: codes.get(name) if name is not None else None)
    frame["product_code"] = products.map(lambda p: p.code if p is not None else None)
    derived_category = products.map(lambda p: p.category if p is not None else None)
    if "product_category" in frame.columns:
        frame["product_category"] = frame["product_category"].where(frame["product_category"].notna(), derived_category)


def add_weight(frame: pd.DataFrame, conn: psycopg.Connection, reference: ReferenceData) -> list[Check]:
    """Weights in kg beside the quantity as written; counted units (head, box …) have none. No check."""
    frame["quantity_kg"] = frame["quantity"] * frame["unit"].map(KG_PER_UNIT)
    return []


def add_result_checks(frame: pd.DataFrame, conn: psycopg.Connection, reference: ReferenceData) -> list[Check]:
    """Inspection results: the batch's product and date, the analyte, a readable value, one row per item."""
    batches = frame["batch_no"].dropna().unique().tolist()
    info = {}
    if batches:
        info = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "select batch_no, product_name, sampling_date from core.sampling_batches where batch_no = any(%s)",
                (batches,),
            )
        }
    # Dict lookups and work per distinct value: a file repeats batches, analytes and values heavily.
    products = {batch: product for batch, (product, _) in info.items()}
    dates = {batch: sampled for batch, (_, sampled) in info.items()}
    frame["batch_product"] = _lookup(frame["batch_no"], products)
    frame["sampling_date"] = pd.to_datetime(_lookup(frame["batch_no"], dates))

    analytes: dict[str, object] = {}
    for name in frame["analyte"].dropna().unique():
        try:
            analytes[name] = reference.resolve_analyte(name)
        except ValueError:
            analytes[name] = None
    frame["analyte_code"] = _lookup(frame["analyte"], {name: getattr(a, "code", None) for name, a in analytes.items()})
    known = flag_column("analyte", "known")
    frame[known] = frame["analyte"].isna() | frame["analyte_code"].notna()

    implausible: dict[object, str] = {}

    def parsed(value) -> float | None | bool:
        """The number a value stands for, None for a non-detect, False when it is unreadable."""
        try:
            return parse_result_value(value)[0]
        except ImplausibleValue as exc:
            implausible[value] = str(exc)
            return None
        except ValueError:
            return False

    value_ok = flag_column("result_value", "readable")
    values = frame["result_value"]
    numbers = {value: parsed(value) for value in values.dropna().unique()}
    readable = values.map(lambda v: numbers.get(v) is not False if v is not None else True)
    frame[value_ok] = readable.astype(bool)
    frame["test_kind"] = np.where(frame["unit"].eq("%").to_numpy(dtype=bool), "rapid", "lab").astype(object)
    # No residue reaches a million mg/kg (the sample itself) and no inhibition rate exceeds 100%: such a
    # value is a typing error, and judging it would fail a batch for a typo.
    plausible = flag_column("result_value", "plausible")
    magnitude = pd.to_numeric(values.map(lambda v: numbers.get(v) if numbers.get(v) is not False else None),
                              errors="coerce").abs()
    ceiling = np.where(frame["test_kind"].eq("rapid").to_numpy(dtype=bool), 100.0, MAX_RESIDUE_IN_ANY_UNIT)
    # Nor is a value too small for any lab to report (1e-400 underflows to 0) a measurement.
    too_small = values.isin(list(implausible)).to_numpy(dtype=bool)
    frame[plausible] = ~(magnitude > ceiling).fillna(False).astype(bool) & ~too_small
    implausible_rows = {index: (implausible[value], value) for index, value in values[too_small].items()}
    # One key column, empty unless every part is known, so GX and the mask agree on what a duplicate is.
    parts = frame[["batch_no", "analyte_code", "test_kind"]]
    joined = parts["batch_no"].astype(str) + "|" + parts["analyte_code"].astype(str) + "|" + parts["test_kind"]
    frame["item_key"] = joined.where(parts.notna().all(axis=1), None)
    return [
        flag_check("reference:analyte", "analyte", known,
                   "analyte is not in the analyte reference; add an alias to ref.analyte_aliases and replay"),
        flag_check("type:result", "result_value", value_ok,
                   "result_value is neither a number nor a non-detect word (ND, 未检出, <LOD, -)"),
        flag_check("range", "result_value", plausible,
                   "result_value is implausibly large (above 100% for a rapid test, or above 1,000,000,000 in any "
                   "mass unit, i.e. more than the sample itself even in μg/kg) or implausibly small (not zero, "
                   "yet below 1e-9 mg/kg): a typing error; correct it and deliver the file again",
                   row_messages=implausible_rows),
        unique_check(["item_key"], "batch_no+analyte"),
    ]


def _lookup(series: pd.Series, table: dict) -> pd.Series:
    """``table[value]`` for every value (None where absent or missing), as an object column."""
    found = series.map(table)
    return found.astype(object).where(found.notna(), None)


def add_reading_checks(frame: pd.DataFrame, problems) -> list[Check]:
    """Problems found while reading (e.g. one derived batch with conflicting attributes), as checks."""
    checks = []
    by_rule: dict[tuple[str, str], dict[int, tuple[str, object]]] = {}
    for problem in problems:
        key = (problem.check, problem.column or "row")
        by_rule.setdefault(key, {})[problem.row] = (problem.message, problem.value)
    for (rule, column), rows in by_rule.items():
        flag = flag_column(column, f"read_{rule}".replace(":", "_"))
        frame[flag] = ~frame.index.isin(list(rows))
        first_message = next(iter(rows.values()))[0]
        checks.append(flag_check(rule, column, flag, first_message, row_messages=rows))
    return checks
