"""From raw text to typed values, one distinct value at a time (files repeat values heavily)."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

import numpy as np
import pandas as pd

from agritrace.contracts import Feed, Field
from agritrace.contracts import feed as feed_named
from agritrace.contracts.keys import canonical_key
from agritrace.ingest.profiles import FeedMapping, SourceProfile, UnitConversion
from agritrace.ingest.records import Normalised
from agritrace.ingest.text import map_unique, match_key
from agritrace.ingest.values import parse_date, parse_number

# Text columns holding codes and numbers get NFKC (full-width ＡＢ１２ → AB12); other text keeps
# its Chinese punctuation as written.
_CODE_SUFFIXES = ("_no", "_id", "_code")
_CODE_COLUMNS = frozenset({"contact_phone", "result_value", "mrl", "lod", "method", "standard"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_LIST_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_BOUNDED = re.compile(r"^(?P<op>[<>]=?|[≤≥])?\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)$")
_FAILED = object()


def is_code(field: Field) -> bool:
    return (
        field.name.endswith(_CODE_SUFFIXES)
        or field.name in _CODE_COLUMNS
        or bool(field.pattern or field.check or field.references)
    )


def normalise(feed: Feed | str, raw: pd.DataFrame, profile: SourceProfile | None = None) -> Normalised:
    """Typed values of ``raw`` (same index and columns) and where a non-empty value did not parse.

    text → cleaned str; date → ``datetime.date``; number → float (NaN when empty or unreadable);
    enum → canonical value when the word is known, else the original text (for the value-set
    check to show); enum_list → tuple of canonical values (unknown items kept as written).
    """
    contract = feed if isinstance(feed, Feed) else feed_named(feed)
    mapping = profile.feeds.get(contract.name) if profile else None
    values: dict[str, pd.Series] = {}
    parse_ok: dict[str, pd.Series] = {}
    for field in contract.fields:
        series = raw[field.name] if field.name in raw else pd.Series([None] * len(raw), index=raw.index, dtype=object)
        values[field.name], parse_ok[field.name] = _column(contract, field, series, mapping)
    if mapping is not None and mapping.units:
        _apply_units(contract, mapping, values)
    frame = pd.DataFrame(values, index=raw.index)[contract.columns]
    ok = pd.DataFrame(parse_ok, index=raw.index)[contract.columns].astype(bool)
    return Normalised(values=frame, parse_ok=ok)


def _column(
    contract: Feed, field: Field, series: pd.Series, mapping: FeedMapping | None
) -> tuple[pd.Series, pd.Series]:
    every = pd.Series(True, index=series.index)
    words = _profile_words(mapping, field.name)
    if field.type == "date":
        formats = mapping.date_formats if mapping else ()
        system = mapping.date_system if mapping else "gregorian"
        parsed = map_unique(series, lambda text: _attempt(parse_date, text, formats, system))
        failed = parsed.map(lambda v: v is _FAILED)
        return parsed.where(~failed, None).astype(object), ~failed
    if field.type == "number":
        parsed = map_unique(series, lambda text: _attempt(parse_number, text))
        failed = parsed.map(lambda v: v is _FAILED)
        numbers = pd.to_numeric(parsed.where(~failed & parsed.notna(), np.nan), errors="coerce").astype(float)
        return numbers, ~failed
    if field.type == "enum":
        lookup = {**_vocabulary(contract.name, field.name), **words}
        return map_unique(series, lambda text: lookup.get(match_key(text), text)), every
    if field.type == "enum_list":
        lookup = {**_vocabulary(contract.name, field.name), **words}
        return map_unique(series, lambda text: _enum_list(text, lookup)), every
    clean = _clean_code if is_code(field) else _clean_text
    if field.case_insensitive:
        clean = _canonical_code
    if words:
        return map_unique(series, lambda text: words.get(match_key(text), clean(text))), every
    return map_unique(series, clean), every


def _attempt(parse, text: str, *args):
    try:
        return parse(text, *args)
    except ValueError:
        return _FAILED


@cache
def _vocabulary(feed_name: str, column: str) -> dict[str, str]:
    """Match key of every canonical value and alias -> canonical value."""
    field = feed_named(feed_name).field(column)
    lookup: dict[str, str] = {}
    for canonical, aliases in field.vocabulary.items():
        for word in (canonical, *aliases):
            lookup.setdefault(match_key(word), canonical)
    return lookup


def _profile_words(mapping: FeedMapping | None, column: str) -> dict[str, str]:
    if mapping is None or column not in mapping.vocabularies:
        return {}
    return {match_key(word): canonical for word, canonical in mapping.vocabularies[column].items()}


def _enum_list(text: str, lookup: dict[str, str]) -> tuple[str, ...] | None:
    items = [item for item in _LIST_SEPARATORS.split(text) if item]
    mapped = tuple(dict.fromkeys(lookup.get(match_key(item), item) for item in items))
    return mapped or None


def _clean_text(text: str) -> str | None:
    cleaned = _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).strip()
    return cleaned or None


def _clean_code(text: str) -> str | None:
    return _clean_text(unicodedata.normalize("NFKC", text))


def _canonical_code(text: str) -> str | None:
    return canonical_key(_CONTROL.sub("", text), case_insensitive=True) or None


def _apply_units(contract: Feed, mapping: FeedMapping, values: dict[str, pd.Series]) -> None:
    """Rescale columns; with per-row ``factors`` the row's unit column is rewritten to ``to``.

    A row is converted whole or not at all: when one of its values cannot be rescaled (text with a
    number in it that is not ``0.01``/``<0.01``-like), it keeps its values and its original unit,
    so value and unit always agree.
    """
    original = dict(values)
    converted: dict[str, pd.Series] = {}
    todo: dict[str, pd.Series] = {}
    row_ok = pd.Series(True, index=next(iter(values.values())).index)
    for column, conversion in mapping.units.items():
        factor = _factors(contract, mapping, conversion, original)
        series = original[column]
        todo[column] = factor.notna()
        if contract.field(column).type == "number":
            converted[column] = series * factor
            continue
        wanted = todo[column] & series.notna()
        pairs = pd.Series(list(zip(series, factor)), index=series.index, dtype=object)
        scaled = map_unique(pairs.where(wanted, None), lambda pair: _rescale(*pair))
        failed = scaled.map(lambda v: v is _FAILED)
        row_ok &= ~(wanted & failed)
        converted[column] = scaled.where(wanted, series)
    for column, conversion in mapping.units.items():
        apply = todo[column] & row_ok
        values[column] = original[column].where(~apply, converted[column])
        if conversion.factors:
            values[conversion.unit_column] = values[conversion.unit_column].where(
                ~apply, _canonical_unit(contract, mapping, conversion.unit_column, conversion.to or "")
            )


def _factors(
    contract: Feed, mapping: FeedMapping, conversion: UnitConversion, values: dict[str, pd.Series]
) -> pd.Series:
    index = values[contract.columns[0]].index
    if conversion.factor is not None:
        return pd.Series(conversion.factor, index=index, dtype=float)
    by_unit = {
        match_key(_canonical_unit(contract, mapping, conversion.unit_column, unit)): factor
        for unit, factor in conversion.factors.items()
    }
    units = values[conversion.unit_column]
    return pd.to_numeric(map_unique(units, lambda unit: by_unit.get(match_key(str(unit)))), errors="coerce")


def _canonical_unit(contract: Feed, mapping: FeedMapping, column: str, unit: str) -> str:
    words = {**_vocabulary(contract.name, column), **_profile_words(mapping, column)}
    return words.get(match_key(unit), unit)


def _rescale(text: str, factor: float) -> object:
    value = unicodedata.normalize("NFKC", text).strip()
    match = _BOUNDED.match(value)
    if match:
        scaled = float(match["num"]) * factor
        return f"{match['op'] or ''}{scaled:.12g}" if math.isfinite(scaled) else _FAILED
    return _FAILED if any(ch.isdigit() for ch in value) else text
