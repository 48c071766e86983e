"""A landed file as streams of parsed chunks, one stream per feed the file carries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from agritrace.contracts import Feed
from agritrace.ingest.errors import FileRejected
from agritrace.ingest.files import iter_feed_file
from agritrace.ingest.records import ParsedFile


def whole_rows(parsed: ParsedFile) -> pd.DataFrame:
    """The rows as they arrived, with the source columns no contract column took (kept in quarantine)."""
    extra = parsed.raw_extra
    return parsed.raw if extra is None or not len(extra) else parsed.raw.join(extra, rsuffix="__extra")


def with_last(items: Iterator) -> Iterator[tuple[object, bool]]:
    """Each item with whether it is the last one (reads one item ahead)."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def feed_streams(path: Path, feed: Feed, profiles, chunk_rows: int) -> dict[str, Callable[[], Iterator]]:
    """The feeds one file carries (a profiled flat file may carry two), each as a fresh chunk stream.

    Reading the first chunk here makes an unreadable file fail before anything is written. A file
    carrying one feed (the usual case) streams on from what was read, so it is parsed once; a file
    carrying two is re-read for each, so memory stays bounded by one chunk whatever the file's size.
    """
    chunks = iter_feed_file(path, feed, profiles, chunk_rows=chunk_rows)
    head = _first_chunk(chunks)
    for parsed in head:
        if parsed.missing_required:
            # No row of such a file can load; say that the header is the problem, not every row.
            headers = [*parsed.header_map, *parsed.extra_columns]
            raise FileRejected(path, (
                f"the header has no column for required {', '.join(parsed.missing_required)} "
                f"(headers found: {', '.join(map(str, headers)) or 'none'}); if a title row sits above the header, "
                "deliver the file without it or set header_row in a source profile"))
    names = list(dict.fromkeys(parsed.feed for parsed in head))
    if len(names) == 1:
        return {names[0]: lambda: _resume(head, chunks)}

    def stream(name: str) -> Iterator:
        return (p for p in iter_feed_file(path, feed, profiles, chunk_rows=chunk_rows) if p.feed == name)

    return {name: (lambda name=name: stream(name)) for name in names}


def _resume(head: list, rest: Iterator) -> Iterator:
    """``head`` then ``rest``, letting go of each item of ``head`` as it is handed over (the first
    chunks would otherwise stay in memory until the whole file is loaded)."""
    while head:
        yield head.pop(0)
    yield from rest


def _first_chunk(chunks: Iterator) -> list:
    """The ParsedFiles of the first chunk (one per carried feed), then the one read past its end, if any."""
    head, seen = [], set()
    for parsed in chunks:
        head.append(parsed)
        if parsed.feed in seen:
            break
        seen.add(parsed.feed)
    return head


def rows_fingerprint(raw: pd.DataFrame) -> bytes:
    """The rows' cells under their canonical columns, in order, as bytes to hash: equal for the same
    cells whatever file format, encoding, header spelling or source row numbers carried them."""
    return ",".join(raw.columns).encode() + pd.util.hash_pandas_object(raw, index=False).to_numpy().tobytes()
