"""Dates, numbers, vocabularies and text as normalise() reads them."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from agritrace.ingest import normalise, parse_date, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02", dt.date(2024, 1, 2)),
        ("2024/1/2", dt.date(2024, 1, 2)),
        ("2024.1.2", dt.date(2024, 1, 2)),
        ("20240102", dt.date(2024, 1, 2)),
        ("2024年1月2日", dt.date(2024, 1, 2)),
        ("2024 年 01 月 02 日", dt.date(2024, 1, 2)),
        ("2024-01-02 13:45:10", dt.date(2024, 1, 2)),
        ("2024-01-02T13:45:10+08:00", dt.date(2024, 1, 2)),
        ("2024/1/2 8:05", dt.date(2024, 1, 2)),
        ("45293", dt.date(2024, 1, 2)),
        ("45293.5", dt.date(2024, 1, 2)),
        ("113/8/2", dt.date(2024, 8, 2)),
        ("113-08-02", dt.date(2024, 8, 2)),
        ("民國113年8月2日", dt.date(2024, 8, 2)),
        ("民国113年8月2日", dt.date(2024, 8, 2)),
        ("２０２４－０１－０２", dt.date(2024, 1, 2)),
    ],
)
def test_date_forms_parse(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


def test_roc_system_reads_short_and_compact_years() -> None:
    assert parse_date("99/1/1", system="roc") == dt.date(2010, 1, 1)
    assert parse_date("1130802", system="roc") == dt.date(2024, 8, 2)


def test_profile_format_is_tried_first() -> None:
    assert parse_date("02/01/2024", formats=["%d/%m/%Y"]) == dt.date(2024, 1, 2)


@pytest.mark.parametrize(
    "text", ["2023-02-30", "2024-13-01", "24/1/2", "12345", "99999", "明天", "2024-01", "民國0年1月1日"]
)
def test_impossible_or_ambiguous_dates_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5", 0.5),
        ("０．５", 0.5),
        ("1,234.5", 1234.5),
        ("１，２３４", 1234.0),
        ("-3", -3.0),
        ("1e-3", 0.001),
        (" 12 ", 12.0),
    ],
)
def test_numbers_parse(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["12kg", "50%", "约5", "nan", "inf", "1,23", ""])
def test_numbers_with_units_or_words_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def _raw(feed_columns: list[str], **columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    data = {c: columns.get(c, [None] * n) for c in feed_columns}
    return pd.DataFrame(data, index=pd.Index(range(2, 2 + n), name="row"), dtype=object)


def test_normalise_types_each_column_and_flags_unreadable_values() -> None:
    from agritrace.contracts import FEEDS

    feed = FEEDS["certificates"]
    raw = _raw(
        feed.columns,
        certificate_no=["ＣＥＲＴ－００１", "C2", "C3"],
        quantity=["１２．５", "abc", None],
        unit=["公斤", "KG", "麻袋"],
        issue_date=["2024年1月2日", "2024-02-30", None],
        commitment_basis=["自检合格、委托检测合格", "內部質量控制/自我承諾", "口头承诺"],
        origin=["茂南区（镇）\x07", "a\nb", None],
    )
    result = normalise(feed, raw)
    values, ok = result.values, result.parse_ok
    assert list(values.index) == [2, 3, 4]
    assert values.loc[2, "certificate_no"] == "CERT-001"
    assert values.loc[2, "quantity"] == 12.5 and np.isnan(values.loc[3, "quantity"])
    assert values["quantity"].dtype == float
    assert list(values["unit"]) == ["kg", "kg", "麻袋"]
    assert values.loc[2, "issue_date"] == dt.date(2024, 1, 2) and values.loc[3, "issue_date"] is None
    assert values.loc[2, "commitment_basis"] == ("self_test", "commissioned_test")
    assert values.loc[3, "commitment_basis"] == ("quality_control",)
    assert values.loc[4, "commitment_basis"] == ("口头承诺",)
    # Chinese text keeps its full-width punctuation; control characters go.
    assert values.loc[2, "origin"] == "茂南区（镇）" and values.loc[3, "origin"] == "a b"
    assert not ok.loc[3, "quantity"] and not ok.loc[3, "issue_date"]
    assert ok.loc[4, "quantity"] and ok.loc[4, "issue_date"]  # empty is not a parse failure
    assert ok.drop(columns=["quantity", "issue_date"]).all().all()


def test_enum_words_traditional_and_english_map_to_canonical_unknown_kept() -> None:
    from agritrace.contracts import FEEDS

    feed = FEEDS["sampling_batches"]
    raw = _raw(
        feed.columns,
        task_type=["例行監測", "Supervisory_Sampling", "專項抽檢", "日常巡查"],
        sampling_level=["區縣", "省級", "国家", "乡镇"],
        sampling_stage=["農貿市場", "超市", "批發市場", "路边摊"],
    )
    values = normalise(feed, raw).values
    assert list(values["task_type"]) == ["routine_monitoring", "supervisory_sampling", "special_campaign", "日常巡查"]
    assert list(values["sampling_level"]) == ["district", "province", "national", "乡镇"]
    assert list(values["sampling_stage"]) == ["farmers_market", "supermarket", "wholesale_market", "路边摊"]


def test_verdict_words_include_traditional_non_compliance() -> None:
    from agritrace.contracts import FEEDS

    feed = FEEDS["inspection_results"]
    raw = _raw(
        feed.columns,
        verdict=["合格", "不符合規定", "不合格", "陽性", "阴性"],
        result_value=["０．０５", "ＮＤ", "<0.01", None, "未检出"],
        unit=["mg/Kg", "ppb", "％", None, "μg/kg"],
    )
    values = normalise(feed, raw).values
    assert list(values["verdict"]) == ["pass", "fail", "fail", "positive", "negative"]
    assert list(values["result_value"]) == ["0.05", "ND", "<0.01", None, "未检出"]
    assert list(values["unit"]) == ["mg/kg", "ppb", "%", None, "μg/kg"]


def test_normalise_empty_frame_keeps_columns() -> None:
    from agritrace.contracts import FEEDS

    feed = FEEDS["producers"]
    raw = pd.DataFrame({c: pd.Series([], dtype=object) for c in feed.columns})
    result = normalise("producers", raw)
    assert list(result.values.columns) == feed.columns and len(result.values) == 0
