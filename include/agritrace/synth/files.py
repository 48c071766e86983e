"""Render records into the file shapes bureaus actually send.

Five shapes per feed (``SHAPES``): UTF-8 CSV with canonical English headers and words, UTF-8-BOM
CSV with Chinese headers, GBK CSV with Chinese headers, XLSX with Chinese headers and real date
cells, and JSON Lines with canonical keys. Chinese headers are each column's first alias in the
contract; Chinese values come from the contract vocabularies. Strings in a date or number column
are written as they are, which is how defect rows carry impossible dates.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from agritrace.contracts import FEEDS
from agritrace.contracts.base import Field
from agritrace.ingest.landing import DONE_MARKER
from agritrace.synth.catalog import NON_DETECT_WORDS

Record = dict[str, object]


@dataclass(frozen=True)
class Shape:
    suffix: str  # file name suffix, e.g. "_zh.csv"
    kind: str  # csv | xlsx | jsonl
    encoding: str | None  # CSV encoding
    chinese: bool  # Chinese headers and words
    date_forms: tuple[str, ...]  # iso | slash | zh | cell


EN_CSV = Shape(".csv", "csv", "utf-8", False, ("iso",))
ZH_BOM_CSV = Shape("_zh.csv", "csv", "utf-8-sig", True, ("iso", "slash", "slash"))
ZH_GBK_CSV = Shape("_gbk.csv", "csv", "gbk", True, ("zh", "zh", "slash"))
ZH_XLSX = Shape(".xlsx", "xlsx", None, True, ("cell",))
EN_JSONL = Shape(".jsonl", "jsonl", None, False, ("iso",))
# (shape, share of the feed's rows) for the varied demo set.
SHAPES: tuple[tuple[Shape, float], ...] = (
    (EN_CSV, 0.40),
    (ZH_BOM_CSV, 0.20),
    (ZH_GBK_CSV, 0.15),
    (ZH_XLSX, 0.15),
    (EN_JSONL, 0.10),
)

# Chinese words written for canonical values (simplified only); other values use the first alias.
_ZH_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("producer_type", "cooperative"): ("合作社", "合作社", "专业合作社"),
    ("producer_type", "household"): ("农户", "农户", "散户"),
    ("producer_type", "enterprise"): ("企业", "企业", "公司"),
    ("sampling_level", "district"): ("区县", "区县", "区级"),
    ("sampling_level", "province"): ("省", "省级"),
    ("sampling_level", "city"): ("市", "市级"),
    ("task_type", "supervisory_sampling"): ("监督抽查", "监督抽查", "监督抽检"),
    ("certificates.unit", "kg"): ("kg", "公斤", "千克"),
    ("inspection_results.unit", "mg/kg"): ("mg/kg", "mg/kg", "毫克/千克"),
    ("inspection_results.unit", "μg/kg"): ("μg/kg", "μg/kg", "微克/千克"),
    ("inspection_results.unit", "%"): ("%",),
    ("verdict", "fail"): ("不合格", "不合格", "不符合规定"),
    ("commitment_basis", "quality_control"): (
        "质量安全控制符合要求",
        "质量安全控制符合要求",
        "内部质量控制",
        "自我承诺",
    ),
    ("commitment_basis", "self_test"): ("自行检测合格", "自行检测合格", "自我检测", "自检合格"),
    ("commitment_basis", "commissioned_test"): ("委托检测合格", "委托检测"),
}


def _zh_word(feed: str, f: Field, value: str, rng: random.Random) -> str:
    choices = _ZH_CHOICES.get((f"{feed}.{f.name}", value)) or _ZH_CHOICES.get((f.name, value))
    if choices:
        return rng.choice(choices)
    words = f.vocabulary.get(value)
    return words[0] if words else value


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _date(value: date, form: str) -> object:
    if form == "cell":
        return value
    if form == "slash":
        return f"{value.year}/{value.month}/{value.day}"
    if form == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def render(feed: str, record: Record, shape: Shape, rng: random.Random, variety: bool) -> list[object]:
    """One record as the list of cell values for ``shape`` (columns in contract order)."""
    date_form = rng.choice(shape.date_forms)
    cells: list[object] = []
    for f in FEEDS[feed].fields:
        value = record.get(f.name)
        if value is None or value == "":
            if f.name == "result_value":  # a non-detect
                value = rng.choice(NON_DETECT_WORDS) if variety else "ND"
                cells.append(value)
            else:
                cells.append(None if shape.kind != "csv" else "")
            continue
        if isinstance(value, str) and f.type == "date":
            cells.append(value)  # already a raw (possibly broken) date
        elif isinstance(value, date):
            cells.append(_date(value, date_form))
        elif f.type == "enum" and shape.chinese:
            cells.append(_zh_word(feed, f, str(value), rng))
        elif f.type == "enum_list":
            parts = list(value) if isinstance(value, list) else [str(value)]
            if shape.chinese:
                cells.append("、".join(_zh_word(feed, f, p, rng) for p in parts))
            else:
                cells.append(";".join(parts))
        elif isinstance(value, float) and shape.kind in ("csv",):
            cells.append(_number(value))
        elif isinstance(value, float) and f.type == "text":
            cells.append(_number(value) if shape.kind == "xlsx" else value)
        else:
            cells.append(value)
    return cells


def headers(feed: str, chinese: bool) -> list[str]:
    return [(f.aliases[0] if chinese and f.aliases else f.name) for f in FEEDS[feed].fields]


def write_file(path: Path, feed: str, rows: Sequence[Record], shape: Shape, seed: int, variety: bool) -> None:
    """Write ``rows`` of ``feed`` to ``path`` in ``shape``; value choices seeded by the file name."""
    rng = random.Random(f"{seed}:{path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    head = headers(feed, shape.chinese)
    body = (render(feed, r, shape, rng, variety) for r in rows)
    if shape.kind == "csv":
        _write_csv(path, head, body, shape.encoding or "utf-8")
    elif shape.kind == "xlsx":
        _write_xlsx(path, head, body, FEEDS[feed].title_zh)
    else:
        _write_jsonl(path, head, body)
    # The landing folder's convention for a finished delivery: the file is taken without waiting.
    path.with_name(path.name + DONE_MARKER).touch()


def _write_csv(path: Path, head: list[str], body: Iterable[list[object]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows(body)


def _write_xlsx(path: Path, head: list[str], body: Iterable[list[object]], title: str) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(head)
    for row in body:
        ws.append(row)
    wb.save(path)


def _write_jsonl(path: Path, head: list[str], body: Iterable[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in body:
            obj = {k: v for k, v in zip(head, row, strict=True) if v is not None}
            fh.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
