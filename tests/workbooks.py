"""Workbooks for the input-limit tests: a small XLSX whose one cell expands to any size."""

from __future__ import annotations

import zipfile
from pathlib import Path

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
