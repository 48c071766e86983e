"""Records that leave the ingest layer: a parsed file (or chunk of one) and its normalised values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

FileFormat = Literal["csv", "xlsx", "ods", "jsonl"]


@dataclass(frozen=True)
class RowProblem:
    """A reason found while reading to quarantine one source row (the quality layer owns the rest)."""

    row: int
    column: str | None
    check: str
    value: str | None
    message: str


@dataclass
class ParsedFile:
    """One feed's rows of one file (or of one chunk of it), as text, under canonical column names.

    ``raw`` has every contract column of the feed (absent ones all None), text values stripped of
    surrounding whitespace, empty cells as None, and is indexed by the source row number: the
    header is row 1, so the first data row is 2 (for XLSX the sheet row, for JSON Lines the line).
    ``raw_extra`` holds the source columns not mapped into ``raw`` (same index) so a quarantined
    row can be kept whole.
    """

    path: Path
    feed: str
    format: FileFormat
    encoding: str | None
    profile: str | None
    raw: pd.DataFrame
    extra_columns: list[str]
    missing_required: list[str]
    header_map: dict[str, str]
    raw_extra: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    # Rows folded into an identical earlier row (profiles that derive one batch from many result
    # rows): kept row number -> the source rows it stands for besides itself.
    collapsed_rows: dict[int, tuple[int, ...]] = field(default_factory=dict)
    chunk: int = 0

    @property
    def rows(self) -> int:
        return len(self.raw)


@dataclass
class Normalised:
    """Typed values of a ``raw`` frame, and where a non-empty value could not be read as its type."""

    values: pd.DataFrame
    parse_ok: pd.DataFrame
