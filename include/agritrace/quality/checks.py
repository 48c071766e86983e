"""Every rule a row must pass, derived from the feed contract, each in two equivalent forms.

A ``Check`` carries the Great Expectations expectation that validates the file (so results, Data
Docs and the ``dq`` history come from GX) and the same rule as a pandas mask that names the rows
that fail it. GX's result formats cap the failing rows they return, so the masks decide which rows
go to quarantine, and ``validate`` proves the two agree on every file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from agritrace.contracts import Feed, Field
from agritrace.quality.rules import is_valid_producer_code

Mask = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Check:
    rule: str
    column: str
    # Name of the GX expectation class and its arguments; built inside tasks so parsing DAGs never imports GX.
    expectation: str
    kwargs: dict
    failing: Mask
    message: str
    # A row failing only orphan checks waits in quarantine for its parent and is retried.
    orphan: bool = False
    # Problems found while reading carry their own message and value per row.
    row_messages: dict[int, tuple[str, object]] | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.column}"


def ok_column(column: str) -> str:
    """Frame column that is False where a non-empty value could not be read as its type."""
    return f"{column}__ok"


def raw_column(column: str) -> str:
    return f"{column}__raw"


def flag_column(column: str, what: str) -> str:
    return f"{column}__{what}"


def _is_false(column: str) -> Mask:
    return lambda frame: ~frame[column].astype(bool)


def _required(field: Field) -> Check:
    column = raw_column(field.name) if field.type in ("date", "number") else field.name
    return Check(
        "required", field.name, "ExpectColumnValuesToNotBeNull", {"column": column},
        lambda frame: frame[column].isna(), f"{field.name} is required and is empty",
    )


# What an operator can write instead of a date that did not read (ingest.values.parse_date).
ACCEPTED_DATE_FORMS = ("2024-01-02", "2024/1/2", "2024.1.2", "20240102", "2024年1月2日", "an Excel date",
                       "民国/ROC 113/1/2")


def _parses(field: Field) -> Check:
    column = ok_column(field.name)
    message = (f"{field.name} cannot be read as a date; accepted forms: {', '.join(ACCEPTED_DATE_FORMS)} "
               "(a source profile can add its own)" if field.type == "date" else
               f"{field.name} cannot be read as a number")
    return Check(
        f"type:{field.type}", field.name, "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": [True]}, _is_false(column), message,
    )


def _vocabulary(field: Field) -> Check:
    allowed = sorted(field.vocabulary)
    if field.type == "enum_list":
        column = ok_column(field.name)
        return Check(
            "vocabulary", field.name, "ExpectColumnValuesToBeInSet",
            {"column": column, "value_set": [True]}, _is_false(column),
            f"{field.name} has a value outside {', '.join(allowed)}",
        )

    def failing(frame: pd.DataFrame) -> pd.Series:
        values = frame[field.name]
        return values.notna() & ~values.isin(allowed)

    return Check(
        "vocabulary", field.name, "ExpectColumnValuesToBeInSet",
        {"column": field.name, "value_set": allowed}, failing,
        f"{field.name} must be one of {', '.join(allowed)}",
    )


def _range(field: Field) -> Check:
    kwargs: dict = {"column": field.name}
    if field.min_value is not None:
        kwargs["min_value"] = field.min_value
        kwargs["strict_min"] = field.min_exclusive
    if field.max_value is not None:
        kwargs["max_value"] = field.max_value

    def failing(frame: pd.DataFrame) -> pd.Series:
        values = frame[field.name]
        bad = pd.Series(False, index=frame.index)
        if field.min_value is not None:
            bad |= (values <= field.min_value) if field.min_exclusive else (values < field.min_value)
        if field.max_value is not None:
            bad |= values > field.max_value
        return bad & values.notna()

    lower = "" if field.min_value is None else (f"> {field.min_value:g}" if field.min_exclusive else f">= {field.min_value:g}")
    upper = "" if field.max_value is None else f"<= {field.max_value:g}"
    bounds = " and ".join(b for b in (lower, upper) if b)
    return Check("range", field.name, "ExpectColumnValuesToBeBetween", kwargs, failing,
                 f"{field.name} must be {bounds}")


def _not_future(field: Field, today: date) -> Check:
    limit = pd.Timestamp(today)
    return Check(
        "not_future", field.name, "ExpectColumnValuesToBeBetween",
        {"column": field.name, "max_value": limit},
        lambda frame: frame[field.name].notna() & (frame[field.name] > limit),
        f"{field.name} lies in the future (after {today.isoformat()})",
    )


def _not_before(field: Field) -> Check:
    other = field.not_before
    return Check(
        "not_before", field.name, "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": field.name, "column_B": other, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
        lambda frame: frame[field.name].notna() & frame[other].notna() & (frame[field.name] < frame[other]),
        f"{field.name} is before {other}",
    )


def _pattern(field: Field) -> Check:
    regex = re.compile(field.pattern)

    def failing(frame: pd.DataFrame) -> pd.Series:
        values = frame[field.name]
        return values.notna() & ~values.map(lambda v: v is None or bool(regex.fullmatch(str(v))))

    return Check(
        "pattern", field.name, "ExpectColumnValuesToMatchRegex",
        {"column": field.name, "regex": f"^(?:{field.pattern})$"}, failing,
        f"{field.name} does not match {field.pattern}",
    )


def _max_length(field: Field) -> Check:
    def failing(frame: pd.DataFrame) -> pd.Series:
        values = frame[field.name]
        return values.notna() & (values.astype(str).str.len() > field.max_length)

    return Check(
        "max_length", field.name, "ExpectColumnValueLengthsToBeBetween",
        {"column": field.name, "max_value": field.max_length}, failing,
        f"{field.name} is longer than {field.max_length} characters",
    )


def _producer_code(field: Field) -> Check:
    def failing(frame: pd.DataFrame) -> pd.Series:
        values = frame[field.name]
        return values.notna() & ~values.map(is_valid_producer_code)

    return Check(
        "producer_code", field.name, "ExpectColumnValuesToBeValidProducerCode", {"column": field.name}, failing,
        f"{field.name} is neither a credit code whose check character verifies (GB 32100-2015) "
        "nor a household code HH-<region>-<serial>",
    )


def unique_check(columns: list[str], label: str) -> Check:
    """Rows sharing a key within one file are all held: the file does not say which one is right."""

    def failing(frame: pd.DataFrame) -> pd.Series:
        keys = frame[columns]
        complete = keys.notna().all(axis=1)
        return complete & keys.duplicated(keep=False)

    if len(columns) == 1:
        expectation, kwargs = "ExpectColumnValuesToBeUnique", {"column": columns[0]}
    else:
        expectation, kwargs = "ExpectCompoundColumnsToBeUnique", {"column_list": columns}
    return Check("unique", label, expectation, kwargs, failing,
                 f"{label} appears more than once in this file")


def flag_check(rule: str, column: str, flag: str, message: str, *, orphan: bool = False,
               row_messages: dict[int, tuple[str, object]] | None = None) -> Check:
    """A rule decided outside the frame (in Postgres, or against the reference data), as a boolean column."""
    return Check(rule, column, "ExpectColumnValuesToBeInSet", {"column": flag, "value_set": [True]},
                 _is_false(flag), message, orphan=orphan, row_messages=row_messages)


def contract_checks(feed: Feed, today: date) -> list[Check]:
    """The checks that follow from the contract alone (no other feed, no reference data)."""
    checks: list[Check] = []
    for field in feed.fields:
        if field.required:
            checks.append(_required(field))
        if field.type in ("date", "number"):
            checks.append(_parses(field))
        if field.vocabulary and field.type in ("enum", "enum_list"):
            checks.append(_vocabulary(field))
        if field.type == "number" and (field.min_value is not None or field.max_value is not None):
            checks.append(_range(field))
        if field.not_future:
            checks.append(_not_future(field, today))
        if field.not_before:
            checks.append(_not_before(field))
        if field.pattern:
            checks.append(_pattern(field))
        if field.check == "producer_code":
            checks.append(_producer_code(field))
        if field.type == "text":
            checks.append(_max_length(field))
        if field.unique:
            checks.append(unique_check([field.name], field.name))
    return checks
