"""A database that cannot be reached, or goes away in the middle of a load, is one line on stderr.

The line (``agritrace.db.lost_database_message``) says what happened, that nothing of the file being
loaded was committed, and what to do next; the exit status is 75 and there is no traceback. The
last test loses the connection for real, mid-load, on the test server.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc
import typer
from agritrace import db
from agritrace.cli import EXIT_DATABASE_LOST, _AgritraceGroup, app
from agritrace.synth.uscc import make_credit_code
from typer.testing import CliRunner

CLOSED_PORT = "postgresql://postgres@127.0.0.1:1/x"
NEXT_STEP = "start the database with `agritrace db up` or check AGRITRACE_DATABASE_URL, then run the command again"
NOTHING_COMMITTED = "Nothing of a file being loaded was committed: each file loads in one transaction."


def _command() -> list[str]:
    installed = Path(sys.executable).parent / "agritrace"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "agritrace.cli"]


@pytest.mark.parametrize("args", [["quarantine", "list"], ["db", "migrate"], ["ingest"]],
                         ids=["quarantine_list", "db_migrate", "ingest"])
def test_an_unreachable_database_is_one_line_from_the_command(args: list[str], tmp_path: Path):
    result = subprocess.run([*_command(), *args], check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "AGRITRACE_DATABASE_URL": CLOSED_PORT,
                                 "AGRITRACE_LANDING_DIR": str(tmp_path)})
    assert result.returncode == EXIT_DATABASE_LOST, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith('cannot reach the database (connection failed: connection to server at "127.0.0.1", '
                           "port 1 failed: Connection refused)."), line
    assert NOTHING_COMMITTED in line and NEXT_STEP in line


def test_an_unreachable_database_through_the_test_runner(monkeypatch):
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", CLOSED_PORT)
    result = CliRunner().invoke(app, ["quarantine", "list"])
    assert result.exit_code == EXIT_DATABASE_LOST
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("cannot reach the database (") and NEXT_STEP in line


# --- the message, for each way a database goes away ---------------------------------------------------

REFUSED = 'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'
NO_DATABASE = 'connection failed: connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  no database x'
STOPPED = "terminating connection due to administrator command"
CRASHED = "terminating connection because of crash of another server process"
CLOSED = "consuming input failed: server closed the connection unexpectedly"


def _wrapped_by_our_code() -> BaseException:
    try:
        raise psycopg.errors.AdminShutdown(STOPPED)
    except psycopg.Error as exc:
        try:
            raise RuntimeError("03_chain.sql: installing the trace functions failed") from exc
        except RuntimeError as wrapped:
            return wrapped


def _raised_while_cleaning_up() -> BaseException:
    try:
        raise psycopg.OperationalError(CLOSED)
    except psycopg.Error:
        try:
            raise FileNotFoundError("landing/producers/p.csv")
        except FileNotFoundError as during:
            return during


CASES = {
    "refused_port": (psycopg.OperationalError(REFUSED + "\n\tIs the server running on that host?"),
                     f"cannot reach the database ({REFUSED})."),
    "no_such_database": (psycopg.OperationalError(NO_DATABASE),
                         f"cannot reach the database ({' '.join(NO_DATABASE.split())})."),
    "server_stopped": (psycopg.errors.AdminShutdown(STOPPED), f"lost the connection to the database ({STOPPED})."),
    "server_crashed": (psycopg.errors.CrashShutdown(CRASHED), f"lost the connection to the database ({CRASHED})."),
    "connection_lost": (psycopg.OperationalError("the connection is lost"),
                        "lost the connection to the database (the connection is lost)."),
    "server_starting": (psycopg.errors.CannotConnectNow("the database system is starting up"),
                        "cannot reach the database (the database system is starting up)."),
    "sqlalchemy": (sqlalchemy.exc.OperationalError("select 1", {}, psycopg.errors.AdminShutdown(STOPPED)),
                   f"lost the connection to the database ({STOPPED})."),
    "wrapped": (_wrapped_by_our_code(), f"lost the connection to the database ({STOPPED})."),
    "during_cleanup": (_raised_while_cleaning_up(), f"lost the connection to the database ({CLOSED})."),
}


@pytest.mark.parametrize(("exc", "start"), CASES.values(), ids=CASES.keys())
def test_the_message_says_what_happened_what_was_kept_and_what_to_do(exc: BaseException, start: str):
    message = db.lost_database_message(exc)
    assert message == f"{start} {NOTHING_COMMITTED} Next: {NEXT_STEP}."
    assert "\n" not in message


def test_a_database_that_refuses_the_work_is_told_apart():
    message = db.lost_database_message(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
    assert message == ("the database stopped the work (canceling statement due to statement timeout). "
                       f"{NOTHING_COMMITTED} Next: fix what the database reports, then run the command again.")


def test_airflow_tasks_say_their_own_next_step():
    message = db.lost_database_message(psycopg.errors.AdminShutdown(STOPPED), next_step="Airflow retries the task")
    assert message.endswith(f"{NOTHING_COMMITTED} Next: Airflow retries the task.")


def test_other_errors_are_not_database_errors():
    assert db.database_error(ValueError("bad value")) is None
    assert db.database_error(psycopg.errors.UniqueViolation("duplicate key")) is None


# --- the top-level handler -------------------------------------------------------------------------

def _app_raising(exc: BaseException) -> typer.Typer:
    demo = typer.Typer(cls=_AgritraceGroup)

    @demo.command()
    def work() -> None:
        raise exc

    @demo.command()
    def other() -> None:
        pass

    return demo


def test_a_lost_connection_mid_command_is_one_line_and_exit_75():
    result = CliRunner().invoke(_app_raising(CASES["server_stopped"][0]), ["work"])
    assert result.exit_code == EXIT_DATABASE_LOST
    assert result.stderr == db.lost_database_message(CASES["server_stopped"][0]) + "\n"


def test_any_other_error_keeps_its_traceback():
    result = CliRunner().invoke(_app_raising(ValueError("a bug")), ["work"])
    assert isinstance(result.exception, ValueError)
    assert result.exit_code == 1


# --- for real: the connection goes away in the middle of a load ------------------------------------

LOSE_THE_CONNECTION = """
create function public.lose_the_connection() returns trigger language plpgsql as $$
begin
    perform pg_terminate_backend(pg_backend_pid());  -- what `pg_ctl stop` does to every session
    perform pg_sleep(30);
    return null;
