"""Text helpers shared by header matching, readers and normalisation."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

# Invisible characters spreadsheet tools leave in headers and cells (BOM, zero-width marks).
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACING = re.compile(r"[\s_]+")


def match_key(text: str) -> str:
    """The form two spellings of a header or vocabulary word share.

    NFKC folds full-width letters, digits and brackets (（）→ ()) to their ASCII forms; case,
    whitespace and underscores are ignored, so ``Batch No``, ``batch_no`` and ``ＢＡＴＣＨ＿ＮＯ``
    are one header.
    """
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return _SPACING.sub("", text)


def clean_cells(series: pd.Series) -> pd.Series:
    """Cell text stripped of surrounding whitespace; empty cells become None (dtype object)."""
    return pd.Series(clean_array(series.to_numpy(dtype=object)), index=series.index, dtype=object)


def clean_array(values: np.ndarray) -> np.ndarray:
    """``clean_cells`` for a whole block of reader cells (text or None) at once."""
    flat = values.ravel()
    cleaned = np.empty(len(flat), dtype=object)
    cleaned[:] = [(v.strip() or None) if isinstance(v, str) else None for v in flat]
    return cleaned.reshape(values.shape)


def cell_text(value: Any) -> str | None:
    """The text a spreadsheet cell or JSON value shows, so every reader hands over plain text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def excerpt(text: object, limit: int = 60) -> str:
    """Text read from a file as it may appear in a message: short, printable and length-capped.

    Control and other non-printable characters (line breaks, NUL, zero-width and bidi marks) are
    escaped (``\\n``, ``\\x00``, ``\\u200b``); the result is at most ``limit`` characters, ending in
    ``…`` when cut. Only the first ``limit`` characters of ``text`` are looked at, so a 10 MB cell
    costs no more than a short one.
    """
    text = "" if text is None else text if isinstance(text, str) else str(text)
    pieces = [char if char.isprintable() else _escaped(char) for char in text[: limit + 1]]
    if len(text) <= limit and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    out, used = [], 0
    for piece in pieces:
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def map_unique(series: pd.Series, func: Callable[[Any], Hashable | object]) -> pd.Series:
    """Apply ``func`` once per distinct non-null value and spread the results (None stays None)."""
    # One hashing pass: each row's position among the distinct values, -1 for a missing one, which
    # the extra last slot turns into None.
    codes, distinct = pd.factorize(series.to_numpy(dtype=object))
    results = np.empty(len(distinct) + 1, dtype=object)
    for position, value in enumerate(distinct):
        results[position] = func(value)
    return pd.Series(results[codes], index=series.index, dtype=object)
