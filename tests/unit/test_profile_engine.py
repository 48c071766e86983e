"""The profile engine: what a YAML source profile can express without code (profiles/README.md),
one test per feature, read through ``read_feed_file`` (no database)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml
from agritrace.ingest import FileRejected, SourceProfile, read_feed_file
from agritrace.ingest.landing import refusal
from workbooks import write_ods

ITEMS = "不合格项目║检验结果║标准值"


def _profile(text: str) -> SourceProfile:
    return SourceProfile.model_validate(yaml.safe_load(text))


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


BULLETIN = _profile(f"""
name: bulletin
match: {{headers_all: [公告号, {ITEMS}]}}
placeholders: ["-", "/"]
continuation: [序号]
jurisdiction: CN
feeds:
  inspection_results:
    key: {{batch_no: "{{公告号}}-{{序号}}"}}
    explode:
      column: {ITEMS}
      separators: ["\\n", "\\t"]   # not ；, which separates the readings of one value here
      pattern: '(?P<analyte>[^║]+)║(?P<value>[^║]+)║(?P<limit>[^║]+)'
    value_text: {{reading: 复检结果}}
    limit_text: true
""")
BULLETIN_HEADER = ["序号", "食品名称", ITEMS, "公告号", "备注"]


def test_one_cell_explodes_into_numbered_items_traced_to_their_row_and_cell(tmp_path):
    path = _xlsx(tmp_path / "b.xlsx", {"s": [
        BULLETIN_HEADER,
        [1, "豇豆", "毒死蜱║0.12mg/kg║≤0.02mg/kg\n克百威║0.05mg/kg║不得检出\t氧乐果║30μg/kg║≤20μg/kg", "2023-5", "-"],
        [2, "芹菜", "腐霉利是一个坏项目", "2023-5", None],
    ]})
    [parsed] = read_feed_file(path, "inspection_results", [BULLETIN])
    raw = parsed.raw
    assert list(raw.index) == [2001, 2002, 2003, 3001]
    assert raw[["batch_no", "analyte", "result_value", "unit", "mrl"]].values.tolist() == [
        ["2023-5-1", "毒死蜱", "0.12", "mg/kg", "0.02"],
        ["2023-5-1", "克百威", "0.05", "mg/kg", "不得检出"],
        # The limit is converted into the unit the value is written in.
        ["2023-5-1", "氧乐果", "30", "μg/kg", "20"],
        ["2023-5-2", None, None, None, None],
    ]
    lineage = parsed.raw_extra[["source_row", "source_item", "source_cell"]].values.tolist()
    assert lineage == [[2, 1, ITEMS], [2, 2, ITEMS], [2, 3, ITEMS], [3, 1, ITEMS]]
    assert parsed.raw_extra.loc[2002, "item_text"] == "克百威║0.05mg/kg║不得检出"
    # The placeholder '-' is no value; the profile's jurisdiction fills the feed's column (or the raw record).
    assert parsed.raw_extra["备注"].isna().all()
    assert set(raw["jurisdiction"] if "jurisdiction" in raw else parsed.raw_extra["jurisdiction"]) == {"CN"}
    [problem] = parsed.problems
    assert (problem.row, problem.check, problem.value) == (3001, "item_pattern", "腐霉利是一个坏项目")
    assert "row 3 item 1" in problem.message and ITEMS in problem.message


def test_continuation_rows_add_items_to_the_row_above(tmp_path):
    path = _xlsx(tmp_path / "b.xlsx", {"s": [
        BULLETIN_HEADER,
        [1, "豇豆", "毒死蜱║0.12mg/kg║≤0.02mg/kg", "2023-5", "x"],
        [None, None, "克百威║0.05mg/kg║不得检出", None, None],
        [2, "芹菜", "腐霉利║初检结果：2.9mg/kg；复检结果：2.7mg/kg║MRL = 0.4", "2023-5", None],
    ]})
    [parsed] = read_feed_file(path, "inspection_results", [BULLETIN])
    assert parsed.raw[["batch_no", "analyte"]].values.tolist() == [
        ["2023-5-1", "毒死蜱"], ["2023-5-1", "克百威"], ["2023-5-2", "腐霉利"]]
    assert parsed.raw_extra["source_row"].tolist() == [2, 3, 4]
    assert parsed.raw_extra.loc[3001, "食品名称"] == "豇豆"
    # The reading of record (复检) is the value; the limit's label is not part of it.
    assert parsed.raw.loc[4001, ["result_value", "unit", "mrl"]].tolist() == ["2.7", "mg/kg", "0.4"]
    assert parsed.problems == []


def test_a_missing_reading_and_an_unreadable_limit_are_reasons_on_the_item(tmp_path):
    path = _xlsx(tmp_path / "b.xlsx", {"s": [
        BULLETIN_HEADER,
        [1, "豇豆", "毒死蜱║初检结果：2.9mg/kg║≤0.02mg/kg\n克百威║0.05mg/kg║≥90%", "2023-5", None],
    ]})
    [parsed] = read_feed_file(path, "inspection_results", [BULLETIN])
    assert sorted((p.row, p.column, p.check) for p in parsed.problems) == [
        (2001, "result_value", "value_text"), (2002, "mrl", "limit_text")]


def test_item_groups_beyond_columns_stay_in_the_raw_record_and_english_names_stand_in(tmp_path):
    profile = _profile(r"""