end
$$;
create trigger lose_the_connection after insert on core.producers
    for each statement execute function public.lose_the_connection();
"""


def test_a_connection_lost_mid_load_commits_nothing_and_the_rerun_loads_the_file(warehouse: str, landing: Path):
    rng = random.Random(11)
    path = landing / "producers" / "p.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["producer_id", "producer_name", "producer_type", "region_code"])
        writer.writerows([make_credit_code(rng, "440902", "cooperative"), f"合作社{i}", "合作社", "440902"]
                         for i in range(5))
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(LOSE_THE_CONNECTION)
    runner = CliRunner()
    args = ["ingest", "--feed", "producers", "--file", str(path)]

    lost = runner.invoke(app, args)
    assert lost.exit_code == EXIT_DATABASE_LOST, lost.output
    [line] = lost.stderr.splitlines()
    assert line.startswith("lost the connection to the database (terminating connection due to administrator "
                           "command).") and NOTHING_COMMITTED in line
    with psycopg.connect(warehouse, autocommit=True) as conn:
        assert conn.execute("select count(*) from core.producers").fetchone()[0] == 0, "nothing was committed"
        assert conn.execute("select count(*) from quarantine.rows").fetchone()[0] == 0
        conn.execute("drop trigger lose_the_connection on core.producers")
    assert path.exists(), "the file stays in the landing folder for the rerun"

    rerun = runner.invoke(app, args)
    assert rerun.exit_code == 0, rerun.output
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from core.producers").fetchone()[0] == 5
        assert conn.execute("select status, rows_loaded from ops.files").fetchall() == [("loaded", 5)]
