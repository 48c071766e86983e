"""Files beyond an input limit, end to end: each is rejected naming the limit, and the next file loads.

Every case runs ``process_file`` on a file in the test's landing folder and checks the ledger row
(``ops.files``: status 'rejected', a message naming the limit, its value and the setting to raise
it) and that a good file of another feed loads right after. The XLSX bomb runs in a process of its
own so its peak memory can be read. The last cases follow a result value through to core: a bound
above its limit is stored as an inconclusive verdict, and a value no laboratory reports is
quarantined, not stored as 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import psycopg
import pytest
from agritrace.bootstrap import bring_up
from agritrace.marts.refresh import refresh_marts
from agritrace.pipeline import FileOutcome, process_file
from warehouse_helpers import (
    ANALYTES,
    BATCH_COLUMNS,
    PRODUCER_COLUMNS,
    RESULT_COLUMNS,
    Keys,
    batch_row,
    ledger_row,
    producer_row,
    quarantined,
    query,
    result_row,
    write_csv,
)
from workbooks import PLACEHOLDER, inflate_placeholder

# Before the limits this 63 KB workbook peaked at 890 MB while loading; now it never reaches openpyxl.
BOMB_BYTES = 60_000_000
BOMB_MEMORY_LIMIT_MB = 400
CHILD = """
import json, sys
from pathlib import Path
from agritrace.bench.child import peak_rss_mb
from agritrace.pipeline import process_file
[outcome] = process_file(Path(sys.argv[1]), sys.argv[2])
print(json.dumps({"status": outcome.status, "message": outcome.message, "peak_mb": peak_rss_mb()}))
"""


@pytest.fixture
def url(warehouse: str) -> str:
    bring_up(warehouse)
    return warehouse


@pytest.fixture
def keys() -> Keys:
    return Keys()


def load(path: Path, feed: str) -> FileOutcome:
    [outcome] = process_file(path, feed)
    return outcome


def assert_rejected_naming(url: str, outcome: FileOutcome, path: Path, *words: str) -> None:
    assert outcome.status == "rejected", outcome.summary()
    ledger = ledger_row(url, outcome.file_id)
    assert (ledger["file_name"], ledger["status"]) == (path.name, "rejected")
    for word in words:
        assert word in ledger["message"], f"{word!r} not in the ledger message: {ledger['message']}"
    assert len(ledger["message"]) < 1000, "the message quotes no more than an excerpt of the file"


def assert_next_file_loads(landing: Path, keys: Keys) -> None:
    path = write_csv(landing / "producers" / "next.csv", PRODUCER_COLUMNS, [producer_row(keys.producer())])
    outcome = load(path, "producers")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1), outcome.summary()


def xlsx_bomb(path: Path, size: int) -> Path:
    """A workbook of a few dozen KB whose one cell expands to ``size`` bytes."""
    book = openpyxl.Workbook()
    book.active.append(list(BATCH_COLUMNS))
    book.active.append([PLACEHOLDER] + ["x"] * (len(BATCH_COLUMNS) - 1))
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    return inflate_placeholder(plain, path, size)


# --- files beyond a limit ----------------------------------------------------------------------------


def test_csv_with_a_10_mb_cell_is_rejected_naming_the_largest_cell_limit(url, landing, keys):
    row = batch_row(keys.batch(), keys.producer(), sampled_place="A" * 10_000_000)
    path = write_csv(landing / "sampling_batches" / "big_cell.csv", [*BATCH_COLUMNS, "sampled_place"], [row])
    outcome = load(path, "sampling_batches")
    assert_rejected_naming(url, outcome, path, "row 2", "largest-cell limit of 131,072 bytes",
                           "AGRITRACE_MAX_CELL_BYTES")
    assert "a quote opened there and never closed" in outcome.message  # said as the likely cause, not the finding
    assert_next_file_loads(landing, keys)


def test_jsonl_line_nested_100000_deep_is_rejected_naming_the_depth_limit(url, landing, keys):
    path = landing / "sampling_batches" / "deep.jsonl"
    path.write_text('{"batch_no": "B-1", "note": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    outcome = load(path, "sampling_batches")
    assert_rejected_naming(url, outcome, path, "line 1", "JSON nesting depth limit of 32 levels",
                           "AGRITRACE_MAX_JSON_DEPTH")
    assert_next_file_loads(landing, keys)


def test_xlsx_bomb_is_rejected_in_bounded_memory(url, landing, keys, tmp_path):
    path = xlsx_bomb(landing / "sampling_batches" / "bomb.xlsx", BOMB_BYTES)
    size_kb = path.stat().st_size >> 10
    assert size_kb < 100
    with (tmp_path / "outcome.json").open("w") as stdout:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), "sampling_batches"], stdout=stdout,
                                 stderr=subprocess.PIPE, env=os.environ.copy())
        status = child.wait()
    assert status == 0, child.stderr.read().decode()[-3000:]
    outcome = json.loads((tmp_path / "outcome.json").read_text().strip().splitlines()[-1])
    peak_mb = outcome["peak_mb"]
    print(f"peak RSS loading a {size_kb} KB workbook of a {BOMB_BYTES >> 20} MB cell: {peak_mb:.0f} MB")
    assert peak_mb < BOMB_MEMORY_LIMIT_MB
    assert outcome["status"] == "rejected"
    [(file_id,)] = query(url, "select file_id from ops.files where file_name = %s", (path.name,))
    assert_rejected_naming(url, FileOutcome("sampling_batches", path.name, "rejected", file_id), path,
                           "largest-cell limit of 131,072 bytes", "AGRITRACE_MAX_CELL_BYTES")
    assert_next_file_loads(landing, keys)


def test_xlsx_beyond_the_uncompressed_size_limit_is_rejected(url, landing, keys, monkeypatch):
    monkeypatch.setenv("AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES", "10000")
    book = openpyxl.Workbook()
    book.active.append(list(PRODUCER_COLUMNS))
    book.active.append(list(producer_row(keys.producer()).values()))
    path = landing / "producers" / "expands.xlsx"
    book.save(path)
    outcome = load(path, "producers")
    assert_rejected_naming(url, outcome, path, "XLSX uncompressed size limit of 10,000 bytes",
                           "AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES")
    monkeypatch.delenv("AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES")
    assert_next_file_loads(landing, keys)


def test_xlsx_with_more_cells_than_the_limit_is_rejected(url, landing, keys, monkeypatch):
    monkeypatch.setenv("AGRITRACE_MAX_XLSX_CELLS", "100")
    book = openpyxl.Workbook()
    book.active.append(list(PRODUCER_COLUMNS))
    for _ in range(30):
        book.active.append(list(producer_row(keys.producer()).values()))
    path = landing / "producers" / "many.xlsx"
    book.save(path)
    outcome = load(path, "producers")
    assert_rejected_naming(url, outcome, path, "XLSX cell limit of 100 cells", "AGRITRACE_MAX_XLSX_CELLS")
    assert query(url, "select count(*) from core.producers where file_id = %s", (outcome.file_id,)) == [(0,)]
    assert_next_file_loads(landing, keys)


# --- result values through to core -------------------------------------------------------------------


def _batch(url: str, landing: Path, keys: Keys) -> str:
    producer_id, batch_no = keys.producer(), keys.batch()
    for feed, columns, row in (("producers", PRODUCER_COLUMNS, producer_row(producer_id)),
                               ("sampling_batches", BATCH_COLUMNS, batch_row(batch_no, producer_id))):
        outcome = load(write_csv(landing / feed / f"{batch_no}.csv", columns, [row]), feed)
        assert (outcome.status, outcome.rows_loaded) == ("loaded", 1), outcome.summary()
    return batch_no


def test_bound_above_the_mrl_is_stored_inconclusive_and_so_is_its_batch(url, landing, keys):
    batch_no = _batch(url, landing, keys)
    # Cyromazine (灭蝇胺) in cowpea has an MRL of 0.5 mg/kg: "<5" may be either side of it.
    rows = [result_row(batch_no, "灭蝇胺", result_value="<5"), result_row(batch_no, "噻虫胺", result_value="ND")]
    outcome = load(write_csv(landing / "inspection_results" / "bounds.csv", RESULT_COLUMNS, rows),
                   "inspection_results")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 2), outcome.summary()
    assert query(url, "select analyte_name, verdict from core.inspection_results where batch_no = %s "
                      "order by analyte_name", (batch_no,)) == [("噻虫胺", "pass"), ("灭蝇胺", "inconclusive")]
    assert query(url, "select batch_verdict from core.sampling_batches where batch_no = %s",
                 (batch_no,)) == [("inconclusive",)]
    # The warehouse holds this one batch: the pass-rate marts see it, and judge none.
    with psycopg.connect(url) as conn:
        refresh_marts(conn)
    assert query(url, "select count(*) > 0, max(batches), max(passed_batches) from mart.pass_rate_by_product") == [
        (True, 0, 0)]


def test_value_that_underflows_to_zero_is_quarantined_not_stored_as_zero(url, landing, keys):
    batch_no = _batch(url, landing, keys)
    # Eight good items beside the bad one keep the file under the 20 % gate.
    rows = [result_row(batch_no, "灭蝇胺", result_value="1e-400")] + [result_row(batch_no, a) for a in ANALYTES[1:9]]
    outcome = load(write_csv(landing / "inspection_results" / "tiny.csv", RESULT_COLUMNS, rows),
                   "inspection_results")
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 8, 1), outcome.summary()
    [(row_number, raw, reasons)] = quarantined(url, outcome.file_id)
    assert (row_number, raw["result_value"]) == (2, "1e-400")
    assert [(r["rule"], r["column"]) for r in reasons] == [("range", "result_value")], reasons
    assert "'1e-400' is implausible" in reasons[0]["message"]
    assert query(url, "select count(*) from core.inspection_results where batch_no = %s and analyte_name = %s",
                 (batch_no, "灭蝇胺")) == [(0,)]
