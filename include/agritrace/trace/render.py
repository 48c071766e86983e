"""A trace result as terminal text, JSON, CSV rows and an XLSX workbook.

Pure functions over ``TraceResult`` (what ``lookup.trace`` returns). Failing test items are marked
``✗ FAIL`` in text and ``failing = yes`` in CSV/XLSX, so they stand out without colour. JSON is
the API's document, so the CLI and the API print the same thing.
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path
from typing import IO, Any

from agritrace.trace import cells
from agritrace.trace.models import Certificate, RecallCertificate, TraceResult, counted, plain

CHAIN_COLUMNS: tuple[str, ...] = (
    "record",
    "failing",
    "producer_id",
    "producer_name",
    "certificate_no",
    "product_name",
    "issue_date",
    "quantity",
    "unit",
    "buyer",
    "batch_no",
    "sampling_date",
    "task_type",
    "analyte",
    "result",
    "result_unit",
    "value_mg_kg",
    "limit",
    "limit_unit",
    "limit_kind",
    "verdict",
    "verdict_basis",
    "verdict_reason",
    "standard",
    "method",
    "lab",
    "report_no",
    "tested_on",
    "note",
)


# Chinese first in every exported header: ``合格证编号 certificate_no``.
CHAIN_HEADERS_ZH: dict[str, str] = {
    "record": "记录类型",
    "failing": "不合格",
    "producer_id": "生产主体代码",
    "producer_name": "生产主体名称",
    "certificate_no": "合格证编号",
    "product_name": "产品名称",
    "issue_date": "开具日期",
    "quantity": "数量",
    "unit": "单位",
    "buyer": "收货方",
    "batch_no": "抽检批次号",
    "sampling_date": "抽样日期",
    "task_type": "任务类型",
    "analyte": "检测项目",
    "result": "检测结果",
    "result_unit": "结果单位",
    "value_mg_kg": "折算值mg/kg",
    "limit": "限量",
    "limit_unit": "限量单位",
    "limit_kind": "限量类型",
    "verdict": "判定",
    "verdict_basis": "判定依据",
    "verdict_reason": "判定说明",
    "standard": "标准",
    "method": "检测方法",
    "lab": "检测机构",
    "report_no": "报告编号",
    "tested_on": "检测日期",
    "note": "备注",
}

# The recall list: one row per certificate in the recall scope, then a totals row.
RECALL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("certificate_no", "合格证编号"),
    ("issue_date", "开具日期"),
    ("product_name", "产品名称"),
    ("quantity", "数量"),
    ("unit", "单位"),
    ("quantity_kg", "折合千克"),
    ("buyer", "收货方"),
    ("buyer_contact", "收货方联系方式"),
    ("failing_batch_no", "不合格样品批次"),
    ("why", "列入原因"),
)
RECALL_TOTAL_LABEL = "合计 total"

RECORD_KINDS: tuple[str, ...] = ("certificate", "test_item", "buyer", "recall_certificate", "other_producer_failure",
                                 "correction")


def to_json(result: TraceResult, *, indent: int | None = 2) -> str:
    """The result as the API's JSON document, Chinese kept readable (not \\u-escaped)."""
    return json.dumps(result.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=indent)


def chain_header(*, bilingual: bool = True) -> list[str]:
    """The chain's header: ``合格证编号 certificate_no`` …, or the bare column names for programs."""
    if not bilingual:
        return list(CHAIN_COLUMNS)
    return [cells.header(CHAIN_HEADERS_ZH[column], column) for column in CHAIN_COLUMNS]


