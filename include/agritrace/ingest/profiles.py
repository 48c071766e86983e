"""Source profiles: declarative YAML that onboards another platform's export without code.

See ``profiles/README.md`` at the project root for the format. Profiles are read from
``AGRITRACE_PROFILES_DIR`` when set, else from ``profiles/``.
"""

from __future__ import annotations

import fnmatch
import os
import re
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agritrace.config import PROJECT_ROOT
from agritrace.contracts import FEEDS
from agritrace.contracts import feed as feed_named
from agritrace.ingest.errors import ProfileConflict
from agritrace.ingest.sources import ReadOptions
from agritrace.ingest.text import match_key


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Match(_Strict):
    """How a file is recognised: every listed header present, and/or the file name's glob."""

    headers_all: tuple[str, ...] = ()
    filename_glob: str | None = None

    @model_validator(mode="after")
    def _something_to_match(self) -> Match:
        if not self.headers_all and not self.filename_glob:
            raise ValueError("match needs headers_all, filename_glob or both")
        return self


class UnitConversion(_Strict):
    """Either a fixed ``factor`` (the source column is in another unit), or per-row ``factors``
    keyed by the row's unit (read from ``unit_column``), after which that unit becomes ``to``."""

    factor: float | None = None
    source_unit: str | None = Field(default=None, alias="from")
    factors: dict[str, float] = {}
    to: str | None = None
    unit_column: str = "unit"

    @model_validator(mode="after")
    def _one_form(self) -> UnitConversion:
        if (self.factor is None) == (not self.factors):
            raise ValueError("give either factor (fixed) or factors with to (per row unit)")
        if self.factors and not self.to:
            raise ValueError("factors needs to: the unit the values end in")
        return self


# Template fields every key template may use besides the file's headers and canonical columns.
FILE_FIELDS = ("file_sha8", "file_name", "file_stem", "row_number", "sheet")
# Group names an item pattern may use for a canonical column under a shorter name.
ITEM_GROUP_COLUMNS = {"value": "result_value", "limit": "mrl"}
# The most test items one cell may hold: a row's items are numbered row × ITEMS_PER_ROW + item.
ITEMS_PER_ROW = 1000


class Explode(_Strict):
    """One source cell holding several test items: each item becomes a row of its own.

    ``pattern`` is matched against each item (after splitting on ``separators``); its named groups
    fill canonical columns (``value`` and ``limit`` stand for result_value and mrl; ``limit_kind``
    marks a not-detected limit); other named groups (``analyte_en``, ``class`` …) are kept in the
    row's raw record.
    """

    column: str
    separators: tuple[str, ...] = ("\n",)
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"explode.pattern {value!r} is not a regular expression ({exc})") from exc
        if not compiled.groupindex:
            raise ValueError(f"explode.pattern {value!r} has no named groups such as (?P<analyte>…)")
        return value

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @property
    def splitter(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(s) for s in self.separators))


class ValueText(_Strict):
    """A value written with its unit, perhaps several readings (初检结果：2.9mg/kg；复检结果：2.7mg/kg)."""

    # The reading of record: the label it carries (复检结果), or first / last.
    reading: str = "last"


class FeedMapping(_Strict):
    """How one feed's columns are read from the source."""

    # canonical column -> source header (or several spellings of it)
    columns: dict[str, str | tuple[str, ...]] = {}
    constants: dict[str, str] = {}
    date_formats: tuple[str, ...] = ()
    date_system: Literal["gregorian", "roc"] = "gregorian"
    vocabularies: dict[str, dict[str, str]] = {}
    units: dict[str, UnitConversion] = {}
    # canonical column -> template over source headers or canonical columns, e.g. "{委托编号}-{样品编号}"
    key: dict[str, str] = {}
    # Collapse rows repeating the feed's key (one batch written on each of its result rows).
    deduplicate: bool = False
    # Also accept the contract's own headers for columns this mapping does not name.
    contract_headers: bool = True
    explode: Explode | None = None
    # result_value written as text with its unit (and perhaps several readings).
    value_text: ValueText | None = None
    # mrl written as text: ≤100μg/kg, 不得检出, MRL = 0.4 (converted to the row's unit).
    limit_text: bool = False

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: v if isinstance(v, str) else str(v) for k, v in value.items()}
        return value

    def source_headers(self, column: str) -> tuple[str, ...]:
        headers = self.columns.get(column, ())
        return (headers,) if isinstance(headers, str) else headers


