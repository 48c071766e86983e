"""Logins for people outside the pipeline: the read-only analyst login that BI tools use.

The role is ``agritrace_analyst_login`` (migration V021): a member of ``agritrace_analyst`` (the marts
and reference data, personal data masked), read-only by default. Its password is
``AGRITRACE_ANALYST_PASSWORD``, or one generated at first use and kept in ``.agritrace/analyst_password``
(readable by its owner only); ``analyst_url`` sets it on the server each time, so changing the
setting and asking for the URL again is how it is rotated.
"""

from __future__ import annotations

import secrets

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from agritrace.config import settings

ANALYST_LOGIN = "agritrace_analyst_login"


class NoTcpListener(RuntimeError):
    """The warehouse is reachable only over a Unix socket, which BI tools on other accounts cannot use."""


def analyst_password() -> str:
    """AGRITRACE_ANALYST_PASSWORD, else the generated one kept under AGRITRACE_HOME (made on first use)."""
    cfg = settings()
    if cfg.analyst_password:
        return cfg.analyst_password
    kept = cfg.home / "analyst_password"
    if not kept.exists():
        cfg.home.mkdir(parents=True, exist_ok=True)
        kept.touch(mode=0o600)
        kept.write_text(secrets.token_urlsafe(24))
    return kept.read_text().strip()


def analyst_url(admin_url: str, host: str, port: int) -> str:
    """Give the analyst login its password (through ``admin_url``, a login that may alter roles) and
    return the URL a BI tool uses: the warehouse of ``admin_url`` at ``host``:``port`` over TCP."""
    password = analyst_password()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # ALTER ROLE takes no bind parameters; the literal is quoted by psycopg.
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(ANALYST_LOGIN), sql.Literal(password)))
    database = make_url(admin_url).database
    return URL.create("postgresql", username=ANALYST_LOGIN, password=password, host=host, port=port,
                      database=database).render_as_string(hide_password=False)
