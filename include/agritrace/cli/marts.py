"""`agritrace marts refresh` and `agritrace report`: what analysts read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agritrace.cli.base import app, fail

marts_app = typer.Typer(help="Analyst marts.", no_args_is_help=True)
app.add_typer(marts_app, name="marts")

@marts_app.command("refresh")
def marts_refresh() -> None:
    """Create missing marts and recompute the days loaded since the last refresh (readers are not blocked)."""
    from agritrace import db
    from agritrace.marts.refresh import mart_counts, refresh_marts

    with db.connect(autocommit=True) as conn:
        timings = refresh_marts(conn)
        counts = mart_counts(conn)
    typer.echo(f"summaries recomputed for the new days in {sum(timings.values()):.2f} s")
    for name, rows in counts.items():
        typer.echo(f"mart.{name:32} {rows:>8,} rows")


@app.command()
def report(year: Annotated[int | None, typer.Option(help="Year to report (default: the latest with data)")] = None,
           out: Annotated[Path | None, typer.Option(help="HTML file to write")] = None) -> None:
    """Write a self-contained HTML report of the year's pass rates, with charts."""
    from agritrace import db
    from agritrace.marts.report import latest_year, write_report

    with db.connect() as conn:
        year = year or latest_year(conn)
        if year is None:
            fail("the marts hold no sampling results yet: ingest data and run `agritrace marts refresh` first")
        path = out or Path(f"agritrace-report-{year}.html")
        written = write_report(conn, year, path)
    typer.echo(f"wrote {written} ({year})")
