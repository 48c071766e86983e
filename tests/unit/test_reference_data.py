"""The shipped reference files: complete for the demo vocabulary, consistent and honest."""

from __future__ import annotations

import csv
import shutil

import pytest
from agritrace.contracts.certificates import CERTIFICATES
from agritrace.reference import ReferenceData, UnknownReference, normalise_name
from agritrace.reference.tables import DATA_DIR, TABLES

DEMO_PRODUCTS = {
    "豇豆": ("cowpea", "豆类蔬菜", "vegetables"), "豆角": ("cowpea", "豆类蔬菜", "vegetables"),
    "长豆角": ("cowpea", "豆类蔬菜", "vegetables"), "長豆角": ("cowpea", "豆类蔬菜", "vegetables"),
    "豇豆角": ("cowpea", "豆类蔬菜", "vegetables"), "yardlong bean": ("cowpea", "豆类蔬菜", "vegetables"),
    "菜豆": ("kidney_bean", "豆类蔬菜", "vegetables"), "四季豆": ("kidney_bean", "豆类蔬菜", "vegetables"),
    "菜心": ("choy_sum", "叶菜类蔬菜", "vegetables"), "小白菜": ("pakchoi", "叶菜类蔬菜", "vegetables"),
    "芹菜": ("celery", "叶菜类蔬菜", "vegetables"), "韭菜": ("chinese_chive", "鳞茎类蔬菜", "vegetables"),
    "黄瓜": ("cucumber", "瓜类蔬菜", "vegetables"), "苦瓜": ("bitter_gourd", "瓜类蔬菜", "vegetables"),
    "番茄": ("tomato", "茄果类蔬菜", "vegetables"), "西红柿": ("tomato", "茄果类蔬菜", "vegetables"),
    "辣椒": ("chili_pepper", "茄果类蔬菜", "vegetables"), "荔枝": ("lychee", "热带和亚热带水果", "fruits"),
    "龙眼": ("longan", "热带和亚热带水果", "fruits"), "桂圆": ("longan", "热带和亚热带水果", "fruits"),
    "香蕉": ("banana", "热带和亚热带水果", "fruits"), "罗非鱼": ("tilapia", "鱼类", "aquatic"),
    "南美白对虾": ("whiteleg_shrimp", "甲壳类", "aquatic"), "对虾": ("whiteleg_shrimp", "甲壳类", "aquatic"),
    "白虾": ("whiteleg_shrimp", "甲壳类", "aquatic"), "猪肉": ("pork", "畜肉", "livestock"),
    "鸡肉": ("chicken", "禽肉", "livestock"), "鸡蛋": ("hen_egg", "蛋类", "eggs"),
    "cowpea": ("cowpea", "豆类蔬菜", "vegetables"), "Tilapia": ("tilapia", "鱼类", "aquatic"),
}
DEMO_ANALYTES = {
    "pesticide": "灭蝇胺 噻虫胺 噻虫嗪 啶虫脒 吡虫啉 阿维菌素 腐霉利 多菌灵 毒死蜱 克百威 甲拌磷 氧乐果 水胺硫磷 "
                 "氟虫腈 乙酰甲胺磷 联苯菊酯 高效氯氟氰菊酯 有机磷和氨基甲酸酯类农药",
    "veterinary_drug": "恩诺沙星 氟苯尼考 磺胺类 孔雀石绿 氯霉素 硝基呋喃类代谢物",
    "contaminant": "铅 镉",
}
ENGLISH = ["cyromazine", "clothianidin", "thiamethoxam", "acetamiprid", "imidacloprid", "abamectin",
           "procymidone", "carbendazim", "chlorpyrifos", "carbofuran", "phorate", "omethoate",
           "isocarbophos", "fipronil", "acephate", "bifenthrin", "lambda-cyhalothrin", "enrofloxacin",
           "florfenicol", "sulfonamides", "malachite green", "chloramphenicol", "nitrofuran metabolites",
           "lead", "cadmium"]
BANNED = {  # (product, analyte) pairs the demo vocabulary says must not be detected
    **{(p, a): True for p in ("豇豆", "芹菜", "菜心", "黄瓜", "荔枝", "龙眼")
       for a in ("克百威", "甲拌磷", "氧乐果", "水胺硫磷", "氟虫腈")},
    **{(p, a): True for p in ("豇豆", "芹菜", "番茄") for a in ("毒死蜱", "乙酰甲胺磷")},
    **{(p, a): True for p in ("罗非鱼", "南美白对虾") for a in ("孔雀石绿", "硝基呋喃类代谢物", "氯霉素")},
    **{(p, "氯霉素"): True for p in ("猪肉", "鸡肉", "鸡蛋")},
}


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


@pytest.mark.parametrize("name, expected", DEMO_PRODUCTS.items())
def test_every_demo_product_name_resolves(ref, name, expected):
    product = ref.resolve_product(name)
    assert (product.code, product.group_zh, product.category) == expected


@pytest.mark.parametrize("kind, name", [(k, n) for k, names in DEMO_ANALYTES.items() for n in names.split()])
def test_every_demo_analyte_resolves_with_its_kind(ref, kind, name):
    assert ref.resolve_analyte(name).kind == kind


@pytest.mark.parametrize("name", ENGLISH)
def test_english_common_names_resolve(ref, name):
    assert ref.resolve_analyte(name.upper()).name_en.lower() == name


