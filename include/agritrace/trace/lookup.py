"""Trace lookups from Python: the CLI, the API and the UI all call these two functions.

The work is done by the SQL functions in ``sql/trace`` (one implementation for every interface);
this module validates the input, calls them with the key as a parameter, and turns "nothing
matched" into ``KeyNotFound``. Every call is audited by the SQL function itself.

Personal data: ``trace.lookup`` returns contact phones unmasked only when asked to
(``include_personal``). The application decides: the CLI passes ``include_personal=True`` only
when its operator says they are a regulator (and the database login may run ``trace.lookup``),
the API takes it from a dependency the deployment binds to the caller's role. Everyone else sees
``138****5678``.

    from agritrace import db
    from agritrace.trace.lookup import trace, render_table

    with db.connect() as conn:
        print(render_table(trace(conn, "HGZ-440902-000123")))
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import psycopg

from agritrace.trace.keys import KEY_TYPES, KeyNotFound, MalformedKey, check_window, normalise_key
from agritrace.trace.models import SearchResult, TraceResult
from agritrace.trace.render import render_table, to_csv_rows, to_csv_text, to_json, write_xlsx

Interface = Literal["cli", "api", "sql"]

__all__ = [
    "KEY_TYPES",
    "KeyNotFound",
    "MalformedKey",
    "SearchResult",
    "TraceResult",
    "render_table",
    "search",
    "to_csv_rows",
    "to_csv_text",
    "to_json",
    "trace",
    "write_xlsx",
]

_LOOKUP = """
select trace.lookup(
    key => %(key)s,
    from_date => %(from_date)s,
    to_date => %(to_date)s,
    recall_days => %(recall_days)s,
    requested_by => %(requested_by)s,
    interface => %(interface)s,
    include_personal => %(include_personal)s,
    key_type => %(key_type)s
)
"""

_SEARCH = """
select trace.search(
    query => %(query)s, requested_by => %(requested_by)s, interface => %(interface)s,
    max_results => %(max_results)s
)
"""


def trace(
    conn: psycopg.Connection,
    key: str,
    *,
    from_date: date | None = None,
    to_date: date | None = None,
    recall_days: int = 7,
    requested_by: str = "cli",
    interface: Interface = "cli",
    include_personal: bool = False,
    key_type: str | None = None,
) -> TraceResult:
    """The trace chain for ``key`` (see ``sql/trace/03_chain.sql`` for its shape, ``models`` for its type).

    Raises ``MalformedKey`` before touching the database when the key cannot be one, and
    ``KeyNotFound`` when nothing carries it. ``key_type`` forces one of ``KEY_TYPES`` when a key
    is ambiguous (the result's ``matched_types`` lists them). The audit row is committed even when
    the key is not found: the call runs in its own transaction (a savepoint inside a caller's).
    """
    clean = normalise_key(key)
    check_window(from_date, to_date, recall_days)
    if key_type is not None and key_type not in KEY_TYPES:
        raise MalformedKey(key, f"key type {key_type!r} is not one of {', '.join(KEY_TYPES)}")
    params = {
        "key": clean,
        "from_date": from_date,
        "to_date": to_date,
        "recall_days": recall_days,
        "requested_by": requested_by,
        "interface": interface,
        "include_personal": include_personal,
        "key_type": key_type,
    }
    with conn.transaction():
        result = conn.execute(_LOOKUP, params).fetchone()[0]
    if not result["found"]:
        raise KeyNotFound(clean)
    return TraceResult.model_validate(result)


def search(
    conn: psycopg.Connection,
    query: str,
    *,
    requested_by: str = "cli",
    interface: Interface = "cli",
    max_results: int = 50,
) -> SearchResult:
    """Producers and products whose name contains ``query`` (partial, Chinese or not).

    An empty result (``found`` false, no producers or products) is not an error. The query follows
    the same rules as a key (``MalformedKey`` otherwise).
    """
    clean = normalise_key(query)
    params = {"query": clean, "requested_by": requested_by, "interface": interface, "max_results": max_results}
    with conn.transaction():
        return SearchResult.model_validate(conn.execute(_SEARCH, params).fetchone()[0])
