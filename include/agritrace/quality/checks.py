"""Every rule a row must pass, derived from the feed contract, as a Great Expectations expectation.

A ``Check`` names the expectation that validates the rows and the reason a failing row is
quarantined with. GX alone decides which rows fail (``gx_run``): the quarantine, the results, the
Data Docs and the ``dq`` history all come from that one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from agritrace.contracts import Feed, Field

# Each row's number in its file, the column GX names failing rows by.
ROW_NUMBER = "row_number"


@dataclass(frozen=True)
class Check:
    rule: str
    column: str
    # Name of the GX expectation class and its arguments; built inside tasks so parsing DAGs never imports GX.
    expectation: str
    kwargs: dict
    message: str
    # A row failing only orphan checks waits in quarantine for its parent and is retried.
    orphan: bool = False
    # Problems found while reading carry their own message and value per row.
    row_messages: dict[int, tuple[str, object]] | None = None
    # A unique check's key columns (as the frame holds them).
    key_columns: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.column}"

    @property
    def description(self) -> str:
        """What Data Docs show: the rule in the contract's words, not the helper columns it reads."""
        return f"{self.column} · {self.rule}: {self.message}"


def ok_column(column: str) -> str:
    """Frame column that is False where a non-empty value could not be read as its type."""
    return f"{column}__ok"


def raw_column(column: str) -> str:
    return f"{column}__raw"


def flag_column(column: str, what: str) -> str:
    return f"{column}__{what}"


def _required(field: Field) -> Check:
    column = raw_column(field.name) if field.type in ("date", "number") else field.name
    return Check("required", field.name, "ExpectColumnValuesToNotBeNull", {"column": column},
                 f"{field.name} is required and is empty")


# What an operator can write instead of a date that did not read (ingest.values.parse_date).
ACCEPTED_DATE_FORMS = ("2024-01-02", "2024/1/2", "2024.1.2", "20240102", "2024年1月2日", "an Excel date",
                       "民国/ROC 113/1/2")


def _parses(field: Field) -> Check:
    message = (f"{field.name} cannot be read as a date; accepted forms: {', '.join(ACCEPTED_DATE_FORMS)} "
               "(a source profile can add its own)" if field.type == "date" else
               f"{field.name} cannot be read as a number")
    return Check(f"type:{field.type}", field.name, "ExpectColumnValuesToBeInSet",
                 {"column": ok_column(field.name), "value_set": [True]}, message)


def _vocabulary(field: Field) -> Check:
    allowed = sorted(field.vocabulary)
    if field.type == "enum_list":
        return Check("vocabulary", field.name, "ExpectColumnValuesToBeInSet",
                     {"column": ok_column(field.name), "value_set": [True]},
                     f"{field.name} has a value outside {', '.join(allowed)}")
    return Check("vocabulary", field.name, "ExpectColumnValuesToBeInSet",
                 {"column": field.name, "value_set": allowed}, f"{field.name} must be one of {', '.join(allowed)}")


def _range(field: Field) -> Check:
    kwargs: dict = {"column": field.name}
    if field.min_value is not None:
        kwargs["min_value"] = field.min_value
        kwargs["strict_min"] = field.min_exclusive
    if field.max_value is not None:
        kwargs["max_value"] = field.max_value
    lower = "" if field.min_value is None else (f"> {field.min_value:g}" if field.min_exclusive else f">= {field.min_value:g}")
    upper = "" if field.max_value is None else f"<= {field.max_value:g}"
    bounds = " and ".join(b for b in (lower, upper) if b)
    return Check("range", field.name, "ExpectColumnValuesToBeBetween", kwargs, f"{field.name} must be {bounds}")


def _not_future(field: Field, today: date) -> Check:
    return Check("not_future", field.name, "ExpectColumnValuesToBeBetween",
                 {"column": field.name, "max_value": today},
                 f"{field.name} lies in the future (after {today.isoformat()})")


