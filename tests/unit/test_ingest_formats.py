"""CSV delimiters, XLSX and JSON Lines all arrive as the same canonical text frame."""

import json
from pathlib import Path

import openpyxl
import pytest
from agritrace.ingest import read_feed_file

ROWS = [
    ["抽样单编号", "检测项目", "检测值", "单位", "单项判定", "检测日期"],
    ["B001", "毒死蜱", "0.05", "mg/kg", "合格", "2024-01-03"],
    ["B001", "克百威", "ND", "mg/kg", "合格", "2024-01-03"],
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "results.csv"
    path.write_text("\n".join(delimiter.join(r) for r in ROWS) + "\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.format == "csv"
    assert parsed.raw.loc[3, "analyte"] == "克百威"
    assert parsed.raw.loc[2, "result_value"] == "0.05"
    assert list(parsed.raw.index) == [2, 3]


def test_csv_quoted_delimiter_stays_in_value(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text('抽样单编号,检测项目,检测方法\nB1,毒死蜱,"GB 23200.113-2018, 第一法"\n', encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.raw.loc[2, "method"] == "GB 23200.113-2018, 第一法"


def test_values_are_stripped_and_empty_cells_are_none(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("抽样单编号,检测项目,检测值\n  B1 ,\u3000毒死蜱\u3000,   \n", encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    row = parsed.raw.loc[2]
    assert (row["batch_no"], row["analyte"], row["result_value"]) == ("B1", "毒死蜱", None)
    assert parsed.raw.dtypes.eq(object).all()


def test_blank_lines_keep_row_numbers_of_the_source(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("抽样单编号,检测项目\nB1,a\n\n,\nB2,b\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert list(parsed.raw.index) == [2, 5]


def test_row_with_too_many_values_is_kept_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text("抽样单编号,检测项目\nB1,a\nB2,b,surplus\nB3,c,\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert list(parsed.raw.index) == [2, 3, 4]
    assert [(p.row, p.check, p.value) for p in parsed.problems] == [(3, "too_many_fields", "surplus")]


def test_xlsx_with_chinese_headers_reads_cells_as_text(tmp_path: Path) -> None:
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结果"
    ws.append(["抽样单编号", "检测项目", "检测值", "检出限", "检测日期", "报告编号"])
    ws.append(["B001", "毒死蜱", 0.05, 0.01, dt.datetime(2024, 1, 3), 20240103001])
    ws.append([None, None, None, None, None, None])
    ws.append(["B002", "克百威", "ND", "=1/100", "2024/1/4", "R2"])
    path = tmp_path / "results.xlsx"
    wb.save(path)
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.format == "xlsx" and parsed.encoding is None
    assert list(parsed.raw.index) == [2, 4]
    first = parsed.raw.loc[2]
    assert (first["result_value"], first["lod"], first["tested_on"], first["report_no"]) == (
        "0.05",
        "0.01",
        "2024-01-03",
        "20240103001",
    )
    # Written without a cached value, the formula is kept as its text.
    assert parsed.raw.loc[4, "lod"] == "=1/100"


def test_xlsx_formula_with_cached_value_reads_the_value(tmp_path: Path) -> None:
    import zipfile

    wb = openpyxl.Workbook()
    wb.active.append(["抽样单编号", "检出限"])
    wb.active.append(["B1", "=1/100"])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    # Spreadsheet programs store the computed value next to the formula; add one as they would.
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(cached, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>1/100</f><v />" in data
                data = data.replace(b"<f>1/100</f><v />", b"<f>1/100</f><v>0.01</v>")
            dst.writestr(item, data)
    [parsed] = read_feed_file(cached, "inspection_results")
    assert parsed.raw.loc[2, "lod"] == "0.01"


def test_xlsx_reads_first_sheet_by_default(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["抽样单编号", "检测项目"])
    wb.active.append(["B1", "毒死蜱"])
    other = wb.create_sheet("说明")
    other.append(["说明"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.raw.loc[2, "batch_no"] == "B1"


def test_jsonl_uses_line_numbers_and_keeps_unreadable_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"batch_no": "B1", "analyte": "毒死蜱", "result_value": 0.05, "lod": 0.01}, ensure_ascii=False),
        "",
        json.dumps({"抽样单编号": "B2", "检测项目": "克百威", "检测值": "ND", "备注": "复检"}, ensure_ascii=False),
        "{not json",
    ]
    path = tmp_path / "results.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.format == "jsonl"
    assert list(parsed.raw.index) == [1, 3, 4]
    assert parsed.raw.loc[1, "result_value"] == "0.05"
    assert parsed.raw.loc[3, "batch_no"] == "B2"
    assert parsed.raw_extra.loc[3, "备注"] == "复检"
    assert [(p.row, p.check) for p in parsed.problems] == [(4, "unreadable_line")]
    assert "备注" in parsed.extra_columns


def test_jsonl_recognised_by_content_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "delivery"
    path.write_text('{"batch_no": "B1", "analyte": "毒死蜱"}\n', encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.format == "jsonl"


def test_jsonl_row_giving_one_column_twice_differently_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        json.dumps({"batch_no": "B1", "抽样单编号": "B9", "analyte": "x"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"batch_no": "B2", "抽样单编号": "B2", "analyte": "x"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    [parsed] = read_feed_file(path, "inspection_results")
    assert list(parsed.raw["batch_no"]) == ["B1", "B2"]
    assert [(p.row, p.check) for p in parsed.problems] == [(1, "duplicate_column")]