def to_csv_rows(result: TraceResult, *, bilingual: bool = False) -> list[list[Any]]:
    """Header plus one row per record: certificate, test item, buyer, recall certificate, other failure.

    The ``record`` column says which; a spreadsheet filter on it gives each part of the chain.
    ``bilingual`` (what the files people open get) puts Chinese first in the header and in front of
    the record kind (``合格证 certificate``); without it the header is the bare column names and the
    record kind its code, for programs.
    """
    rows: list[list[Any]] = [chain_header(bilingual=False)]

    def row(**values: Any) -> list[Any]:
        return [plain(values.get(column)) for column in CHAIN_COLUMNS]

    def certificate(c: Certificate | RecallCertificate) -> dict[str, Any]:
        return {"producer_id": c.producer_id, "producer_name": result.producer_name(c.producer_id),
                "certificate_no": c.certificate_no, "product_name": c.product_name, "issue_date": c.issue_date,
                "quantity": c.quantity, "unit": c.unit, "buyer": c.buyer}

    for c in result.certificates:
        rows.append(row(record="certificate", failing=c.has_failing_sample, **certificate(c),
                        note="the key names this certificate" if c.is_anchor else None))
    for b in result.batches:
        for i in b.items:
            rows.append(row(
                record="test_item", failing=i.failing, producer_id=b.producer_id,
                producer_name=result.producer_name(b.producer_id), certificate_no=b.certificate_no,
                product_name=b.product_name, batch_no=b.batch_no, sampling_date=b.sampling_date,
                task_type=b.task_type, analyte=i.analyte_name, result=i.result, result_unit=i.unit,
                value_mg_kg=i.value_mg_kg, limit=i.limit, limit_unit=i.limit_unit, limit_kind=i.limit_kind,
                verdict=i.verdict, verdict_basis=i.verdict_basis, verdict_reason=i.verdict_reason,
                standard=i.standard, method=i.method,
                lab=b.lab, report_no=i.report_no, tested_on=i.tested_on,
            ))
    for x in result.buyers:
        rows.append(row(record="buyer", buyer=x.buyer, quantity=x.quantity_kg, unit="kg",
                        certificate_no="; ".join(x.certificate_nos),
                        note=f"{x.certificates} certificates {x.first_issue_date} … {x.last_issue_date}"))
    for c in result.recall.certificates:
        rows.append(row(record="recall_certificate", **certificate(c), batch_no=c.failing_batch_no, note=c.why))
    for f in result.recall.other_producer_failures:
        rows.append(row(
            record="other_producer_failure", failing=True, producer_id=f.producer_id, producer_name=f.producer_name,
            product_name=f.product_name, batch_no=f.batch_no, sampling_date=f.sampling_date, analyte=f.analyte_name,
            value_mg_kg=f.value_mg_kg, limit=f.limit_mg_kg, limit_unit="mg/kg", verdict="fail",
            verdict_reason=f.verdict_reason, report_no=f.report_no, note=f"same product and analyte as {f.like_batch_no}",
        ))
    for x in result.corrections:
        rows.append(row(record="correction", **{_CORRECTED_KEY.get(x.record, "note"): x.key},
                        note=f"{x.record} {x.key}: {x.what_changed}; {x.provenance}"))
    if bilingual:
        return [chain_header()] + [[cells.label(r[0]), *r[1:]] for r in rows[1:]]
    return rows


# Which column of the chain's rows holds a corrected record's key.
_CORRECTED_KEY = {"producer": "producer_id", "certificate": "certificate_no", "batch": "batch_no",
                  "test_item": "batch_no"}


def to_csv_text(result: TraceResult) -> str:
    """The chain as CSV text, formula-leading text defused (``cells``)."""
    rows = to_csv_rows(result, bilingual=True)
    out = io.StringIO()
    cells.write_csv(out, rows[0], rows[1:])
    return out.getvalue()


def write_xlsx(result: TraceResult, path: Path | str | IO[bytes]) -> Path | IO[bytes]:
    """The chain as a workbook: one sheet per record kind, formula-leading text defused."""
    rows = to_csv_rows(result, bilingual=True)
    header, body = rows[0], rows[1:]
    sheets = {"chain": (header, body)}
    for kind in RECORD_KINDS:
        sheets[kind] = (header, [r for r in body if r[0] == cells.label(kind)])
    return cells.write_xlsx(path, sheets)


def recall_rows(result: TraceResult) -> tuple[list[str], list[list[Any]]]:
    """The recall list: bilingual header, one row per certificate in the recall scope, a totals row.

    The buyer contact is the producer's phone (the certificates hold none for buyers), masked
    unless the trace was asked with personal data shown. The totals row carries the kg total in
    the kg column, the counted units (``80 箱``) in the unit column, and the number of
    certificates and buyers.
    """
    header = [cells.header(zh, column) for column, zh in RECALL_COLUMNS]
    recall, totals = result.recall, result.recall.totals
    rows: list[list[Any]] = []
    for c in recall.certificates:
        values = {"certificate_no": c.certificate_no, "issue_date": c.issue_date, "product_name": c.product_name,
                  "quantity": c.quantity, "unit": c.unit, "quantity_kg": c.quantity_kg, "buyer": c.buyer,
                  "buyer_contact": _contact(result, c), "failing_batch_no": c.failing_batch_no,
                  "why": f"{c.why_zh} · {c.why}"}
        rows.append([plain(values[column]) for column, _ in RECALL_COLUMNS])
    rows.append([plain(v) for v in (
        RECALL_TOTAL_LABEL, None, None, None, counted(totals.counted_units) or None, totals.quantity_kg,
        f"{totals.buyers} 个收货方 buyers", None, "; ".join(recall.failing_batch_nos),
        f"{totals.certificates} 张合格证 certificates",
    )])
    return header, rows


def _contact(result: TraceResult, c: RecallCertificate) -> str | None:
    if c.buyer is None or c.buyer_contact is None:
        return None
    who = result.producer_name(c.producer_id) or c.producer_id
    return f"{c.buyer_contact} (生产主体 producer {who})"


def recall_csv_text(result: TraceResult) -> str:
    """The recall list as CSV text, formula-leading text defused (``cells``)."""
    header, rows = recall_rows(result)
    out = io.StringIO()
    cells.write_csv(out, header, rows)
    return out.getvalue()


def write_recall_xlsx(result: TraceResult, path: Path | str | IO[bytes]) -> Path | IO[bytes]:
    """The recall list as a one-sheet workbook, formula-leading text defused."""
    header, rows = recall_rows(result)
    return cells.write_xlsx(path, {"recall": (header, rows)})


