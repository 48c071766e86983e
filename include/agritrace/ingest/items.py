"""Test items written inside cells: several items in one cell, several readings of one value, a limit as text.

A profile declares these (``explode``, ``value_text``, ``limit_text``, see ``profiles/README.md``);
nothing here guesses. What cannot be read as declared becomes a ``RowProblem`` on that item, so
the item is quarantined with the cell's text and the rule, never dropped.
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd

from agritrace.contracts import Feed
from agritrace.ingest.errors import FileRejected
from agritrace.ingest.profiles import ITEM_GROUP_COLUMNS, ITEMS_PER_ROW, Explode, FeedMapping
from agritrace.ingest.records import RowProblem
from agritrace.ingest.text import excerpt, match_key

# Mass fractions a value or limit may be written in, as a factor to mg/kg (by the contract's unit names).
MASS_FRACTIONS = {"mg/kg": 1.0, "ppm": 1.0, "μg/kg": 0.001, "ppb": 0.001}
# A limit meaning "must not be detected" (judged against the limit of detection).
NOT_DETECTED = "不得检出"
_NOT_DETECTED_WORDS = frozenset(match_key(w) for w in (
    "不得检出", "不得檢出", "不得检测出", "不得檢測出", "不准检出", "不得检出(ND)", "must not be detected",
    "not detected", "shall not be detected", "ND", "N.D.",
))
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^(?P<op>[<>]=?|[≤≥])?\s*(?P<num>{_NUMBER})\s*(?P<unit>\S.*)?$")
# "MRL = 0.4", "标准值：≤0.02mg/kg": a label before = or a colon is not part of the limit.
_LABEL = re.compile(r"^[^\d<>≤≥=:]*?[=:]\s*")
_READINGS = re.compile(r"[;\n]+")
LINEAGE = ("source_row", "source_item", "source_cell", "item_text")


def explode(path, contract: Feed, spec: Explode, header: str, cells: pd.Series, raw: pd.DataFrame,
            extra: pd.DataFrame, problems: list[RowProblem]) -> tuple[pd.DataFrame, pd.DataFrame, list[RowProblem]]:
    """Each item of ``cells`` (indexed by source row) as a row of its own.

    An item's row is numbered ``source row × ITEMS_PER_ROW + item`` (row 12's third item is 12003)
    and carries the row's other columns; its raw record keeps the source row, the item's number,
    the cell's header and the item's text. A row whose cell is empty stays one row (item 1).
    """
    regex, splitter = spec.regex, spec.splitter
    index: list[int] = []
    sources: list[int] = []
    lineage: list[tuple] = []
    groups: list[dict[str, str | None]] = []
    item_problems: list[RowProblem] = []
    for row, cell in cells.items():
        texts = [t.strip() for t in splitter.split(cell)] if isinstance(cell, str) else []
        texts = [t for t in texts if t] or [None]
        if len(texts) >= ITEMS_PER_ROW:
            raise FileRejected(path, f"row {row}, column '{excerpt(header, 40)}' holds {len(texts):,} items, more than "
                               f"the {ITEMS_PER_ROW - 1} one cell may hold; split the row and deliver the file again")
        for number, text in enumerate(texts, start=1):
            at = int(row) * ITEMS_PER_ROW + number
            index.append(at)
            sources.append(row)
            lineage.append((int(row), number, header, text))
            found = regex.fullmatch(text) if text is not None else None
            if text is not None and found is None:
                item_problems.append(RowProblem(
                    row=at, column="analyte", check="item_pattern", value=text,
                    message=f"row {row} item {number} of '{excerpt(header, 40)}' ('{excerpt(text)}') does not match "
                    f"the profile's explode.pattern; correct the item or the pattern"))
            groups.append(found.groupdict() if found else {})
    new_index = pd.Index(index, name=raw.index.name or "row", dtype="int64")
    raw = raw.loc[sources].set_axis(new_index)
    extra = extra.loc[sources].set_axis(new_index)
    named = list(dict.fromkeys(g for found in groups for g in found))
    for group in named:
        values = pd.Series([_blank(found.get(group)) for found in groups], index=new_index, dtype=object)
        column = ITEM_GROUP_COLUMNS.get(group, group)
        if column in contract.columns:
            raw[column] = values.where(values.notna(), raw[column])
        elif group == "limit_kind":
            raw["mrl"] = raw["mrl"].where(values.isna(), NOT_DETECTED)
        else:
            extra[group] = values
    if "analyte_en" in named and "analyte" in raw:
        raw["analyte"] = raw["analyte"].where(raw["analyte"].notna(), extra["analyte_en"])
    for column, values in zip(LINEAGE, zip(*lineage)):
        extra[column] = list(values)
    rows_of = pd.Series(new_index, index=sources).groupby(level=0).agg(list).to_dict() if len(sources) else {}
    spread = [RowProblem(at, p.column, p.check, p.value, p.message) for p in problems for at in rows_of.get(p.row, [])]
    return raw, extra, spread + item_problems


def _blank(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def where(row: int, exploded: bool) -> str:
    """How a message names a row: an exploded item by its source row and item number."""
    return f"row {row // ITEMS_PER_ROW} item {row % ITEMS_PER_ROW}" if exploded else f"row {row}"


def stored_row_name(row_number: int, raw: dict) -> str:
    """``where`` for a stored row (quarantine): an exploded item's raw record carries its lineage."""
    return where(row_number, LINEAGE[1] in raw)


