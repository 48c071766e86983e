"""Workbooks for tests: a small XLSX whose one cell expands to any size (input limits), and
OpenDocument spreadsheets (no library here writes them)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

PLACEHOLDER = "PLACEHOLDER"


def inflate_placeholder(plain: Path, path: Path, size: int) -> Path:
    """Write ``path``: the workbook ``plain`` with its ``PLACEHOLDER`` cell grown to ``size`` bytes.

    The member is written streamed and compressed, so the file stays a few KB however large the
    cell; ``plain`` is removed.
    """
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if PLACEHOLDER.encode() not in data:
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(PLACEHOLDER.encode())
            with out.open(info.filename, "w", force_zip64=True) as member:
                member.write(head)
                block = b"A" * (1 << 20)
                for start in range(0, size, len(block)):
                    member.write(block[: min(len(block), size - start)])
                member.write(tail)
    plain.unlink()
    return path


def write_ods(path: Path, rows: list[list[str | None]], sheet: str = "Sheet1") -> Path:
    """A minimal OpenDocument spreadsheet of text cells (LibreOffice reads it, so does calamine)."""
    def cell(value: str | None) -> str:
        if value is None:
            return "<table:table-cell/>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    body = "".join(f"<table:table-row>{''.join(map(cell, row))}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path
