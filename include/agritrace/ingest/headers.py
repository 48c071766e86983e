"""Matching source headers to a feed's canonical columns."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from agritrace.contracts import Feed
from agritrace.contracts import feed as feed_named
from agritrace.ingest.text import match_key


@cache
def _header_index(feed_name: str) -> dict[str, str]:
    index: dict[str, str] = {}
    contract = feed_named(feed_name)
    for field in contract.fields:
        for header in field.headers:
            key = match_key(header)
            if index.setdefault(key, field.name) != field.name:
                raise ValueError(
                    f"contract {feed_name}: header {header!r} is an alias of both "
                    f"{index[key]} and {field.name}; give it to one column only"
                )
    return index


def contract_column(feed: Feed, header: str) -> str | None:
    """The canonical column a source header names in ``feed``'s contract, if any."""
    return _header_index(feed.name).get(match_key(header))


def positions_by_column(
    feed: Feed,
    headers: Sequence[str],
    skip: set[int] = frozenset(),  # type: ignore[assignment]
) -> dict[str, list[int]]:
    """Canonical column -> positions of the source headers that name it (contract aliases)."""
    found: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        if position in skip or not header:
            continue
        column = contract_column(feed, header)
        if column is not None:
            found.setdefault(column, []).append(position)
    return found
