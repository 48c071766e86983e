"""The marts page: the yearly report of ``agritrace.marts.report`` inside the app, with a link per year."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from agritrace.marts.report import ReportData, as_of_text, render_report
from agritrace.web.layout import PAGE, Link, Nav, page

NAV = Nav("marts", "../")  # /ui/marts


def marts_page(data: ReportData | None, years: list[int], as_of: datetime | None = None,
               query: dict[str, str] | None = None) -> str:
    """The report for ``data.year`` with links to the other ``years``; a note when the marts are empty."""
    if data is None:
        return page(PAGE["marts"].label, '<p class="empty">尚无数据。The marts are empty: load data and run the '
                                         "marts refresh first.</p>", nav=NAV,
                    subtitle=as_of_text(as_of))
    links = [Link(str(y), f"?year={y}", y == data.year) for y in years]
    params = {"year": str(data.year), **(query or {})}

    def download_href(table: str, fmt: str) -> str:
        # Relative to /ui/marts, so it works under any mount prefix; same query, so the same rows.
        return f"marts/download/{table}?" + urlencode({**params, "format": fmt})

    return render_report(data, nav=NAV, links=links, download_href=download_href)
