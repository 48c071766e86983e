"""Jurisdictions and test categories in the judge: a row is judged only with its own jurisdiction's
limits and bans (the second jurisdiction is the tests' pack of TEST FIGURES), and a test category
carries a supplied verdict only."""

from __future__ import annotations

from pathlib import Path

import pytest
from agritrace.reference import ReferenceData, explain, judge_item
from agritrace.reference.load import read_pack
from agritrace.reference.tables import DATA_DIR, read_directory

PACK = Path(__file__).parents[1] / "fixtures" / "reference_packs" / "test_jurisdiction"


@pytest.fixture(scope="module")
def mainland() -> ReferenceData:
    return ReferenceData.from_package()


@pytest.fixture(scope="module")
def both() -> ReferenceData:
    rows = read_directory(DATA_DIR)
    for table, extra in read_pack(PACK).rows.items():
        rows[table] = rows[table] + extra
    return ReferenceData(rows)


def _longan(ref, jurisdiction, **kw):
    return judge_item(ref, product="龍眼", analyte="毒死蜱", result_value="0.03", unit="ppm",
                      jurisdiction=jurisdiction, **kw)


def test_a_value_of_another_jurisdiction_is_never_judged_with_mainland_limits(mainland):
    item = _longan(mainland, "TW")
    assert (item.verdict, item.verdict_basis, item.limit_standard, item.jurisdiction) == (
        "inconclusive", "not_judged", None, "TW")
    assert item.verdict_reason.startswith("not judged: no limits loaded for TW")
    kept = _longan(mainland, "TW", supplied_verdict="不合格")
    assert (kept.verdict, kept.verdict_basis, kept.limit_standard) == ("fail", "supplied", None)
    assert _longan(mainland, None).limit_standard == "GB 2763-2021"  # the bureau's own: CN
    assert "none loaded for TW" in explain(mainland, "龍眼", "毒死蜱", "0.03", "ppm", jurisdiction="TW")


def test_with_its_pack_loaded_it_is_judged_with_its_own_limits_and_bans_only(both):
    # 0.03 ppm passes GB 2763's 1 mg/kg but fails the pack's 0.01 (a test figure).
    assert (_longan(both, "CN").verdict, _longan(both, "TW").verdict) == ("pass", "fail")
    assert _longan(both, "TW").limit_standard == "TEST-TW-MRL"
    # The mainland ban of chlorpyrifos on vegetables is mainland law: a TW cucumber is judged by TW limits.
    cn = judge_item(both, product="黄瓜", analyte="毒死蜱", result_value="0.03", jurisdiction="CN")
    tw = judge_item(both, product="黄瓜", analyte="毒死蜱", result_value="0.03", jurisdiction="TW")
    assert (cn.verdict, cn.limit_kind) == ("fail", "banned")
    assert (tw.verdict, tw.limit_kind, tw.limit_standard) == ("pass", None, "TEST-TW-MRL")
    # The pack's own ban, named by its local name (加保扶, an alias of the pack).
    assert judge_item(both, product="荔枝", analyte="加保扶", result_value="0.03", jurisdiction="TW").limit_kind == "banned"
    with pytest.raises(ValueError, match="is of jurisdiction CN, the row's is TW"):
        _longan(both, "TW", standard="GB 2763-2021")
    vet = judge_item(both, product="龍眼", analyte="恩诺沙星", result_value="0.03", jurisdiction="TW")
    assert vet.verdict_reason.startswith("not judged: no limits loaded for TW (veterinary drugs)")


@pytest.mark.parametrize("written, code", [
    ("农药残留", "pesticide_residues"), ("農藥殘留", "pesticide_residues"), ("動物用藥殘留", "veterinary_drug_residues"),
    ("食品微生物", "microbiology"), ("標示", "labelling"), ("GHP", "hygiene_practice"),
    ("Pesticide Residues", "pesticide_residues"),
])
def test_a_test_category_carries_a_supplied_verdict_whatever_the_product(mainland, written, code):
    item = judge_item(mainland, product="不在参考中的产品", analyte=written, result_value=None,
                      supplied_verdict="不符合規定")
    assert (item.analyte_code, item.verdict, item.verdict_basis) == (code, "fail", "supplied")
    assert mainland.test_category_of(code) == code


def test_a_value_needs_an_analyte_and_a_known_product(mainland):
    with pytest.raises(ValueError, match="is a test category"):
        judge_item(mainland, product="豇豆", analyte="农药残留", result_value="0.1")
    with pytest.raises(ValueError, match="unknown product"):
        judge_item(mainland, product="不在参考中的产品", analyte="灭蝇胺", result_value="0.1")
    assert mainland.test_category_of("cyromazine") == "pesticide_residues"
