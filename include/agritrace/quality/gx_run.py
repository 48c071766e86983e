"""Running a feed's checks as a Great Expectations suite.

Imported only inside tasks and commands: Great Expectations is heavy, and DAG parsing must stay light.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from agritrace.quality.checks import Check
from agritrace.quality.rules import is_valid_producer_code

log = logging.getLogger(__name__)
logging.getLogger("great_expectations").setLevel(logging.WARNING)


class ColumnValuesValidProducerCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_producer_code"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return column.map(is_valid_producer_code)


class ExpectColumnValuesToBeValidProducerCode(ColumnMapExpectation):
    """Producer codes are unified social credit codes (GB 32100-2015, check character verified)
    or household registry codes HH-<region code>-<serial>."""

    map_metric = "column_values.valid_producer_code"
    success_keys = ("mostly",)


_CUSTOM = {"ExpectColumnValuesToBeValidProducerCode": ExpectColumnValuesToBeValidProducerCode}


@dataclass(frozen=True)
class ExpectationOutcome:
    check: Check
    success: bool
    unexpected_count: int
    unexpected_percent: float | None


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    evaluated_rows: int
    outcomes: list[ExpectationOutcome]
    gx_version: str
    docs_page: str | None


def _expectation(check: Check):
    cls = _CUSTOM.get(check.expectation) or getattr(gxe, check.expectation)
    return cls(**check.kwargs, meta={"rule": check.rule, "column": check.column, "message": check.message})


def _columns_read(checks: list[Check]) -> list[str]:
    """The frame columns the expectations look at, in first-use order."""
    columns: dict[str, None] = {}
    for check in checks:
        for key in ("column", "column_A", "column_B"):
            if key in check.kwargs:
                columns[check.kwargs[key]] = None
        for column in check.kwargs.get("column_list", ()):
            columns[column] = None
    return list(columns)


def run_suite(suite_name: str, frame: pd.DataFrame, checks: list[Check], docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate ``frame`` with one expectation per check; results come back in ``checks`` order."""
    # GX filters the whole batch frame for every expectation (rows where the column is not null), and
    # pandas consolidates each filtered copy: a consolidated frame of only the columns the suite reads
    # makes those copies several times cheaper. (A deep copy is consolidated.)
    batch_frame = frame[_columns_read(checks)].copy()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_pandas("agritrace")
    batch = source.add_dataframe_asset(name=suite_name).add_batch_definition_whole_dataframe("file")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=[_expectation(c) for c in checks]))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite)
    )
    actions = []
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="agritrace",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["agritrace"]))
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=f"{suite_name}_checkpoint", validation_definitions=[definition], actions=actions,
                      result_format="SUMMARY")
    )
    result = checkpoint.run(batch_parameters={"dataframe": batch_frame})
    validation = next(iter(result.run_results.values()))
    by_key = {(r.expectation_config.meta["rule"], r.expectation_config.meta["column"]): r for r in validation.results}
    outcomes = []
    for check in checks:
        res = by_key[(check.rule, check.column)]
        outcomes.append(
            ExpectationOutcome(
                check=check,
                success=bool(res.success),
                unexpected_count=int(res.result.get("unexpected_count") or 0),
                unexpected_percent=res.result.get("unexpected_percent"),
            )
        )
    docs_page = None
    if docs_dir is not None:
        pages = sorted((docs_dir / "validations").rglob("*.html"), key=lambda p: p.stat().st_mtime)
        docs_page = str(pages[-1].relative_to(docs_dir)) if pages else None
    return SuiteOutcome(suite_name, bool(validation.success), len(frame), outcomes, gx.__version__, docs_page)
