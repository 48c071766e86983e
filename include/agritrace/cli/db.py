"""`agritrace db …`: the warehouse database."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

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


class Role(str, Enum):
    owner = "owner"
    analyst = "analyst"


@db_app.command("url")
def db_url(role: Annotated[Role, typer.Option(
        help="owner: the pipeline's own login (psql, notebooks); analyst: the read-only login for BI tools "
             "(Metabase, Superset, Power BI, Excel) over TCP on localhost: marts and reference data, "
             "personal data masked. Its password is AGRITRACE_ANALYST_PASSWORD, or one generated and kept "
             "in .agritrace/analyst_password.")] = Role.owner) -> None:
    """Print a connection URL of the warehouse."""
    from agritrace import db

    if role is Role.owner:
        typer.echo(db.warehouse_url())
        return
    from agritrace.logins import analyst_url

    address = db.tcp_address()
    if address is None:
        fail("the warehouse listens on a Unix socket only, which BI tools cannot reach; restart the embedded "
             "Postgres (`agritrace db stop`, then `agritrace db up`) so it listens on 127.0.0.1, or set "
             "AGRITRACE_DATABASE_URL to a server reachable over TCP")
    typer.echo(analyst_url(db.warehouse_url(), *address))


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
