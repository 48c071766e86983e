"""Pure parts of the marts package: chart rendering, mart ordering, dictionary and report HTML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from agritrace.marts.charts import Bar, TrendPoint, bar_chart, nice_step, rate_axis, trend_with_band
from agritrace.marts.dictionary import Column, Function, Relation, render_dictionary
from agritrace.marts.refresh import MartDefinition, MartError, dependency_order, discover
from agritrace.marts.report import Headline, ReportData, label, render_report

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_trend_draws_line_points_and_interval_band():
    points = [TrendPoint(f"{m}月", 97 + m / 10, 95 + m / 10, 99 + m / 10, note="n=50") for m in range(1, 7)]
    root = _parse(trend_with_band(points, title="Monthly pass rate"))
    assert len(root.findall(f"{SVG}polygon")) == 1
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert len(root.findall(f"{SVG}circle")) == 6
    assert root.find(f"{SVG}title").text == "Monthly pass rate"


def test_trend_breaks_line_and_band_at_periods_without_data():
    points = [TrendPoint("1", 98, 96, 99), TrendPoint("2", None), TrendPoint("3", 97, 95, 99)]
    root = _parse(trend_with_band(points, title="gap"))
    assert len(root.findall(f"{SVG}polygon")) == 2
    assert len(root.findall(f"{SVG}circle")) == 2


def test_chart_text_is_escaped():
    svg = bar_chart([Bar("<script>&", 99.0)], title="a <b> title")
    root = _parse(svg)
    assert "<script>" not in svg
    assert any(t.text == "<script>&" for t in root.iter(f"{SVG}text"))


def test_rate_bars_start_their_axis_below_the_data_and_say_so():
    svg = bar_chart([Bar("蔬菜 Vegetables", 97.5, 96.0, 98.6), Bar("水果 Fruits", 99.1, 98.0, 99.6)], title="by category")
    assert "axis starts at 95%" in svg
    whiskers = [line for line in _parse(svg).iter(f"{SVG}line") if line.get("stroke") == "#1f2937"]
    assert len(whiskers) == 6  # one interval line and two caps per bar


def test_count_bars_start_at_zero():
    svg = bar_chart([Bar("毒死蜱", 3), Bar("克百威", 1, highlight=True)], title="failures", unit=" items", decimals=0)
    assert "axis starts" not in svg
    assert 'fill="#c0392b"' in svg


def test_empty_charts_say_there_is_no_data():
    assert "No data" in trend_with_band([], title="t")
    assert "No data" in bar_chart([], title="b")


@pytest.mark.parametrize(("span", "step"), [(5, 1), (10, 2), (23, 5), (100, 20), (0.8, 0.2)])
def test_tick_steps_are_round_numbers(span, step):
    assert nice_step(span) == pytest.approx(step)


def test_rate_axis_never_goes_below_zero_or_above_100():
    assert rate_axis([2.0, 50.0]) == (0.0, 100.0)
    low, high = rate_axis([96.5, 99.9])
    assert 90 <= low < 96.5 and high == 100


def test_a_mart_is_created_after_the_marts_it_reads():
    base = MartDefinition("b_base", Path("b_base.sql"), "create view mart.b_base as select 1")
    top = MartDefinition("a_top", Path("a_top.sql"), "create view mart.a_top as select * from mart.b_base")
    assert [d.name for d in dependency_order([top, base])] == ["b_base", "a_top"]


def test_marts_reading_each_other_in_a_cycle_are_refused():
    a = MartDefinition("a", Path("a.sql"), "select * from mart.b")
    b = MartDefinition("b", Path("b.sql"), "select * from mart.a")
    with pytest.raises(MartError, match="cycle"):
        dependency_order([a, b])


def test_every_mart_file_ends_its_query_with_select_from_final_and_comments_every_column():
    for definition in discover():
        text = definition.text
        assert "select * from final;" in text, definition.path.name
        # A view over the daily summaries; a mart not yet moved onto them is a materialized view.
        assert re.search(rf"create (materialized )?view mart\.{definition.name} as", text), definition.path.name
        assert re.search(rf"comment on (materialized )?view mart\.{definition.name} is", text), definition.path.name


def test_dictionary_escapes_pipes_and_flags_missing_comments():
    relation = Relation(
        "mart", "demo", "view", "A demo.",
        (Column("kind", "text", "a | b"), Column("n", "bigint", "")), ("kind",),
    )
    markdown = render_dictionary([relation], [Function("f(x bigint)", "numeric", "Doubles x.")])
    assert "| `kind` | text | a \\| b |" in markdown
    assert "| `n` | bigint | **(no comment)** |" in markdown
    assert "unique key: `kind`" in markdown and "| `f(x bigint)` | numeric | Doubles x. |" in markdown


def test_labels_are_chinese_and_english():
    assert label("task_type", "routine_monitoring") == "例行监测 Routine monitoring"
    assert label("product_category", "aquatic") == "水产品 Aquatic"
    assert label("sampling_level", "all") == "全部 All"
    assert label("product_category", "unknown") == "未知 Unknown"


def test_report_without_data_is_still_a_complete_offline_page():
    html = render_report(ReportData(year=2024, headlines=[Headline("合格率", "Pass rate", "98.12%")]))
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "98.12%" in html and "No data" in html
    assert 'src="http' not in html and 'href="http' not in html and "<script" not in html


def test_wide_tables_scroll_instead_of_being_cut_off():
    from agritrace.web.layout import STYLE, table

    assert table(["a"] * 12, [["1"] * 12]).startswith('<div class="scroll">')
    assert ".scroll { overflow-x: auto; }" in STYLE and ".grid2 > * { min-width: 0; }" in STYLE


def test_standalone_report_has_no_filter_form_or_download_links():
    html = render_report(ReportData(year=2024))
    assert "<form" not in html and 'class="downloads"' not in html and "marts/download" not in html
