"""Reading one landed file into canonical, still textual, frames: one per feed it carries."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from agritrace.contracts import LOAD_ORDER, Feed
from agritrace.contracts import feed as feed_named
from agritrace.ingest import items
from agritrace.ingest.errors import FileRejected, LimitExceeded
from agritrace.ingest.headers import positions_by_column
from agritrace.ingest.profiles import FILE_FIELDS, FeedMapping, SourceProfile, choose_profile
from agritrace.ingest.records import ParsedFile, RowProblem
from agritrace.ingest.sources import ReadOptions, Source, SourceChunk, open_source
from agritrace.ingest.text import excerpt, match_key

DEFAULT_CHUNK_ROWS = 100_000


def read_feed_file(path: Path, feed: Feed | str, profiles: Sequence[SourceProfile] = ()) -> list[ParsedFile]:
    """The whole file, one ParsedFile per feed it carries (one for ``feed`` unless a profile says more).

    Raises FileRejected when the file cannot be read at all; row-level trouble is reported in
    ``missing_required`` and ``problems`` for the quality layer to quarantine.
    """
    by_feed: dict[str, list[ParsedFile]] = {}
    for parsed in iter_feed_file(path, feed, profiles):
        by_feed.setdefault(parsed.feed, []).append(parsed)
    return [_concat(chunks) for chunks in by_feed.values()]


def iter_feed_file(
    path: Path,
    feed: Feed | str,
    profiles: Sequence[SourceProfile] = (),
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[ParsedFile]:
    """The file in chunks of at most ``chunk_rows`` source rows, row numbers continuing.

    Each chunk yields one ParsedFile per carried feed (parents first). The file is decoded and
    its header read before the first chunk, so an unreadable file is rejected before any row is
    handed over.
    """
    path = Path(path)
    contract = feed if isinstance(feed, Feed) else feed_named(feed)
    source, profile = _open(path, contract, profiles)
    feeds = _carried_feeds(contract, profile)
    collapsers = {
        name: _Collapser(feed_named(name))
        for name, mapping in feeds.items()
        if mapping is not None and mapping.deduplicate
    }
    plans: dict[tuple[str, ...], dict[str, _Plan]] = {}
    emitted = False
    context = _FileContext(path, source, profile)
    for number, chunk in enumerate(source.chunks(chunk_rows)):
        key = tuple(chunk.headers)
        if key not in plans:
            plans[key] = _plan(path, source, chunk.headers, feeds)
        chunk = context.prepare(chunk, plans[key])
        for name, plan in plans[key].items():
            parsed = _parsed(path, source, profile, feed_named(name), feeds[name], plan, chunk, number, context)
            if name in collapsers:
                collapsers[name].collapse(parsed)
            emitted = True
            yield parsed
    if not emitted:
        empty = SourceChunk(
            source.headers,
            pd.DataFrame(
                index=pd.Index([], name="row", dtype="int64"), columns=range(len(source.headers)), dtype=object
            ),
        )
        for name, plan in _plan(path, source, source.headers, feeds).items():
            yield _parsed(path, source, profile, feed_named(name), feeds[name], plan, empty, 0, context)


def _open(path: Path, contract: Feed, profiles: Sequence[SourceProfile]) -> tuple[Source, SourceProfile | None]:
    if not path.is_file():
        raise FileRejected(path, "the file does not exist or is not a regular file")
    sources: dict[ReadOptions, Source] = {}

    def source_for(options: ReadOptions) -> Source:
        if options not in sources:
            sources[options] = open_source(path, options)
        return sources[options]

    matching = []
    for profile in profiles:
        if contract.name not in profile.feeds:
            continue
        try:
            headers = source_for(profile.read_options).headers
        except LimitExceeded:
            raise  # beyond a limit whichever way it is read: reading it again per profile would only cost more
        except FileRejected:
            continue  # e.g. the profile's sheet is not in this workbook: not this profile's file
        if profile.matches(path.name, headers):
            matching.append(profile)
    profile = choose_profile(path, matching)
    return source_for(profile.read_options if profile else ReadOptions()), profile


def _carried_feeds(contract: Feed, profile: SourceProfile | None) -> dict[str, FeedMapping | None]:
    if profile is None:
        return {contract.name: None}
    return {name: profile.feeds[name] for name in LOAD_ORDER if name in profile.feeds}


@dataclass
class _Plan:
    """Where one feed's columns come from in a given header row."""

    positions: dict[str, list[int]]
    templates: dict[str, list[tuple[str, int | str | None]]]
    header_map: dict[str, str]
    missing_required: list[str]
    extra_columns: list[str] = field(default_factory=list)
    # The position of the cell a profile explodes into test items.
    explode: int | None = None


