"""Judging a frame of inspection results: one verdict per test item, by ``judge_item``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from agritrace.reference.judge import judge_item
from agritrace.reference.store import ReferenceData

JUDGED_FIELDS = ("analyte_code", "test_kind", "result_value", "is_nondetect", "value_mg_kg", "lod_mg_kg",
                 "limit_mg_kg", "limit_kind", "limit_standard", "limit_source", "limit_verified", "ratio_to_limit",
                 "verdict", "verdict_reason", "verdict_disagrees", "verdict_basis", "jurisdiction")
# Everything judge_item reads from a row: rows equal on these get the same verdict.
JUDGED_FROM = ["batch_product", "analyte", "result_value", "unit", "lod", "mrl", "standard", "verdict", "jurisdiction"]
# How an item that cannot be judged is held, by what judge_item did not know: (rule, column, the
# row's column whose value is shown). An unknown product is held under the rule of any unknown name, so
# `ref unknown` lists it (its batch loaded with it: a supplied verdict needs none, a value does); an
# unknown standard or analyte names its own column; anything else is about the value.
_HELD_AS = {"product": ("reference:product", "batch_no", "batch_product"),
            "standard": ("judgement", "standard", "standard"),
            "analyte": ("judgement", "analyte", "analyte")}
_HELD_OTHERWISE = ("judgement", "result_value", "result_value")


def judge_rows(frame: pd.DataFrame, reference: ReferenceData) -> tuple[pd.DataFrame, dict[int, list[dict]]]:
    """The judged rows, and the reasons of rows that cannot be judged (by frame index).

    ``judge_item`` is pure, and a file repeats the same (product, analyte, value, unit, LOD, MRL,
    standard, verdict) on most of its rows, so each distinct combination is judged once and its
    verdict spread to every row that carries it.
    """
    problems: dict[int, list[dict]] = {}
    if frame.empty:
        return pd.DataFrame(), problems
    if "jurisdiction" not in frame.columns:  # a frame from before the column (judge_item takes the bureau's own)
        frame = frame.assign(jurisdiction=None)
    groups = frame.groupby(JUDGED_FROM, dropna=False, sort=False).ngroup().to_numpy()
    # ngroup numbers groups in order of appearance, so the first row of group k is first[k].
    _, first = np.unique(groups, return_index=True)
    verdicts, errors = {}, {}
    for group, position in enumerate(first):
        row = frame.iloc[position]
        try:
            verdict = judge_item(
                reference, product=row["batch_product"], analyte=row["analyte"], result_value=row["result_value"],
                unit=row["unit"], lod=None if pd.isna(row["lod"]) else row["lod"], mrl=row["mrl"],
                standard=row["standard"], supplied_verdict=row["verdict"], jurisdiction=row["jurisdiction"],
            )
        except ValueError as exc:
            errors[group] = exc
            continue
        verdicts[group] = {k: getattr(verdict, k) for k in JUDGED_FIELDS}
    judged_rows = np.isin(groups, list(verdicts))
    for position in np.flatnonzero(~judged_rows):
        exc = errors[groups[position]]
        rule, column, shown = _HELD_AS.get(getattr(exc, "kind", None), _HELD_OTHERWISE)
        problems[frame.index[position]] = [{"rule": rule, "column": column,
                                            "value": frame.iloc[position].get(shown), "message": str(exc)}]
    if not verdicts:
        return pd.DataFrame(), problems
    table = pd.DataFrame.from_dict(verdicts, orient="index")
    judged = table.loc[groups[judged_rows]]
    out = frame.iloc[np.flatnonzero(judged_rows)].rename_axis(None)
    judged.index = out.index
    judged["supplied_verdict"] = out["verdict"]
    out = out.drop(columns=[c for c in judged.columns if c in out.columns])
    out = out.join(judged)
    out["analyte_name"] = out["analyte"]
    out["result_raw"] = frame.loc[out.index, "result_value"]
    return out, problems
