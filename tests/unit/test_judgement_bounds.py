"""Honest verdicts for results written as bounds, and values no laboratory reports.

Against the shipped reference: cyromazine (灭蝇胺) in cowpea (豇豆) has an MRL of 0.5 mg/kg,
carbofuran (克百威) is banned on vegetables, and the rapid test is positive from 50 % inhibition.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from agritrace.reference import ReferenceData, explain, judge_batch, judge_item, parse_result_value
from agritrace.reference.values import ImplausibleValue, result_bound

RAPID = "有机磷和氨基甲酸酯类农药"


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


def judge(ref, value, analyte="灭蝇胺", **kwargs):
    return judge_item(ref, product="豇豆", analyte=analyte, result_value=value, **kwargs)


def item(verdict: str, analyte: str = "cyromazine", kind: str = "lab"):
    return SimpleNamespace(analyte_code=analyte, test_kind=kind, verdict=verdict)


# --- bounds against an MRL ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["<0.05", "<0.5", "≤0.5", "<=0.5", "未检出(<0.5)", "<500μg/kg"])
def test_bound_at_or_below_the_mrl_is_a_nondetect_pass(ref, value):
    judged = judge(ref, value)
    assert (judged.verdict, judged.is_nondetect, judged.value_mg_kg) == ("pass", True, None)


@pytest.mark.parametrize("value", ["<5", "≤0.6", "未检出(<1)", "<600μg/kg"])
def test_bound_above_the_mrl_is_inconclusive(ref, value):
    judged = judge(ref, value)
    assert (judged.verdict, judged.value_mg_kg, judged.ratio_to_limit) == ("inconclusive", None, None)
    assert "above the MRL 0.5 mg/kg" in judged.verdict_reason
    assert "neither a pass nor a fail" in judged.verdict_reason


def test_at_most_sign_is_read_as_a_bound():
    bound = result_bound("≤ 0.01 mg/kg")
    assert (bound.number, bound.unit, bound.inclusive) == (Decimal("0.01"), "mg/kg", True)
    assert parse_result_value("≤0.01") == (None, True)


# --- bounds against a banned substance's LOD and the rapid test's threshold ---------------------------


def test_banned_bound_above_the_reported_lod_is_inconclusive(ref):
    judged = judge(ref, "<0.05", analyte="克百威", lod="0.01")
    assert judged.verdict == "inconclusive"
    assert "LOD 0.01 mg/kg" in judged.verdict_reason


@pytest.mark.parametrize("value, lod", [("<0.01", "0.01"), ("<0.005", "0.01"), ("<0.05", None)])
def test_banned_bound_below_the_lod_or_serving_as_it_passes(ref, value, lod):
    assert judge(ref, value, analyte="克百威", lod=lod).verdict == "pass"


def test_banned_at_most_bound_equal_to_the_lod_is_inconclusive(ref):
    # "≤0.01" allows exactly 0.01, and a banned substance at its LOD is detected.
    assert judge(ref, "≤0.01", analyte="克百威", lod="0.01").verdict == "inconclusive"


@pytest.mark.parametrize("value, verdict", [("<50", "negative"), ("<60", "inconclusive"), ("≤50", "inconclusive"),
                                            ("≤49", "negative")])
def test_rapid_bound_is_negative_only_below_fifty_percent(ref, value, verdict):
    assert judge(ref, value, analyte=RAPID, unit="%").verdict == verdict


# --- what an inconclusive item does -------------------------------------------------------------------


def test_batch_with_an_inconclusive_item_and_no_fail_is_inconclusive():
    assert judge_batch([item("pass"), item("inconclusive", "acetamiprid")]) == "inconclusive"


def test_batch_with_a_fail_and_an_inconclusive_item_fails():
    assert judge_batch([item("fail"), item("inconclusive", "acetamiprid")]) == "fail"


def test_inconclusive_lab_item_does_not_confirm_a_rapid_positive():
    items = [item("positive_unconfirmed", "carbofuran", "rapid"), item("inconclusive", "carbofuran")]
    assert judge_batch(items) == "positive_unconfirmed"


def test_supplied_verdict_on_an_inconclusive_item_disagrees(ref):
    judged = judge(ref, "<5", supplied_verdict="合格")
    assert (judged.verdict, judged.verdict_disagrees) == ("inconclusive", True)


def test_explain_says_an_inconclusive_item_is_not_judged(ref):
    text = explain(ref, "豇豆", "灭蝇胺", "<5")
    assert "Verdict:   INCONCLUSIVE: reported only as < 5 mg/kg, a bound above the MRL 0.5 mg/kg" in text
    assert "Judged:    no" in text and "pass rates leave it out" in text


# --- values no laboratory reports ---------------------------------------------------------------------


def test_value_that_underflows_to_zero_is_implausible_not_zero():
    with pytest.raises(ImplausibleValue, match="'1e-400' is implausible.*stored as 0"):
        parse_result_value("1e-400")


@pytest.mark.parametrize("value", ["0.0000000001", "1e-12", "<1e-12", "１e-400"])
def test_nonzero_value_below_a_nanogram_per_kilogram_is_implausible(value):
    with pytest.raises(ImplausibleValue, match="below 1e-9 mg/kg"):
        parse_result_value(value)


def test_implausibility_is_judged_in_mg_per_kg():
    with pytest.raises(ImplausibleValue):
        parse_result_value("0.0000005", "μg/kg")  # 5e-10 mg/kg
    assert parse_result_value("0.000005", "μg/kg") == (0.000005, False)  # 5e-9 mg/kg


@pytest.mark.parametrize("value", ["0", "0.000", "1e-9"])
def test_zero_and_the_smallest_reported_value_are_plausible(value):
    assert parse_result_value(value)[1] is False


def test_implausible_value_is_an_error_of_the_judgement_naming_it(ref):
    with pytest.raises(ValueError, match="'1e-400' is implausible"):
        judge(ref, "1e-400")