def render_table(result: TraceResult) -> str:
    """Readable terminal text: producer, certificates, batches with test items, buyers, recall scope."""
    window, summary, recall = result.window, result.summary, result.recall
    lines = [f"Trace {result.key}  ({result.key_type})   window {window.from_} … {window.to}, recall "
             + f"±{window.recall_days} days"]
    if result.other_key_types:
        lines.append(f"  the key also matches: {', '.join(result.other_key_types)} "
                     "(ask again with that key type to follow it)")
    lines.append(
        f"  {summary.certificates} certificates, {summary.batches} sampling batches, "
        f"{summary.test_items} test items, {summary.failing_items} failing"
    )

    lines += ["", "Producer"]
    for p in result.producers:
        lines.append(f"  {p.producer_id}  {p.producer_name}  ({p.producer_type})")
        lines.append(f"      {p.place or '-'}   grid {p.grid_id or '-'}   region {p.region_code}   "
                     f"phone {p.contact_phone or '-'}")

    lines += ["", _section("Certificates", result.certificates_total, len(result.certificates))]
    lines += _table(
        ["", "certificate", "issued", "product", "quantity", "lot / trace code", "buyer"],
        [["→" if c.is_anchor else ("✗" if c.has_failing_sample else ""), c.certificate_no, c.issue_date,
          c.product_name, f"{_num(c.quantity)} {c.unit}",
          " / ".join(x for x in (c.lot_no, c.trace_code) if x) or "-", c.buyer or "-"]
         for c in result.certificates],
    )

    lines += ["", _section("Sampling batches and test items", result.batches_total, len(result.batches))]
    for b in result.batches:
        verdict = "✗ FAIL" if b.failing else b.state
        lines.append(
            f"  {b.batch_no}  {b.sampling_date}  {b.product_name}  {b.task_type} / {b.sampling_level}"
            f"  at {b.place}  certificate {b.certificate_no or '-'}  {verdict}"
        )
        lines += _table(
            ["", "analyte", "result", "limit", "verdict", "reason", "standard", "method", "lab", "report"],
            [["✗ FAIL" if i.failing else "", i.analyte_name, f"{_num(i.shown_result)} {i.unit or ''}".strip(),
              f"{_num(i.limit)} {i.limit_unit} ({i.limit_kind or '-'})" if i.limit is not None else "-",
              i.shown_verdict, i.verdict_reason or "", i.shown_standard or "-", i.method or "-", b.lab or "-",
              i.report_no or "-"]
             for i in b.items],
            indent="      ",
        )

    if result.corrections:
        lines += ["", "Corrections: earlier versions of these records"]
        lines += [f"  {x.record} {x.key}: {x.what_changed}\n      {x.provenance}" for x in result.corrections]

    lines += ["", "Trace forward: buyers named on the certificates"]
    lines += _table(
        ["buyer", "certificates", "kg", "first", "last"],
        [[x.buyer, x.certificates, _num(x.quantity_kg), x.first_issue_date, x.last_issue_date] for x in result.buyers],
    ) or ["  none named"]

    lines += ["", "Recall scope"]
    if not recall.failing_batch_nos:
        lines.append("  no failing sample in the chain")
        return "\n".join(lines)
    lines.append(f"  failing samples: {', '.join(recall.failing_batch_nos)}")
    lines += _table(
        ["certificate", "issued", "product", "quantity", "buyer", "why"],
        [[c.certificate_no, c.issue_date, c.product_name, f"{_num(c.quantity)} {c.unit}", c.buyer or "-", c.why]
         for c in recall.certificates],
    )
    totals = recall.totals
    lines.append(f"  total: {totals.amount}   {totals.certificates} certificates, {totals.buyers} buyers")
    if recall.buyers:
        lines.append(f"  buyers to notify: {', '.join(recall.buyers)}")
    lines += _table(
        ["buyer", "certificates", "kg", "counted", "contact"],
        [[x.buyer, x.certificates, _num(x.quantity_kg), counted(x.counted_units) or "-", x.contact_text]
         for x in recall.buyer_contacts],
    )
    failures = recall.other_producer_failures
    lines.append(
        "  other producers failing the same product and analyte in the window:"
        if failures
        else "  no other producer failed the same product and analyte in the window"
    )
    lines += _table(
        ["batch", "sampled", "producer", "product", "analyte", "mg/kg", "limit", "report"],
        [[f.batch_no, f.sampling_date, f.producer or "-", f.product_name, f.analyte_name, _num(f.value_mg_kg),
          _num(f.limit_mg_kg), f.report_no or "-"] for f in failures],
    )
    return "\n".join(lines)


def _section(title: str, total: int | None, shown: int) -> str:
    if total is not None and total > shown:
        return f"{title} ({shown} of {total} shown; narrow the dates to see the rest)"
    return f"{title} ({shown})"


def _num(value: Any) -> str:
    return "-" if value is None else str(plain(value))


def _width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _table(header: list[str], rows: list[list[Any]], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    texts = [[str(v) if v is not None else "-" for v in row] for row in rows]
    widths = [max(_width(h), *(_width(r[i]) for r in texts)) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return indent + "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths)).rstrip()

    return [line(header)] + [line(r) for r in texts]