def read_value_text(contract: Feed, mapping: FeedMapping, raw: pd.DataFrame, problems: list[RowProblem],
                    exploded: bool = False) -> None:
    """result_value written as ``2.9mg/kg`` or as readings ``初检结果：2.9mg/kg；复检结果：2.7mg/kg``:
    the reading of record becomes the value, its unit the row's unit when the row has none."""
    spec = mapping.value_text
    if spec is None or raw.empty:
        return
    values, units = raw["result_value"].copy(), raw["unit"].copy()
    for row, text in raw["result_value"].dropna().items():
        readings = [_split_label(r) for r in _READINGS.split(unicodedata.normalize("NFKC", text)) if r.strip()]
        chosen = _reading(readings, spec.reading)
        if chosen is None:
            labels = ", ".join(label or "(none)" for label, _ in readings)
            problems.append(RowProblem(row, "result_value", "value_text", text, (
                f"{where(row, exploded)}: result_value '{excerpt(text)}' has no reading '{spec.reading}' (readings: {labels}); "
                "correct the cell or the profile's value_text.reading")))
            continue
        quantity = _QUANTITY.match(chosen)
        if quantity is None:
            values[row] = chosen  # a word such as 未检出 / ND stays for the non-detect rules
            continue
        values[row] = f"{quantity['op'] or ''}{quantity['num']}"
        written = quantity["unit"]
        if written:
            unit = _canonical_unit(contract, written)
            if units[row] is None:
                units[row] = unit
            elif _canonical_unit(contract, units[row]) != unit:
                problems.append(RowProblem(row, "unit", "value_text", text, (
                    f"{where(row, exploded)}: result_value '{excerpt(text)}' is written in {unit} but the unit column says "
                    f"'{excerpt(units[row])}'; correct one of them")))
    raw["result_value"], raw["unit"] = values, units


def _split_label(reading: str) -> tuple[str | None, str]:
    label, colon, rest = reading.partition(":")
    return (label.strip(), rest.strip()) if colon else (None, reading.strip())


def _reading(readings: list[tuple[str | None, str]], wanted: str) -> str | None:
    if not readings:
        return None
    if len(readings) == 1 and readings[0][0] is None:
        return readings[0][1]  # one reading, unlabelled: it is the value
    if wanted in ("first", "last"):
        return readings[0 if wanted == "first" else -1][1]
    key = match_key(wanted)
    return next((text for label, text in readings if label and key in match_key(label)), None)


def read_limit_text(contract: Feed, mapping: FeedMapping, raw: pd.DataFrame, problems: list[RowProblem],
                    exploded: bool = False) -> None:
    """mrl written as ``≤100μg/kg``, ``不得检出`` or ``MRL = 0.4``: a number in the row's unit, or 不得检出."""
    if not mapping.limit_text or raw.empty:
        return
    limits = raw["mrl"].copy()
    for row, text in raw["mrl"].dropna().items():
        value = unicodedata.normalize("NFKC", text).strip()
        if match_key(value) in _NOT_DETECTED_WORDS:
            limits[row] = NOT_DETECTED
            continue
        value = _LABEL.sub("", value)
        quantity = _QUANTITY.match(value)
        if match_key(value) in _NOT_DETECTED_WORDS:
            limits[row] = NOT_DETECTED
        elif quantity is None or quantity["op"] in (">", ">=", "≥"):
            problems.append(RowProblem(row, "mrl", "limit_text", text, (
                f"{where(row, exploded)}: the limit '{excerpt(text)}' is not a maximum such as ≤0.02mg/kg, MRL = 0.4 or 不得检出; "
                "correct the cell")))
        else:
            scaled = _in_row_unit(contract, float(quantity["num"]), quantity["unit"], raw.at[row, "unit"])
            if scaled is None:
                problems.append(RowProblem(row, "mrl", "limit_text", text, (
                    f"{where(row, exploded)}: the limit '{excerpt(text)}' is in a unit that does not convert to the value's unit "
                    f"'{excerpt(raw.at[row, 'unit'])}' (convertible: {', '.join(MASS_FRACTIONS)}); correct the cell")))
            else:
                limits[row] = f"{scaled:.12g}"
    raw["mrl"] = limits


def _in_row_unit(contract: Feed, number: float, written: str | None, row_unit: str | None) -> float | None:
    if not written:
        return number
    # The contract reads a value without a unit as mg/kg.
    target = _canonical_unit(contract, row_unit) if row_unit else "mg/kg"
    source = _canonical_unit(contract, written)
    if source == target:
        return number
    if source not in MASS_FRACTIONS or target not in MASS_FRACTIONS:
        return None
    scaled = number * MASS_FRACTIONS[source] / MASS_FRACTIONS[target]
    return scaled if math.isfinite(scaled) else None


def _canonical_unit(contract: Feed, unit: str) -> str:
    field = contract.field("unit")
    key = match_key(unit)
    for canonical, aliases in field.vocabulary.items():
        if key in {match_key(w) for w in (canonical, *aliases)}:
            return canonical
    return unit.strip()
