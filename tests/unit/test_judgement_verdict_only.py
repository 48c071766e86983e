"""Verdict-only test items: a supplied verdict with no value is the verdict of record (basis: supplied)."""

from __future__ import annotations

import pytest
from agritrace.reference import ReferenceData, UnknownReference, explain, judge_batch, judge_item


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


def judge(ref, value=None, supplied=None, product="豇豆", analyte="灭蝇胺", **kwargs):
    return judge_item(ref, product=product, analyte=analyte, result_value=value, supplied_verdict=supplied, **kwargs)


@pytest.mark.parametrize("supplied, verdict", [
    ("合格", "pass"), ("符合规定", "pass"), ("符合規定", "pass"), ("pass", "pass"), ("passed", "pass"),
    ("不合格", "fail"), ("不符合规定", "fail"), ("不符合規定", "fail"), ("fail", "fail"), ("failed", "fail"),
])
def test_supplied_verdict_without_a_value_is_the_verdict_of_record(ref, supplied, verdict):
    item = judge(ref, supplied=supplied)
    assert (item.test_kind, item.verdict, item.verdict_basis, item.verdict_disagrees) == (
        "lab", verdict, "supplied", False)
    assert item.result_value is None and item.value_mg_kg is None and item.ratio_to_limit is None
    assert "supplied" in item.verdict_reason and "verdict of record" in item.verdict_reason


@pytest.mark.parametrize("empty", [None, "", "  ", float("nan")])
def test_every_kind_of_empty_value_takes_the_supplied_verdict(ref, empty):
    assert (judge(ref, value=empty, supplied="不符合規定").verdict_basis) == "supplied"


def test_verdict_only_item_needs_no_limit(ref):
    # 阿维菌素 in 豇豆: no limit in the shipped reference; the row is still judged by its own verdict.
    with_value = judge(ref, value="0.01", analyte="阿维菌素")
    assert with_value.limit_kind is None
    item = judge(ref, supplied="合格", analyte="阿维菌素")
    assert (item.verdict, item.verdict_basis, item.limit_kind, item.limit_mg_kg) == ("pass", "supplied", None, None)


def test_verdict_only_item_keeps_the_standard_named_on_the_row(ref):
    item = judge(ref, supplied="合格", standard="GB 2763-2021")
    assert item.limit_standard == "GB 2763-2021" and "GB 2763-2021" in item.verdict_reason


def test_a_value_keeps_the_computed_verdict_and_flags_a_disagreeing_supplied_one(ref):
    item = judge(ref, value="0.7", supplied="合格")  # cyromazine in cowpea: MRL 0.5 mg/kg
    assert (item.verdict, item.verdict_basis, item.verdict_disagrees) == ("fail", "computed", True)
    agreeing = judge(ref, value="0.3", supplied="合格")
    assert (agreeing.verdict, agreeing.verdict_basis, agreeing.verdict_disagrees) == ("pass", "computed", False)


def test_a_nondetect_word_is_a_value_judged_here(ref):
    item = judge(ref, value="ND", supplied="不合格")
    assert (item.verdict, item.verdict_basis, item.verdict_disagrees) == ("pass", "computed", True)


def test_a_row_with_neither_value_nor_verdict_is_still_an_error(ref):
    with pytest.raises(ValueError, match="result_value is empty"):
        judge(ref)


def test_an_unknown_analyte_is_still_an_error(ref):
    with pytest.raises(UnknownReference):
        judge(ref, supplied="合格", analyte="敌敌畏")


@pytest.mark.parametrize("supplied, verdict", [("阳性", "positive_unconfirmed"), ("陽性", "positive_unconfirmed"),
                                               ("阴性", "negative"), ("陰性", "negative")])
def test_positive_and_negative_without_a_value_are_rapid_screening_results(ref, supplied, verdict):
    item = judge(ref, supplied=supplied, analyte="有机磷和氨基甲酸酯类农药")
    assert (item.test_kind, item.verdict, item.verdict_basis) == ("rapid", verdict, "supplied")


@pytest.mark.parametrize("supplied, verdict", [("合格", "negative"), ("不合格", "positive_unconfirmed")])
def test_pass_and_fail_on_a_rapid_test_without_its_rate(ref, supplied, verdict):
    item = judge(ref, supplied=supplied, analyte="有机磷和氨基甲酸酯类农药", unit="%")
    assert (item.test_kind, item.verdict, item.verdict_basis) == ("rapid", verdict, "supplied")


def test_verdict_only_items_decide_the_batch(ref):
    passed = [judge(ref, supplied="合格"), judge(ref, supplied="符合規定", analyte="噻虫胺")]
    assert judge_batch(passed, ref=ref) == "pass"
    assert judge_batch([*passed, judge(ref, supplied="不符合規定", analyte="吡虫啉")], ref=ref) == "fail"
    # A supplied verdict confirms a rapid positive for its class, as a computed lab result does.
    rapid = judge(ref, analyte="有机磷和氨基甲酸酯类农药", value="阳性")
    assert judge_batch([rapid], ref=ref) == "positive_unconfirmed"
    assert judge_batch([rapid, judge(ref, supplied="合格", analyte="克百威")], ref=ref) == "pass"


def test_explain_says_the_verdict_was_supplied(ref):
    text = explain(ref, "豇豆", "灭蝇胺", None, supplied_verdict="不符合規定")
    assert "Basis:     SUPPLIED" in text and "Verdict:   FAIL" in text and "counts in pass rates" in text
    computed = explain(ref, "豇豆", "灭蝇胺", "0.7")
    assert "SUPPLIED" not in computed and "Verdict:   FAIL" in computed
