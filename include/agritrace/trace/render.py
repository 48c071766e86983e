"""A trace result as terminal text, JSON, CSV rows and an XLSX workbook.

Pure functions over the dict ``trace.lookup`` returns. Failing test items are marked ``✗ FAIL``
in text and ``failing = yes`` in CSV/XLSX, so they stand out without colour.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import IO, Any

from agritrace.trace import cells

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
    "verdict_reason",
    "standard",
    "method",
    "lab",
    "report_no",
    "tested_on",
    "note",
)


def to_json(result: dict[str, Any], *, indent: int | None = 2) -> str:
    """The result as JSON text, Chinese kept readable (not \\u-escaped)."""
    return json.dumps(result, ensure_ascii=False, indent=indent, default=str)


def to_csv_rows(result: dict[str, Any]) -> list[list[Any]]:
    """Header plus one row per record: test item, certificate, buyer, recall certificate, other failure.

    The ``record`` column says which; a spreadsheet filter on it gives each part of the chain.
    """
    names = {p["producer_id"]: p["producer_name"] for p in result.get("producers", [])}
    rows: list[list[Any]] = [list(CHAIN_COLUMNS)]

    def row(**values: Any) -> list[Any]:
        return [values.get(column) for column in CHAIN_COLUMNS]

    for c in result.get("certificates", []):
        rows.append(
            row(
                record="certificate",
                failing=c.get("has_failing_sample"),
                producer_id=c["producer_id"],
                producer_name=names.get(c["producer_id"]),
                certificate_no=c["certificate_no"],
                product_name=c["product_name"],
                issue_date=c["issue_date"],
                quantity=c["quantity"],
                unit=c["unit"],
                buyer=c.get("buyer"),
                note="the key names this certificate" if c.get("is_anchor") else None,
            )
        )
    for b in result.get("batches", []):
        for item in b.get("items", []):
            rows.append(
                row(
                    record="test_item",
                    failing=item["failing"],
                    producer_id=b.get("producer_id"),
                    producer_name=names.get(b.get("producer_id")),
                    certificate_no=b.get("certificate_no"),
                    product_name=b["product_name"],
                    batch_no=b["batch_no"],
                    sampling_date=b["sampling_date"],
                    task_type=b["task_type"],
                    analyte=item["analyte_name"],
                    result=item.get("result"),
                    result_unit=item.get("unit"),
                    value_mg_kg=item.get("value_mg_kg"),
                    limit=item.get("limit"),
                    limit_unit=item.get("limit_unit"),
                    limit_kind=item.get("limit_kind"),
                    verdict=item["verdict"],
                    verdict_reason=item.get("verdict_reason"),
                    standard=item.get("standard"),
                    method=item.get("method"),
                    lab=b.get("lab"),
                    report_no=item.get("report_no"),
                    tested_on=item.get("tested_on"),
                )
            )
    for buyer in result.get("buyers", []):
        rows.append(
            row(
                record="buyer",
                buyer=buyer["buyer"],
                quantity=buyer.get("quantity_kg"),
                unit="kg",
                certificate_no="; ".join(buyer.get("certificate_nos", [])),
                note=f"{buyer['certificates']} certificates {buyer['first_issue_date']} … {buyer['last_issue_date']}",
            )
        )
    recall = result.get("recall", {})
    for c in recall.get("certificates", []):
        rows.append(
            row(
                record="recall_certificate",
                producer_id=c["producer_id"],
                producer_name=names.get(c["producer_id"]),
                certificate_no=c["certificate_no"],
                product_name=c["product_name"],
                issue_date=c["issue_date"],
                quantity=c["quantity"],
                unit=c["unit"],
                buyer=c.get("buyer"),
                batch_no=c["failing_batch_no"],
                note=_recall_note(c),
            )
        )
    for f in recall.get("other_producer_failures", []):
        rows.append(
            row(
                record="other_producer_failure",
                failing=True,
                producer_id=f.get("producer_id"),
                producer_name=f.get("producer_name"),
                product_name=f["product_name"],
                batch_no=f["batch_no"],
                sampling_date=f["sampling_date"],
                analyte=f["analyte_name"],
                value_mg_kg=f.get("value_mg_kg"),
                limit=f.get("limit_mg_kg"),
                limit_unit="mg/kg",
                verdict="fail",
                verdict_reason=f.get("verdict_reason"),
                report_no=f.get("report_no"),
                note=f"same product and analyte as {f['like_batch_no']}",
            )
        )
    return rows


def write_xlsx(result: dict[str, Any], path: Path | str | IO[bytes]) -> Path | IO[bytes]:
    """The chain as a workbook: one sheet per record kind, formula-leading text defused."""
    rows = to_csv_rows(result)
    header, body = rows[0], rows[1:]
    kinds = ("certificate", "test_item", "buyer", "recall_certificate", "other_producer_failure")
    sheets = {"chain": (header, body)}
    for kind in kinds:
        sheets[kind] = (header, [r for r in body if r[0] == kind])
    return cells.write_xlsx(path, sheets)


def render_table(result: dict[str, Any]) -> str:
    """Readable terminal text: producer, certificates, batches with test items, buyers, recall scope."""
    lines: list[str] = []
    window = result.get("window", {})
    lines.append(
        f"Trace {result['key']}  ({result['key_type']})   window {window.get('from')} … {window.get('to')}, "
        f"recall ±{window.get('recall_days')} days"
    )
    others = [m["key_type"] for m in result.get("matched_types", []) if m["key_type"] != result["key_type"]]
    if others:
        lines.append(f"  the key also matches: {', '.join(others)} (ask again with that key type to follow it)")
    summary = result.get("summary", {})
    lines.append(
        f"  {summary.get('certificates', 0)} certificates, {summary.get('batches', 0)} sampling batches, "
        f"{summary.get('test_items', 0)} test items, {summary.get('failing_items', 0)} failing"
    )

    lines += ["", "Producer"]
    for p in result.get("producers", []):
        place = " / ".join(x for x in (p.get("town"), p.get("village")) if x)
        lines.append(f"  {p['producer_id']}  {p['producer_name']}  ({p['producer_type']})")
        lines.append(
            f"      {place or '-'}   grid {p.get('grid_id') or '-'}   region {p.get('region_code')}   "
            f"phone {p.get('contact_phone') or '-'}"
        )

    lines += ["", _section("Certificates", result.get("certificates_total"), len(result.get("certificates", [])))]
    lines += _table(
        ["", "certificate", "issued", "product", "quantity", "lot / trace code", "buyer"],
        [
            [
                "→" if c.get("is_anchor") else ("✗" if c.get("has_failing_sample") else ""),
                c["certificate_no"],
                c["issue_date"],
                c["product_name"],
                f"{_num(c['quantity'])} {c['unit']}",
                " / ".join(x for x in (c.get("lot_no"), c.get("trace_code")) if x) or "-",
                c.get("buyer") or "-",
            ]
            for c in result.get("certificates", [])
        ],
    )

    lines += [
        "",
        _section("Sampling batches and test items", result.get("batches_total"), len(result.get("batches", []))),
    ]
    for b in result.get("batches", []):
        verdict = "✗ FAIL" if b["failing"] else (b.get("batch_verdict") or "pending")
        lines.append(
            f"  {b['batch_no']}  {b['sampling_date']}  {b['product_name']}  {b['task_type']} / {b['sampling_level']}"
            f"  at {b.get('sampled_place') or b['sampling_stage']}  certificate {b.get('certificate_no') or '-'}  {verdict}"
        )
        lines += _table(
            ["", "analyte", "result", "limit", "verdict", "reason", "standard", "method", "lab", "report"],
            [
                [
                    "✗ FAIL" if i["failing"] else "",
                    i["analyte_name"],
                    f"{i.get('result') or _num(i.get('value'))} {i.get('unit') or ''}".strip(),
                    f"{_num(i.get('limit'))} {i.get('limit_unit')} ({i.get('limit_kind') or '-'})"
                    if i.get("limit") is not None
                    else "-",
                    i["verdict"],
                    i.get("verdict_reason") or "",
                    i.get("standard") or i.get("limit_standard") or "-",
                    i.get("method") or "-",
                    b.get("lab") or "-",
                    i.get("report_no") or "-",
                ]
                for i in b.get("items", [])
            ],
            indent="      ",
        )

    lines += ["", "Trace forward: buyers named on the certificates"]
    lines += _table(
        ["buyer", "certificates", "kg", "first", "last"],
        [
            [x["buyer"], x["certificates"], _num(x.get("quantity_kg")), x["first_issue_date"], x["last_issue_date"]]
            for x in result.get("buyers", [])
        ],
    ) or ["  none named"]

    recall = result.get("recall", {})
    lines += ["", "Recall scope"]
    if not recall.get("failing_batch_nos"):
        lines.append("  no failing sample in the chain")
    else:
        lines.append(f"  failing samples: {', '.join(recall['failing_batch_nos'])}")
        lines += _table(
            ["certificate", "issued", "product", "quantity", "buyer", "why"],
            [
                [
                    c["certificate_no"],
                    c["issue_date"],
                    c["product_name"],
                    f"{_num(c['quantity'])} {c['unit']}",
                    c.get("buyer") or "-",
                    _recall_note(c),
                ]
                for c in recall.get("certificates", [])
            ],
        )
        if recall.get("buyers"):
            lines.append(f"  buyers to notify: {', '.join(recall['buyers'])}")
        failures = recall.get("other_producer_failures", [])
        lines.append(
            "  other producers failing the same product and analyte in the window:"
            if failures
            else "  no other producer failed the same product and analyte in the window"
        )
        lines += _table(
            ["batch", "sampled", "producer", "product", "analyte", "mg/kg", "limit", "report"],
            [
                [
                    f["batch_no"],
                    f["sampling_date"],
                    f.get("producer_name") or f.get("producer_id") or "-",
                    f["product_name"],
                    f["analyte_name"],
                    _num(f.get("value_mg_kg")),
                    _num(f.get("limit_mg_kg")),
                    f.get("report_no") or "-",
                ]
                for f in failures
            ],
        )
    return "\n".join(lines)


def _recall_note(c: dict[str, Any]) -> str:
    if c["reason"] == "sampled_lot":
        return f"the lot sampled in {c['failing_batch_no']}"
    days = c["days_from_sample"]
    when = "on the day of" if days == 0 else f"{abs(days)} days {'after' if days > 0 else 'before'}"
    other = "" if c.get("same_product", True) else " (another product)"
    return f"issued {when} failing sample {c['failing_batch_no']}{other}"


def _section(title: str, total: int | None, shown: int) -> str:
    if total is not None and total > shown:
        return f"{title} ({shown} of {total} shown; narrow the dates to see the rest)"
    return f"{title} ({shown})"


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
