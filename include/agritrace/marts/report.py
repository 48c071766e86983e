"""The yearly quality report: one self-contained HTML file built from the marts only.

Everything is inline (the shared stylesheet of ``agritrace.web.layout`` and SVG charts from
``charts.py``); the file opens offline and can be mailed as is. ``load_report_data`` reads the
marts, ``render_report`` is pure (the web app's marts page is the same document with the app's
menu), and ``report_html`` and ``write_report`` put them together for ``agritrace report``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from agritrace.contracts.certificates import CATEGORIES
from agritrace.contracts.sampling_batches import SAMPLING_LEVELS, TASK_TYPES
from agritrace.marts.charts import Bar, TrendPoint, bar_chart, trend_with_band
from agritrace.marts.refresh import data_as_of
from agritrace.web.layout import Link, Nav, card, e, page, table

_VOCABULARIES = {"task_type": TASK_TYPES, "sampling_level": SAMPLING_LEVELS, "product_category": CATEGORIES}
_ALL = "全部 All"
_UNKNOWN = "未知 Unknown"


def label(kind: str, value: str | None) -> str:
    """Chinese and English label of a mart value, e.g. ``例行监测 Routine monitoring``."""
    if value is None or value == "unknown":
        return _UNKNOWN
    if value == "all":
        return _ALL
    words = _VOCABULARIES.get(kind, {}).get(value)
    english = value.replace("_", " ").capitalize()
    return f"{words[0]} {english}" if words else value


@dataclass(frozen=True)
class Headline:
    title_zh: str
    title_en: str
    value: str
    detail: str = ""


@dataclass
class ReportData:
    year: int
    headlines: list[Headline] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    by_task: list[dict[str, Any]] = field(default_factory=list)
    by_category: list[Bar] = field(default_factory=list)
    by_town: list[Bar] = field(default_factory=list)
    analytes: list[dict[str, Any]] = field(default_factory=list)
    risk_grades: dict[str, int] = field(default_factory=dict)
    risk_as_of: date | None = None
    under_sampled: list[dict[str, Any]] = field(default_factory=list)
    data_as_of: datetime | None = None
    filters: Filters = field(default_factory=lambda: Filters())


def available_years(conn: psycopg.Connection) -> list[int]:
    """Years with sampling results or certificates in the marts, newest first; none before the marts exist."""
    created = conn.execute(
        "select to_regclass('mart.pass_rate_by_period') is not null and to_regclass('mart.sampling_coverage') is not null"
    ).fetchone()[0]
    if not created:
        return []
    rows = conn.execute(
        """
        select extract(year from period_start)::int from mart.pass_rate_by_period where period_type = 'year'
        union
        select year from mart.sampling_coverage
        order by 1 desc
        """
    ).fetchall()
    return [r[0] for r in rows]


def _rows(conn: psycopg.Connection, query: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _pct(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{float(value):.2f}%"


FILTERS = ("town", "product_category", "task_type", "sampling_level")
FILTER_LABELS = {"town": "乡镇 Town", "product_category": "类别 Category", "task_type": "任务类型 Task",
                 "sampling_level": "级别 Level"}
# Which page sections each filter narrows; the others come from marts without that dimension.
FILTER_SCOPE = {
    "town": "certificates, town chart, risk grades, under-sampled",
    "product_category": "pass rates, trend, category chart, analytes, certificates, under-sampled",
    "task_type": "pass rates, trend, category and town charts",
    "sampling_level": "pass rates, trend, category chart",
}


class UnknownFilterValue(ValueError):
    """A filter value the marts do not hold."""


@dataclass(frozen=True)
class Filters:
    """The marts page's filters; None is not filtered."""

    town: str | None = None
    product_category: str | None = None
    task_type: str | None = None
    sampling_level: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k in FILTERS if (v := getattr(self, k)) is not None}


# The detail rows with the totals beside them: the report reads a total (the literal 'all' in a
# dimension) where the page shows one, a member where it shows those.
PERIOD_ROWS = "(select * from mart.pass_rate_by_period union all select * from mart.pass_rate_by_period_totals) rates"
TOWN_ROWS = "(select * from mart.pass_rate_by_town union all select * from mart.pass_rate_by_town_totals) rates"
ANALYTE_ROWS = "(select * from mart.analyte_exceedance union all select * from mart.analyte_exceedance_totals) items"


