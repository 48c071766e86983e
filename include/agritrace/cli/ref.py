"""`agritrace ref …`: reference limits, re-judging, unknown names and aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agritrace.cli.base import FEEDS_HELP, FeedName, app, fail, parse_date

ref_app = typer.Typer(help="Reference data: packs, limits and how far they can be cited, re-judging, names.",
                      no_args_is_help=True)
app.add_typer(ref_app, name="ref")


@ref_app.command("status")
def ref_status(summary: Annotated[bool, typer.Option("--summary", help="Only the counts")] = False) -> None:
    """Limits verified against a published copy, per standard and product category; why the others are not."""
    from agritrace import db
    from agritrace.reference import ReferenceData
    from agritrace.reference.status import status_report

    with db.connect() as conn:
        reference = ReferenceData.from_database(conn)
    typer.echo(status_report(reference, summary_only=summary))


@ref_app.command("load")
def ref_load(
    pack_dir: Annotated[Path, typer.Argument(help="A reference pack: a folder of CSV files with a pack.yaml")],
) -> None:
    """Load a reference pack (another jurisdiction's limits, more products, aliases …); idempotent."""
    from agritrace import db
    from agritrace.reference.load import load_pack

    with db.connect() as conn:
        try:
            outcome = load_pack(conn, pack_dir)
        except (OSError, ValueError) as exc:
            fail(f"reference pack {pack_dir} not loaded, nothing written: {exc}")
    typer.echo(outcome.summary())


@ref_app.command("rejudge")
def ref_rejudge(
    since: Annotated[str | None, typer.Option(help="Only batches sampled on or after this date (YYYY-MM-DD)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing")] = False,
) -> None:
    """Re-judge the lab results in core with today's reference; a changed result becomes a new version."""
    from agritrace import db
    from agritrace.reference.rejudge import RewriteRefused, rejudge

    with db.connect() as conn:
        try:
            outcome = rejudge(conn, since=parse_date(since), dry_run=dry_run)
        except RewriteRefused as exc:
            fail(str(exc))
    typer.echo(outcome.summary())


@ref_app.command("recode")
def ref_recode(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing")] = False,
) -> None:
    """Code the batches in core whose product name the reference has learnt since they loaded; each
    becomes a new version."""
    from agritrace import db
    from agritrace.reference.recode import recode_products
    from agritrace.reference.rejudge import RewriteRefused

    with db.connect() as conn:
        try:
            outcome = recode_products(conn, dry_run=dry_run)
        except RewriteRefused as exc:
            fail(str(exc))
    typer.echo(outcome.summary())


@ref_app.command("unknown")
def ref_unknown(feed: Annotated[FeedName | None, typer.Option(help=f"Only this feed ({FEEDS_HELP})")] = None) -> None:
    """Analyte and product names held in open quarantine rows, with row counts and likely matches."""
    from agritrace import db
    from agritrace.reference.aliases import unknown_names

    with db.connect() as conn:
        names = unknown_names(conn, feed=feed.value if feed else None)
    if not names:
        typer.echo("no unknown analyte or product names in open quarantine rows")
        return
    for name in names:
        typer.echo(name.line())
    typer.echo("add one with: agritrace ref alias add KIND NAME TARGET, then agritrace quarantine replay FEED")


alias_app = typer.Typer(help="Other names of analytes and products.", no_args_is_help=True)
ref_app.add_typer(alias_app, name="alias")


@alias_app.command("add")
def ref_alias_add(
    kind: Annotated[str, typer.Argument(help="analyte or product")],
    name: Annotated[str, typer.Argument(help="The name as feeds write it")],
    target: Annotated[str, typer.Argument(help="A known code or name it means, e.g. cyromazine or 灭蝇胺")],
) -> None:
    """Make NAME mean the analyte or product TARGET (idempotent); then replay the quarantine."""
    from agritrace import db
    from agritrace.reference.aliases import AliasRefused, add_alias

    with db.connect() as conn:
        try:
            outcome = add_alias(conn, kind, name, target)
        except AliasRefused as exc:
            fail(str(exc))
    typer.echo(outcome.summary())
