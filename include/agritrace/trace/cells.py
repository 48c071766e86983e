"""Spreadsheet-safe cells for every CSV and XLSX the trace exports write.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheet programs strip before parsing) is read as a formula when the file is opened; buyer
names and free text come from outside feeds, so such cells get a leading apostrophe and stay text
(OWASP "CSV injection"). Numbers and dates are written as values and never altered.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Chinese labels for the codes the exports show (Chinese first, the code after it, so a reader gets
# the word and a program or a colleague still finds the code). The product categories are
# ref.product_categories (reference/data/product_categories.csv).
LABELS_ZH: dict[str, str] = {
    # product categories
    "vegetables": "蔬菜",
    "fruits": "水果",
    "tea": "茶叶",
    "livestock": "畜禽",
    "eggs": "禽蛋",
    "aquatic": "水产品",
    # chain record kinds
    "certificate": "合格证",
    "test_item": "检测项目",
    "buyer": "收货方",
    "recall_certificate": "召回范围内合格证",
    "other_producer_failure": "其他主体同品种同项目不合格",
    "correction": "更正记录",
    # traceability events
    "certificate_issued": "开具合格证",
    "shipped": "发货",
    "sampled": "抽样",
    "tested": "检测",
}


def header(zh: str, code: str) -> str:
    """A bilingual column header, Chinese first: ``合格证编号 certificate_no``."""
    return f"{zh} {code}"


def label(code: Any) -> Any:
    """A code with its Chinese label in front (``蔬菜 vegetables``); other values pass unchanged."""
    if isinstance(code, str) and code in LABELS_ZH:
        return f"{LABELS_ZH[code]} {code}"
    return code


def neutralise(value: Any) -> Any:
    """The value with formula-leading text defused; anything that is not text passes unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return neutralise("; ".join(str(v) for v in value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return neutralise(str(value))


def xlsx_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return neutralise("; ".join(str(v) for v in value))
    if isinstance(value, Decimal):
        return float(value)
    return neutralise(value)


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])


def write_xlsx(
    target: Path | str | IO[bytes], sheets: dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]
) -> Path | IO[bytes]:
    """One worksheet per entry (name -> header, rows), header bold and frozen, columns sized.

    ``target`` is a file path or a binary stream (for HTTP responses)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        widths = [len(h) for h in header]
        for row in rows:
            values = [xlsx_cell(v) for v in row]
            sheet.append(values)
            for i, v in enumerate(values):
                widths[i] = max(widths[i], min(len(str(v)) if v is not None else 0, 60))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width + 2
    if isinstance(target, (str, Path)):
        target = Path(target)
    workbook.save(target)
    return target