def _plan(path: Path, source: Source, headers: list[str], feeds: dict[str, FeedMapping | None]) -> dict[str, _Plan]:
    keys = [match_key(h) for h in headers]
    plans = {
        name: _feed_plan(path, source, feed_named(name), mapping, headers, keys) for name, mapping in feeds.items()
    }
    used: set[int] = set()
    for plan in plans.values():
        used.update(p for positions in plan.positions.values() for p in positions)
        used.update(ref for parts in plan.templates.values() for _, ref in parts if isinstance(ref, int))
        if plan.explode is not None:
            used.add(plan.explode)
    unknown = [h for i, h in enumerate(headers) if i not in used]
    for plan in plans.values():
        plan.extra_columns = unknown
    return plans


def _feed_plan(
    path: Path, source: Source, contract: Feed, mapping: FeedMapping | None, headers: list[str], keys: list[str]
) -> _Plan:
    positions: dict[str, list[int]] = {}
    templates: dict[str, list[tuple[str, int | str | None]]] = {}
    constants = mapping.constants if mapping else {}
    if mapping:
        for column in mapping.columns:
            wanted = {match_key(h) for h in mapping.source_headers(column)}
            found = [i for i, k in enumerate(keys) if k in wanted]
            if found:
                positions[column] = found
        for column, template in mapping.key.items():
            templates[column] = [
                (literal, _template_ref(name, keys, contract))
                for literal, name, _, _ in string.Formatter().parse(template)
            ]
    if mapping is None or mapping.contract_headers:
        taken = {p for found in positions.values() for p in found}
        taken |= {ref for parts in templates.values() for _, ref in parts if isinstance(ref, int)}
        for column, found in positions_by_column(contract, headers, skip=taken).items():
            if column not in positions and column not in constants and column not in templates:
                positions[column] = found
    explode = None
    if mapping and mapping.explode:
        wanted = match_key(mapping.explode.column)
        if wanted not in keys:
            raise FileRejected(path, f"the profile explodes column '{excerpt(mapping.explode.column, 40)}' into test "
                               f"items but the header has no such column (headers: {', '.join(headers)}); fix the "
                               "profile's explode.column or the file")
        explode = keys.index(wanted)
    if source.format != "jsonl":
        _reject_duplicates(path, contract, headers, positions)
    derivable = {
        c for c, parts in templates.items() if all(ref is not None for literal, ref in parts if literal is not None)
    }
    present = set(positions) | set(constants) | derivable
    if explode is not None:
        groups = set(mapping.explode.regex.groupindex)
        present |= {items.ITEM_GROUP_COLUMNS.get(g, g) for g in groups} | ({"analyte"} if "analyte_en" in groups else set())
    return _Plan(
        positions=positions,
        templates=templates,
        header_map={headers[p]: column for column, found in positions.items() for p in found},
        missing_required=[c for c in contract.required if c not in present],
        explode=explode,
    )


def _template_ref(name: str | None, keys: list[str], contract: Feed) -> int | str | None:
    """A template field: a source header (its position) first, else a canonical column name, else one
    of the file's own fields (``@file_sha8``, ``@row_number`` …)."""
    if name is None:
        return None
    key = match_key(name)
    if key in keys:
        return keys.index(key)
    if name in contract.columns:
        return name
    return f"@{name}" if name in FILE_FIELDS else None


def _reject_duplicates(path: Path, contract: Feed, headers: list[str], positions: dict[str, list[int]]) -> None:
    duplicated = {column: found for column, found in positions.items() if len(found) > 1}
    if duplicated:
        said = "; ".join(
            ", ".join(f"'{excerpt(headers[p], 40)}'" for p in found) + f" all mean {contract.name}.{column}"
            for column, found in duplicated.items()
        )
        raise FileRejected(path, f"duplicated headers: {said}; keep one column for each and deliver the file again")


