"""What a generation run wrote, and what the pipeline should make of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFECT_KINDS = (
    "duplicate_key",
    "bad_date",
    "future_date",
    "unknown_producer",
    "bad_credit_code",
    "unknown_analyte",
    "missing_required",
    "negative_quantity",
)


@dataclass(frozen=True)
class InjectedDefect:
    """One defective row: where it is and which rule it breaks."""

    kind: str  # one of DEFECT_KINDS
    feed: str
    file: Path  # relative to the output folder
    row: int  # 1-based data row in the file (the header is row 0)
    column: str  # the column that breaks the rule
    key: str  # the row's business key as written (may repeat for duplicate_key)


@dataclass
class GenerationSummary:
    files: dict[str, list[Path]]  # feed -> files written (absolute paths)
    rows: dict[str, int]  # feed -> data rows written, defects included
    defects: dict[str, int]  # defect kind -> rows injected
    # The calibrated figures the marts must reproduce, and the rows that should load cleanly.
    expected: dict[str, object]
    # batch_no -> pass | fail | positive | negative, as the generator built it (ground truth).
    batch_verdicts: dict[str, str] = field(default_factory=dict)
    defect_rows: list[InjectedDefect] = field(default_factory=list)
