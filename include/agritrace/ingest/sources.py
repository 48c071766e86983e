"""Reading CSV, XLSX and JSON Lines files as chunks of source text, in bounded memory.

A reader knows nothing of feeds: it hands over the header row and chunks of cell text indexed by
source row number. Mapping to canonical columns happens in ``files.py``.

Every reader keeps to the input limits (``Limits``, from the settings): no cell larger than the
largest-cell limit, no JSON line nested deeper than the JSON depth limit, no workbook expanding
beyond the XLSX uncompressed size or holding more cells than the XLSX cell limit. A file beyond one
is rejected (``LimitExceeded``) before it costs unbounded memory: a workbook's parts are measured
and scanned before it is opened, a JSON line's brackets are counted before it is parsed.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from agritrace.config import settings
from agritrace.ingest.errors import FileRejected, LimitExceeded
from agritrace.ingest.records import FileFormat, RowProblem
from agritrace.ingest.text import cell_text, clean_array, excerpt

# Tried in this order, each strictly: GB18030 is a superset of GBK, so it covers both.
ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", "\t", ";", "|")
_BLOCK = 1 << 20
_JSONL_HEADER_SAMPLE = 1000
# Python's csv module stops a field at this many characters unless told otherwise.
_CSV_FIELD_LIMIT = 131_072
# An XML-escaped character takes at most 6 bytes (&quot;): a run of text longer than this many
# times the largest-cell limit cannot be one cell within it.
_XML_ESCAPE = 6
# Worksheet XML up to this size is read whole by calamine (a few hundred MB of memory at most).
_CALAMINE_MAX_XML = 64 << 20
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


@dataclass(frozen=True)
class ReadOptions:
    """How to open a file; a source profile may set any of these."""

    sheet: str | None = None
    header_row: int = 1
    encoding: str | None = None
    sheets: str | None = None


@dataclass(frozen=True)
class Limits:
    """The input limits a reader keeps to (see ``agritrace.config.INPUT_LIMITS``)."""

    max_cell_bytes: int
    max_json_depth: int
    max_xlsx_uncompressed_bytes: int
    max_xlsx_cells: int

    @classmethod
    def from_settings(cls) -> Limits:
        cfg = settings()
        return cls(cfg.max_cell_bytes, cfg.max_json_depth, cfg.max_xlsx_uncompressed_bytes, cfg.max_xlsx_cells)


def cell_limit_exceeded(path: Path, found: str, limits: Limits, advice: str | None = None) -> LimitExceeded:
    return LimitExceeded(
        path, found, limit="largest-cell", value=limits.max_cell_bytes, unit="bytes",
        setting="AGRITRACE_MAX_CELL_BYTES",
        advice=advice or "no spreadsheet cell holds that much (Excel stops at 32,767 characters): check the cell "
        "for text pasted in by mistake and deliver the file again",
    )


def check_cells(path: Path, limits: Limits, where: str, cells: Sequence[str | None],
                names: Sequence[str] | None = None, noun: str = "cell") -> None:
    """Rejects the file when a cell of one row is larger than the largest-cell limit, in UTF-8 bytes.

    A character takes at most 4 bytes, so only cells longer than a quarter of the limit are encoded.
    ``names`` (the headers) name the column in the message; ``noun`` says what the text is.
    """
    quarter = limits.max_cell_bytes // 4
    for position, cell in enumerate(cells):
        if cell and len(cell) > quarter:
            size = len(cell.encode("utf-8", "surrogatepass"))
            if size > limits.max_cell_bytes:
                column = (f", column '{excerpt(names[position], 40)}'" if names and position < len(names)
                          else f", column {position + 1}" if names is not None else "")
                raise cell_limit_exceeded(path, f"{where}{column} holds a {noun} of {size:,} bytes", limits)


def json_depth(line: str, stop: int) -> int:
    """How deep the brackets of one JSON text nest (an object is 1), counted without recursion.

    Brackets inside strings do not count. Counting ends as soon as the depth passes ``stop``.
    """
    depth = deepest = 0
    for token in _JSON_TOKEN.finditer(line):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


@dataclass
class SourceChunk:
    """Cell text of up to ``chunk_rows`` source rows; ``frame`` columns are positions in ``headers``."""

    headers: list[str]
    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    # Where each row sits when it is not simply the file's row: sheet and sheet_row (same index).
    lineage: pd.DataFrame | None = None


class Source(Protocol):
    format: FileFormat
    encoding: str | None
    headers: list[str]

    def chunks(self, chunk_rows: int) -> Iterator[SourceChunk]: ...


def detect_format(path: Path) -> FileFormat:
    """The file's format, from its first bytes first and its extension second."""
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return "ods" if _is_opendocument(path) else "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise FileRejected(
            path,
            "it is an old binary Excel (.xls) workbook; open it in Excel or WPS and save it "
            "as .xlsx or CSV, then deliver it again",
        )
    if suffix in (".xlsx", ".xlsm", ".ods"):
        raise FileRejected(path, f"it has an {suffix} name but is not a workbook; export it again")
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def _is_opendocument(path: Path) -> bool:
    """An OpenDocument spreadsheet names its type in a ``mimetype`` part (stored first, uncompressed)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet"
    except (KeyError, zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError):
        return False


def detect_encoding(path: Path, encoding: str | None = None) -> str:
    """The first encoding the whole file decodes in strictly (streamed, so memory stays bounded).

    Reported as ``utf-8-sig`` when the file starts with a BOM, ``utf-8`` without one, ``gb18030``
    for GBK and GB18030 files, or the profile's ``encoding`` when it names one.
    """
    candidates = (encoding,) if encoding else ENCODINGS
    if not encoding:
        _refuse_mixed_encodings(path)
    for candidate in candidates:
        try:
            codecs.lookup(candidate)
        except LookupError:
            raise FileRejected(path, f"the source profile names an unknown encoding {candidate!r}") from None
        if _decodes(path, candidate):
            if candidate == "utf-8-sig":
                with path.open("rb") as handle:
                    return "utf-8-sig" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
            return candidate
    tried = ", ".join("UTF-8 (with or without BOM)" if c == "utf-8-sig" else c.upper() for c in candidates)
    raise FileRejected(
        path,
        f"{path.name} does not decode as any accepted encoding (tried {tried}); save it as "
        "UTF-8 or GBK text and deliver it again",
    )


def _refuse_mixed_encodings(path: Path) -> None:
    """A file whose lines are partly UTF-8 and partly something else is refused, naming the first bad line.

    GB18030 decodes almost any byte sequence, so a UTF-8 export with a few GBK lines would otherwise
    load whole as GB18030 and turn every UTF-8 character into the wrong one.
    """
    utf8_text_seen = False
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                if utf8_text_seen:
                    raise FileRejected(
                        path,
                        f"{path.name} does not decode in one encoding: the lines before line {number} are UTF-8 but "
                        f"line {number} is not; "
                        "save the whole file in one encoding (UTF-8 or GBK) and deliver it again",
                    ) from None
                return
            utf8_text_seen = True


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def open_source(path: Path, options: ReadOptions = ReadOptions(), limits: Limits | None = None) -> Source:
    """The file's reader; ``limits`` default to the settings' input limits."""
    fmt = detect_format(path)
    if path.stat().st_size == 0:
        raise FileRejected(path, "the file is empty; deliver it again with a header row and data")
    limits = limits or Limits.from_settings()
    if fmt in ("xlsx", "ods"):
        return XlsxSource(path, options, limits, fmt)
    if fmt == "jsonl":
        return JsonlSource(path, options, limits)
    return CsvSource(path, options, limits)


def _frame(rows: list[list[str | None]], numbers: list[int]) -> pd.DataFrame:
    """Cleaned cell text; ragged rows are padded with None; rows with no value at all are dropped."""
    frame = pd.DataFrame(rows, index=pd.Index(numbers, name="row", dtype="int64"), dtype=object)
    frame = pd.DataFrame(clean_array(frame.to_numpy(dtype=object)), index=frame.index, columns=frame.columns)
    return frame[frame.notna().any(axis=1)] if len(frame.columns) else frame


def _unnamed(headers: list[str | None], width: int) -> list[str]:
    """Header names, with ``column_N`` (1-based position) for blank or missing header cells."""
    names = [(h or "").strip() for h in headers] + [""] * max(0, width - len(headers))
    return [name or f"column_{i + 1}" for i, name in enumerate(names)]


class CsvSource:
    format: FileFormat = "csv"

    def __init__(self, path: Path, options: ReadOptions, limits: Limits) -> None:
        self.path = path
        self.options = options
        self.limits = limits
        self.encoding = detect_encoding(path, options.encoding)
        with self._open() as handle:
            head = handle.read(1 << 16)
        if not head.strip():
            raise FileRejected(path, "the file is empty; deliver it again with a header row and data")
        self.delimiter = _sniff_delimiter(head, options.header_row)
        with self._open() as handle:
            self.header_row, header = self._header(self._reader(handle))
        check_cells(path, limits, f"the header row {self.header_row}", header, [])
        self.headers = _unnamed(header, len(header))

    def _open(self) -> io.TextIOWrapper:
        # utf-8-sig also reads plain UTF-8 and drops a BOM, so one codec serves both.
        encoding = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        return open(self.path, encoding=encoding, errors="strict", newline="")

    def _reader(self, handle: io.TextIOWrapper) -> Iterator[list[str]]:
        # strict: an opening quote that is never closed is an error, not a field swallowing the rest.
        # The field limit (characters, process-wide, never lowered below csv's own) bounds the memory
        # one cell may take; cells under it are measured in bytes row by row.
        csv.field_size_limit(self._field_limit)
        return csv.reader(handle, delimiter=self.delimiter, strict=True)

    @property
    def _field_limit(self) -> int:
        return max(self.limits.max_cell_bytes, _CSV_FIELD_LIMIT)

    def _malformed(self, exc: csv.Error, row: int) -> FileRejected:
        if str(exc).startswith("field larger than field limit"):
            return cell_limit_exceeded(
                self.path, f"row {row} has a cell that runs on past {self._field_limit:,} characters", self.limits,
                advice="no spreadsheet cell holds that much (Excel stops at 32,767 characters): if the cell is not "
                "meant to be that long, a quote opened there and never closed is swallowing the rows after it; "
                "fix the quoting of that row and deliver the file again",
            )
        return FileRejected(
            self.path,
            f"malformed CSV at row {row}: {excerpt(exc)} (a quote opened there and never closed would swallow "
            "every row after it); fix the quoting of that row and deliver the file again",
        )

    def _header(self, reader: Iterator[list[str]]) -> tuple[int, list[str]]:
        """The header is the first non-blank record at or after ``header_row``."""
        number = 0
        try:
            for number, record in enumerate(reader, start=1):
                if number >= self.options.header_row and any(cell.strip() for cell in record):
                    return number, record
        except csv.Error as exc:
            raise self._malformed(exc, number + 1) from exc
        raise FileRejected(
            self.path,
            f"no header row found (looked from row {self.options.header_row}); the first row must name the columns",
        )

    def chunks(self, chunk_rows: int) -> Iterator[SourceChunk]:
        width = len(self.headers)
        quarter = self.limits.max_cell_bytes // 4
        with self._open() as handle:
            rows: list[list[str | None]] = []
            numbers: list[int] = []
            number = self.header_row
            try:
                for number, record in enumerate(self._reader(handle), start=1):
                    if number <= self.header_row or not record:
                        continue
                    if sum(map(len, record)) > quarter:
                        check_cells(self.path, self.limits, f"row {number}", record, self.headers)
                    rows.append(record)  # type: ignore[arg-type]
                    numbers.append(number)
                    if len(rows) >= chunk_rows:
                        yield self._chunk(rows, numbers, width)
                        rows, numbers = [], []
            except csv.Error as exc:
                raise self._malformed(exc, number + 1) from exc
            if rows:
                yield self._chunk(rows, numbers, width)

    def _chunk(self, rows: list[list[str | None]], numbers: list[int], width: int) -> SourceChunk:
        frame = _frame(rows, numbers)
        headers = _unnamed(self.headers, max(width, len(frame.columns)))
        frame = frame.reindex(columns=range(len(headers)))
        problems = []
        if len(headers) > width:
            overflow = frame.iloc[:, width:]
            for number, values in overflow[overflow.notna().any(axis=1)].iterrows():
                extra = [v for v in values if v is not None]
                problems.append(
                    RowProblem(
                        row=int(number),
                        column=None,
                        check="too_many_fields",
                        value=" | ".join(extra),
                        message=f"row {number} has more values than the header has columns "
                        f"({width}); a value probably contains an unquoted '{self.delimiter}' — quote "
                        "it or fix the row",
                    )
                )
        return SourceChunk(headers, frame, problems)


def _sniff_delimiter(head: str, header_row: int) -> str:
    """The candidate delimiter seen most often in the header line (outside quotes)."""
    lines = [line for line in head.splitlines() if line.strip()]
    line = lines[min(header_row, len(lines)) - 1] if lines else ""
    unquoted = "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def check_workbook_archive(path: Path, limits: Limits) -> None:
    """Measures a workbook before openpyxl expands it; rejects one beyond the input limits.

    The zip's own record of each part's uncompressed size bounds what can be read from it (Python's
    zipfile stops there), so the total is checked first. Then every XML part larger than any cell
    within the largest-cell limit could need is scanned, streamed, for one unbroken text that long:
    openpyxl would hold such a text whole (a 63 KB workbook can carry a 60 MB string).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [member for member in archive.infolist() if not member.is_dir()]
            total = sum(member.file_size for member in parts)
            if total > limits.max_xlsx_uncompressed_bytes:
                raise LimitExceeded(
                    path, f"the workbook expands to {total:,} bytes ({path.stat().st_size:,} bytes as delivered)",
                    limit="XLSX uncompressed size", value=limits.max_xlsx_uncompressed_bytes, unit="bytes",
                    setting="AGRITRACE_MAX_XLSX_UNCOMPRESSED_BYTES",
                    advice="a workbook that expands this far is a compression bomb or a sheet stretched far past "
                    "its data; save the data sheet alone as .xlsx or CSV and deliver it again",
                )
            longest = _XML_ESCAPE * limits.max_cell_bytes
            for member in parts:
                if member.file_size <= longest or not member.filename.lower().endswith((".xml", ".rels")):
                    continue
                with archive.open(member) as stream:
                    if _unbroken_text_longer_than(stream, longest):
                        raise cell_limit_exceeded(
                            path, f"the workbook part '{excerpt(member.filename)}' holds an unbroken text of more "
                            f"than {longest:,} bytes, more than any cell within the limit needs", limits,
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
        raise FileRejected(
            path, f"the workbook cannot be opened ({excerpt(exc)}); save it again from Excel or WPS as .xlsx"
        ) from exc


def _unbroken_text_longer_than(stream: io.BufferedIOBase, longest: int) -> bool:
    """Whether the XML has a run of more than ``longest`` bytes without a ``<`` (one text or one tag).

    Read in blocks no larger than ``longest``, so a run inside one block is never longer than
    ``longest``; runs across blocks are carried over. Only ``find``/``rfind`` touch the bytes.
    """
    run = 0
    size = max(1, min(longest, _BLOCK))
    while block := stream.read(size):
        first = block.find(b"<")
        if first < 0:
            run += len(block)
        elif run + first > longest:
            return True
        else:
            run = len(block) - block.rfind(b"<") - 1
        if run > longest:
            return True
    return False


class XlsxSource:
    """An XLSX or OpenDocument (.ods) workbook: one sheet, or every sheet a profile's ``sheets`` glob names.

    Rows are read with python-calamine (Rust; about 50 times faster than openpyxl on a 50,000-row
    sheet). An XLSX is read with openpyxl, streamed, instead when a worksheet holds formulas (a
    formula cell without a cached value shows its formula text there; calamine shows nothing) or
    when its sheets are larger than ``_CALAMINE_MAX_XML`` (calamine holds a whole sheet in memory;
    openpyxl keeps to one chunk). Several sheets are read
    one after the other, row numbers continuing (sheet two's first data row follows sheet one's
    last row); ``SourceChunk.lineage`` says which sheet and sheet row each row is.
    """

    encoding = None

    def __init__(self, path: Path, options: ReadOptions, limits: Limits, fmt: FileFormat = "xlsx") -> None:
        self.path = path
        self.options = options
        self.limits = limits
        self.format: FileFormat = fmt
        check_workbook_archive(path, limits)
        self._streamed = fmt == "xlsx" and _needs_openpyxl(path)
        self.sheet_names = self._chosen_sheets()
        self.sheet = self.sheet_names[0]
        self.headers = []
        self.cells = 0
        for name in self.sheet_names:
            found = self._header(name)
            if found is not None:
                self.header_row, self.headers = found
                break
        else:
            raise FileRejected(
                path, f"the sheet '{excerpt(self.sheet)}' has no header row; the first row must name the columns"
            )

    def _chosen_sheets(self) -> list[str]:
        names = self._sheet_names()
        if self.options.sheets:
            chosen = [n for n in names if fnmatch.fnmatchcase(n, self.options.sheets)]
            wanted = self.options.sheets
        else:
            wanted = self.options.sheet or (names[0] if names else "")
            chosen = [wanted] if wanted in names else []
        if not chosen:
            listed = ", ".join(f"'{excerpt(n, 40)}'" for n in names[:10]) + (", …" if len(names) > 10 else "")
            raise FileRejected(
                self.path,
                f"the workbook has no sheet '{excerpt(wanted)}' (sheets: {listed or 'none'}); fix the profile's "
                "sheet or the workbook",
            )
        return chosen

    def _sheet_names(self) -> list[str]:
        if self._streamed:
            cached, formulas = self._openpyxl()
            try:
                return list(cached.sheetnames)
            finally:
                cached.close()
                formulas.close()
        return list(self._calamine().sheet_names)

    def _header(self, name: str) -> tuple[int, list[str]] | None:
        rows = self._rows(name)
        try:
            for number, row in rows:
                if number >= self.options.header_row and any(v is not None for v in row):
                    while row and row[-1] is None:
                        row = row[:-1]
                    return number, _unnamed(row, len(row))
        finally:
            rows.close()  # releases the workbook now rather than at garbage collection
        return None

    def _calamine(self):
        import python_calamine

        try:
            return python_calamine.CalamineWorkbook.from_path(str(self.path))
        except (python_calamine.CalamineError, OSError, ValueError) as exc:
            raise FileRejected(self.path, f"the workbook cannot be opened ({excerpt(exc)}); save it again from "
                               "Excel, WPS or LibreOffice as .xlsx or .ods") from exc

    def _openpyxl(self):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            cached = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise FileRejected(
                self.path, f"the workbook cannot be opened ({excerpt(exc)}); save it again from Excel or WPS as .xlsx"
            ) from exc
        return cached, formulas

    def _values(self, name: str) -> Iterator[list]:
        """The sheet's rows of cell values from row 1 (None for a blank cell)."""
        if not self._streamed:
            workbook = self._calamine()
            try:
                for row in workbook.get_sheet_by_name(name).iter_rows():
                    yield [None if v == "" else v for v in row]
            finally:
                workbook.close()
            return
        cached, formulas = self._openpyxl()
        try:
            for values, raw in zip(cached[name].iter_rows(values_only=True), formulas[name].iter_rows(values_only=True)):
                # A formula cell shows its cached value, or its formula when none was saved.
                yield [v if v is not None else (f if isinstance(f, str) and f.startswith("=") else None)
                       for v, f in zip(values, raw)]
        finally:
            cached.close()
            formulas.close()

    def _rows(self, name: str) -> Iterator[tuple[int, list[str | None]]]:
        """Sheet rows as text, keeping to the cell limits."""
        limits = self.limits
        quarter = limits.max_cell_bytes // 4
        for number, values in enumerate(self._values(name), start=1):
            # Counted before the row is turned into text: blank cells padding a stretched sheet count too.
            self.cells += len(values)
            if self.cells > limits.max_xlsx_cells:
                raise LimitExceeded(
                    self.path, f"the sheet '{excerpt(name)}' passes {limits.max_xlsx_cells:,} cells at row {number} "
                    "(rows × columns of its used range, blank cells included)", limit="XLSX cell",
                    value=limits.max_xlsx_cells, unit="cells", setting="AGRITRACE_MAX_XLSX_CELLS",
                    advice="delete the empty rows and columns below and right of the data (or formatting that "
                    "stretches the sheet), or split the sheet, and deliver it again",
                )
            row = [cell_text(v) for v in values]
            if sum(len(text) for text in row if text) > quarter:
                check_cells(self.path, limits, f"row {number}", row, self.headers)
            yield number, row

    def chunks(self, chunk_rows: int) -> Iterator[SourceChunk]:
        self.cells = 0
        offset = 0
        for name in self.sheet_names:
            found = self._header(name) if name != self.sheet_names[0] else (self.header_row, self.headers)
            if found is None:
                continue
            header_row, headers = found
            rows: list[list[str | None]] = []
            numbers: list[int] = []
            last = header_row
            for number, row in self._rows(name):
                if number <= header_row:
                    continue
                rows.append(row)
                numbers.append(offset + number)
                last = number
                if len(rows) >= chunk_rows:
                    yield self._chunk(headers, rows, numbers, name, offset)
                    rows, numbers = [], []
            if rows:
                yield self._chunk(headers, rows, numbers, name, offset)
            offset += last

    def _chunk(self, names: list[str], rows: list[list[str | None]], numbers: list[int], sheet: str,
               offset: int) -> SourceChunk:
        frame = _frame(rows, numbers)
        headers = _unnamed(names, max(len(names), len(frame.columns)))
        frame = frame.reindex(columns=range(len(headers)))
        # Formatting alone can stretch a sheet's width; unnamed columns with no value are noise.
        keep = [i for i in range(len(headers)) if i < len(names) or frame[i].notna().any()]
        frame = frame[keep]
        frame.columns = range(len(keep))
        lineage = None
        if len(self.sheet_names) > 1:
            lineage = pd.DataFrame({"sheet": sheet, "sheet_row": frame.index - offset}, index=frame.index)
        return SourceChunk([headers[i] for i in keep], frame, lineage=lineage)


def _needs_openpyxl(path: Path) -> bool:
    """Whether an XLSX's worksheets are too large to hold whole, or any holds a formula (``<f>`` or
    ``<f …>``, searched streamed)."""
    with zipfile.ZipFile(path) as archive:
        sheets = [m for m in archive.infolist()
                  if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
        if sum(m.file_size for m in sheets) > _CALAMINE_MAX_XML:
            return True
        for member in sheets:
            tail = b""
            with archive.open(member) as stream:
                while block := stream.read(_BLOCK):
                    text = tail + block
                    if b"<f>" in text or b"<f " in text:
                        return True
                    tail = text[-3:]
    return False


class JsonlSource:
    """One JSON object per line; its keys are the headers, and may differ from line to line."""

    format: FileFormat = "jsonl"

    def __init__(self, path: Path, options: ReadOptions, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self.encoding = detect_encoding(path, options.encoding)
        keys: dict[str, None] = {}
        seen = 0
        for number, record in self._records():
            if isinstance(record, dict):
                check_cells(path, limits, f"line {number}", list(map(str, record)), noun="key")
                keys.update(dict.fromkeys(record))
                seen += 1
                if seen >= _JSONL_HEADER_SAMPLE:
                    break
        if not seen:
            raise FileRejected(
                path,
                "the file holds no JSON object lines; each line must be one object whose keys are the column names",
            )
        self.headers = list(keys)

    def _records(self) -> Iterator[tuple[int, object]]:
        encoding = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        deepest = self.limits.max_json_depth
        with open(self.path, encoding=encoding, errors="strict") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                # Fewer brackets than the limit cannot nest deeper than it: most lines skip the count.
                if line.count("{") + line.count("[") > deepest and json_depth(line, deepest) > deepest:
                    raise self._too_deep(number)
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    record = _Unreadable(line.strip(), excerpt(exc, 120))
                except RecursionError:  # the count above should make this unreachable; never a crash
                    raise self._too_deep(number) from None
                yield number, record

    def _too_deep(self, number: int) -> LimitExceeded:
        return LimitExceeded(
            self.path, f"line {number} nests JSON more than {self.limits.max_json_depth} levels deep",
            limit="JSON nesting depth", value=self.limits.max_json_depth, unit="levels",
            setting="AGRITRACE_MAX_JSON_DEPTH",
            advice="each line must be one object of columns, not a deeply nested document; fix the export and "
            "deliver the file again",
        )

    def chunks(self, chunk_rows: int) -> Iterator[SourceChunk]:
        records: list[tuple[int, object]] = []
        for item in self._records():
            records.append(item)
            if len(records) >= chunk_rows:
                yield self._chunk(records)
                records = []
        if records:
            yield self._chunk(records)

    def _chunk(self, records: list[tuple[int, object]]) -> SourceChunk:
        headers: dict[str, int] = {}
        rows: list[dict[int, str | None]] = []
        numbers: list[int] = []
        problems: list[RowProblem] = []
        quarter = self.limits.max_cell_bytes // 4
        for number, record in records:
            if not isinstance(record, dict):
                text = record.line if isinstance(record, _Unreadable) else json.dumps(record, ensure_ascii=False)
                why = record.error if isinstance(record, _Unreadable) else "the line is not a JSON object"
                problems.append(
                    RowProblem(
                        row=number,
                        column=None,
                        check="unreadable_line",
                        value=text,
                        message=f"line {number} cannot be read ({why}); write it as one JSON object",
                    )
                )
                record = {"_line": text}
            cells = {str(k): cell_text(v) for k, v in record.items()}
            if sum(len(k) + len(v or "") for k, v in cells.items()) > quarter:
                names = list(cells)
                check_cells(self.path, self.limits, f"line {number}", names, noun="key")
                check_cells(self.path, self.limits, f"line {number}", list(cells.values()), names)
            rows.append({headers.setdefault(k, len(headers)): v for k, v in cells.items()})
            numbers.append(number)
        frame = pd.DataFrame(rows, index=pd.Index(numbers, name="row", dtype="int64"), columns=range(len(headers)))
        frame = pd.DataFrame(clean_array(frame.to_numpy(dtype=object)), index=frame.index, columns=frame.columns)
        # A line whose keys are all empty is still a line someone sent; keep it so it is quarantined.
        return SourceChunk(list(headers), frame, problems)


@dataclass(frozen=True)
class _Unreadable:
    line: str
    error: str
