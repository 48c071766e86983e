"""Chunked reading: bounded memory, row numbers that continue across chunks."""

import json
import time
from pathlib import Path

import pandas as pd
from agritrace.ingest import iter_feed_file, normalise, read_feed_file

HEADER = "合格证编号,主体编码,产品名称,数量,单位,开具日期,承诺依据"


def test_chunks_continue_row_numbers_past_blank_lines(tmp_path: Path) -> None:
    lines = [HEADER] + [f"C{i},P1,豇豆,{i},公斤,2024-01-02,自检合格" for i in range(1, 11)]
    lines.insert(5, "")
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks = list(iter_feed_file(path, "certificates", chunk_rows=3))
    numbers = [list(c.raw.index) for c in chunks]
    assert numbers[0] == [2, 3, 4]
    assert [n for chunk in numbers for n in chunk] == [2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    assert [c.chunk for c in chunks] == list(range(len(chunks)))
    whole = read_feed_file(path, "certificates")[0]
    pd.testing.assert_frame_equal(pd.concat([c.raw for c in chunks]), whole.raw)


def test_jsonl_chunks_continue_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"certificate_no": f"C{i}"}) + "\n" for i in range(7)), encoding="utf-8")
    chunks = list(iter_feed_file(path, "certificates", chunk_rows=3))
    assert [list(c.raw.index) for c in chunks] == [[1, 2, 3], [4, 5, 6], [7]]


def test_xlsx_chunks_continue_sheet_rows(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(HEADER.split(","))
    for i in range(5):
        wb.active.append([f"C{i}", "P1", "豇豆", i + 1, "公斤", "2024-01-02", "自检合格"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    chunks = list(iter_feed_file(path, "certificates", chunk_rows=2))
    assert [list(c.raw.index) for c in chunks] == [[2, 3], [4, 5], [6]]


def test_two_hundred_thousand_rows_stream_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    units = ["公斤", "箱", "斤", "吨"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for i in range(200_000):
            handle.write(
                f"C{i:07d},91440902MA4U{i % 324:06d},豇豆,{i % 50 + 1},{units[i % 4]},"
                f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},自检合格\n"
            )
    started = time.perf_counter()
    sizes, last = [], None
    for chunk in iter_feed_file(path, "certificates", chunk_rows=50_000):
        sizes.append(chunk.rows)
        typed = normalise("certificates", chunk.raw)
        assert typed.parse_ok.all().all()
        last = chunk
    elapsed = time.perf_counter() - started
    assert sizes == [50_000] * 4
    assert last is not None and last.raw.index[-1] == 200_001
    assert last.raw.loc[200_001, "certificate_no"] == "C0199999"
    assert elapsed < 30, f"200k rows took {elapsed:.1f}s"