def _parsed(
    path: Path,
    source: Source,
    profile: SourceProfile | None,
    contract: Feed,
    mapping: FeedMapping | None,
    plan: _Plan,
    chunk: SourceChunk,
    number: int,
    context: _FileContext,
) -> ParsedFile:
    frame = chunk.frame
    problems = list(chunk.problems)
    nothing = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    columns: dict[str, pd.Series] = {}
    for column in contract.columns:
        found = plan.positions.get(column)
        if found:
            columns[column] = _coalesce(contract, column, chunk, found, problems)
        elif mapping and column in mapping.constants:
            columns[column] = pd.Series([mapping.constants[column]] * len(frame), index=frame.index, dtype=object)
        else:
            columns[column] = nothing
    fields = context.fields(chunk, {ref[1:] for parts in plan.templates.values() for _, ref in parts
                                    if isinstance(ref, str) and ref.startswith("@")})
    for column, parts in plan.templates.items():
        columns[column] = _derive(parts, frame, columns, nothing, fields)
    raw = pd.DataFrame(columns, index=frame.index)[contract.columns]
    mapped = {p for found in plan.positions.values() for p in found}
    if plan.explode is not None:
        mapped.add(plan.explode)
    extra_positions = [p for p in range(len(chunk.headers)) if p not in mapped]
    raw_extra = frame[extra_positions].copy()
    raw_extra.columns = _unique_names([chunk.headers[p] for p in extra_positions])
    if chunk.lineage is not None:
        raw_extra = raw_extra.join(chunk.lineage.rename(columns={"sheet": "source_sheet", "sheet_row": "source_sheet_row"}))
    if profile is not None:
        raw, raw_extra = _source_columns(profile, raw, raw_extra)
    if mapping is not None and plan.explode is not None:
        raw, raw_extra, problems = items.explode(path, contract, mapping.explode, chunk.headers[plan.explode],
                                                 frame[plan.explode], raw, raw_extra, problems)
    if mapping is not None:
        exploded = plan.explode is not None
        items.read_value_text(contract, mapping, raw, problems, exploded)
        items.read_limit_text(contract, mapping, raw, problems, exploded)
    return ParsedFile(
        path=path,
        feed=contract.name,
        format=source.format,
        encoding=source.encoding,
        profile=profile.name if profile else None,
        raw=raw,
        extra_columns=list(plan.extra_columns),
        missing_required=list(plan.missing_required),
        header_map=dict(plan.header_map),
        raw_extra=raw_extra,
        problems=problems,
        chunk=number,
    )


def _coalesce(
    contract: Feed, column: str, chunk: SourceChunk, found: list[int], problems: list[RowProblem]
) -> pd.Series:
    """One column from the key(s) naming it; only JSON Lines rows may carry several spellings."""
    series = chunk.frame[found[0]]
    for position in found[1:]:
        other = chunk.frame[position]
        clash = series.notna() & other.notna() & series.ne(other)
        for row in series.index[clash]:
            problems.append(
                RowProblem(
                    row=int(row),
                    column=column,
                    check="duplicate_column",
                    value=str(other[row]),
                    message=f"line {row} gives {contract.name}.{column} twice with different values "
                    f"('{excerpt(chunk.headers[found[0]], 40)}': '{excerpt(series[row])}', "
                    f"'{excerpt(chunk.headers[position], 40)}': '{excerpt(other[row])}'); send one key per column",
                )
            )
        series = series.where(series.notna(), other)
    return series.astype(object)


def _derive(
    parts: list[tuple[str, int | str | None]], frame: pd.DataFrame, columns: dict[str, pd.Series], nothing: pd.Series,
    fields: dict[str, pd.Series],
) -> pd.Series:
    """A key template's value per row; None where any part it names is empty."""
    text = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    complete = pd.Series(True, index=frame.index)
    for literal, ref in parts:
        text = text + literal
        if ref is None:
            continue
        if isinstance(ref, int):
            values = frame[ref]
        elif ref.startswith("@"):
            values = fields.get(ref[1:], nothing)
        else:
            values = columns.get(ref, nothing)
        complete &= values.notna()
        text = text + values.fillna("").astype(str)
    return text.where(complete, None).astype(object)


