"""Property-based tests (hypothesis) for the readers of dates, numbers, result values and headers, and
for the judgement: generated inputs, not examples, so the rules hold for every value they cover.

No database: these are pure functions.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from agritrace.contracts import FEEDS
from agritrace.contracts import feed as feed_named
from agritrace.ingest import parse_date, parse_number, read_feed_file
from agritrace.ingest.headers import contract_column
from agritrace.ingest.values import EXCEL_EPOCH, EXCEL_SERIALS, ROC_OFFSET
from agritrace.reference import ReferenceData, judge_batch, judge_item, parse_result_value, to_mg_per_kg
from agritrace.reference.values import NONDETECT_WORDS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"})
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return ReferenceData.from_package()


# --- dates ----------------------------------------------------------------------------------------

roc_era = st.dates(min_value=dt.date(1912, 1, 1), max_value=dt.date(2099, 12, 31))


def gregorian_forms(d: dt.date) -> list[str]:
    y, m, day = d.year, d.month, d.day
    return [f"{y:04d}-{m:02d}-{day:02d}", f"{y}/{m}/{day}", f"{y}.{m}.{day}", f"{y:04d}{m:02d}{day:02d}",
            f"{y}年{m}月{day}日", f"{y} 年 {m} 月 {day} 号", f"{y:04d}-{m:02d}-{day:02d} 08:30:00",
            f"{y:04d}-{m:02d}-{day:02d}T08:30:00+08:00", f"{y}/{m}/{day} 8:30"]


@SETTINGS
@given(roc_era, st.booleans())
def test_every_written_form_of_a_date_reads_back_as_that_date(day: dt.date, wide: bool):
    for text in gregorian_forms(day):
        assert parse_date(full_width(text) if wide else text) == day, text


@SETTINGS
@given(roc_era, st.booleans())
def test_roc_dates_read_back_as_the_gregorian_date(day: dt.date, wide: bool):
    roc = day.year - ROC_OFFSET
    forms = [f"民國{roc}年{day.month}月{day.day}日", f"民国{roc}/{day.month}/{day.day}"]
    if roc >= 100:  # a 3-digit year is ROC without being told
        forms.append(f"{roc}/{day.month}/{day.day}")
    for text in forms:
        assert parse_date(full_width(text) if wide else text) == day, text
    # a source profile that says its dates are ROC also reads short years and compact forms
    for text in (f"{roc}/{day.month}/{day.day}", f"{roc:03d}{day.month:02d}{day.day:02d}"):
        assert parse_date(text, system="roc") == day, text


@SETTINGS
@given(st.dates(min_value=EXCEL_EPOCH + dt.timedelta(days=EXCEL_SERIALS[0]),
                max_value=EXCEL_EPOCH + dt.timedelta(days=EXCEL_SERIALS[1])))
def test_excel_serials_read_back_as_their_date(day: dt.date):
    assert parse_date(str((day - EXCEL_EPOCH).days)) == day


@SETTINGS
@given(st.integers(2000, 2099), st.sampled_from([(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 1),
                                                 (0, 10), (5, 0), (5, 32)]))
def test_a_date_that_does_not_exist_is_refused(year: int, month_day: tuple[int, int]):
    month, day = month_day
    for text in (f"{year}-{month:02d}-{day:02d}", f"{year}年{month}月{day}日", f"{year}{month:02d}{day:02d}"):
        with pytest.raises(ValueError):
            parse_date(text)


@SETTINGS
@given(st.integers(1, 99), st.integers(1, 12), st.integers(1, 28))
def test_a_short_year_is_refused_unless_the_profile_says_roc(year: int, month: int, day: int):
    with pytest.raises(ValueError, match="year"):
        parse_date(f"{year}/{month}/{day}")
    assert parse_date(f"{year}/{month}/{day}", system="roc") == dt.date(year + ROC_OFFSET, month, day)


# --- numbers --------------------------------------------------------------------------------------

decimals = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False,
                       allow_infinity=False)


@SETTINGS
@given(decimals)
def test_numbers_read_the_same_in_ascii_full_width_and_grouped_forms(value: Decimal):
    plain = f"{value:f}"
    assert parse_number(plain) == float(value)
    assert parse_number(full_width(plain)) == float(value)
    assert parse_number(f"{value:,f}") == float(value)
    assert parse_number(full_width(f"{value:,f}")) == float(value)


@SETTINGS
@given(decimals, st.sampled_from(["kg", "斤", "%", "元", "abc", "e", "..", ",,"]))
def test_a_number_with_anything_else_written_in_it_is_refused(value: Decimal, suffix: str):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(f"{value:f}{suffix}")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "", " ", "1,23", "1.2.3"])
def test_non_finite_or_malformed_numbers_are_refused(text: str):
    with pytest.raises(ValueError):
        parse_number(text)


# --- result values and units ----------------------------------------------------------------------

concentrations = st.decimals(min_value=Decimal(0), max_value=Decimal("1e6"), places=6, allow_nan=False,
                             allow_infinity=False)


@SETTINGS
@given(concentrations, st.booleans())
def test_a_result_value_reads_as_its_number(value: Decimal, wide: bool):
    text = f"{value:f}"
    assert parse_result_value(full_width(text) if wide else text) == (float(value), False)


@SETTINGS
@given(st.sampled_from(sorted(NONDETECT_WORDS)), st.sampled_from([str, str.upper, str.lower, full_width]),
       st.sampled_from(["", " ", "\u3000", "\t"]))
def test_every_nondetect_word_in_any_case_width_or_padding_is_a_nondetect(word, form, pad):
    assert parse_result_value(pad + form(word) + pad) == (None, True)


@SETTINGS
@given(concentrations, st.sampled_from(["", "mg/kg", "μg/kg", "ppb"]))
def test_a_value_below_a_bound_is_a_nondetect(bound: Decimal, unit: str):
    assert parse_result_value(f"<{bound:f}{unit}") == (None, True)


@SETTINGS
@given(concentrations.filter(lambda v: v > 0))
def test_a_negative_result_is_refused(value: Decimal):
    with pytest.raises(ValueError):
        parse_result_value(f"-{value:f}")


@SETTINGS
@given(concentrations)
def test_unit_conversions_agree(value: Decimal):
    x = float(value)
    thousandth = float(value / 1000)
    assert to_mg_per_kg(x, "ppb") == to_mg_per_kg(x, "μg/kg") == to_mg_per_kg(x, "ug/kg") == thousandth
    assert to_mg_per_kg(x, "ppm") == to_mg_per_kg(x, "mg/kg") == to_mg_per_kg(x, None) == x
    assert to_mg_per_kg(float(value / 1000), "mg/kg") == to_mg_per_kg(x, "ppb"), "x ppb is x/1000 mg/kg"


# --- the judgement --------------------------------------------------------------------------------

RANK = {"pass": 0, "negative": 0, "positive_unconfirmed": 1, "fail": 1}


def names(ref: ReferenceData):
    return (st.sampled_from([p.name_zh for p in ref.products]),
            st.sampled_from([a.name_zh for a in ref.analytes]))


@SETTINGS
@given(data=st.data())
def test_raising_a_value_never_turns_a_fail_into_a_pass(ref: ReferenceData, data):
    products, analytes = names(ref)
    product, analyte = data.draw(products), data.draw(analytes)
    unit = data.draw(st.sampled_from(["mg/kg", "μg/kg", "ppb", "ppm"]))
    low, high = sorted(data.draw(st.lists(concentrations, min_size=2, max_size=2)))
    lod = data.draw(st.one_of(st.none(), concentrations.map(lambda v: f"{v:f}")))
    verdicts = [judge_item(ref, product=product, analyte=analyte, result_value=f"{v:f}", unit=unit, lod=lod).verdict
                for v in (low, high)]
    assert RANK[verdicts[0]] <= RANK[verdicts[1]], (product, analyte, unit, low, high, lod, verdicts)


@SETTINGS
@given(data=st.data())
def test_a_rapid_test_turns_positive_at_fifty_percent_and_stays_positive(ref: ReferenceData, data):
    _, analytes = names(ref)
    analyte = data.draw(analytes)
    rate = data.draw(st.decimals(min_value=0, max_value=100, places=2))
    verdict = judge_item(ref, product="豇豆", analyte=analyte, result_value=f"{rate:f}", unit="%").verdict
    assert verdict == ("positive_unconfirmed" if rate >= 50 else "negative")


@SETTINGS
@given(data=st.data())
def test_a_value_is_judged_the_same_in_every_unit(ref: ReferenceData, data):
    products, analytes = names(ref)
    product, analyte = data.draw(products), data.draw(analytes)
    value = data.draw(concentrations)
    in_mg = judge_item(ref, product=product, analyte=analyte, result_value=f"{value / 1000:f}", unit="mg/kg")
    in_ppb = judge_item(ref, product=product, analyte=analyte, result_value=f"{value:f}", unit="ppb")
    assert (in_ppb.verdict, in_ppb.value_mg_kg) == (in_mg.verdict, in_mg.value_mg_kg)


@SETTINGS
@given(concentrations, concentrations.filter(lambda v: v > 0), st.sampled_from(["mg/kg", "ppb"]))
def test_a_limit_on_the_row_passes_up_to_and_including_it(ref: ReferenceData, value: Decimal, limit: Decimal,
                                                          unit: str):
    verdict = judge_item(ref, product="豇豆", analyte="灭蝇胺", result_value=f"{value:f}", unit=unit,
                         mrl=f"{limit:f}").verdict
    assert verdict == ("pass" if value <= limit else "fail")


@SETTINGS
@given(st.lists(st.sampled_from(["pass", "fail", "negative"]), min_size=1, max_size=12))
def test_a_batch_passes_only_if_every_item_passes(verdicts: list[str]):
    items = [SimpleNamespace(verdict=v, test_kind="lab", analyte_code=f"a{i}") for i, v in enumerate(verdicts)]
    assert judge_batch(items) == ("fail" if "fail" in verdicts else "pass")


# --- headers --------------------------------------------------------------------------------------

ALIASES = [(feed, field.name, header) for feed in FEEDS for field in feed_named(feed).fields for header in field.headers]

spellings = st.sampled_from([
    str, str.upper, str.lower, str.title, full_width,
    lambda h: h.replace("_", " "), lambda h: full_width(h.upper()), lambda h: "\ufeff" + h,
    lambda h: h.replace("_", "\u200b"),
])
padding = st.sampled_from(["", " ", "  ", "\u3000", "\t", "\u00a0"])


@SETTINGS
@given(st.sampled_from(ALIASES), spellings, padding, padding)
def test_every_header_alias_in_any_case_width_or_padding_names_its_column(alias, spell, before, after):
    feed, column, header = alias
    assert contract_column(feed_named(feed), before + spell(header) + after) == column


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(FEEDS)), st.data())
def test_a_file_with_any_alias_spelling_reads_every_required_column(feed: str, data):
    contract = feed_named(feed)
    headers = {}
    for name in contract.required:
        header = data.draw(st.sampled_from(contract.field(name).headers))
        headers[name] = data.draw(padding) + data.draw(spellings)(header)
    assume(len({h.strip() for h in headers.values()}) == len(headers))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        row = ",".join(f"v{i}" for i in range(len(headers)))
        path.write_text(",".join(f'"{h}"' for h in headers.values()) + "\n" + row + "\n", encoding="utf-8")
        [parsed] = read_feed_file(path, feed)
    assert parsed.missing_required == []
    assert sorted(parsed.header_map.values()) == sorted(headers)
    assert [parsed.raw.iloc[0][name] for name in headers] == [f"v{i}" for i in range(len(headers))]
