"""The judgement rules, one behaviour per test, against the shipped reference data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from agritrace.reference import (
    ItemVerdict,
    ReferenceData,
    UnknownReference,
    explain,
    judge_batch,
    judge_item,
    parse_result_value,
    to_mg_per_kg,
)
from agritrace.reference.tables import DATA_DIR


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


def judge(ref, product="豇豆", analyte="灭蝇胺", value="0.1", **kwargs) -> ItemVerdict:
    return judge_item(ref, product=product, analyte=analyte, result_value=value, **kwargs)


# --- values and units -------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("0.5", (0.5, False)),
    ("０．５", (0.5, False)),
    ("１２", (12.0, False)),
    (" 0.020 ", (0.02, False)),
    ("1e-3", (0.001, False)),
    (None, (None, False)),
    ("", (None, False)),
])
def test_numbers_are_read_including_full_width_digits(raw, expected):
    assert parse_result_value(raw) == expected


@pytest.mark.parametrize("word", ["ND", "nd", "N.D.", "N.D", "未检出", "未檢出", "<LOD", "< LOD", "<0.01",
                                  "＜0.01", "<0.01mg/kg", "未检出(<0.005)", "-", "—", "－", "--"])
def test_each_nondetect_word_is_a_nondetect(word):
    assert parse_result_value(word) == (None, True)


@pytest.mark.parametrize("garbage", ["abc", "0.5.1", "-0.3", "超标", "0,5", "1,234"])
def test_garbage_value_is_an_error_naming_it(garbage):
    with pytest.raises(ValueError, match="result value|negative|not a number"):
        parse_result_value(garbage)


@pytest.mark.parametrize("value, unit, mg_kg", [
    (0.5, "mg/kg", 0.5),
    (0.5, None, 0.5),
    (0.5, "MG/KG", 0.5),
    (0.5, "毫克/千克", 0.5),
    (0.5, "ppm", 0.5),
    (500, "ppb", 0.5),
    (500, "μg/kg", 0.5),
    (500, "ug/kg", 0.5),
    (500, "µg/kg", 0.5),  # micro sign U+00B5
    (500, "微克/千克", 0.5),
    (70, "μg/kg", 0.07),
])
def test_units_are_normalised_to_mg_per_kg(value, unit, mg_kg):
    assert to_mg_per_kg(value, unit) == mg_kg


def test_unknown_unit_is_an_error_naming_it():
    with pytest.raises(ValueError, match="unknown unit 'mg/L'"):
        to_mg_per_kg(1, "mg/L")


# --- MRL verdicts ------------------------------------------------------------------------

@pytest.mark.parametrize("value, unit, verdict", [
    ("0.5", "mg/kg", "pass"),       # exactly at the limit passes
    ("0.50", None, "pass"),
    ("0.5001", "mg/kg", "fail"),    # just above fails
    ("0.7", "mg/kg", "fail"),
    ("500", "ppb", "pass"),         # 500 ppb = 0.5 mg/kg
    ("501", "ppb", "fail"),
    ("500", "μg/kg", "pass"),
    ("0.5", "ppm", "pass"),
    ("０．５", "mg/kg", "pass"),
    ("０．７", "mg/kg", "fail"),
    ("ND", "mg/kg", "pass"),
])
def test_value_against_the_mrl_of_cyromazine_in_cowpea(ref, value, unit, verdict):
    assert judge(ref, value=value, unit=unit).verdict == verdict


def test_value_equal_to_limit_passes(ref):
    item = judge(ref, value="0.5")
    assert item.verdict == "pass" and item.ratio_to_limit == 1.0


def test_value_just_above_limit_fails(ref):
    item = judge(ref, value="0.51")
    assert item.verdict == "fail"
    assert "exceeds the MRL 0.5 mg/kg" in item.verdict_reason


def test_ppb_value_is_compared_in_mg_per_kg(ref):
    item = judge(ref, value="500", unit="ppb")
    assert (item.result_value, item.value_mg_kg, item.limit_mg_kg) == (500.0, 0.5, 0.5)
    assert item.verdict == "pass"


def test_product_found_only_through_its_group(ref):
    # 豇豆 has no cyromazine row of its own; the limit is the one for 豆类蔬菜
    assert ref.find_limit("cowpea", "cyromazine").level == "group"
    item = judge(ref, product="长豆角", value="0.6")
    assert item.verdict == "fail" and "found via group 豆类蔬菜" in item.verdict_reason


def test_product_level_limit_wins_over_group(ref):
    assert ref.find_limit("cucumber", "cyromazine").product_level_code == "cucumber"


def test_category_level_limit_is_used_when_nothing_more_specific(ref):
    limit = ref.find_limit("tomato", "lead")
    assert (limit.level, limit.product_level_code, limit.mg_per_kg) == ("category", "vegetables", 0.1)


def test_no_limit_passes_and_says_the_value_is_recorded(ref):
    item = judge(ref, analyte="噻虫嗪", value="0.05")
    assert item.verdict == "pass" and item.limit_kind is None and item.limit_mg_kg is None
    assert item.verdict_reason == "no limit set in GB 2763-2021 for 豇豆/噻虫嗪; detected value recorded"


# --- banned substances -----------------------------------------------------------------

@pytest.mark.parametrize("value, lod, verdict", [
    ("0.01", "0.01", "fail"),    # at the LOD fails
    ("0.02", "0.01", "fail"),
    ("0.005", "0.01", "pass"),   # below the LOD counts as not detected
    ("ND", "0.01", "pass"),
    ("未检出", None, "pass"),
    ("0.003", None, "fail"),     # no LOD: any quantified value is a detection
    ("10", "10", "fail"),
])
def test_banned_substance_is_judged_against_the_lod(ref, value, lod, verdict):
    unit = "μg/kg" if value == "10" else "mg/kg"
    item = judge(ref, analyte="克百威", value=value, lod=lod, unit=unit)
    assert (item.verdict, item.limit_kind) == (verdict, "banned")


def test_banned_substance_at_the_lod_fails(ref):
    item = judge(ref, analyte="克百威", value="0.01", lod="0.01")
    assert item.verdict == "fail" and item.ratio_to_limit == 1.0 and item.lod_mg_kg == 0.01


def test_banned_substance_not_detected_passes(ref):
    assert judge(ref, analyte="克百威", value="ND", lod="0.01").verdict == "pass"


def test_below_bound_value_supplies_the_lod(ref):
    item = judge(ref, analyte="克百威", value="<0.01")
    assert (item.is_nondetect, item.lod_mg_kg, item.verdict) == (True, 0.01, "pass")


@pytest.mark.parametrize("product, analyte", [
    ("芹菜", "毒死蜱"), ("菜心", "氟虫腈"), ("罗非鱼", "孔雀石绿"), ("猪肉", "氯霉素"), ("鸡蛋", "恩诺沙星"),
    ("荔枝", "克百威"),
])
def test_demo_banned_pairs_fail_when_detected(ref, product, analyte):
    item = judge(ref, product=product, analyte=analyte, value="0.002", lod="0.001")
    assert (item.verdict, item.limit_kind) == ("fail", "banned")


def test_ban_applies_whatever_standard_the_row_names(ref):
    item = judge(ref, analyte="克百威", value="0.015", lod="0.005", standard="GB 2763-2021")
    assert item.verdict == "fail" and item.limit_standard == "农业农村部禁限用农药名录"


def test_chlorpyrifos_is_banned_on_vegetables_but_has_an_mrl_on_lychee(ref):
    assert ref.find_limit("celery", "chlorpyrifos").kind == "banned"
    assert ref.find_limit("lychee", "chlorpyrifos").kind == "mrl"


# --- the row's mrl column --------------------------------------------------------------

def test_must_not_detect_in_mrl_column_judges_against_lod(ref):
    item = judge(ref, analyte="噻虫嗪", value="0.02", lod="0.01", mrl="不得检出")
    assert (item.verdict, item.limit_kind, item.limit_verified) == ("fail", "banned", None)
    assert "mrl column on the row" in item.limit_source


def test_mrl_on_the_row_overrides_the_reference_and_says_so(ref):
    item = judge(ref, value="0.7", mrl="1")
    assert (item.verdict, item.limit_mg_kg, item.limit_verified) == ("pass", 1.0, None)
    assert item.limit_source.startswith("mrl column on the row")
    assert "found via the row's mrl column" in item.verdict_reason


def test_mrl_on_the_row_is_in_the_result_unit(ref):
    item = judge(ref, value="600", unit="μg/kg", mrl="≤500")
    assert (item.limit_mg_kg, item.verdict) == (0.5, "fail")


def test_mrl_column_garbage_is_an_error(ref):
    with pytest.raises(ValueError, match="mrl 'abc'"):
        judge(ref, mrl="abc")


# --- rapid tests -----------------------------------------------------------------------

@pytest.mark.parametrize("rate, verdict", [
    ("49.9", "negative"), ("50", "positive_unconfirmed"), ("50.1", "positive_unconfirmed"),
    ("0", "negative"), ("-", "negative"), ("８０", "positive_unconfirmed"),
])
def test_rapid_test_is_positive_from_fifty_percent(ref, rate, verdict):
    item = judge(ref, analyte="有机磷和氨基甲酸酯类农药", value=rate, unit="%")
    assert (item.test_kind, item.limit_kind, item.verdict) == ("rapid", "rapid", verdict)
    assert item.limit_mg_kg == 50.0


def test_rapid_result_written_as_a_word(ref):
    positive = judge(ref, analyte="有机磷和氨基甲酸酯类农药", value="阳性")
    negative = judge(ref, analyte="有机磷和氨基甲酸酯类农药", value="陰性")
    assert (positive.test_kind, positive.verdict) == ("rapid", "positive_unconfirmed")
    assert (negative.test_kind, negative.verdict) == ("rapid", "negative")


def _rapid(ref, rate, analyte="有机磷和氨基甲酸酯类农药"):
    return judge(ref, analyte=analyte, value=rate, unit="%")


@pytest.mark.parametrize("items, verdict", [
    ([], None),
    (["lab_pass"], "pass"),
    (["lab_pass", "lab_fail"], "fail"),
    (["rapid_negative"], "pass"),
    (["rapid_positive"], "positive_unconfirmed"),
    (["rapid_positive", "lab_pass_other_analyte"], "positive_unconfirmed"),
    (["rapid_positive", "lab_fail_other_analyte"], "fail"),
    (["rapid_positive", "lab_pass_same_analyte"], "pass"),
    (["rapid_positive", "lab_fail_same_analyte"], "fail"),
])
def test_batch_verdict(ref, items, verdict):
    build = {
        "lab_pass": lambda: judge(ref, value="0.1"),
        "lab_fail": lambda: judge(ref, value="0.9"),
        "rapid_negative": lambda: _rapid(ref, "20"),
        "rapid_positive": lambda: _rapid(ref, "70"),
        "lab_pass_other_analyte": lambda: judge(ref, value="0.1"),
        "lab_fail_other_analyte": lambda: judge(ref, value="0.9"),
        "lab_pass_same_analyte": lambda: judge(ref, analyte="有机磷和氨基甲酸酯类农药", value="ND"),
        "lab_fail_same_analyte": lambda: judge(ref, analyte="有机磷和氨基甲酸酯类农药", value="0.3",
                                               mrl="0.2"),
    }
    assert judge_batch([build[name]() for name in items]) == verdict


def test_rapid_positive_confirmed_by_lab_result_of_a_member_of_its_class(ref):
    items = [_rapid(ref, "65"), judge(ref, analyte="克百威", value="ND", lod="0.005")]
    assert judge_batch(items) == "positive_unconfirmed"  # without the reference, 克百威 ≠ the class
    assert judge_batch(items, ref=ref) == "pass"
    items.append(judge(ref, analyte="毒死蜱", value="0.02", lod="0.005", product="芹菜"))
    assert judge_batch(items, ref=ref) == "fail"


# --- supplied verdicts -----------------------------------------------------------------

@pytest.mark.parametrize("value, supplied, disagrees", [
    ("0.7", "pass", True),
    ("0.7", "合格", True),
    ("0.7", "fail", False),
    ("0.7", "不合格", False),
    ("0.3", "fail", True),
    ("0.3", "pass", False),
    ("0.3", None, False),
])
def test_supplied_verdict_that_disagrees_is_flagged_not_adopted(ref, value, supplied, disagrees):
    item = judge(ref, value=value, supplied_verdict=supplied)
    assert item.verdict_disagrees is disagrees
    assert item.verdict == ("fail" if value == "0.7" else "pass")


@pytest.mark.parametrize("rate, supplied, disagrees", [
    ("70", "positive", False), ("70", "fail", False), ("70", "negative", True),
    ("20", "negative", False), ("20", "pass", False), ("20", "positive", True),
])
def test_supplied_rapid_verdict(ref, rate, supplied, disagrees):
    item = judge(ref, analyte="有机磷和氨基甲酸酯类农药", value=rate, unit="%", supplied_verdict=supplied)
    assert item.verdict_disagrees is disagrees


def test_unknown_supplied_verdict_is_an_error(ref):
    with pytest.raises(ValueError, match="supplied verdict 'maybe'"):
        judge(ref, supplied_verdict="maybe")


# --- names -----------------------------------------------------------------------------

def test_unknown_analyte_raises_with_the_fix(ref):
    with pytest.raises(UnknownReference) as info:
        judge(ref, analyte="敌敌畏")
    assert (info.value.kind, info.value.value) == ("analyte", "敌敌畏")
    assert "ref.analyte_aliases" in str(info.value) and "replay" in str(info.value)


def test_unknown_product_raises_with_the_fix(ref):
    with pytest.raises(UnknownReference) as info:
        judge(ref, product="豌豆")
    assert (info.value.kind, info.value.value) == ("product", "豌豆")
    assert "ref.product_aliases" in str(info.value)


def test_unknown_standard_on_the_row_raises(ref):
    with pytest.raises(UnknownReference) as info:
        judge(ref, standard="GB 2763-2019")
    assert info.value.kind == "standard"


# --- standards -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_standards(tmp_path_factory) -> ReferenceData:
    """The shipped data plus an older pesticide standard with one verified figure."""
    directory = tmp_path_factory.mktemp("reference")
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, directory / path.name)
    with (directory / "standards.csv").open("a", encoding="utf-8") as f:
        f.write("GB 2763-2019,食品安全国家标准 食品中农药最大残留限量,,pesticide,mrl,false,2020-02-15,GB 2763-2019,CN\n")
    with (directory / "limits.csv").open("a", encoding="utf-8") as f:
        f.write("GB 2763-2019,灭蝇胺,product,豇豆,mrl,1,mg/kg,GB 2763-2019 test row,true,2020-02-15,\n")
    return ReferenceData.from_directory(Path(directory))


def test_standard_named_on_the_row_chooses_among_coexisting_standards(two_standards):
    default = judge(two_standards, value="0.7")
    older = judge(two_standards, value="0.7", standard="GB2763—2019《食品中农药最大残留限量》")
    assert (default.verdict, default.limit_standard, default.limit_mg_kg) == ("fail", "GB 2763-2021", 0.5)
    assert (older.verdict, older.limit_standard, older.limit_mg_kg) == ("pass", "GB 2763-2019", 1.0)


def test_standard_for_another_analyte_kind_falls_back_to_the_default(ref):
    item = judge(ref, product="罗非鱼", analyte="恩诺沙星", value="120", unit="μg/kg", standard="GB 2763-2021")
    assert (item.verdict, item.limit_standard) == ("fail", "GB 31650-2019")
    assert "judged by the default GB 31650-2019" in item.verdict_reason


def test_unverified_flag_propagates_into_the_verdict(ref, two_standards):
    unverified = judge(ref, value="0.7")
    verified = judge(two_standards, value="0.7", standard="GB 2763-2019")
    assert unverified.limit_verified is False and "unverified" in unverified.verdict_reason
    assert verified.limit_verified is True and "unverified" not in verified.verdict_reason


def test_item_verdict_fields_are_inspection_result_columns():
    migrations = Path(__file__).parents[2] / "sql" / "migrations"
    columns = "".join(migrations.joinpath(name).read_text(encoding="utf-8")
                      for name in ("V003__core.sql", "V014__verdict_basis.sql",
                                       "V017__jurisdictions_packs_test_categories.sql"))
    for name in ItemVerdict.__dataclass_fields__:
        assert f"    {name} " in columns or f"add column {name} " in columns, name


# --- explain ---------------------------------------------------------------------------

def test_explain_names_standard_limit_level_source_and_verdict(ref):
    text = explain(ref, "豇豆", "灭蝇胺", 0.7)
    for expected in ["GB 2763-2021", "MRL 0.5 mg/kg", "found via group 豆类蔬菜", "Verified:  NO",
                     "FAIL", "exceeds the MRL"]:
        assert expected in text


def test_explain_a_banned_substance(ref):
    text = explain(ref, "罗非鱼", "孔雀石绿", "2", unit="μg/kg", lod="0.5")
    assert "banned" in text and "LOD 0.0005 mg/kg" in text and "农业农村部公告第250号" in text and "FAIL" in text


@pytest.mark.parametrize("missing", [None, "", "  ", float("nan")])
def test_missing_optional_cells_count_as_absent(ref, missing):
    item = judge(ref, value="0.7", unit=missing, lod=missing, mrl=missing, standard=missing,
                 supplied_verdict=missing)
    assert (item.verdict, item.limit_standard, item.verdict_disagrees) == ("fail", "GB 2763-2021", False)