def _not_before(field: Field) -> Check:
    return Check(
        "not_before", field.name, "ExpectColumnPairValuesAToBeGreaterThanB",
        {"column_A": field.name, "column_B": field.not_before, "or_equal": True,
         "ignore_row_if": "either_value_is_missing"},
        f"{field.name} is before {field.not_before}",
    )


def _pattern(field: Field) -> Check:
    return Check("pattern", field.name, "ExpectColumnValuesToMatchRegex",
                 {"column": field.name, "regex": f"^(?:{field.pattern})$"},
                 f"{field.name} does not match {field.pattern}")


def _max_length(field: Field) -> Check:
    return Check("max_length", field.name, "ExpectColumnValueLengthsToBeBetween",
                 {"column": field.name, "max_value": field.max_length},
                 f"{field.name} is longer than {field.max_length} characters")


def _producer_code(field: Field) -> Check:
    return Check(
        "producer_code", field.name, "ExpectColumnValuesToBeValidProducerCode", {"column": field.name},
        f"{field.name} is neither a credit code whose check character verifies (GB 32100-2015) "
        "nor a household code HH-<region>-<serial>",
    )


def key_column(column: str) -> str:
    """The key as the unique check reads it: empty on a row that repeats an earlier row word for word."""
    return f"{column}__key"


def unique_check(columns: list[str], label: str) -> Check:
    """Rows sharing a key with other values within one file are all held: the file does not say
    which one is right. (A row repeating an earlier one word for word is a duplicate of it instead.)"""
    keys = [key_column(c) for c in columns]
    if len(keys) == 1:
        expectation, kwargs = "ExpectColumnValuesToBeUnique", {"column": keys[0]}
    else:
        expectation, kwargs = "ExpectCompoundColumnsToBeUnique", {"column_list": keys}
    return Check("unique", label, expectation, kwargs, f"{label} appears more than once in this file",
                 key_columns=tuple(columns))


# The row number of the first row a row repeats word for word (its own number when it is the first).
FIRST_COPY = "first_copy"


def duplicate_checks(frame: pd.DataFrame, raw: pd.DataFrame, checks: list[Check]) -> list[Check]:
    """A row repeating an earlier row of the file word for word is held as a duplicate of that row,
    naming it; the earlier row is checked (its key included) as if it came once. Nothing is collapsed."""
    unique = [c for c in checks if c.key_columns]
    if not unique:
        return []
    label = "+".join(c.column for c in unique)
    parts = [p for p in label.split("+") if p in raw.columns]
    groups = raw.astype(object).groupby(list(raw.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(frame.index, index=frame.index).groupby(groups).transform("min")
    # Rows without a key (e.g. lines that could not be read at all) repeat nothing.
    later = (first.to_numpy() != frame.index.to_numpy()) & raw[parts].notna().all(axis=1).to_numpy()
    frame[FIRST_COPY] = first.where(later, frame.index.to_series())
    for check in unique:
        for column in check.key_columns:
            frame[key_column(column)] = frame[column].astype(object).where(~later, None)
    messages = {index: (f"duplicate of row {first[index]}: the same {label} and every other value",
                        " + ".join(str(raw.at[index, p]) for p in parts))
                for index in frame.index[later]}
    return [Check("duplicate_key", label, "ExpectColumnPairValuesToBeEqual",
                  {"column_A": ROW_NUMBER, "column_B": FIRST_COPY},
                  "the row repeats an earlier row of this file word for word", row_messages=messages)]


def flag_check(rule: str, column: str, flag: str, message: str, *, orphan: bool = False,
               row_messages: dict[int, tuple[str, object]] | None = None) -> Check:
    """A rule decided outside the frame (in Postgres, or against the reference data), as a boolean column."""
    return Check(rule, column, "ExpectColumnValuesToBeInSet", {"column": flag, "value_set": [True]},
                 message, orphan=orphan, row_messages=row_messages)


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
