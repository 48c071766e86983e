"""Source profiles: loading, matching, and both shipped profiles end to end."""

import datetime as dt
from pathlib import Path

import pytest
from agritrace.config import PROJECT_ROOT
from agritrace.ingest import (
    ProfileConflict,
    SourceProfile,
    find_profile,
    iter_feed_file,
    load_profiles,
    normalise,
    read_feed_file,
)

LIMS_HEADER = (
    "委托单号,样品编号,样品名称,样品类别,任务来源,抽样日期,抽样环节,受检单位,受检单位信用代码,抽样地点,"
    "抽样单位,抽样量(g),检测机构,检测项目,检测结果,计量单位,检出限,限量要求,单项结论,检验依据,判定依据,"
    "报告编号,检测日期"
)
LIMS_SAMPLE_1 = "WT2024001,S01,豇豆,蔬菜,例行监测,20240102,基地,茂南某合作社,93440902MA51XXXXXX,金塘镇,茂南区农检站,1000,茂名市农检中心"
LIMS_SAMPLE_2 = "WT2024001,S02,荔枝,水果,例行监测,20240102,市场,,,茂南农贸市场,茂南区农检站,500,茂名市农检中心"
LIMS_ROWS = [
    f"{LIMS_SAMPLE_1},毒死蜱,20,ppb,10,200,合格,GB 23200.113-2018,GB 2763-2021,R001,20240104",
    f"{LIMS_SAMPLE_1},克百威,ND,ppb,1,不得检出,合格,GB 23200.113-2018,GB 2763-2021,R001,20240104",
    f"{LIMS_SAMPLE_1},氧乐果,0.05,ppm,0.01,0.02,不合格,GB 23200.113-2018,GB 2763-2021,R001,20240104",
    f"{LIMS_SAMPLE_2},乙酰甲胺磷,0.1,ppm,0.01,0.5,符合,GB 23200.113-2018,GB 2763-2021,R002,20240105",
    f"{LIMS_SAMPLE_2.replace('荔枝', '龙眼')},甲胺磷,ND,ppm,0.01,不得检出,不符合規定,GB 23200.113-2018,GB 2763-2021,R002,20240105",
]

ROC_HEADER = "抽驗編號,抽樣日期,抽樣場所,抽樣地點,產品名稱,產品類別,檢驗項目,檢出值(ppm),容許量(ppm),檢驗結果,抽樣單位,檢驗單位,檢驗日期"
ROC_ROWS = [
    "1130001,113/8/2,傳統市場,臺中市南區,甘藍,蔬菜,陶斯松,0.05,0.5,合格,臺中市衛生局,食品藥物管理署,113/8/5",
    "1130001,113/8/2,傳統市場,臺中市南區,甘藍,蔬菜,賽滅寧,ND,2.0,合格,臺中市衛生局,食品藥物管理署,113/8/5",
    "1130002,113/8/3,批發市場,臺北市萬華區,芒果,水果,益達胺,1.2,1.0,不符合規定,臺北市衛生局,食品藥物管理署,113/8/6",
]


@pytest.fixture(scope="module")
def profiles() -> list[SourceProfile]:
    return load_profiles(PROJECT_ROOT / "profiles")


def _lims(tmp_path: Path, rows: list[str] = LIMS_ROWS) -> Path:
    path = tmp_path / "LIMS导出.csv"
    path.write_bytes(("\n".join([LIMS_HEADER, *rows]) + "\n").encode("gbk"))
    return path


def _roc(tmp_path: Path) -> Path:
    path = tmp_path / "open_data.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([ROC_HEADER, *ROC_ROWS]) + "\r\n").encode("utf-8"))
    return path


def test_shipped_profiles_load(profiles: list[SourceProfile]) -> None:
    assert {p.name for p in profiles} >= {"lims_flat_export", "roc_open_data"}