name: free_text
match: {headers_all: [不合格項目]}
feeds:
  inspection_results:
    key: {batch_no: "{file_sha8}-{row_number}"}
    constants: {unit: ppm}
    explode:
      column: 不合格項目
      separators: ["\n", "\t"]
      pattern: '(?P<class>\S+)\s+(?P<analyte_en>[A-Za-z][A-Za-z -]*?)(?:\s+(?P<analyte>[^\sA-Za-z\d]+))?\s+(?P<value>[\d.]+)\s*ppm\s*\((?:(?P<limit_kind>不得檢出)|(?P<limit>[\d.]+))\)'
""")
    path = tmp_path / "list.csv"
    path.write_text("日期,不合格項目\n20230104,\"殺蟲劑 Chlorpyrifos 陶斯松 0.03 ppm (0.01)\tFungicide Carbendazim 0.5 ppm (不得檢出)\"\n",
                    encoding="utf-8")
    [parsed] = read_feed_file(path, "inspection_results", [profile])
    assert parsed.raw[["analyte", "result_value", "mrl"]].values.tolist() == [
        ["陶斯松", "0.03", "0.01"], ["Carbendazim", "0.5", "不得检出"]]
    assert parsed.raw_extra[["class", "analyte_en"]].values.tolist() == [
        ["殺蟲劑", "Chlorpyrifos"], ["Fungicide", "Carbendazim"]]
    import hashlib

    sha8 = hashlib.sha256(path.read_bytes()).hexdigest()[:8].upper()
    assert set(parsed.raw["batch_no"]) == {f"{sha8}-2"}


def test_synthetic_keys_from_file_name_and_row_number_do_not_collide_across_exports(tmp_path):
    profile = _profile("""
name: counter
match: {headers_all: [編號, 檢驗項目]}
feeds:
  inspection_results:
    key: {batch_no: "{file_stem}-{編號}", report_no: "{file_name}#{row_number}"}
    columns: {analyte: 檢驗項目}
""")
    keys = []
    for name in ("一月.csv", "二月.csv"):
        path = tmp_path / name
        path.write_text("編號,檢驗項目\n1,農藥殘留\n2,農藥殘留\n", encoding="utf-8")
        [parsed] = read_feed_file(path, "inspection_results", [profile])
        keys += parsed.raw["batch_no"].tolist()
        assert parsed.raw["report_no"].tolist() == [f"{name}#2", f"{name}#3"]
    assert keys == ["一月-1", "一月-2", "二月-1", "二月-2"]


def test_one_sheet_per_product_names_the_product(tmp_path):
    profile = _profile("""
