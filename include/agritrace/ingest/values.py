"""Reading dates and numbers as people at bureaus, labs and other platforms write them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from agritrace.ingest.text import excerpt

DateSystem = Literal["gregorian", "roc"]

ROC_OFFSET = 1911  # 民国/ROC year 1 is 1912
EXCEL_EPOCH = dt.date(1899, 12, 30)  # 1900 date system, past Excel's phantom 1900-02-29
# Excel serials read as dates only in this window (1950-01-01 .. 2099-12-31), so a 5-digit
# quantity or code is not mistaken for a date.
EXCEL_SERIALS = (18264, 73050)

_TIME = r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?"
_ROC_PREFIX = r"(?P<roc>民國|民国|中華民國|中华民国)?"
_SEPARATED = re.compile(rf"^{_ROC_PREFIX}\s*(?P<y>\d{{1,4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}$")
_CHINESE = re.compile(
    rf"^{_ROC_PREFIX}\s*(?P<y>\d{{1,4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号]?{_TIME}$"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_COMPACT_ROC = re.compile(r"^(?P<y>\d{3})(?P<m>\d{2})(?P<d>\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


def parse_date(text: str, formats: Sequence[str] = (), system: DateSystem = "gregorian") -> dt.date:
    """A date from any accepted written form; ValueError when it is not one or does not exist.

    Accepted: ISO ``2024-01-02``, ``2024/1/2``, ``2024.1.2``, ``20240102``, ``2024年1月2日``, any
    of those with a time part, Excel serials (``45293``), 民国/ROC dates (``113/8/2``,
    ``民國113年8月2日``, and with ``system='roc'`` also 2-digit years and ``1130802``), and any
    strptime ``formats`` a source profile adds (tried first).
    """
    value = unicodedata.normalize("NFKC", text).strip()
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    match = _SEPARATED.match(value) or _CHINESE.match(value) or _COMPACT.match(value)
    if match is None and system == "roc":
        match = _COMPACT_ROC.match(value)
    if match is not None:
        parts = match.groupdict()
        year = _year(parts["y"], bool(parts.get("roc")), system, text)
        return _date(year, int(parts["m"]), int(parts["d"]), text)
    if _SERIAL.match(value):
        serial = int(float(value))
        if EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]:
            return EXCEL_EPOCH + dt.timedelta(days=serial)
    raise ValueError(f"'{excerpt(text)}' is not a date (write it as 2024-01-02)")


def _year(digits: str, roc_prefix: bool, system: DateSystem, text: str) -> int:
    year = int(digits)
    if roc_prefix or len(digits) == 3 or (system == "roc" and len(digits) < 4):
        if year < 1:
            raise ValueError(f"'{excerpt(text)}' has ROC year {year}; ROC years start at 1")
        return year + ROC_OFFSET
    if len(digits) != 4:
        raise ValueError(f"'{excerpt(text)}' has a {len(digits)}-digit year; write the year in full (2024)")
    return year


def _date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{excerpt(text)}' is not a real date ({exc})") from None


def parse_number(text: str) -> float:
    """A number written with ASCII or full-width digits (０．５) and optional thousands separators.

    Units, percent signs and words are not stripped: ``12kg`` is not a number here.
    """
    value = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if _GROUPED.match(value):
        value = value.replace(",", "")
    if not _NUMBER.match(value):
        raise ValueError(f"'{excerpt(text)}' is not a number")
    return float(value)
