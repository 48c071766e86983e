"""`agritrace quarantine …`: rows that did not load."""

from __future__ import annotations

from typing import Annotated

import typer

from agritrace.cli.base import FEEDS_HELP, FeedName, app, fail

quarantine_app = typer.Typer(help="Rows that did not load.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")

@quarantine_app.command("list")
def quarantine_list(
    feed: Annotated[FeedName | None, typer.Option(help=f"Only this feed ({FEEDS_HELP})")] = None,
    limit: int = 20,
    show_personal: Annotated[bool, typer.Option("--show-personal", help="Show personal data (regulators)")] = False,
) -> None:
    """Open quarantine rows, newest first, with their reasons (phone and ID numbers masked)."""
    from agritrace import db
    from agritrace.ingest.items import stored_row_name

    # What operators read (migration V010): personal columns masked whole, phone and ID numbers anywhere.
    rows_table, files_table = (("quarantine.rows", "ops.files") if show_personal
                               else ("quarantine.rows_masked", "ops.files_masked"))
    with db.connect() as conn:
        rows = conn.execute(
            f"""select q.quarantine_id, q.feed, f.file_name, q.row_number, q.raw, q.is_orphan, q.reasons
                  from {rows_table} q join {files_table} f using (file_id)
                 where q.status = 'open' and (%s::text is null or q.feed = %s)
                 order by q.quarantine_id desc limit %s""", (feed and feed.value,) * 2 + (limit,)).fetchall()
    for qid, feed_name, file_name, row_number, raw, orphan, reasons in rows:
        why = "; ".join(f"{r['rule']}({r['column']}={r.get('value')!r})" for r in reasons)
        where = stored_row_name(row_number, raw)
        typer.echo(f"#{qid} {feed_name} {file_name} {where}{' [orphan]' if orphan else ''}: {why}")


@quarantine_app.command("replay")
def quarantine_replay(
    feed: Annotated[FeedName, typer.Argument(help=FEEDS_HELP)],
    ids: Annotated[list[int] | None, typer.Option("--id", help="Quarantine ids (default: every open row)")] = None,
    file_id: int | None = None,
) -> None:
    """Re-validate open quarantine rows after a fix; loads what passes now, leaves the rest."""
    from agritrace.pipeline import replay

    outcome = replay(feed.value, quarantine_ids=ids or None, file_id=file_id,
                     requested_by="agritrace quarantine replay")
    typer.echo(f"[{feed.value}] replayed {outcome.examined}: {outcome.loaded} loaded, "
               f"{outcome.still_quarantined} still quarantined")


@quarantine_app.command("release")
def quarantine_release(file_id: int) -> None:
    """Load a file the gate held, as it is (its failing rows stay quarantined)."""
    from agritrace.pipeline import release_held_file

    try:
        outcomes = release_held_file(file_id)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    for outcome in outcomes:
        typer.echo(outcome.summary())