@pytest.mark.parametrize("spelling, code", [
    ("  滅蠅胺 ", "cyromazine"), ("CYROMAZINE", "cyromazine"), ("66215-27-8", "cyromazine"), ("66215-27-9", None),
    ("孔雀石綠", "malachite_green"), ("恩诺沙星（以恩诺沙星与环丙沙星之和计）", "enrofloxacin"),
    ("农药残留【酶抑制率法】", "op_carbamate"), ("ＰＢ", "lead"), ("λ-Cyhalothrin", "lambda_cyhalothrin"),
])
def test_analyte_names_match_after_folding(ref, spelling, code):
    if code is None:
        with pytest.raises(UnknownReference):
            ref.resolve_analyte(spelling)
    else:
        assert ref.resolve_analyte(spelling).code == code


def test_name_folding_handles_width_case_and_brackets():
    assert normalise_name(" 罗非鱼（鲜） ") == normalise_name("罗非鱼(鲜)") == normalise_name("罗非鱼 【鲜】")
    assert normalise_name("Ｙａｒｄｌｏｎｇ  Bean") == "yardlong bean"


def test_names_are_never_guessed(ref):
    for near_miss in ["豇豆(鲜)", "豇", "豇豆豆", "cow pea"]:
        with pytest.raises(UnknownReference):
            ref.resolve_product(near_miss)


def test_every_cas_number_has_a_valid_check_digit(ref):
    for analyte in ref.analytes:
        if analyte.cas_no:
            digits = analyte.cas_no.replace("-", "")
            body, check = digits[:-1], int(digits[-1])
            assert sum(i * int(d) for i, d in enumerate(reversed(body), start=1)) % 10 == check, analyte


@pytest.mark.parametrize("pair", BANNED)
def test_banned_pairs_of_the_demo_vocabulary_are_banned(ref, pair):
    product, analyte = ref.resolve_product(pair[0]), ref.resolve_analyte(pair[1])
    assert ref.find_limit(product.code, analyte.code).kind == "banned"


@pytest.mark.parametrize("product, analyte", [
    ("豇豆", "灭蝇胺"), ("豇豆", "噻虫胺"), ("韭菜", "腐霉利"), ("罗非鱼", "恩诺沙星"), ("罗非鱼", "氟苯尼考"),
    ("罗非鱼", "铅"), ("鸡蛋", "镉"),
])
def test_demo_failing_pairs_have_an_mrl(ref, product, analyte):
    limit = ref.find_limit(ref.resolve_product(product).code, ref.resolve_analyte(analyte).code)
    assert limit.kind == "mrl" and limit.mg_per_kg > 0


def test_veterinary_limits_published_in_micrograms_are_held_in_mg_per_kg(ref):
    limit = ref.find_limit("tilapia", "enrofloxacin")
    assert (limit.value_as_published, limit.unit_as_published, limit.mg_per_kg) == ("100", "μg/kg", 0.1)


def test_one_default_standard_per_analyte_kind(ref):
    defaults = {s.analyte_kind: s.code for s in ref.standards if s.is_default}
    assert defaults == {"pesticide": "GB 2763-2021", "veterinary_drug": "GB 31650-2019",
                        "contaminant": "GB 2762-2022"}


def test_every_limit_names_its_source_and_unchecked_figures_are_unverified(ref):
    for limit in ref.limits:
        assert limit.standard in limit.source or limit.source.startswith(limit.standard.split(" ")[0]), limit
        if not limit.verified:
            assert limit.unverified_reason, f"{limit}: say why the figure is unverified"


def test_verified_figures_name_the_copy_they_were_checked_against(ref):
    # Flip a row to verified only after checking it against a published copy of the standard
    # (tests/unit/test_reference_verification.py holds the rules and the corrections).
    for limit in ref.limits:
        if limit.verified:
            assert limit.source_url.startswith("http") and limit.checked_on, limit


def test_maonan_towns_for_the_generator(ref):
    towns = ref.towns("440902")
    for expected in ["金塘镇", "公馆镇", "新坡镇", "镇盛镇", "鳌头镇", "袂花镇", "高山镇", "山阁镇", "羊角镇",
                     "红旗街道", "河西街道", "河东街道", "露天矿街道", "新华街道", "官渡街道", "站前街道"]:
        assert expected in towns
    assert ref.towns("440904") == []
    with pytest.raises(UnknownReference):
        ref.towns("999999")


def test_maoming_counties(ref):
    counties = {r.code: r.name_zh for r in ref.regions if r.level == "county"}
    assert counties == {"440902": "茂南区", "440904": "电白区", "440981": "高州市", "440982": "化州市",
                        "440983": "信宜市"}


def test_product_categories_match_the_certificate_contract(ref):
    vocabulary = set(CERTIFICATES.field("product_category").vocabulary)
    assert {p.category for p in ref.products} <= vocabulary


def test_every_table_has_its_csv_with_the_documented_header():
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for table in TABLES:
        with (DATA_DIR / table.file_name).open(encoding="utf-8") as f:
            assert tuple(next(csv.reader(f))) == table.columns
        assert table.file_name in readme


def test_an_alias_meaning_two_products_is_rejected(tmp_path):
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    with (tmp_path / "product_aliases.csv").open("a", encoding="utf-8") as f:
        f.write("豇豆,kidney_bean,zh-Hans\n")
    with pytest.raises(ValueError, match="would mean both"):
        ReferenceData.from_directory(tmp_path)


def test_a_limit_for_an_unknown_product_names_file_and_line(tmp_path):
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    with (tmp_path / "limits.csv").open("a", encoding="utf-8") as f:
        f.write("GB 2763-2021,灭蝇胺,product,豌豆,mrl,1,mg/kg,test,false,,\n")
    with pytest.raises(ValueError, match=r"limits\.csv line \d+.*豌豆"):
        ReferenceData.from_directory(tmp_path)
