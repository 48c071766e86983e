"""What every `agritrace` sub-command shares: the top-level group, exit statuses, feed choices, one-line failures."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import NoReturn

import typer
from typer.core import TyperGroup

from agritrace.contracts import LOAD_ORDER

# Exit status when the database could not be reached or went away (EX_TEMPFAIL: try again later).
EXIT_DATABASE_LOST = 75
# Exit status of a command line that cannot be run as written (click's own convention).
EXIT_USAGE = 2


class _AgritraceGroup(TyperGroup):
    """The top-level command: a database that cannot be reached or goes away mid-work is one line on
    stderr (``agritrace.db.lost_database_message``) and exit status 75, not a driver traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            # A wrong value is one line saying what is wrong and where the help is.
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            typer.secho(f"{exc.format_message()} (see `{where} --help`)", fg=typer.colors.RED, err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            from agritrace import db

            if db.database_error(exc) is None:
                raise
            typer.secho(db.lost_database_message(exc), fg=typer.colors.RED, err=True)
            raise typer.Exit(EXIT_DATABASE_LOST) from None


app = typer.Typer(cls=_AgritraceGroup, help="agritrace: traceable agricultural product quality.",
                  no_args_is_help=True, pretty_exceptions_enable=False)



FEEDS_HELP = ", ".join(LOAD_ORDER[:-1]) + " or " + LOAD_ORDER[-1]
# Feed names as a choice, so a typo (`certificate`) is refused instead of matching nothing.
FeedName = Enum("FeedName", {name: name for name in LOAD_ORDER}, type=str)


def fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date; use YYYY-MM-DD")
