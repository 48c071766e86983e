"""`agritrace db …`: the warehouse database."""

from __future__ import annotations

import typer

from agritrace.cli.base import app, fail

db_app = typer.Typer(help="The warehouse database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

@db_app.command("up")
def db_up() -> None:
    """Start the embedded Postgres (unless AGRITRACE_DATABASE_URL is set), migrate, load reference data."""
    from agritrace.bootstrap import bring_up

    report = bring_up()
    for line in report:
        typer.echo(line)


@db_app.command("url")
def db_url() -> None:
    """Print the warehouse's connection URL (for psql, notebooks and BI tools)."""
    from agritrace import db

    typer.echo(db.warehouse_url())


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations from sql/migrations/."""
    from agritrace import db
    from agritrace.migrate import MigrationError, apply_migrations

    try:
        applied = apply_migrations(db.warehouse_url())
    except MigrationError as exc:
        fail(str(exc))
    typer.echo(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.path.name}" for m in applied))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    from agritrace import db

    typer.echo("stopped" if db.stop_embedded() else "the embedded Postgres was not running")
