"""The core tables' shape is defined once, on the feed contracts: the database must agree with it."""

from __future__ import annotations

import psycopg
import pytest
from agritrace.contracts import FEEDS
from agritrace.contracts.base import LINEAGE_COLUMNS


@pytest.mark.parametrize("feed_name", list(FEEDS))
def test_core_table_columns_match_the_contract(warehouse: str, feed_name: str) -> None:
    feed = FEEDS[feed_name]
    schema, table = feed.core_table.split(".")
    with psycopg.connect(warehouse) as conn:
        columns = [row[0] for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
            "order by ordinal_position", (schema, table))]
    assert set(columns) == {*feed.core_columns, *feed.core_computed, *LINEAGE_COLUMNS}


@pytest.mark.parametrize("feed_name", list(FEEDS))
def test_core_table_primary_key_matches_the_contract(warehouse: str, feed_name: str) -> None:
    feed = FEEDS[feed_name]
    with psycopg.connect(warehouse) as conn:
        key = [row[0] for row in conn.execute(
            """select a.attname
                 from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = %s::regclass and i.indisprimary
                order by array_position(i.indkey::int2[], a.attnum)""", (feed.core_table,))]
    assert tuple(key) == feed.core_key