def filter_options(conn: psycopg.Connection) -> dict[str, list[str]]:
    """The values each filter may take: those present in the marts' detail rows."""
    def values(query: str) -> list[str]:
        return [r[0] for r in conn.execute(query).fetchall()]

    return {
        "town": values("select town from mart.pass_rate_by_town union select town from mart.sampling_coverage "
                       "order by 1"),
        "product_category": values("select distinct product_category from mart.pass_rate_by_period order by 1"),
        "task_type": values("select distinct task_type from mart.pass_rate_by_period order by 1"),
        "sampling_level": values("select distinct sampling_level from mart.pass_rate_by_period order by 1"),
    }


def check_filters(options: dict[str, list[str]], given: dict[str, str | None]) -> Filters:
    """``Filters`` from query values ('' = not filtered); a value the marts do not hold raises ``UnknownFilterValue``."""
    chosen: dict[str, str] = {}
    for key in FILTERS:
        value = given.get(key)
        if value in (None, ""):
            continue
        if value not in options[key]:
            allowed = ", ".join(options[key]) or "(none)"
            raise UnknownFilterValue(f"unknown {key} {value!r}; the marts hold: {allowed}")
        chosen[key] = value
    return Filters(**chosen)


def load_report_data(conn: psycopg.Connection, year: int, filters: Filters = Filters()) -> ReportData:
    """Read every figure of the report for ``year`` from the marts, narrowed by ``filters``."""
    data = ReportData(year=year, data_as_of=data_as_of(conn), filters=filters)
    year_start = date(year, 1, 1)
    p: dict[str, Any] = {
        "year": year, "year_start": year_start, "town": filters.town, "category": filters.product_category,
        "task": filters.task_type, "level": filters.sampling_level,
    }
    by_task_query = f"""
        select task_type, sampling_level, batches, passed_batches, failed_batches, unconfirmed_batches,
               pending_batches, pass_rate_pct, wilson_low_pct, wilson_high_pct
        from {PERIOD_ROWS}
        where period_type = 'year' and period_start = %(year_start)s and region_code = 'all'
          and product_category = coalesce(%(category)s::text, 'all')
          and (%(task)s::text is null or task_type = %(task)s)
          and (%(level)s::text is null or sampling_level = %(level)s)
        order by task_type = 'all', task_type, sampling_level = 'all' desc, sampling_level
        """
    year_rows = _rows(conn, by_task_query, p)
    previous = {
        (r["task_type"], r["sampling_level"]): r["pass_rate_pct"]
        for r in _rows(conn, by_task_query, p | {"year_start": date(year - 1, 1, 1)})
    }
    for row in year_rows:
        before = previous.get((row["task_type"], row["sampling_level"]))
        row["prev_year_pass_rate_pct"] = before
        row["change_pct_points"] = (
            None if before is None or row["pass_rate_pct"] is None else row["pass_rate_pct"] - before
        )
    by_key = {(r["task_type"], r["sampling_level"]): r for r in year_rows}
    data.by_task = [r for r in year_rows if r["task_type"] != "all" or r["sampling_level"] == "all"]

    certificates = _rows(
        conn,
        """
        select coalesce(sum(certificates), 0) as certificates, count(distinct producer_id) as producers,
               coalesce(sum(quantity_kg), 0) as quantity_kg
        from mart.certificate_issuance where extract(year from month) = %(year)s
          and (%(town)s::text is null or town = %(town)s)
          and (%(category)s::text is null or product_category = %(category)s)
        """,
        p,
    )[0]
    # Without a category filter an analyte's 'all' row is its total; with one, the category's product rows.
    analyte_rows = """
        (case when %(category)s::text is null then product_code = 'all'
              else product_code <> 'all' and product_category = %(category)s end)
        """
    banned = _rows(
        conn,
        f"""
        select coalesce(sum(banned_detected), 0) as banned, coalesce(sum(exceeded), 0) as exceeded
        from {ANALYTE_ROWS} where year = %(year)s and {analyte_rows}
        """,
        p,
    )[0]
    data.headlines = [
        Headline(
            "合格证开具", "Certificates issued", f"{certificates['certificates']:,}",
            f"{certificates['producers']:,} 个主体 producers · {float(certificates['quantity_kg']) / 1000:,.1f} t",
        ),
    ]
    for task, level, zh, en in (
        ("routine_monitoring", "district", "例行监测（区县）", "Routine monitoring, district"),
        ("supervisory_sampling", "all", "监督抽查（各级）", "Supervisory sampling, all levels"),
        ("all", "all", "全部抽检", "All sampling"),
    ):
        row = by_key.get((task, level))
        if row and row["batches"]:
            data.headlines.append(
                Headline(
                    f"{zh}合格率", en, _pct(row["pass_rate_pct"]),
                    f"{row['passed_batches']:,}/{row['batches']:,} 批次 batches · 95% CI "
                    f"{_pct(row['wilson_low_pct'])}–{_pct(row['wilson_high_pct'])}",
                )
            )
    data.headlines.append(
        Headline(
            "禁限用药物检出", "Banned substances detected", f"{banned['banned']:,}",
            f"超限量 MRL exceeded: {banned['exceeded']:,} 项 items",
        )
    )

    months = {
        r["period_start"].month: r
        for r in _rows(
            conn,
            f"""
            select period_start, batches, pass_rate_pct, wilson_low_pct, wilson_high_pct
            from {PERIOD_ROWS}
            where period_type = 'month' and extract(year from period_start) = %(year)s
              and task_type = coalesce(%(task)s::text, 'all') and sampling_level = coalesce(%(level)s::text, 'all')
              and region_code = 'all' and product_category = coalesce(%(category)s::text, 'all')
            """,
            p,
        )
    }
    for month in range(1, 13):
        row = months.get(month)
        data.trend.append(
            TrendPoint(
                label=f"{month}月",
                value=_f(row["pass_rate_pct"]) if row else None,
                low=_f(row["wilson_low_pct"]) if row else None,
                high=_f(row["wilson_high_pct"]) if row else None,
                note=f"n={row['batches']}" if row else "",
            )
        )

    data.by_category = [
        Bar(label("product_category", r["product_category"]), float(r["pass_rate_pct"]),
            _f(r["wilson_low_pct"]), _f(r["wilson_high_pct"]), f"n={r['batches']}")
        for r in _rows(
            conn,
            f"""
            select product_category, batches, pass_rate_pct, wilson_low_pct, wilson_high_pct
            from {PERIOD_ROWS}
            where period_type = 'year' and period_start = %(year_start)s
              and task_type = coalesce(%(task)s::text, 'all') and sampling_level = coalesce(%(level)s::text, 'all')
              and region_code = 'all' and product_category <> 'all' and batches > 0
              and (%(category)s::text is null or product_category = %(category)s)
            order by pass_rate_pct, product_category
            """,
            p,
        )
    ]
    data.by_town = [
        Bar(label("town", r["town"]) if r["town"] == "unknown" else r["town"], float(r["pass_rate_pct"]),
            _f(r["wilson_low_pct"]), _f(r["wilson_high_pct"]), f"n={r['batches']}")
        for r in _rows(
            conn,
            f"""
            select town, sum(batches) as batches, sum(passed_batches) as passed,
                   round(100.0 * sum(passed_batches) / sum(batches), 2) as pass_rate_pct,
                   mart.wilson_low_pct(sum(passed_batches)::bigint, sum(batches)::bigint) as wilson_low_pct,
                   mart.wilson_high_pct(sum(passed_batches)::bigint, sum(batches)::bigint) as wilson_high_pct
            from {TOWN_ROWS}
            where period_type = 'year' and period_start = %(year_start)s and task_type = coalesce(%(task)s::text, 'all')
              and (%(town)s::text is null or town = %(town)s)
            group by town
            having sum(batches) > 0
            order by pass_rate_pct, town
            limit 20
            """,
            p,
        )
    ]
    data.analytes = _rows(
        conn,
        f"""
        select analyte_name, analyte_code, test_kind, sum(tested) as tested, sum(detected) as detected,
               sum(exceeded) as exceeded, sum(banned_detected) as banned_detected,
               sum(unconfirmed_positives) as unconfirmed_positives,
               case when %(category)s::text is null then max(exceedance_rate_pct)
                    else round(100.0 * sum(exceeded + banned_detected) / nullif(sum(tested), 0), 2)
               end as exceedance_rate_pct,
               max(max_ratio_to_limit) as max_ratio_to_limit
        from {ANALYTE_ROWS}
        where year = %(year)s and {analyte_rows}
        group by analyte_name, analyte_code, test_kind
        having sum(exceeded + banned_detected + unconfirmed_positives) > 0
        order by sum(exceeded + banned_detected) desc, sum(unconfirmed_positives) desc, sum(detected) desc, analyte_code
        limit 10
        """,
        p,
    )
    risk = _rows(
        conn,
        "select risk_grade, count(*) as producers, max(as_of_date) as as_of from mart.producer_risk "
        "where %(town)s::text is null or town = %(town)s group by 1",
        p,
    )
    data.risk_grades = {grade: 0 for grade in "ABCD"} | {r["risk_grade"]: r["producers"] for r in risk}
    data.risk_as_of = max((r["as_of"] for r in risk), default=None)
    data.under_sampled = _rows(
        conn,
        """
        select town, product_category, certificates, batches_sampled, batches_per_1000_certificates,
               reference_per_1000_certificates
        from mart.sampling_coverage
        where year = %(year)s and under_sampled
          and (%(town)s::text is null or town = %(town)s)
          and (%(category)s::text is null or product_category = %(category)s)
        order by batches_per_1000_certificates nulls first, certificates desc
        """,
        p,
    )
    return data


