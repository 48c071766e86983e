"""Input limits of the readers, one behaviour per test: a file beyond a limit is rejected by name.

Files are built in ``tmp_path``; limits are passed to ``open_source`` directly (``Limits``) or set
through the environment where the settings are the point of the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from agritrace.config import settings
from agritrace.ingest import read_feed_file
from agritrace.ingest.errors import FileRejected, LimitExceeded
from agritrace.ingest.sources import Limits, ReadOptions, json_depth, open_source
from agritrace.ingest.text import excerpt
from agritrace.ingest.values import parse_date
from workbooks import PLACEHOLDER, inflate_placeholder

HEADER = "producer_id,producer_name,producer_type,region_code,town,contact_phone,registered_on"
COLUMNS = HEADER.split(",")
DEFAULTS = Limits(max_cell_bytes=131_072, max_json_depth=32, max_xlsx_uncompressed_bytes=1 << 30,
                  max_xlsx_cells=20_000_000)


def limits(**changes: int) -> Limits:
    return Limits(**{**DEFAULTS.__dict__, **changes})


def producer(name: str = "绿源蔬菜专业合作社") -> list[str]:
    return ["91440902MA0000001X", name, "合作社", "440902", "金塘镇", "13812345678", "2023-03-01"]


def csv_file(path: Path, *rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


def read_all(path: Path, lim: Limits = DEFAULTS) -> int:
    source = open_source(path, limits=lim)
    return sum(len(chunk.frame) for chunk in source.chunks(1000))


def workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def bomb(path: Path, size: int) -> Path:
    """A workbook of a few KB whose one cell expands to ``size`` bytes (written streamed)."""
    plain = workbook(path.with_suffix(".plain.xlsx"), [COLUMNS, producer(PLACEHOLDER)])
    return inflate_placeholder(plain, path, size)


# --- the settings ----------------------------------------------------------------------------------


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AGRITRACE_MAX_CELL_BYTES", "1000")
    monkeypatch.setenv("AGRITRACE_MAX_JSON_DEPTH", "8")
    monkeypatch.setenv("AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES", "2_000_000")
    monkeypatch.setenv("AGRITRACE_MAX_XLSX_CELLS", "500")
    assert Limits.from_settings() == Limits(1000, 8, 2_000_000, 500)


def test_limits_default_when_unset(monkeypatch):
    for name in ("AGRITRACE_MAX_CELL_BYTES", "AGRITRACE_MAX_JSON_DEPTH", "AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES",
                 "AGRITRACE_MAX_XLSX_CELLS"):
        monkeypatch.delenv(name, raising=False)
    assert Limits.from_settings() == DEFAULTS


@pytest.mark.parametrize("text", ["lots", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_an_error_naming_it(monkeypatch, text):
    monkeypatch.setenv("AGRITRACE_MAX_JSON_DEPTH", text)
    with pytest.raises(ValueError, match="AGRITRACE_MAX_JSON_DEPTH"):
        settings()


# --- largest cell ------------------------------------------------------------------------------------


def test_csv_cell_of_10_mb_is_rejected_as_over_the_largest_cell_limit(tmp_path):
    path = csv_file(tmp_path / "big.csv", producer("A" * 10_000_000))
    with pytest.raises(LimitExceeded) as caught:
        read_all(path)
    reason = caught.value.reason
    assert all(word in reason for word in ("row 2", "largest-cell", "131,072 bytes", "AGRITRACE_MAX_CELL_BYTES"))
    assert caught.value.setting == "AGRITRACE_MAX_CELL_BYTES"


def test_csv_quoted_cell_of_10_mb_is_rejected_as_over_the_largest_cell_limit(tmp_path):
    path = csv_file(tmp_path / "quoted.csv", producer('"' + "A" * 10_000_000 + '"'))
    with pytest.raises(LimitExceeded, match="largest-cell limit"):
        read_all(path)


def test_csv_cell_limit_counts_utf8_bytes_not_characters(tmp_path):
    over = csv_file(tmp_path / "over.csv", producer("长" * 400))  # 1,200 bytes
    under = csv_file(tmp_path / "under.csv", producer("长" * 300))  # 900 bytes
    with pytest.raises(LimitExceeded, match="column 'producer_name' holds a cell of 1,200 bytes"):
        read_all(over, limits(max_cell_bytes=1000))
    assert read_all(under, limits(max_cell_bytes=1000)) == 1


def test_csv_header_cell_over_the_limit_is_rejected(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(HEADER + "," + "x" * 2000 + "\n" + ",".join(producer()) + ",1\n", encoding="utf-8")
    with pytest.raises(LimitExceeded, match="header row 1, column 8"):
        read_all(path, limits(max_cell_bytes=1000))


def test_csv_unterminated_quote_in_a_small_file_still_says_quote(tmp_path):
    path = csv_file(tmp_path / "open.csv", producer(), producer('"never closed'), producer())
    with pytest.raises(FileRejected, match="quote opened there and never closed") as caught:
        read_all(path)
    assert not isinstance(caught.value, LimitExceeded)


def test_xlsx_cell_over_the_limit_is_rejected_while_reading(tmp_path):
    # 200 KB: over the limit, yet short enough to pass the scan made before openpyxl opens the file.
    path = bomb(tmp_path / "long.xlsx", 200_000)
    with pytest.raises(LimitExceeded, match="row 2, column 'producer_name' holds a cell of 200,000 bytes"):
        read_all(path)


def test_jsonl_value_over_the_limit_is_rejected(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"producer_id": "x", "producer_name": "A" * 200_000}) + "\n", encoding="utf-8")
    with pytest.raises(LimitExceeded, match="line 1, column 'producer_name' holds a cell of 200,000 bytes"):
        read_all(path)


def test_jsonl_key_over_the_limit_is_rejected(tmp_path):
    path = tmp_path / "key.jsonl"
    path.write_text(json.dumps({"producer_id": "x", "k" * 200_000: 1}) + "\n", encoding="utf-8")
    with pytest.raises(LimitExceeded, match="line 1 holds a key of 200,000 bytes"):
        read_all(path)


# --- JSON nesting ------------------------------------------------------------------------------------


def test_jsonl_line_nested_100000_deep_is_rejected_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"producer_id": "x"}\n{"producer_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                    encoding="utf-8")
    with pytest.raises(LimitExceeded) as caught:
        read_all(path)
    reason = caught.value.reason
    assert all(word in reason for word in ("line 2", "JSON nesting depth", "32 levels", "AGRITRACE_MAX_JSON_DEPTH"))


def test_jsonl_nesting_at_the_limit_is_read(tmp_path):
    path = tmp_path / "nested.jsonl"
    path.write_text(json.dumps({"producer_id": "x", "extra": [[[1]]]}) + "\n", encoding="utf-8")  # 4 levels
    assert read_all(path, limits(max_json_depth=4)) == 1
    with pytest.raises(LimitExceeded, match="more than 3 levels"):
        read_all(path, limits(max_json_depth=3))


def test_brackets_inside_json_strings_are_not_nesting():
    line = json.dumps({"producer_id": "[[[[{{{{", "note": "a \\\" [ quoted"})
    assert json_depth(line, 32) == 1


# --- XLSX size and cells -----------------------------------------------------------------------------


def test_xlsx_bomb_is_rejected_before_openpyxl_opens_it(tmp_path, monkeypatch):
    path = bomb(tmp_path / "bomb.xlsx", 60_000_000)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl opened the bomb"))
    with pytest.raises(LimitExceeded, match="largest-cell limit of 131,072 bytes") as caught:
        open_source(path, limits=DEFAULTS)
    assert "xl/worksheets/sheet1.xml" in caught.value.reason


def test_xlsx_expanding_beyond_the_uncompressed_limit_is_rejected(tmp_path):
    path = workbook(tmp_path / "wide.xlsx", [COLUMNS, producer()])
    with pytest.raises(LimitExceeded) as caught:
        open_source(path, limits=limits(max_xlsx_uncompressed_bytes=5_000))
    reason = caught.value.reason
    assert all(word in reason for word in ("XLSX uncompressed size", "5,000 bytes",
                                           "AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES"))


def test_xlsx_with_more_cells_than_the_limit_is_rejected(tmp_path):
    path = workbook(tmp_path / "many.xlsx", [COLUMNS] + [producer()] * 20)
    assert read_all(path, limits(max_xlsx_cells=21 * 7)) == 20
    with pytest.raises(LimitExceeded) as caught:
        read_all(path, limits(max_xlsx_cells=10 * 7))
    reason = caught.value.reason
    assert all(word in reason for word in ("row 11", "XLSX cell limit of 70 cells", "AGRITRACE_MAX_XLSX_CELLS"))


def test_xlsx_blank_cells_of_a_stretched_sheet_count(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    book.active.append(producer())
    book.active.cell(row=2, column=5000).value = " "  # one stray cell far right widens every row
    path = tmp_path / "stretched.xlsx"
    book.save(path)
    with pytest.raises(LimitExceeded, match="XLSX cell limit"):
        read_all(path, limits(max_xlsx_cells=5000))


def test_a_limit_breach_is_not_retried_per_source_profile(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from agritrace.ingest import sources

    calls = []
    original = sources.check_workbook_archive
    monkeypatch.setattr(sources, "check_workbook_archive", lambda *a: calls.append(1) or original(*a))
    profiles = [SimpleNamespace(name=f"p{row}", feeds={"producers": None}, read_options=ReadOptions(header_row=row),
                                matches=lambda *a: True) for row in (1, 2, 3)]
    with pytest.raises(LimitExceeded):
        read_feed_file(bomb(tmp_path / "bomb.xlsx", 2_000_000), "producers", profiles)
    assert len(calls) == 1


# --- excerpts of file text in messages ---------------------------------------------------------------


def test_excerpt_escapes_control_and_invisible_characters():
    assert excerpt("a\nb\tc\x00d\u200be\u202e") == "a\\nb\\tc\\x00d\\u200be\\u202e"


def test_excerpt_caps_length_with_an_ellipsis():
    text = excerpt("长" * 10_000_000)
    assert len(text) == 60 and text.endswith("…")
    assert len(excerpt("x\n" * 100, limit=20)) <= 20


def test_excerpt_keeps_short_printable_text_as_it_is():
    assert excerpt("绿源蔬菜专业合作社 (No. 1)") == "绿源蔬菜专业合作社 (No. 1)"


def test_value_error_quotes_only_an_excerpt_of_the_cell():
    with pytest.raises(ValueError) as caught:
        parse_date("2024\n" * 10_000)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 150


def test_reading_problem_quotes_only_excerpts_of_the_values(tmp_path):
    path = tmp_path / "twice.jsonl"
    line = {"producer_id": "x", "producer_name": "甲\n" * 5000, "Producer Name": "乙\x1b[31m" * 5000}
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "producers")
    [problem] = [p for p in parsed.problems if p.check == "duplicate_column"]
    assert "\n" not in problem.message and "\x1b" not in problem.message
    assert len(problem.message) < 400
