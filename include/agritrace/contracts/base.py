"""The shape of a feed contract: columns, header aliases, types, vocabularies and rules.

A feed is defined once (``producers.py``, ``certificates.py``, …). The same definition drives
header matching and value normalisation (ingest), the Great Expectations suite (quality), the
generated data dictionary (docs) and the synthetic data generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Every core table also records which delivery wrote each row, and when.
LINEAGE_COLUMNS = ("file_id", "loaded_at")

FieldType = Literal["text", "date", "number", "enum", "enum_list"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    # Headers accepted besides ``name``: Chinese (simplified and traditional) and other spellings.
    aliases: tuple[str, ...] = ()
    required: bool = False
    # For enums: canonical value -> words that mean it (Chinese, older forms, English variants).
    vocabulary: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unique: bool = False
    # Numbers: inclusive lower bound, or exclusive when ``min_exclusive``.
    min_value: float | None = None
    min_exclusive: bool = False
    max_value: float | None = None
    # Dates that may not lie after today (in the bureau's time zone).
    not_future: bool = False
    # Dates that may not lie before another column of the same row (or of the parent feed).
    not_before: str | None = None
    # Regular expression a text value must match in full.
    pattern: str | None = None
    # A custom check by name (see quality/rules.py), e.g. the credit code's check character.
    check: str | None = None
    # (feed, column) this column must exist in; a missing parent makes the row an orphan.
    references: tuple[str, str] | None = None
    personal: bool = False
    # Codes compared without regard to case (see ``contracts.keys.canonical_key``).
    case_insensitive: bool = False
    max_length: int = 500

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Feed:
    name: str
    title_zh: str
    title_en: str
    description: str
    # The business key as it arrives in a file (a result names its analyte as written).
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    core_table: str
    # The core table's loaded columns and primary key: the table's shape is defined here once, and
    # a test compares it with the database after migrations.
    core_columns: tuple[str, ...]
    core_key: tuple[str, ...]
    # Columns of the core table that later steps compute (e.g. a batch's verdict over its items).
    core_computed: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"feed {self.name} has no column {name!r}")

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def references(self) -> dict[str, tuple[str, str]]:
        return {f.name: f.references for f in self.fields if f.references}