TITLE = "农产品质量安全抽检年报"
GRADE_NAMES = {"A": "抽检合格", "B": "未抽检/覆盖不足", "C": "不合格或快检阳性", "D": "禁限用药物检出"}


def _table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """The report's tables: the first ``left`` columns are labels, the rest figures (right-aligned)."""
    return table(headers, rows, columns=[""] * left + ["num"] * (len(headers) - left))


def without_redundant_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a task's all-levels row when the task ran at one level only (it would repeat that row)."""
    levels: dict[str, int] = {}
    for row in rows:
        if row["sampling_level"] != "all":
            levels[row["task_type"]] = levels.get(row["task_type"], 0) + 1
    return [
        r for r in rows
        if r["task_type"] == "all" or r["sampling_level"] != "all" or levels.get(r["task_type"], 0) != 1
    ]


def as_of_text(as_of: datetime | None) -> str:
    """``数据截至 Data as of 2024-05-01 06:00 UTC``, or a warning when the marts were never refreshed."""
    if as_of is None:
        return "数据截至 Data as of: 尚未刷新 the marts have not been refreshed yet"
    return f"数据截至 Data as of {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


DownloadHref = Callable[[str, str], str]


def render_report(data: ReportData, *, title: str = TITLE, nav: Nav | None = None, links: Sequence[Link] = (),
                  download_href: DownloadHref | None = None, before: str = "") -> str:
    """The report as one HTML document on the shared layout (pure: no database, no files).

    Without ``nav`` it is the standalone file (no menu); the web app passes its menu, the year links
    and ``download_href(table, format)``, the address of a table's CSV or XLSX download; ``before``
    is HTML put above the report (the page's filter form).
    """
    return page(f"{title} · {data.year}", before + filters_note(data.filters) + report_body(data, download_href),
                nav=nav, links=links,
                subtitle=f"Agricultural product quality: certificates, sampling and inspection results, {data.year}"
                         f" · {as_of_text(data.data_as_of)}")


