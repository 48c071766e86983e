"""Names resolve in whichever script and language the cell carries: simplified or traditional
Chinese (OpenCC t2s), English, CAS number; another word altogether (陶斯松) needs an alias."""

from __future__ import annotations

import pytest
from agritrace.reference import ReferenceData, UnknownReference, normalise_name
from agritrace.reference.aliases import likely_matches
from agritrace.reference.names import to_simplified
from agritrace.reference.tables import DATA_DIR, read_directory


@pytest.fixture(scope="module")
def bare() -> ReferenceData:
    """The shipped reference without any alias: only conversion can resolve a traditional spelling."""
    rows = read_directory(DATA_DIR)
    rows["analyte_aliases"], rows["product_aliases"] = [], []
    return ReferenceData(rows)


@pytest.mark.parametrize("spelling, code", [
    ("噻蟲胺", "clothianidin"), ("滅蠅胺", "cyromazine"), ("啶蟲脒", "acetamiprid"), ("吡蟲啉", "imidacloprid"),
    ("多菌靈", "carbendazim"), ("  聯苯菊酯 ", "bifenthrin"),
    ("噻虫胺", "clothianidin"), ("Clothianidin", "clothianidin"), ("210880-92-5", "clothianidin"),
    ("２１０８８０－９２－５", "clothianidin"), ("2921-88-2", "chlorpyrifos"), ("CHLORPYRIFOS", "chlorpyrifos"),
])
def test_analytes_resolve_by_traditional_simplified_english_or_cas(bare, spelling, code):
    assert bare.resolve_analyte(spelling).code == code


def test_traditional_product_names_resolve_without_an_alias(bare):
    assert bare.resolve_product("黃瓜").code == bare.resolve_product("黄瓜").code == "cucumber"


def test_another_word_is_an_alias_not_a_conversion(bare):
    # 陶斯松 is Taiwan's name for 毒死蜱 (chlorpyrifos): t2s leaves it as it is, so it stays unknown.
    assert to_simplified("陶斯松") == "陶斯松"
    with pytest.raises(UnknownReference):
        bare.resolve_analyte("陶斯松")
    rows = read_directory(DATA_DIR)
    rows["analyte_aliases"].append({"alias": "陶斯松", "analyte_code": "chlorpyrifos", "lang": "zh-Hant"})
    assert ReferenceData(rows).resolve_analyte("陶斯松").code == "chlorpyrifos"
    # OpenCC's t2s keeps 醯 (its chemistry character is 酰 only by convention), so 乙醯甲胺磷 is an alias too.
    with pytest.raises(UnknownReference):
        bare.resolve_analyte("乙醯甲胺磷")


def test_an_alias_written_in_traditional_matches_a_cell_in_simplified():
    rows = read_directory(DATA_DIR)
    rows["analyte_aliases"].append({"alias": "陶斯鬆", "analyte_code": "chlorpyrifos", "lang": "zh-Hant"})
    assert ReferenceData(rows).resolve_analyte("陶斯松").code == "chlorpyrifos"


def test_conversion_is_part_of_the_key_and_nothing_else_changes():
    assert normalise_name("滅蠅胺") == normalise_name("灭蝇胺") == "灭蝇胺"
    assert normalise_name("Lambda-Cyhalothrin") == "lambda-cyhalothrin"
    assert normalise_name("豇豆(鲜)") != normalise_name("豇豆")


def test_the_shipped_reference_still_has_one_code_per_name():
    # Conversion folds the shipped traditional aliases onto their simplified names: same code, no clash.
    ReferenceData.from_package()


def test_likely_matches_suggest_known_names_after_normalisation():
    known = {normalise_name(n): (n, c) for n, c in [("灭蝇胺", "cyromazine"), ("噻虫胺", "clothianidin"),
                                                    ("毒死蜱", "chlorpyrifos"), ("cyromazine", "cyromazine")]}
    assert likely_matches("滅蠅安", known)[0] == ("灭蝇胺", "cyromazine")
    assert likely_matches("Cyromazin", known) == [("cyromazine", "cyromazine")]
    assert likely_matches("完全不同", known) == []
