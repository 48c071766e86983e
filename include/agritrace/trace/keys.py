"""What a trace key or name query may look like, and the errors a lookup raises.

A key is a certificate number (合格证编号), batch number (抽样单编号), producer id (主体编码),
report number (报告编号), trace code (追溯码) or lot number (批次号). Which one it is, is found by
looking it up (``trace.key_matches`` in ``sql/trace``); when several match, the first of
``KEY_TYPES`` builds the chain and the result lists every matching type. Unique identifiers come
first: certificate, batch and producer are primary keys, a report usually covers one batch, trace
codes are meant to be unique, and lot numbers are chosen by producers and may repeat.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from agritrace.contracts.keys import canonical_key

# Lowest index wins when a key matches more than one place; mirrors sql/trace/02_key_matches.sql.
KEY_TYPES: tuple[str, ...] = (
    "certificate_no",
    "batch_no",
    "producer_id",
    "report_no",
    "trace_code",
    "lot_no",
)
MAX_KEY_LENGTH = 64
MAX_RECALL_DAYS = 90
# The safe set: letters and digits of any script (so Chinese names are fine), space, and the
# punctuation real identifiers use. Quotes, semicolons, wildcards (% *), angle brackets and the
# like appear in no key the bureau issues, so they are refused before anything reaches the database.
SAFE_PUNCTUATION = "-_./:#()· "
_SAFE = re.compile(r"[\w" + re.escape(SAFE_PUNCTUATION) + r"]+")


class TraceError(Exception):
    """Base class for errors a caller can show to the person who asked."""


class MalformedKey(TraceError, ValueError):
    """The key cannot be a certificate, batch, producer, report, trace code or lot number."""

    def __init__(self, key: object, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"trace key {key!r} is malformed: {reason}")


class KeyNotFound(TraceError, LookupError):
    """Nothing in the warehouse carries this key."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"no certificate, sampling batch, producer, report, trace code or lot number is {key!r}; "
            f"check the key, or search by producer or product name"
        )


def normalise_key(key: object) -> str:
    """The key as it is looked up: its canonical form (``contracts.keys``; full-width letters and
    digits become ASCII, look-alike dashes ``-``), trimmed.

    Raises ``MalformedKey`` naming the first rule it breaks.
    """
    if not isinstance(key, str):
        raise MalformedKey(key, f"must be text, got {type(key).__name__}")
    for position, char in enumerate(key, start=1):
        if unicodedata.category(char) in ("Cc", "Cf"):
            raise MalformedKey(
                key,
                f"contains an invisible control character (U+{ord(char):04X}) at position {position}; "
                "retype the key or paste it without line breaks or tabs",
            )
    clean = canonical_key(key)
    if not clean:
        raise MalformedKey(key, "is empty; give a certificate, batch, producer, report, trace code or lot number")
    if len(clean) > MAX_KEY_LENGTH:
        raise MalformedKey(key, f"is {len(clean)} characters long; keys are at most {MAX_KEY_LENGTH}")
    if not _SAFE.fullmatch(clean):
        bad = next(ch for ch in clean if not _SAFE.fullmatch(ch))
        raise MalformedKey(
            key,
            f"contains {bad!r}, which no key or name uses; allowed are letters, digits, "
            f"spaces and {SAFE_PUNCTUATION.strip()}",
        )
    return clean


def check_window(from_date: date | None, to_date: date | None, recall_days: int) -> None:
    """Refuse a date window or recall span the lookup cannot honour, saying what to change."""
    if from_date and to_date and from_date > to_date:
        raise ValueError(f"from date {from_date} is after to date {to_date}; swap them")
    if not 0 <= recall_days <= MAX_RECALL_DAYS:
        raise ValueError(f"recall days must be between 0 and {MAX_RECALL_DAYS}, got {recall_days}")