def _source_columns(profile: SourceProfile, raw: pd.DataFrame,
                    extra: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The profile's word on where the rows come from: jurisdiction, time zone, region scheme.

    The jurisdiction fills a ``jurisdiction`` column where the feed's contract has one, else it is
    kept in each row's raw record. A region written in another scheme than the mainland's 6-digit
    division codes (e.g. postal codes) is kept in the raw record under ``region (scheme)`` instead of
    being read as a division code.
    """
    if profile.jurisdiction:
        if "jurisdiction" in raw.columns:
            raw["jurisdiction"] = raw["jurisdiction"].where(raw["jurisdiction"].notna(), profile.jurisdiction)
        else:
            extra["jurisdiction"] = profile.jurisdiction
    if profile.time_zone:
        extra["time_zone"] = profile.time_zone
    if profile.region_scheme != "cn_division" and "region_code" in raw.columns:
        extra[f"region ({profile.region_scheme})"] = raw["region_code"]
        raw["region_code"] = None
    return raw, extra


class _FileContext:
    """What a profile adds to a file's rows beyond its cells: placeholders read as empty, rows that
    continue the row above, and the file's own fields for key templates."""

    def __init__(self, path: Path, source: Source, profile: SourceProfile | None) -> None:
        self.path = path
        self.source = source
        self.profile = profile
        self._sha8: str | None = None
        self._placeholders = {match_key(p) for p in profile.placeholders} if profile else set()
        self._above: tuple[list[str], pd.Series] | None = None

    def prepare(self, chunk: SourceChunk, plans: dict[str, _Plan]) -> SourceChunk:
        frame = chunk.frame
        if self._placeholders and not frame.empty:
            frame = frame.apply(lambda column: column.where(
                ~column.map(lambda v: v is not None and match_key(v) in self._placeholders), None))
        if self.profile and self.profile.continuation and not frame.empty:
            frame = self._continue(chunk, frame, {p.explode for p in plans.values() if p.explode is not None})
        return SourceChunk(chunk.headers, frame, chunk.problems, chunk.lineage)

    def _continue(self, chunk: SourceChunk, frame: pd.DataFrame, own: set[int]) -> pd.DataFrame:
        """Rows whose continuation cells are all blank take the values of the row they continue (the last
        row above that is not a continuation) in their blank cells; the exploded cell stays their own."""
        keys = [match_key(h) for h in chunk.headers]
        marks = [keys.index(match_key(h)) for h in self.profile.continuation if match_key(h) in keys]
        if not marks:
            raise FileRejected(self.path, "none of the profile's continuation headers ("
                               f"{', '.join(self.profile.continuation)}) is in the header; fix the profile")
        continues = frame[marks].isna().all(axis=1).to_numpy()
        above = self._above if self._above is not None and self._above[0] == chunk.headers else None
        first = (above[1] if above is not None
                 else pd.Series([None] * len(frame.columns), index=frame.columns, dtype=object))
        starts = pd.concat([first.to_frame().T, frame[~continues]])
        group = np.cumsum(~continues)
        taken = starts.iloc[group].set_axis(frame.index)
        result = frame.where(frame.notna() | ~continues[:, None], taken)
        keep = [c for c in frame.columns if c in own]
        result[keep] = frame[keep]
        self._above = (chunk.headers, starts.iloc[group[-1]])
        return result.astype(object).where(result.notna(), None)

    def fields(self, chunk: SourceChunk, wanted: set[str]) -> dict[str, pd.Series]:
        """The file's own fields a key template names (``FILE_FIELDS``), one value per row of ``chunk``."""
        index = chunk.frame.index
        fields: dict[str, pd.Series] = {}
        if "row_number" in wanted:
            fields["row_number"] = pd.Series(index.astype(str), index=index, dtype=object)
        if "file_name" in wanted:
            fields["file_name"] = pd.Series(self.path.name, index=index, dtype=object)
        if "file_stem" in wanted:
            fields["file_stem"] = pd.Series(self.path.stem, index=index, dtype=object)
        if "sheet" in wanted and chunk.lineage is not None:
            fields["sheet"] = chunk.lineage["sheet"].astype(object)
        elif "sheet" in wanted and getattr(self.source, "sheet", None):
            fields["sheet"] = pd.Series(self.source.sheet, index=index, dtype=object)
        if "file_sha8" in wanted:
            if self._sha8 is None:
                digest = hashlib.sha256()
                with self.path.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                # Upper case: keys are compared upper-cased, and a lower-case key would be logged as a variant.
                self._sha8 = digest.hexdigest()[:8].upper()
            fields["file_sha8"] = pd.Series(self._sha8, index=index, dtype=object)
        return fields


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


class _Collapser:
    """Folds repeated rows of one key into one (a batch written on each of its result rows).

    Identical rows collapse to the first; rows sharing a key with different attributes all stay
    and are reported. Remembers keys across chunks (memory grows with distinct keys, not rows).
    """

    def __init__(self, contract: Feed) -> None:
        self.contract = contract
        self.key = list(contract.key)
        self.seen: dict[tuple, tuple[int, tuple]] = {}
        self.flagged: set[int] = set()

    def collapse(self, parsed: ParsedFile) -> None:
        raw = parsed.raw
        keyed = raw[raw[self.key].notna().all(axis=1)]
        if keyed.empty:
            return
        group = keyed.groupby(list(keyed.columns), dropna=False, sort=False).ngroup()
        firsts = ~group.duplicated()
        first_of = dict(zip(group[firsts].to_numpy(), keyed.index[firsts]))
        drop: set[int] = set()
        collapsed: dict[int, list[int]] = {}
        for row, g in zip(keyed.index[~firsts], group[~firsts].to_numpy()):
            collapsed.setdefault(int(first_of[g]), []).append(int(row))
            drop.add(int(row))
        key_at = [raw.columns.get_loc(k) for k in self.key]
        for row, values in zip(keyed.index[firsts], keyed[firsts].itertuples(index=False, name=None)):
            row = int(row)
            key = tuple(values[i] for i in key_at)
            earlier = self.seen.setdefault(key, (row, values))
            if earlier[0] == row:
                continue
            if earlier[1] == values:
                drop.add(row)
                collapsed.setdefault(earlier[0], []).extend([row, *collapsed.pop(row, [])])
            else:
                self._report(parsed, key, earlier, row, values)
        parsed.raw = raw.drop(index=sorted(drop))
        parsed.raw_extra = parsed.raw_extra.drop(index=sorted(drop))
        parsed.collapsed_rows = {kept: tuple(rows) for kept, rows in collapsed.items()}

    def _report(self, parsed: ParsedFile, key: tuple, earlier: tuple[int, tuple], row: int, values: tuple) -> None:
        columns = parsed.raw.columns
        differ = [(c, a, b) for c, a, b in zip(columns, earlier[1], values) if a != b]
        said = "; ".join(f"{c}: '{excerpt(a)}' on row {earlier[0]}, '{excerpt(b)}' on row {row}" for c, a, b in differ)
        key_text = ", ".join(f"{k}={excerpt(v)}" for k, v in zip(self.key, key))
        for target in (earlier[0], row):
            if target in self.flagged or target not in parsed.raw.index:
                continue
            self.flagged.add(target)
            column, first_value, later_value = differ[0]
            parsed.problems.append(
                RowProblem(
                    row=target,
                    column=column,
                    check="conflicting_duplicate",
                    value=first_value if target == earlier[0] else later_value,
                    message=f"{self.contract.name} {key_text} is written differently on rows {earlier[0]} "
                    f"and {row} ({said}); every row of one {self.contract.name} key must agree — correct "
                    "the source rows",
                )
            )


def _concat(chunks: list[ParsedFile]) -> ParsedFile:
    if len(chunks) == 1:
        return chunks[0]
    first = chunks[0]
    extra_columns = list(dict.fromkeys(c for chunk in chunks for c in chunk.extra_columns))
    missing = [c for c in first.missing_required if all(c in chunk.missing_required for chunk in chunks)]
    raw_extra = pd.concat([chunk.raw_extra for chunk in chunks])
    raw_extra = raw_extra.astype(object).where(raw_extra.notna(), None)
    collapsed: dict[int, tuple[int, ...]] = {}
    for chunk in chunks:
        for kept, rows in chunk.collapsed_rows.items():
            collapsed[kept] = collapsed.get(kept, ()) + rows
    return ParsedFile(
        path=first.path,
        feed=first.feed,
        format=first.format,
        encoding=first.encoding,
        profile=first.profile,
        raw=pd.concat([chunk.raw for chunk in chunks]),
        extra_columns=extra_columns,
        missing_required=missing,
        header_map={k: v for chunk in chunks for k, v in chunk.header_map.items()},
        raw_extra=raw_extra,
        problems=[p for chunk in chunks for p in chunk.problems],
        collapsed_rows=collapsed,
        chunk=0,
    )
