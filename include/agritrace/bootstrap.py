"""Bringing a warehouse up to date: server, database, migrations, reference data, marts."""

from __future__ import annotations

from agritrace import db
from agritrace.config import settings
from agritrace.migrate import apply_migrations


def bring_up(url: str | None = None) -> list[str]:
    """Idempotent: safe on every start. Returns what it did, line by line."""
    lines = []
    cfg = settings()
    if url is None:
        lines.append(f"server: {'embedded Postgres in ' + str(cfg.pgdata) if cfg.embedded else 'AGRITRACE_DATABASE_URL'}")
    url = url or db.warehouse_url()
    applied = apply_migrations(url)
    lines.append(f"migrations: {len(applied)} applied" + (f" ({', '.join(m.path.name for m in applied)})" if applied
                                                          else " (up to date)"))
    from agritrace.reference import load_reference

    with db.connect(url) as conn:
        counts = load_reference(conn)
    lines.append("reference: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    from agritrace.marts.refresh import create_marts

    with db.connect(url, autocommit=True) as conn:
        create_marts(conn)
    _install_trace(url)
    lines.append(f"warehouse: {db.with_database(url, db.make_url(url).database)}")
    return lines


def _install_trace(url: str) -> None:
    from agritrace.trace.install import install_trace_functions

    with db.connect(url, autocommit=True) as conn:
        install_trace_functions(conn)