name: per_product
match: {headers_all: [樣品編號, 檢驗項目]}
sheets: "*"
feeds:
  inspection_results:
    key: {batch_no: "{sheet}-{樣品編號}"}
    columns: {analyte: 檢驗項目}
""")
    path = _xlsx(tmp_path / "w.xlsx", {"龍眼": [["樣品編號", "檢驗項目"], ["A1", "陶斯松"], ["A2", "加保扶"]],
                                       "芒果": [["樣品編號", "檢驗項目"], ["A1", "益達胺"]]})
    [parsed] = read_feed_file(path, "inspection_results", [profile])
    assert parsed.raw["batch_no"].tolist() == ["龍眼-A1", "龍眼-A2", "芒果-A1"]
    # Row numbers continue from sheet to sheet; the raw record keeps each row's sheet and sheet row.
    assert list(parsed.raw.index) == [2, 3, 5]
    assert parsed.raw_extra[["source_sheet", "source_sheet_row"]].values.tolist() == [
        ["龍眼", 2], ["龍眼", 3], ["芒果", 2]]


def test_region_written_in_another_scheme_is_kept_not_read_as_a_division_code(tmp_path):
    profile = _profile("""
name: postal
match: {headers_all: [郵遞區號, 抽驗編號]}
region_scheme: postal_code
time_zone: Asia/Taipei
jurisdiction: TW
feeds:
  sampling_batches:
    key: {batch_no: "{抽驗編號}"}
    columns: {region_code: 郵遞區號}
""")
    path = tmp_path / "p.csv"
    path.write_text("抽驗編號,郵遞區號\nX1,402\n", encoding="utf-8")
    [parsed] = read_feed_file(path, "sampling_batches", [profile])
    assert parsed.raw.loc[2, "region_code"] is None
    assert parsed.raw_extra.loc[2, ["region (postal_code)", "jurisdiction", "time_zone"]].tolist() == [
        "402", "TW", "Asia/Taipei"]


def test_opendocument_spreadsheets_read_like_xlsx(tmp_path):
    path = write_ods(tmp_path / "results.ods", [["抽样单编号", "检测项目", "检测值"], ["B1", "毒死蜱", "0.05"], [None, None, None],
                                            ["B2", "克百威", "ND"]])
    assert refusal(path) is None
    [parsed] = read_feed_file(path, "inspection_results")
    assert parsed.format == "ods"
    assert parsed.raw[["batch_no", "analyte", "result_value"]].values.tolist() == [
        ["B1", "毒死蜱", "0.05"], ["B2", "克百威", "ND"]]
    assert list(parsed.raw.index) == [2, 4]


def test_profile_mistakes_are_refused_when_profiles_load(tmp_path):
    with pytest.raises(ValueError, match="not a regular expression"):
        _profile("{name: x, match: {headers_all: [a]}, feeds: {inspection_results: {explode: "
                 "{column: a, pattern: '(?P<analyte>'}}}}")
    with pytest.raises(ValueError, match="no named groups"):
        _profile("{name: x, match: {headers_all: [a]}, feeds: {inspection_results: {explode: {column: a, pattern: '.+'}}}}")
    with pytest.raises(ValueError, match="IANA time zone"):
        _profile("{name: x, match: {headers_all: [a]}, time_zone: Mars/Olympus, feeds: {producers: {}}}")
    path = _xlsx(tmp_path / "b.xlsx", {"s": [["序号", "公告号"], [1, "x"]]})
    profile = _profile("{name: x, match: {headers_all: [公告号]}, feeds: {inspection_results: {explode: "
                       "{column: 不合格项目, pattern: '(?P<analyte>.+)'}}}}")
    with pytest.raises(FileRejected, match="explodes column '不合格项目'"):
        read_feed_file(path, "inspection_results", [profile])