def _change(points: Decimal | float | None) -> str:
    """Year-over-year change in percentage points, signed; – when either year has no judged batch."""
    return "–" if points is None else f"{float(points):+.2f} pp"


def filters_note(filters: Filters) -> str:
    """A banner naming the active filters and the sections each one narrows; empty when unfiltered."""
    active = filters.active()
    if not active:
        return ""
    items = "".join(
        f"<li>{escape(FILTER_LABELS[k])} = {escape(label(k, v) if k != 'town' else v)}: "
        f"{escape(FILTER_SCOPE[k])}</li>"
        for k, v in active.items()
    )
    return (f'<section class="banner warn">已筛选 Filtered; other sections come from marts without that '
            f"dimension and are not narrowed:<ul>{items}</ul></section>")


def _downloads(download_href: DownloadHref | None, table: str) -> str:
    if download_href is None:
        return ""
    links = " ".join(f'<a href="{escape(download_href(table, fmt))}" download>{fmt.upper()}</a>' for fmt in ("csv", "xlsx"))
    if table == "by_task":
        with_totals = escape(download_href(table, "csv") + "&rollups=true")
        links += (f' <a href="{with_totals}" download>CSV 含合计行 with total rows</a>'
                  ' <span class="note">(CSV/XLSX 不含“全部”合计行，可直接求和 leave out the “all” total rows, so columns sum)</span>')
    return f'<p class="downloads">下载 Download: {links}</p>'


