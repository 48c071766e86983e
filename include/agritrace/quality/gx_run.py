"""The one validation engine: a feed's checks as a Great Expectations suite, on GX's SQL engine.

The rows of a chunk (typed values, raw values, parse and context flags, each with its row number)
are COPYed into an unlogged table on the warehouse, and GX validates that table. The rows GX reports
unexpected, by row number (``unexpected_index_list``), are the rows that go to quarantine: GX's
counts, the ``dq`` history and the quarantine agree by construction.

Imported only inside tasks and commands: Great Expectations is heavy, and DAG parsing must stay
light. The context and the warehouse data source are built once per process, on first use.
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import psycopg
import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial
from psycopg import sql

from agritrace.db import sqlalchemy_url
from agritrace.load.copy import copy_frame
from agritrace.quality.checks import ROW_NUMBER, Check
from agritrace.quality.gx_docs import keep_result
from agritrace.quality.rules import HOUSEHOLD_CODE, USCC_ALPHABET, USCC_SHAPE, USCC_WEIGHTS

log = logging.getLogger(__name__)
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _valid_producer_code(column):
    """``rules.is_valid_producer_code`` as a SQL condition (same alphabet, weights and shapes)."""
    def position(index: int):
        return sa.func.strpos(USCC_ALPHABET, sa.func.substr(column, index + 1, 1)) - 1

    total = sum((position(i) * weight for i, weight in enumerate(USCC_WEIGHTS)), sa.literal(0))
    check_character = sa.func.substr(USCC_ALPHABET, (31 - total % 31) % 31 + 1, 1)
    uscc = sa.and_(column.op("~")(f"^{USCC_SHAPE.pattern}$"), sa.func.substr(column, 18, 1) == check_character)
    return sa.or_(column.op("~")(f"^{HOUSEHOLD_CODE.pattern}$"), uscc)


class ColumnValuesValidProducerCode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_producer_code"

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column, **kwargs):
        return _valid_producer_code(column)


class ExpectColumnValuesToBeValidProducerCode(ColumnMapExpectation):
    """Producer codes are unified social credit codes (GB 32100-2015, check character verified)
    or household registry codes HH-<region code>-<serial>."""

    map_metric = "column_values.valid_producer_code"
    success_keys = ("mostly",)


_CUSTOM = {"ExpectColumnValuesToBeValidProducerCode": ExpectColumnValuesToBeValidProducerCode}
# Data Docs show this many failing rows of an expectation; the quarantine takes them all.
DOCS_SAMPLE_ROWS = 20
_tables = itertools.count(1)
# A validation table is dropped when its suite has run; one left behind by a killed process is dropped
# by the next process to validate, once it is older than any validation takes. Its name carries its
# creation time, not a process to ask about: the process may have run on another machine.
ABANDONED_AFTER_S = 6 * 3600
_VALIDATION_TABLE = re.compile(r"^dq_.+_(\d{10})_\d+_\d+$")


def _validation_table_name(suite_name: str) -> str:
    return f"dq_{suite_name}_{int(time.time())}_{os.getpid()}_{next(_tables)}"


@functools.cache
def _drop_abandoned_tables(url: str) -> list[str]:
    """Drop the validation tables killed processes left in ``staging``; returns their names."""
    cutoff = time.time() - ABANDONED_AFTER_S
    with psycopg.connect(url, autocommit=True) as conn:
        names = [name for (name,) in conn.execute(
            "select tablename from pg_tables where schemaname = 'staging' and tablename like 'dq\\_%'")]
        abandoned = [name for name in names
                     if (match := _VALIDATION_TABLE.match(name)) and int(match.group(1)) < cutoff]
        for name in abandoned:
            conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("staging", name)))
    if abandoned:
        log.info("dropped %d validation table(s) left by killed processes: %s", len(abandoned), ", ".join(abandoned))
    return abandoned


@dataclass(frozen=True)
class ExpectationOutcome:
    check: Check
    success: bool
    unexpected_count: int
    unexpected_percent: float | None
    # Row numbers (the frame's index) GX found unexpected, each with the values it saw.
    unexpected_rows: list[dict]


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    evaluated_rows: int
    outcomes: list[ExpectationOutcome]
    gx_version: str
    docs_page: str | None
    # Wall time of the whole validation: the COPY into the validation table and GX's runs.
    seconds: float


@functools.cache
def _context():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


@functools.cache
def _warehouse(url: str):
    # The generic SQL source: the Postgres one insists on a host, and the embedded server is a socket.
    # The engine lives as long as the process: a pooled connection the server dropped meanwhile (a
    # restart, a failover) is replaced rather than failing the next file.
    return _context().data_sources.add_sql(f"warehouse_{len(_context().data_sources.all())}",
                                           connection_string=sqlalchemy_url(url), kwargs={"pool_pre_ping": True})


def _expectation(check: Check):
    cls = _CUSTOM.get(check.expectation) or getattr(gxe, check.expectation)
    return cls(**check.kwargs, description=check.description,
               meta={"rule": check.rule, "column": check.column, "message": check.message})


def _columns_read(checks: list[Check]) -> list[str]:
    """The frame columns the expectations look at, in first-use order."""
    columns: dict[str, None] = {}
    for check in checks:
        for key in ("column", "column_A", "column_B"):
            if key in check.kwargs and check.kwargs[key] != ROW_NUMBER:
                columns[check.kwargs[key]] = None
        for column in check.kwargs.get("column_list", ()):
            columns[column] = None
    return list(columns)


def _sql_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_numeric_dtype(values):
        return "double precision"
    return "text"


def _copy_rows(conn: psycopg.Connection, table: sql.Identifier, frame: pd.DataFrame, columns: list[str]) -> None:
    """An unlogged table of the columns the suite reads, one row per frame row with its row number."""
    definition = sql.SQL(", ").join(
        [sql.SQL("{} bigint").format(sql.Identifier(ROW_NUMBER))]
        + [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_sql_type(frame[c]))) for c in columns])
    conn.execute(sql.SQL("drop table if exists {}").format(table))
    conn.execute(sql.SQL("create unlogged table {} ({})").format(table, definition))
    rows = frame[columns].copy()
    rows.insert(0, ROW_NUMBER, frame.index)
    copy_frame(conn, table, rows, [ROW_NUMBER, *columns])


def run_suite(suite_name: str, frame: pd.DataFrame, checks: list[Check], *, url: str,
              docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate ``frame`` with one expectation per check; results come back in ``checks`` order."""
    started = time.perf_counter()
    _drop_abandoned_tables(url)
    name = _validation_table_name(suite_name)
    table = sql.Identifier("staging", name)
    source = _warehouse(url)
    # Its own committed table: GX reads through its own connection, outside the load's transaction.
    with psycopg.connect(url, autocommit=True) as conn:
        _copy_rows(conn, table, frame, _columns_read(checks))
    try:
        batch = source.add_table_asset(name, table_name=name, schema_name="staging") \
            .add_batch_definition_whole_table("rows").get_batch()
        try:
            validation = _validate(batch, suite_name, checks, len(frame))
        finally:
            source.delete_asset(name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop table if exists {}").format(table))
    by_key = {_key(r): r for r in validation.results}
    outcomes = []
    for check in checks:
        res = by_key[(check.rule, check.column)]
        if res.exception_info and res.exception_info.get("raised_exception"):
            raise RuntimeError(f"{suite_name}: GX could not evaluate {check.key}: "
                               f"{res.exception_info.get('exception_message')}")
        unexpected = res.result.get("unexpected_index_list") or []
        outcomes.append(ExpectationOutcome(
            check=check, success=bool(res.success), unexpected_count=int(res.result.get("unexpected_count") or 0),
            unexpected_percent=res.result.get("unexpected_percent", 0.0 if res.success else None),
            unexpected_rows=list(unexpected)))
    docs_page = keep_result(docs_dir, _sampled(validation)) if docs_dir is not None else None
    return SuiteOutcome(suite_name, bool(validation.success), len(frame), outcomes, gx.__version__, docs_page,
                        time.perf_counter() - started)


def _key(result) -> tuple[str, str]:
    return result.expectation_config.meta["rule"], result.expectation_config.meta["column"]


def _validate(batch, suite_name: str, checks: list[Check], rows: int):
    """GX's result for every check, with every failing row of the checks that failed.

    GX computes each metric of a result format for every expectation: asked for failing rows, it
    scans the table several times per expectation even where nothing fails. So a first run asks only
    whether each expectation holds (counts, in one query), and a second lists the failing rows of
    those that did not; its results take their place. Both are GX's own verdicts on the same table.
    """
    screened = batch.validate(gx.ExpectationSuite(name=suite_name, expectations=[_expectation(c) for c in checks]),
                              result_format={"result_format": "BOOLEAN_ONLY"})
    failed = {_key(r) for r in screened.results if not r.success}
    if not failed:
        return screened
    listed = batch.validate(
        gx.ExpectationSuite(name=suite_name, expectations=[
            _expectation(c) for c in checks if (c.rule, c.column) in failed]),
        # On SQL, GX lists the failing rows up to ``partial_unexpected_count`` even in COMPLETE.
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_NUMBER],
                       "partial_unexpected_count": max(rows, 1)})
    by_key = {_key(r): r for r in listed.results}
    screened.results = [by_key.get(_key(r), r) for r in screened.results]
    return screened


def _sampled(validation):
    """The validation result as Data Docs show it: the first failing rows of each expectation."""
    sampled = copy.deepcopy(validation)
    for res in sampled.results:
        for key in ("partial_unexpected_list", "partial_unexpected_index_list", "partial_unexpected_counts",
                    "unexpected_list", "unexpected_index_list"):
            if isinstance(res.result.get(key), list):
                res.result[key] = res.result[key][:DOCS_SAMPLE_ROWS]
        # The query names a table that is dropped once the suite has run.
        res.result.pop("unexpected_index_query", None)
    return sampled
