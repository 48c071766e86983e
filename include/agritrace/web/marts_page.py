"""The marts page: the yearly report of ``agritrace.marts.report`` inside the app, with a link per year."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from agritrace.marts.report import FILTER_LABELS, FILTERS, ReportData, as_of_text, label, render_report
from agritrace.web.layout import PAGE, Link, Nav, e, page

NAV = Nav("marts", "../")  # /ui/marts


def filter_form(data: ReportData, years: list[int], options: dict[str, list[str]]) -> str:
    """The filter form: year and one choice per filter, each limited to the values the marts hold."""
    chosen = data.filters.active()

    def select(name: str, title: str, values: list[tuple[str, str]], current: str, blank: str | None) -> str:
        first = f'<option value="">{e(blank)}</option>' if blank is not None else ""
        opts = "".join(
            f'<option value="{e(v)}"{" selected" if v == current else ""}>{e(text)}</option>' for v, text in values
        )
        return f'<label>{e(title)}<select name="{name}">{first}{opts}</select></label>'

    fields = [select("year", "年份 Year", [(str(y), str(y)) for y in years], str(data.year), None)]
    for key in FILTERS:
        values = [(v, v if key == "town" else label(key, v)) for v in options.get(key, [])]
        fields.append(select(key, FILTER_LABELS[key], values, chosen.get(key, ""), "全部 All"))
    return f'<form class="filters" method="get">{"".join(fields)}<button type="submit">筛选 Filter</button></form>'


def marts_page(data: ReportData | None, years: list[int], as_of: datetime | None = None,
               options: dict[str, list[str]] | None = None) -> str:
    """The report for ``data.year`` with links to the other ``years``; a note when the marts are empty."""
    if data is None:
        return page(PAGE["marts"].label, '<p class="empty">尚无数据。The marts are empty: load data and run the '
                                         "marts refresh first.</p>", nav=NAV,
                    subtitle=as_of_text(as_of))
    query = data.filters.active()
    links = [Link(str(y), "?" + urlencode({"year": y, **query}), y == data.year) for y in years]
    params = {"year": str(data.year), **query}

    def download_href(table: str, fmt: str) -> str:
        # Relative to /ui/marts, so it works under any mount prefix; same query, so the same rows.
        return f"marts/download/{table}?" + urlencode({**params, "format": fmt})

    return render_report(data, nav=NAV, links=links, download_href=download_href,
                         before=filter_form(data, years, options or {}))