def report_body(data: ReportData, download_href: DownloadHref | None = None) -> str:
    """The report's sections: headline figures, trend, tables and charts (with download links when given)."""
    cards = "".join(card(f"{h.title_zh} · {h.title_en}", h.value, detail=h.detail) for h in data.headlines)
    task_rows = [
        [
            e(label("task_type", r["task_type"])), e(label("sampling_level", r["sampling_level"])),
            f"{r['batches']:,}", f"{r['passed_batches']:,}", f"{r['failed_batches']:,}",
            f"{r['unconfirmed_batches']:,}", f"{r['pending_batches']:,}", _pct(r["pass_rate_pct"]),
            "–" if r["wilson_low_pct"] is None else f"{_pct(r['wilson_low_pct'])} – {_pct(r['wilson_high_pct'])}",
            _pct(r.get("prev_year_pass_rate_pct")), _change(r.get("change_pct_points")),
        ]
        for r in without_redundant_totals(data.by_task)
    ]
    analyte_rows = [
        [
            e(f"{r['analyte_name']}"), e(r["test_kind"]), f"{r['tested']:,}", f"{r['detected']:,}",
            f"{r['exceeded']:,}", f"{r['banned_detected']:,}", f"{r['unconfirmed_positives']:,}",
            _pct(r["exceedance_rate_pct"]),
            "–" if r["max_ratio_to_limit"] is None else f"{float(r['max_ratio_to_limit']):.2f}×",
        ]
        for r in data.analytes
    ]
    analyte_bars = [
        Bar(f"{r['analyte_name']}", float(r["exceeded"] + r["banned_detected"]),
            note=f"禁用 banned {r['banned_detected']}" if r["banned_detected"] else "",
            highlight=bool(r["banned_detected"]))
        for r in data.analytes
        if r["exceeded"] + r["banned_detected"] > 0
    ]
    risk_rows = [
        [f'<span class="grade {g}">{g}</span> {e(GRADE_NAMES[g])}', f"{data.risk_grades.get(g, 0):,}"]
        for g in "ABCD"
    ]
    under_rows = [
        [
            e(r["town"]), e(label("product_category", r["product_category"])), f"{r['certificates']:,}",
            f"{r['batches_sampled']:,}",
            "–" if r["batches_per_1000_certificates"] is None else f"{float(r['batches_per_1000_certificates']):.2f}",
            "–" if r["reference_per_1000_certificates"] is None else f"{float(r['reference_per_1000_certificates']):.2f}",
        ]
        for r in data.under_sampled
    ]
    trend_svg = trend_with_band(
        data.trend, title=f"{data.year} 月度合格率 Monthly pass rate", y_label="%",
        line_label="合格率 pass rate", band_label="95% Wilson 区间 interval",
    )
    category_svg = bar_chart(data.by_category, title="按产品类别 By product category")
    town_svg = bar_chart(data.by_town, title="按乡镇 By town")
    analyte_svg = bar_chart(analyte_bars, title="不合格检测项目 Failed test items", unit=" items", decimals=0)
    as_of = f"（截至 as of {data.risk_as_of.isoformat()}）" if data.risk_as_of else ""
    return f"""
<section>
<h2>核心指标<small>Headline figures</small></h2>
<p class="note">合格率 = 合格批次 ÷ 判定批次；快检阳性未确证及结果待出批次不参与判定。
Pass rate = passed ÷ judged batches; unconfirmed rapid-test positives and pending batches are not judged.</p>
<div class="cards">{cards}</div>
</section>
<section>
<h2>月度合格率趋势<small>Monthly pass rate with 95% Wilson interval</small></h2>
<p class="note">全部任务类型、级别、区域与类别。All task types, levels, regions and categories.</p>
{trend_svg}
</section>
<section>
<h2>按任务类型与级别<small>By task type and sampling level</small></h2>
{_table(["任务类型 Task", "级别 Level", "判定批次 Judged", "合格 Passed", "不合格 Failed",
         "快检阳性 Unconfirmed", "待出 Pending", "合格率 Pass rate", "95% CI",
         f"{data.year - 1} 合格率 Pass rate", "同比 Change (pp)"], task_rows, left=2)}
{_downloads(download_href, "by_task")}
</section>
<div class="grid2">
<section>
<h2>按产品类别<small>By product category</small></h2>
{category_svg}
</section>
<section>
<h2>按乡镇<small>By town</small></h2>
{town_svg}
</section>
</div>
<section>
<h2>主要超标检测项目<small>Most exceeded analytes</small></h2>
<p class="note">红色为禁限用药物检出。Red: banned substance detected.</p>
{analyte_svg if analyte_bars else ""}
{_table(["检测项目 Analyte", "类型 Kind", "检测 Tested", "检出 Detected", "超限量 Exceeded",
         "禁用检出 Banned", "快检阳性 Unconfirmed", "不合格率 Rate", "最大倍数 Max ×limit"], analyte_rows, left=2)
 if analyte_rows else '<p class="note">本年度无不合格检测项目。No failed test items this year.</p>'}
{_downloads(download_href, "analytes") if analyte_rows else ""}
</section>
<div class="grid2">
<section>
<h2>主体风险分级<small>Producer risk grades {escape(as_of)}</small></h2>
<p class="note">D 禁限用药物检出；C 其他不合格或快检阳性未确证；B 未抽检或每百张合格证抽检不足 1 批；A 抽检合格（近 12 个月）。
D banned-substance failure; C other failure or unconfirmed positive; B not sampled or under 1 batch per 100 certificates; A sampled and clean (last 12 months).</p>
{_table(["等级 Grade", "主体数 Producers"], risk_rows)}
{_downloads(download_href, "risk_grades")}
</section>
<section>
<h2>抽检覆盖不足<small>Under-sampled towns and categories</small></h2>
<p class="note">合格证 ≥ 100 张，且每千张合格证抽检批次低于全区同类别的一半。
At least 100 certificates and fewer than half the county's batches per 1,000 certificates for the category.</p>
{_table(["乡镇 Town", "类别 Category", "合格证 Certificates", "抽检批次 Batches", "每千张 per 1,000",
         "全区 County"], under_rows, left=2) if under_rows else '<p class="note">无。None.</p>'}
{_downloads(download_href, "under_sampled") if under_rows else ""}
</section>
</div>
<footer>Generated from the analyst marts (schema mart) · 数据来源：分析数据集市 · {escape(as_of_text(data.data_as_of))}</footer>
"""


def report_html(conn: psycopg.Connection, year: int) -> str:
    """The standalone report for ``year``."""
    return render_report(load_report_data(conn, year))


def latest_year(conn: psycopg.Connection) -> int | None:
    """The latest year the marts hold sampling results for (None when they hold none)."""
    row = conn.execute("select max(extract(year from period_start))::int from mart.pass_rate_by_period").fetchone()
    return row[0] if row else None


def write_report(conn: psycopg.Connection, year: int, path: Path) -> Path:
    """Write the report for ``year`` to ``path`` (folders created); returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(conn, year), encoding="utf-8")
    return path
