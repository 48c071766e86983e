"""The shipped limits, checked against published copies of the standards (issue 17).

Every row says when it was checked; a verified row names the copy that confirms its figure, the
product or group it applies to and its residue definition; every other row says what could not be
matched. The rows changed by the check are listed here with their old and new values, so that a
change to a shipped limit is always deliberate.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest
from agritrace.migrate import MIGRATIONS_DIR
from agritrace.reference import ReferenceData, explain
from agritrace.reference.status import status_counts, status_report
from agritrace.reference.tables import DATA_DIR

CHECKED_ON = date(2026, 11, 30)
NAMES = "农业农村部禁限用农药名录"
A250 = "农业农村部公告第250号"

# Shipped rows whose values changed when they were checked: key -> {column: (old, new)}.
# No figure (limit_value, unit, kind) differed from a copy that could be read; the changes are
# effective dates read from the announcements.
CORRECTED = {
    (NAMES, "phorate", "category", "vegetables"): {"effective_date": (None, "2024-09-01")},
    (NAMES, "phorate", "category", "fruits"): {"effective_date": (None, "2024-09-01")},
    (NAMES, "isocarbophos", "category", "vegetables"): {"effective_date": (None, "2024-09-01")},
    (NAMES, "isocarbophos", "category", "fruits"): {"effective_date": (None, "2024-09-01")},
    (NAMES, "fipronil", "category", "vegetables"): {"effective_date": (None, "2009-10-01")},
    (NAMES, "fipronil", "category", "fruits"): {"effective_date": (None, "2009-10-01")},
    **{(A250, analyte, "category", category): {"effective_date": (None, "2019-12-27")}
       for analyte, category in [("malachite_green", "aquatic"), ("nitrofuran_metabolites", "aquatic"),
                                 ("nitrofuran_metabolites", "livestock"), ("nitrofuran_metabolites", "eggs"),
                                 ("chloramphenicol", "aquatic"), ("chloramphenicol", "livestock"),
                                 ("chloramphenicol", "eggs")]},
}
# Scope corrections: the old row applied a figure too widely or a ban too narrowly.
RETIRED = {  # old key -> the key that replaces it (V013 deletes the old key from ref.limits)
    ("GB 31650-2019", "florfenicol", "group", "mammal_meat"): ("GB 31650-2019", "florfenicol", "product", "pork"),
}
ADDED = {
    # the four highly toxic organophosphates withdrawn by 农业农村部公告第536号: every crop from 2024-09-01
    **{(NAMES, a, "category", c): "公告第536号" for a in ("phorate", "isocarbophos", "isofenphos_methyl", "ethoprophos")
       for c in ("vegetables", "fruits", "tea") if (a, c) not in {("phorate", "vegetables"), ("phorate", "fruits"),
                                                                   ("isocarbophos", "vegetables"),
                                                                   ("isocarbophos", "fruits")}},
    # acephate: 蔬菜、瓜果、茶叶、菌类和中草药材 from 2019-08-01, not only vegetables
    (NAMES, "acephate", "category", "fruits"): "公告第2552号",
    (NAMES, "acephate", "category", "tea"): "公告第2552号",
    # carbofuran and methamidophos: not on 蔬菜、果树、茶叶、中草药材 (农业部公告第199号)
    (NAMES, "carbofuran", "category", "tea"): "公告第199号",
    (NAMES, "methamidophos", "category", "vegetables"): "公告第199号",
    (NAMES, "methamidophos", "category", "fruits"): "公告第199号",
    (NAMES, "methamidophos", "category", "tea"): "公告第199号",
    (NAMES, "triazophos", "category", "vegetables"): "公告第2032号",
    # malachite green is banned in all food animals, not only aquatic products
    (A250, "malachite_green", "category", "livestock"): "第250号",
    (A250, "malachite_green", "category", "eggs"): "第250号",
}


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


@pytest.fixture(scope="module")
def shipped() -> dict[tuple[str, str, str, str], dict[str, str]]:
    with (DATA_DIR / "limits.csv").open(encoding="utf-8") as f:
        return {(r["standard"], r["analyte_code"], r["level"], r["product_level_code"]): r for r in csv.DictReader(f)}


def test_every_shipped_limit_was_checked_and_says_how(ref):
    for limit in ref.limits:
        assert limit.checked_on == CHECKED_ON, limit
        if limit.verified:
            assert limit.source_url.startswith(("http://", "https://")) and not limit.unverified_reason, limit
        else:
            assert limit.unverified_reason, limit


def test_how_many_are_verified(ref):
    counts = {(c.standard, c.category): (c.verified, c.total) for c in status_counts(ref)}
    assert sum(v for v, _ in counts.values()) == 24 and sum(t for _, t in counts.values()) == 83
    assert counts[(NAMES, "tea")] == (7, 7)
    assert counts[("GB 2762-2022", "vegetables")] == (3, 7)
    assert not any(v for (standard, _), (v, _) in counts.items() if standard in ("GB 2763-2021", "GB 31650-2019", A250))


@pytest.mark.parametrize("key, changes", CORRECTED.items(), ids=lambda v: "-".join(v) if isinstance(v, tuple) else "")
def test_corrected_rows_carry_their_new_values(shipped, key, changes):
    for column, (old, new) in changes.items():
        assert old != new
        assert (shipped[key][column] or None) == new, (key, column)


def test_retired_keys_are_gone_from_the_files_and_deleted_by_the_migration(shipped):
    migration = (MIGRATIONS_DIR / "V013__limit_provenance.sql").read_text(encoding="utf-8")
    for old, new in RETIRED.items():
        assert old not in shipped and new in shipped
        assert "('{}', '{}', '{}', '{}')".format(*old) in migration


@pytest.mark.parametrize("key, why", ADDED.items(), ids=lambda v: "-".join(v) if isinstance(v, tuple) else "")
def test_added_rows_fix_a_scope_and_cite_it(shipped, key, why):
    assert shipped[key]["kind"] == "banned" and why in shipped[key]["source"]


@pytest.mark.parametrize("product, analyte", [
    (p, a) for p in ("豇豆", "荔枝", "龙眼", "香蕉", "龙眼干")
    for a in ("甲拌磷", "水胺硫磷", "甲基异柳磷", "灭线磷")])
def test_the_withdrawn_organophosphates_are_banned_on_every_crop_with_a_verified_source(ref, product, analyte):
    limit = ref.find_limit(ref.resolve_product(product).code, ref.resolve_analyte(analyte).code)
    assert (limit.kind, limit.verified, limit.effective_date) == ("banned", True, date(2024, 9, 1))
    assert "536" in limit.source


@pytest.mark.parametrize("product", ["豇豆", "荔枝", "龙眼干"])
def test_acephate_is_banned_on_vegetables_and_fruits(ref, product):
    limit = ref.find_limit(ref.resolve_product(product).code, "acephate")
    assert (limit.kind, limit.verified) == ("banned", True)


@pytest.mark.parametrize("product", ["罗非鱼", "南美白对虾", "草鱼", "猪肉", "鸡肉", "鸭肉", "鸡蛋", "鸭蛋"])
def test_malachite_green_is_banned_in_every_food_animal(ref, product):
    assert ref.find_limit(ref.resolve_product(product).code, "malachite_green").kind == "banned"


def test_the_pig_muscle_florfenicol_figure_is_for_pork_only(ref, tmp_path):
    pork = ref.find_limit("pork", "florfenicol")
    assert (pork.level, pork.mg_per_kg) == ("product", 0.3)
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    with (tmp_path / "products.csv").open("a", encoding="utf-8") as f:
        f.write("beef,牛肉,beef,mammal_meat\n")
    with_beef = ReferenceData.from_directory(Path(tmp_path))
    assert with_beef.find_limit("beef", "florfenicol") is None  # GB 31650's cattle figure is not pig's


def test_explain_shows_where_a_verified_figure_was_checked(ref):
    text = explain(ref, "豇豆", "甲拌磷", "0.02", lod="0.005")
    assert "Checked:   2026-11-30 against http://per-better.com/doc/129807.html" in text
    assert "Verified:  yes" in text and "FAIL" in text
    unverified = explain(ref, "豇豆", "灭蝇胺", "0.7")
    assert "Why not:   no published copy" in unverified and "Verified:  NO" in unverified


def test_status_report_lists_every_unverified_limit_with_its_reason(ref):
    report = status_report(ref)
    assert report.startswith("Limits verified against a published copy of the standard: 24 of 83")
    assert report.count("  why: ") == len({(lim.standard, lim.unverified_reason) for lim in ref.limits
                                           if not lim.verified})
    assert "克百威 · 水果 banned" in report and "氟苯尼考 · 猪肉 300 μg/kg" in report
    assert "why:" not in status_report(ref, summary_only=True)


@pytest.mark.parametrize("name, code, category", [
    ("福寿鱼", "tilapia", "aquatic"), ("非洲鲫鱼", "tilapia", "aquatic"), ("草鱼", "grass_carp", "aquatic"),
    ("鲩鱼", "grass_carp", "aquatic"), ("荔枝干", "dried_lychee", "fruits"), ("龙眼干", "dried_longan", "fruits"),
    ("桂圆干", "dried_longan", "fruits"), ("龙眼肉", "dried_longan", "fruits"), ("桂圆", "longan", "fruits"),
    ("鸭肉", "duck", "livestock"), ("鸭蛋", "duck_egg", "eggs"), ("鴨蛋", "duck_egg", "eggs"),
])
def test_products_of_the_seed_region_resolve(ref, name, code, category):
    product = ref.resolve_product(name)
    assert (product.code, product.category) == (code, category)


# What the shipped reference says for each residue of the cowpea panel, visibly: a verified ban,
# an unverified figure, or nothing (a detection is then recorded, not judged).
COWPEA_PANEL = {
    "灭蝇胺": ("mrl", False), "噻虫胺": ("mrl", False), "噻虫嗪": None, "啶虫脒": None, "阿维菌素": None,
    "甲氨基阿维菌素苯甲酸盐": None, "毒死蜱": ("banned", False), "氧乐果": ("banned", False), "克百威": ("banned", True),
    "水胺硫磷": ("banned", True), "乙酰甲胺磷": ("banned", True), "倍硫磷": None, "甲胺磷": ("banned", True),
    "三唑磷": ("banned", False),
}


@pytest.mark.parametrize("analyte, expected", COWPEA_PANEL.items())
def test_the_cowpea_panel(ref, analyte, expected):
    limit = ref.find_limit("cowpea", ref.resolve_analyte(analyte).code)
    assert (None if limit is None else (limit.kind, limit.verified)) == expected


def test_a_limits_file_without_the_provenance_columns_still_loads(tmp_path):
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, tmp_path / path.name)
    with (DATA_DIR / "limits.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with (tmp_path / "limits.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(row[:11] for row in rows)
    limit = ReferenceData.from_directory(Path(tmp_path)).find_limit("cowpea", "phorate")
    assert (limit.kind, limit.verified, limit.source_url, limit.checked_on) == ("banned", True, "", None)


def test_the_readme_quotes_the_current_status(ref):
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert status_report(ref) in readme, "re-run `agritrace ref status` and update the README's Judgement section"