def test_lims_flat_file_gives_batches_and_results(tmp_path: Path, profiles: list[SourceProfile]) -> None:
    batches, results = read_feed_file(_lims(tmp_path), "inspection_results", profiles)
    assert (batches.feed, results.feed) == ("sampling_batches", "inspection_results")
    assert batches.profile == results.profile == "lims_flat_export"
    assert batches.encoding == "gb18030"
    assert results.extra_columns == ["受检单位"]
    assert batches.missing_required == results.missing_required == []

    # Three rows of sample S01 collapse to one batch; S02's rows disagree, so both stay, reported.
    assert list(batches.raw.index) == [2, 5, 6]
    assert batches.collapsed_rows == {2: (3, 4)}
    assert sorted((p.row, p.check, p.column) for p in batches.problems) == [
        (5, "conflicting_duplicate", "product_name"),
        (6, "conflicting_duplicate", "product_name"),
    ]
    assert "WT2024001-S02" in batches.problems[0].message

    b = normalise("sampling_batches", batches.raw, find_profile(profiles, batches.profile)).values
    first = b.loc[2]
    assert first["batch_no"] == "WT2024001-S01"
    assert (first["task_type"], first["sampling_level"], first["sampling_stage"]) == (
        "routine_monitoring",
        "district",
        "production_base",
    )
    assert first["sampling_date"] == dt.date(2024, 1, 2)
    assert first["sample_qty_kg"] == pytest.approx(1.0)
    assert first["product_category"] == "vegetables"
    assert b.loc[5, "sampling_stage"] == "farmers_market"

    assert list(results.raw.index) == [2, 3, 4, 5, 6]
    r = normalise("inspection_results", results.raw, find_profile(profiles, results.profile)).values
    assert list(r["batch_no"].unique()) == ["WT2024001-S01", "WT2024001-S02"]
    assert list(r["result_value"]) == ["0.02", "ND", "0.05", "0.1", "ND"]
    assert list(r["lod"]) == pytest.approx([0.01, 0.001, 0.01, 0.01, 0.01])
    assert list(r["mrl"]) == ["0.2", "不得检出", "0.02", "0.5", "不得检出"]
    assert set(r["unit"]) == {"mg/kg"}
    assert list(r["verdict"]) == ["pass", "pass", "fail", "pass", "fail"]
    assert r.loc[2, "tested_on"] == dt.date(2024, 1, 4)
    assert r.loc[2, "method"] == "GB 23200.113-2018"


def test_lims_collapse_holds_across_chunks(tmp_path: Path, profiles: list[SourceProfile]) -> None:
    chunks = [
        p
        for p in iter_feed_file(_lims(tmp_path), "sampling_batches", profiles, chunk_rows=2)
        if p.feed == "sampling_batches"
    ]
    assert [list(c.raw.index) for c in chunks] == [[2], [5], [6]]
    # Each chunk names the rows it folded into the kept row, even one kept in an earlier chunk.
    assert [c.collapsed_rows for c in chunks] == [{2: (3,)}, {2: (4,)}, {}]


def test_lims_value_that_cannot_be_rescaled_keeps_its_row_unit(tmp_path: Path, profiles: list[SourceProfile]) -> None:
    rows = [LIMS_ROWS[0].replace(",20,ppb,", ",约20,ppb,")]
    [_, results] = read_feed_file(_lims(tmp_path, rows), "inspection_results", profiles)
    r = normalise("inspection_results", results.raw, find_profile(profiles, "lims_flat_export")).values
    assert (r.loc[2, "result_value"], r.loc[2, "lod"], r.loc[2, "mrl"], r.loc[2, "unit"]) == (
        "约20",
        10.0,
        "200",
        "ppb",
    )


def test_roc_open_data_file_gives_batches_and_results(tmp_path: Path, profiles: list[SourceProfile]) -> None:
    batches, results = read_feed_file(_roc(tmp_path), "sampling_batches", profiles)
    assert batches.profile == "roc_open_data" and batches.encoding == "utf-8-sig"
    assert list(batches.raw.index) == [2, 4] and batches.problems == []
    b = normalise("sampling_batches", batches.raw, find_profile(profiles, "roc_open_data")).values
    assert list(b["batch_no"]) == ["ROC-1130001", "ROC-1130002"]
    assert list(b["sampling_date"]) == [dt.date(2024, 8, 2), dt.date(2024, 8, 3)]
    assert list(b["task_type"]) == ["supervisory_sampling"] * 2
    assert list(b["sampling_level"]) == ["province"] * 2
    assert list(b["sampling_stage"]) == ["farmers_market", "wholesale_market"]
    assert list(b["product_category"]) == ["vegetables", "fruits"]

    r = normalise("inspection_results", results.raw, find_profile(profiles, "roc_open_data")).values
    assert list(r["batch_no"]) == ["ROC-1130001", "ROC-1130001", "ROC-1130002"]
    assert list(r["analyte"]) == ["陶斯松", "賽滅寧", "益達胺"]
    assert list(r["unit"]) == ["ppm"] * 3
    assert list(r["verdict"]) == ["pass", "pass", "fail"]
    assert r.loc[4, "tested_on"] == dt.date(2024, 8, 6)


def test_profile_applies_only_to_feeds_it_names(tmp_path: Path, profiles: list[SourceProfile]) -> None:
    [parsed] = read_feed_file(_roc(tmp_path), "certificates", profiles)
    assert parsed.profile is None and parsed.feed == "certificates"
    assert "certificate_no" in parsed.missing_required


def _profile(name: str, **match: object) -> SourceProfile:
    return SourceProfile.model_validate(
        {
            "name": name,
            "match": match,
            "feeds": {"inspection_results": {"columns": {"analyte": "检测项目"}}},
        }
    )


