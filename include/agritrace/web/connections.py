"""The warehouse connection the web app's read-only pages and APIs use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from agritrace import db


@contextmanager
def read_only() -> Iterator[psycopg.Connection]:
    """The pipeline's warehouse connection in a read-only transaction: a page can never change data."""
    with db.connect() as conn:
        conn.read_only = True
        yield conn
