"""Validate one frame of a feed: build the frame GX reads, run the suite, and give each row GX
found unexpected its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from agritrace.contracts import Feed
from agritrace.quality.checks import ROW_NUMBER, Check, ok_column, raw_column


@dataclass
class Validation:
    frame: pd.DataFrame
    checks: list[Check]
    # row index -> list of reasons {rule, column, value, message}
    reasons: dict[int, list[dict]]
    # row index -> True when every reason is an orphan reason (it waits for a parent)
    orphan_only: dict[int, bool]
    suite: object

    @property
    def failing_index(self) -> list[int]:
        return sorted(self.reasons)

    @property
    def passing(self) -> pd.DataFrame:
        return self.frame.loc[~self.frame.index.isin(self.reasons)]

    def failing_rows_per_check(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reasons in self.reasons.values():
            for reason in reasons:
                key = f"{reason['rule']}:{reason['column']}"
                counts[key] = counts.get(key, 0) + 1
        return counts


def validation_frame(feed: Feed, raw: pd.DataFrame, values: pd.DataFrame, parse_ok: pd.DataFrame) -> pd.DataFrame:
    """Typed values, plus the raw text of dates and numbers and whether it could be read."""
    frame = pd.DataFrame(index=values.index)
    for f in feed.fields:
        column = values[f.name]
        if f.type == "date":
            frame[f.name] = pd.to_datetime(column, errors="coerce")
        elif f.type == "number":
            frame[f.name] = pd.to_numeric(column, errors="coerce")
        elif f.type == "enum_list":
            allowed = set(f.vocabulary)
            frame[f.name] = column
            frame[ok_column(f.name)] = column.map(
                lambda items, allowed=allowed: items is None or (isinstance(items, float) and pd.isna(items))
                or all(item in allowed for item in items)
            ).astype(bool)
        else:
            frame[f.name] = column.astype(object).where(column.notna(), None)
        if f.type in ("date", "number"):
            frame[raw_column(f.name)] = raw[f.name]
            frame[ok_column(f.name)] = parse_ok[f.name].astype(bool)
    return frame


def _display(value) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, tuple):
        return "、".join(map(str, value))
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def validate(suite_name: str, frame: pd.DataFrame, raw: pd.DataFrame, checks: list[Check], *, url: str,
             docs_dir: Path | None = None) -> Validation:
    """Run the suite once; the rows GX finds unexpected are the failing rows, each with every reason.

    A reason carries the raw value as it arrived."""
    from agritrace.quality.gx_run import run_suite

    suite = run_suite(suite_name, frame, checks, url=url, docs_dir=docs_dir)
    reasons: dict[int, list[dict]] = {}
    orphan_only: dict[int, bool] = {}
    for outcome in suite.outcomes:
        check = outcome.check
        source = raw[check.column] if check.column in raw.columns else None
        for unexpected in outcome.unexpected_rows:
            index = unexpected[ROW_NUMBER]
            value = source.loc[index] if source is not None else None
            message = check.message
            if check.row_messages and index in check.row_messages:
                message, value = check.row_messages[index]
            reasons.setdefault(index, []).append(
                {"rule": check.rule, "column": check.column, "value": _display(value), "message": message})
            orphan_only[index] = orphan_only.get(index, True) and check.orphan
    return Validation(frame, checks, dict(sorted(reasons.items())), orphan_only, suite)
