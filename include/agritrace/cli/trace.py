"""`agritrace trace KEY|NAME` and `agritrace trace export`: lookups for regulators."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from agritrace.cli.base import app, fail, parse_date


class _TraceGroup(TyperGroup):
    """`agritrace trace KEY` looks a key up; `agritrace trace export …` is the one sub-command."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            args.insert(0, "lookup")
        return super().resolve_command(ctx, args)


trace_app = typer.Typer(cls=_TraceGroup, help="Trace lookups for regulators: `agritrace trace KEY` or "
                        "`agritrace trace export --product 豇豆 --from 2023-01-01 --to 2023-12-31`.",
                        no_args_is_help=True)
app.add_typer(trace_app, name="trace")

@trace_app.command("lookup")
def trace_lookup(
    key: Annotated[str, typer.Argument(help="Certificate, batch, producer, report, lot number or trace code")],
    format: Annotated[str, typer.Option("--format", help="table, json, csv, xlsx, or the recall list as "
                                                       "recall-csv or recall-xlsx")] = "table",
    date_from: Annotated[str | None, typer.Option("--from", help="Window start (YYYY-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Window end (YYYY-MM-DD)")] = None,
    recall_days: Annotated[int, typer.Option(help="Recall scope: ± days around a failing sample")] = 7,
    out: Annotated[Path | None, typer.Option(help="File for csv/xlsx (default: standard output for csv)")] = None,
    show_personal: Annotated[bool, typer.Option("--show-personal", help="Show contact data (regulators)")] = False,
) -> None:
    """Trace back and forward from one key (`agritrace trace KEY` is the same as `agritrace trace lookup KEY`)."""
    import csv

    from agritrace import db
    from agritrace.trace.lookup import KeyNotFound, MalformedKey, trace
    from agritrace.trace.render import (
        recall_csv_text,
        render_table,
        to_csv_rows,
        to_json,
        write_recall_xlsx,
        write_xlsx,
    )

    try:
        with db.connect() as conn:
            result = trace(conn, key, from_date=parse_date(date_from), to_date=parse_date(date_to), recall_days=recall_days,
                           requested_by=os.environ.get("USER", "cli"), interface="cli",
                           include_personal=show_personal)
    except MalformedKey as exc:
        fail(f"malformed key: {exc}")
    except ValueError as exc:  # a window the lookup cannot honour (from after to …)
        fail(str(exc))
    except KeyNotFound:
        _not_a_key(key)
    if format == "table":
        typer.echo(render_table(result))
    elif format == "json":
        typer.echo(to_json(result))
    elif format == "csv":
        handle = out.open("w", newline="", encoding="utf-8-sig") if out else sys.stdout
        csv.writer(handle).writerows(to_csv_rows(result, bilingual=True))
        if out:
            handle.close()
            typer.echo(f"wrote {out}")
    elif format == "xlsx":
        target = out or Path(f"trace-{key}.xlsx")
        write_xlsx(result, target)
        typer.echo(f"wrote {target}")
    elif format == "recall-csv":
        if out:
            out.write_text(recall_csv_text(result), encoding="utf-8-sig", newline="")
            typer.echo(f"wrote {out}")
        else:
            sys.stdout.write(recall_csv_text(result))
    elif format == "recall-xlsx":
        target = out or Path(f"recall-{key}.xlsx")
        write_recall_xlsx(result, target)
        typer.echo(f"wrote {target}")
    else:
        fail(f"--format must be table, json, csv, xlsx, recall-csv or recall-xlsx, not {format!r}")


def _not_a_key(query: str) -> NoReturn:
    """A query that names no record may be a name: list the producers and products it finds, as the page does."""
    from agritrace import db
    from agritrace.trace.lookup import search

    with db.connect() as conn:
        hits = search(conn, query, requested_by=os.environ.get("USER", "cli"), interface="cli")
    if not hits.found:
        fail(f"{query}: not found as a certificate, batch, producer, report, lot number or trace code, "
              "nor in any producer or product name")
    typer.echo(f"{query} is no key; names containing it (trace one with `agritrace trace KEY`):")
    for p in hits.producers:
        typer.echo(f"  producer  {p.producer_id}  {p.producer_name}  {p.place}".rstrip())
    for product in hits.products:
        typer.echo(f"  product   {product.product_name}  (agritrace trace export --product {product.product_name} "
                   "--from … --to …)")
    raise typer.Exit(0)


@trace_app.command("export")
def trace_export(
    product: Annotated[str, typer.Option(help="Product name, e.g. 豇豆")],
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD)")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD)")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or epcis")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write")] = None,
) -> None:
    """Every traceability event for a product and date range, one row per event (sortable), or EPCIS 2.0."""
    import json

    from agritrace import db
    from agritrace.trace.epcis import to_epcis
    from agritrace.trace.export import events_for_product, product_of_reference, write_events_csv, write_events_xlsx

    suffix = {"csv": "csv", "xlsx": "xlsx", "epcis": "jsonld"}.get(format)
    if suffix is None:
        fail(f"--format must be csv, xlsx or epcis, not {format!r}")
    try:
        with db.connect() as conn:
            resolved = product_of_reference(conn, product)
            events = events_for_product(conn, resolved.code if resolved else product, parse_date(date_from),
                                        parse_date(date_to), requested_by=os.environ.get("USER", "cli"), interface="cli")
    except ValueError as exc:
        fail(str(exc))
    if resolved and resolved.name_zh != product:
        typer.echo(f"{product} is {resolved.name_zh} ({resolved.code}) in the product reference")
    if not events:
        fail(f"no traceability event for {product} between {date_from} and {date_to}: check the name "
              "(`agritrace trace NAME` searches names) or the dates; nothing written")
    target = out or Path(f"trace-{product}-{date_from}-{date_to}.{suffix}")
    if format == "csv":
        write_events_csv(events, target)
    elif format == "xlsx":
        write_events_xlsx(events, target)
    else:
        target.write_text(json.dumps(to_epcis(events), ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(f"{len(events)} events → {target}")