class SourceProfile(_Strict):
    name: str
    description: str = ""
    match: Match
    sheet: str | None = None
    # Read every sheet whose name matches this glob, one after the other (one sheet per product);
    # ``{sheet}`` in a key template is the sheet's name.
    sheets: str | None = None
    header_row: int = Field(default=1, ge=1)
    encoding: str | None = None
    # Cells written as one of these mean "no value" (-, –, —, /, 無 …).
    placeholders: tuple[str, ...] = ()
    # A row whose cells under these headers are all blank continues the row above: its blank cells
    # take the row above's values (its item cell keeps its own items).
    continuation: tuple[str, ...] = ()
    # Where the source's rows come from: whose limits apply, its clock and how it writes regions.
    jurisdiction: str | None = None
    time_zone: str | None = None
    region_scheme: str = "cn_division"
    feeds: dict[str, FeedMapping]

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"time_zone {value!r} is not an IANA time zone (e.g. Asia/Taipei)") from exc
        return value

    @model_validator(mode="after")
    def _fits_contracts(self) -> SourceProfile:
        if not self.feeds:
            raise ValueError("feeds must name at least one feed")
        if self.sheet and self.sheets:
            raise ValueError("give sheet (one sheet) or sheets (a glob of sheets), not both")
        for feed_name, mapping in self.feeds.items():
            if feed_name not in FEEDS:
                raise ValueError(f"unknown feed {feed_name!r}; feeds are {', '.join(FEEDS)}")
            _check_mapping(feed_name, mapping)
        return self

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(sheet=self.sheet, header_row=self.header_row, encoding=self.encoding, sheets=self.sheets)

    def matches(self, filename: str, headers: Sequence[str]) -> bool:
        if self.match.filename_glob and not fnmatch.fnmatch(filename.casefold(), self.match.filename_glob.casefold()):
            return False
        present = {match_key(h) for h in headers}
        return all(match_key(h) in present for h in self.match.headers_all)


def _check_mapping(feed_name: str, mapping: FeedMapping) -> None:
    contract = feed_named(feed_name)
    columns = set(contract.columns)
    sections = {
        "columns": mapping.columns,
        "constants": mapping.constants,
        "key": mapping.key,
        "vocabularies": mapping.vocabularies,
        "units": mapping.units,
    }
    for section, entries in sections.items():
        unknown = sorted(set(entries) - columns)
        if unknown:
            raise ValueError(
                f"{feed_name}.{section}: {', '.join(unknown)} not columns of {feed_name} "
                f"(columns: {', '.join(contract.columns)})"
            )
    for a, b in (("columns", "constants"), ("columns", "key"), ("constants", "key")):
        both = sorted(set(sections[a]) & set(sections[b]))
        if both:
            raise ValueError(f"{feed_name}: {', '.join(both)} in both {a} and {b}; give each column one source")
    for column, words in mapping.vocabularies.items():
        field = contract.field(column)
        if field.vocabulary:
            bad = sorted({v for v in words.values() if v not in field.vocabulary})
            if bad:
                raise ValueError(
                    f"{feed_name}.vocabularies.{column}: {', '.join(bad)} not canonical "
                    f"values (use one of {', '.join(field.vocabulary)})"
                )
    for column, conversion in mapping.units.items():
        if contract.field(column).type not in ("number", "text"):
            raise ValueError(f"{feed_name}.units.{column}: only number or text columns convert")
        if conversion.factors and conversion.unit_column not in columns:
            raise ValueError(
                f"{feed_name}.units.{column}: unit_column {conversion.unit_column!r} is not a column of {feed_name}"
            )
    if mapping.explode:
        groups = set(mapping.explode.regex.groupindex)
        filled = {ITEM_GROUP_COLUMNS.get(g, g) for g in groups}
        if "analyte" in columns and not filled & {"analyte", "analyte_en"}:
            raise ValueError(f"{feed_name}.explode.pattern needs a group naming the item: (?P<analyte>…)")
    for name, needs in (("value_text", "result_value"), ("limit_text", "mrl")):
        if getattr(mapping, name) and needs not in columns:
            raise ValueError(f"{feed_name}.{name}: {feed_name} has no {needs} column")
    for column, template in mapping.key.items():
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            raise ValueError(f"{feed_name}.key.{column}: bad template {template!r} ({exc})") from exc
        if not fields or any(not f for f in fields):
            raise ValueError(f"{feed_name}.key.{column}: template {template!r} must name columns in {{}}")


def profiles_dir() -> Path:
    configured = os.environ.get("AGRITRACE_PROFILES_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "profiles"


def load_profiles(directory: Path | None = None) -> list[SourceProfile]:
    """Every ``*.yaml``/``*.yml`` profile in ``directory`` (sorted by file name), validated."""
    directory = directory or profiles_dir()
    if not directory.is_dir():
        return []
    profiles: list[SourceProfile] = []
    names: dict[str, Path] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            profile = SourceProfile.model_validate(document)
        except (yaml.YAMLError, ValidationError) as exc:
            raise ValueError(f"source profile {path} is invalid; fix it and reload:\n{exc}") from exc
        if profile.name in names:
            raise ValueError(
                f"source profiles {names[profile.name]} and {path} are both named "
                f"{profile.name!r}; names must be unique"
            )
        names[profile.name] = path
        profiles.append(profile)
    return profiles


def find_profile(profiles: Sequence[SourceProfile], name: str | None) -> SourceProfile | None:
    if name is None:
        return None
    for profile in profiles:
        if profile.name == name:
            return profile
    raise KeyError(f"no source profile named {name!r}")


def choose_profile(path: Path, matching: Sequence[SourceProfile]) -> SourceProfile | None:
    """The one profile that matched, None for none; two or more is an error to fix in the profiles."""
    if len(matching) > 1:
        names = " and ".join(repr(p.name) for p in matching)
        raise ProfileConflict(
            path,
            f"source profiles {names} both match it; narrow their match "
            "rules (headers_all / filename_glob) so exactly one does",
        )
    return matching[0] if matching else None