def test_two_matching_profiles_are_an_error_naming_both(tmp_path: Path) -> None:
    one = _profile("one", headers_all=["委托单号"])
    two = _profile("two", filename_glob="lims*.csv")
    with pytest.raises(ProfileConflict) as caught:
        read_feed_file(_lims(tmp_path).rename(tmp_path / "lims_1.csv"), "inspection_results", [one, two])
    assert "'one'" in caught.value.reason and "'two'" in caught.value.reason


def test_filename_glob_must_also_hold(tmp_path: Path) -> None:
    narrow = _profile("narrow", headers_all=["委托单号"], filename_glob="*.xlsx")
    [parsed] = read_feed_file(_lims(tmp_path), "inspection_results", [narrow])
    assert parsed.profile is None


def test_profiles_dir_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p.yaml").write_text(
        "name: mine\nmatch: {filename_glob: '*.csv'}\nfeeds: {producers: {columns: {producer_id: 编码}}}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AGRITRACE_PROFILES_DIR", str(tmp_path))
    assert [p.name for p in load_profiles()] == ["mine"]


@pytest.mark.parametrize(
    ("feeds", "needle"),
    [
        ({"harvests": {}}, "unknown feed"),
        ({"producers": {"columns": {"owner": "业主"}}}, "owner"),
        ({"producers": {"vocabularies": {"producer_type": {"公司": "company"}}}}, "company"),
        ({"producers": {"columns": {"region_code": "区划"}, "constants": {"region_code": "440902"}}}, "both"),
        ({"inspection_results": {"units": {"lod": {"factors": {"ppb": 0.001}}}}}, "to"),
        ({"producers": {"colums": {}}}, "colums"),
    ],
)
def test_invalid_profile_is_refused_naming_the_problem(tmp_path: Path, feeds: dict, needle: str) -> None:
    import yaml

    (tmp_path / "bad.yaml").write_text(
        yaml.safe_dump({"name": "bad", "match": {"filename_glob": "*"}, "feeds": feeds}, allow_unicode=True),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="bad.yaml") as caught:
        load_profiles(tmp_path)
    assert needle in str(caught.value)


def test_profile_names_must_be_unique(tmp_path: Path) -> None:
    text = "name: same\nmatch: {filename_glob: '*'}\nfeeds: {producers: {}}\n"
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="same"):
        load_profiles(tmp_path)


def _provincial_workbook(tmp_path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由省平台导出"])
    ws = wb.create_sheet("合格证")
    ws.append(["2024年合格证开具明细"])
    ws.append(["证书编号", "信用代码", "品名", "重量", "开证日期", "依据"])
    ws.append(["HG001", "91440902MA4UXXXX1X", "罗非鱼", 35, 45293, "自检合格"])
    path = tmp_path / "省平台合格证.xlsx"
    wb.save(path)
    return path


def _provincial_profile(sheet: str = "合格证") -> SourceProfile:
    return SourceProfile.model_validate(
        {
            "name": "provincial",
            "match": {"headers_all": ["证书编号", "信用代码"]},
            "sheet": sheet,
            "header_row": 2,
            "feeds": {
                "certificates": {
                    "columns": {
                        "certificate_no": "证书编号",
                        "producer_id": "信用代码",
                        "quantity": "重量",
                        "commitment_basis": "依据",
                    },
                    "constants": {"unit": "公斤", "product_category": "水产品"},
                }
            },
        }
    )


def test_profile_reads_named_sheet_below_a_title_row(tmp_path: Path) -> None:
    profile = _provincial_profile()
    [parsed] = read_feed_file(_provincial_workbook(tmp_path), "certificates", [profile])
    assert parsed.profile == "provincial" and list(parsed.raw.index) == [3]
    values = normalise("certificates", parsed.raw, profile).values.loc[3]
    assert (values["certificate_no"], values["product_name"], values["quantity"]) == ("HG001", "罗非鱼", 35.0)
    assert (values["unit"], values["product_category"]) == ("kg", "aquatic")
    assert values["issue_date"] == dt.date(2024, 1, 2)
    assert values["commitment_basis"] == ("self_test",)


def test_profile_whose_sheet_is_absent_does_not_match(tmp_path: Path) -> None:
    [parsed] = read_feed_file(_provincial_workbook(tmp_path), "certificates", [_provincial_profile("其他")])
    assert parsed.profile is None
    assert parsed.missing_required  # read as a plain file: the first sheet has no contract headers


def test_readme_example_profile_is_valid() -> None:
    import re

    import yaml

    readme = (PROJECT_ROOT / "profiles" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert example is not None
    profile = SourceProfile.model_validate(yaml.safe_load(example.group(1)))
    assert profile.feeds["inspection_results"].key == {"batch_no": "{委托单号}-{样品编号}"}
