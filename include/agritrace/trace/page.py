"""The trace lookup page: a search box, the chain, the recall scope and download links.

Rendered on the server (every value HTML-escaped), plain HTML and CSS with a few lines of inline
JavaScript for name suggestions; no external assets, so it works offline inside the Airflow UI.
Links are relative (``../api/trace/…``) so the page works wherever the router is mounted.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote, urlencode

_STYLE = """
body { font: 14px/1.45 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 1.5rem; color: #1d2430; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #d8dde6; }
form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .8rem; color: #4a5568; }
input { font: inherit; padding: .35rem .5rem; border: 1px solid #b8c0cc; border-radius: 4px; }
input[name=q] { width: 22rem; } button { font: inherit; padding: .4rem 1rem; border-radius: 4px; border: 0; background: #1f5fbf; color: #fff; }
table { border-collapse: collapse; margin: .3rem 0 1rem; } th, td { padding: .25rem .6rem; border-bottom: 1px solid #e5e9f0; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; } .num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fde8e8; color: #9b1c1c; font-weight: 600; } .badge { padding: 0 .4rem; border-radius: 3px; font-size: .8rem; }
.badge.fail { background: #c53030; color: #fff; } .badge.pass { background: #2f855a; color: #fff; } .badge.other { background: #718096; color: #fff; }
.note { color: #4a5568; } .error { padding: .6rem .8rem; background: #fff5f5; border: 1px solid #feb2b2; color: #9b1c1c; border-radius: 4px; }
.downloads a { margin-right: 1rem; } .batch { margin: .8rem 0 .2rem; }
"""

_SCRIPT = """
(function () {
  var box = document.querySelector('input[name=q]'), list = document.getElementById('names'), timer;
  box.addEventListener('input', function () {
    clearTimeout(timer);
    var q = box.value.trim();
    if (q.length < 1) { return; }
    timer = setTimeout(function () {
      fetch('../api/trace/search?q=' + encodeURIComponent(q)).then(function (r) {
        return r.ok ? r.json() : {producers: [], products: []};
      }).then(function (data) {
        list.innerHTML = '';
        data.producers.forEach(function (p) { var o = document.createElement('option'); o.value = p.producer_id; o.label = p.producer_name; list.appendChild(o); });
      }).catch(function () {});
    }, 250);
  });
})();
"""


def render_page(
    *,
    query: str = "",
    from_date: str = "",
    to_date: str = "",
    recall_days: int = 7,
    result: dict[str, Any] | None = None,
    names: dict[str, Any] | None = None,
    error: str | None = None,
) -> str:
    """The whole page; ``result`` is a trace lookup, ``names`` a name search, ``error`` a message."""
    body = [_form(query, from_date, to_date, recall_days)]
    if error:
        body.append(f'<p class="error">{_e(error)}</p>')
    if names is not None:
        body.append(_names(names, from_date, to_date))
    if result is not None:
        body.append(_chain(result, from_date, to_date, recall_days))
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Trace lookup · 追溯查询</title><style>{_STYLE}</style></head><body>"
        "<h1>Trace lookup · 追溯查询</h1>" + "".join(body) + f"<script>{_SCRIPT}</script></body></html>"
    )


def _e(value: Any) -> str:
    return "-" if value is None or value == "" else escape(str(value))


def _form(query: str, from_date: str, to_date: str, recall_days: int) -> str:
    return (
        '<form method="get" action="">'
        "<label>Certificate, batch, producer, report, trace code, lot number or name"
        f'<input name="q" list="names" value="{escape(query)}" maxlength="64" autofocus required></label>'
        '<datalist id="names"></datalist>'
        f'<label>From<input type="date" name="from" value="{escape(from_date)}"></label>'
        f'<label>To<input type="date" name="to" value="{escape(to_date)}"></label>'
        f'<label>Recall ± days<input type="number" name="recall_days" min="0" max="90" value="{recall_days}"></label>'
        "<button>Trace</button></form>"
    )


def _names(names: dict[str, Any], from_date: str, to_date: str) -> str:
    if not names.get("found"):
        return f'<p class="note">No producer or product name contains “{_e(names.get("query"))}”.</p>'
    parts = [f"<h2>Names containing “{_e(names['query'])}”</h2>"]
    if names["producers"]:
        parts.append(
            _table(
                ["Producer", "Name", "Type", "Town / village", "Grid"],
                [
                    [
                        f'<a href="?{escape(urlencode({"q": p["producer_id"]}))}">{_e(p["producer_id"])}</a>',
                        _e(p["producer_name"]),
                        _e(p["producer_type"]),
                        _e(" / ".join(x for x in (p.get("town"), p.get("village")) if x)),
                        _e(p.get("grid_id")),
                    ]
                    for p in names["producers"]
                ],
            )
        )
    if names["products"]:
        window = {k: v for k, v in (("from", from_date), ("to", to_date)) if v}
        rows = []
        for p in names["products"]:
            links = (
                " ".join(
                    f'<a href="../api/trace/export?{escape(urlencode({"product": p["product_name"], "format": fmt, **window}))}">{label}</a>'
                    for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX"), ("epcis", "EPCIS"))
                )
                if window.keys() == {"from", "to"}
                else '<span class="note">give From and To for event exports</span>'
            )
            rows.append(
                [
                    _e(p["product_name"]),
                    "yes" if p["on_certificates"] else "no",
                    "yes" if p["in_samples"] else "no",
                    links,
                ]
            )
        parts.append(_table(["Product", "On certificates", "Sampled", "Events"], rows))
    return "".join(parts)


def _chain(r: dict[str, Any], from_date: str, to_date: str, recall_days: int) -> str:
    window = r.get("window", {})
    summary = r.get("summary", {})
    params = {k: v for k, v in (("from", from_date), ("to", to_date)) if v}
    params["recall_days"] = str(recall_days)
    base = f"../api/trace/{quote(r['key'], safe='')}"
    downloads = " ".join(
        f'<a href="{escape(base + "?" + urlencode({**params, "format": fmt}))}" download>{label}</a>'
        for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON"))
    )
    failing = summary.get("failing_items", 0)
    headline = (
        f"<p><strong>{_e(r['key'])}</strong> is a <strong>{_e(r['key_type'])}</strong>. "
        f"Window {_e(window.get('from'))} … {_e(window.get('to'))}, recall ±{_e(window.get('recall_days'))} days. "
        f"{summary.get('certificates', 0)} certificates, {summary.get('batches', 0)} sampling batches, "
        f"{summary.get('test_items', 0)} test items, "
        f'<span class="badge {"fail" if failing else "pass"}">{failing} failing</span></p>'
    )
    parts = [headline, f'<p class="downloads">Download: {downloads}</p>']
    others = [m["key_type"] for m in r.get("matched_types", []) if m["key_type"] != r["key_type"]]
    if others:
        parts.append(f'<p class="note">The key also matches: {_e(", ".join(others))}.</p>')

    parts.append("<h2>Producer · 生产主体</h2>")
    parts.append(
        _table(
            ["Producer", "Name", "Type", "Town", "Village", "Grid", "Phone"],
            [
                [
                    _e(p["producer_id"]),
                    _e(p["producer_name"]),
                    _e(p["producer_type"]),
                    _e(p.get("town")),
                    _e(p.get("village")),
                    _e(p.get("grid_id")),
                    _e(p.get("contact_phone")),
                ]
                for p in r.get("producers", [])
            ],
        )
    )

    parts.append(
        f"<h2>Certificates · 合格证 ({len(r.get('certificates', []))} of {r.get('certificates_total', 0)})</h2>"
    )
    parts.append(
        _table(
            ["Certificate", "Issued", "Product", "Quantity", "Lot", "Trace code", "Buyer"],
            [
                [
                    _e(c["certificate_no"]) + (" ←" if c.get("is_anchor") else ""),
                    _e(c["issue_date"]),
                    _e(c["product_name"]),
                    f"{_e(c['quantity'])} {_e(c['unit'])}",
                    _e(c.get("lot_no")),
                    _e(c.get("trace_code")),
                    _e(c.get("buyer")),
                ]
                for c in r.get("certificates", [])
            ],
            fail_rows=[bool(c.get("has_failing_sample")) for c in r.get("certificates", [])],
        )
    )

    parts.append(
        f"<h2>Sampling and test results · 抽检结果 ({len(r.get('batches', []))} of {r.get('batches_total', 0)})</h2>"
    )
    for b in r.get("batches", []):
        badge = (
            ("fail", "FAIL 不合格")
            if b["failing"]
            else (
                ("pass", "pass 合格")
                if b.get("batch_verdict") == "pass"
                else ("other", b.get("batch_verdict") or "pending")
            )
        )
        parts.append(
            f'<p class="batch"><strong>{_e(b["batch_no"])}</strong> {_e(b["sampling_date"])} · {_e(b["product_name"])} · '
            f"{_e(b['task_type'])} / {_e(b['sampling_level'])} · {_e(b.get('sampled_place') or b['sampling_stage'])} · "
            f'certificate {_e(b.get("certificate_no"))} <span class="badge {badge[0]}">{_e(badge[1])}</span></p>'
        )
        items = b.get("items", [])
        parts.append(
            _table(
                ["Analyte", "Result", "Limit", "Kind", "Verdict", "Reason", "Standard", "Method", "Lab", "Report"],
                [
                    [
                        _e(i["analyte_name"]),
                        f"{_e(i.get('result') or i.get('value'))} {_e(i.get('unit'))}",
                        f"{_e(i.get('limit'))} {_e(i.get('limit_unit'))}",
                        _e(i.get("limit_kind")),
                        _e(i["verdict"]),
                        _e(i.get("verdict_reason")),
                        _e(i.get("standard") or i.get("limit_standard")),
                        _e(i.get("method")),
                        _e(b.get("lab")),
                        _e(i.get("report_no")),
                    ]
                    for i in items
                ],
                fail_rows=[bool(i["failing"]) for i in items],
            )
        )

    parts.append("<h2>Trace forward · 流向</h2>")
    buyers = r.get("buyers", [])
    parts.append(
        _table(
            ["Buyer", "Certificates", "kg", "First", "Last"],
            [
                [
                    _e(x["buyer"]),
                    _e(x["certificates"]),
                    _e(x.get("quantity_kg")),
                    _e(x["first_issue_date"]),
                    _e(x["last_issue_date"]),
                ]
                for x in buyers
            ],
        )
        if buyers
        else '<p class="note">No buyer is named on these certificates.</p>'
    )

    recall = r.get("recall", {})
    parts.append("<h2>Recall scope · 召回范围</h2>")
    if not recall.get("failing_batch_nos"):
        parts.append('<p class="note">No failing sample in this chain.</p>')
    else:
        parts.append(
            f"<p>Failing samples: <strong>{_e(', '.join(recall['failing_batch_nos']))}</strong>. "
            f"Buyers to notify: {_e(', '.join(recall.get('buyers', [])))}</p>"
        )
        parts.append(
            _table(
                ["Certificate", "Issued", "Product", "Quantity", "Buyer", "Why"],
                [
                    [
                        _e(c["certificate_no"]),
                        _e(c["issue_date"]),
                        _e(c["product_name"]),
                        f"{_e(c['quantity'])} {_e(c['unit'])}",
                        _e(c.get("buyer")),
                        _e(_why(c)),
                    ]
                    for c in recall.get("certificates", [])
                ],
            )
        )
        failures = recall.get("other_producer_failures", [])
        parts.append(
            "<p>Other producers failing the same product and analyte in the window:</p>"
            if failures
            else '<p class="note">No other producer failed the same product and analyte in the window.</p>'
        )
        if failures:
            parts.append(
                _table(
                    ["Batch", "Sampled", "Producer", "Product", "Analyte", "mg/kg", "Limit", "Report"],
                    [
                        [
                            _e(f["batch_no"]),
                            _e(f["sampling_date"]),
                            _e(f.get("producer_name") or f.get("producer_id")),
                            _e(f["product_name"]),
                            _e(f["analyte_name"]),
                            _e(f.get("value_mg_kg")),
                            _e(f.get("limit_mg_kg")),
                            _e(f.get("report_no")),
                        ]
                        for f in failures
                    ],
                    fail_rows=[True] * len(failures),
                )
            )
    return "".join(parts)


def _why(c: dict[str, Any]) -> str:
    if c["reason"] == "sampled_lot":
        return f"the lot sampled in {c['failing_batch_no']}"
    days = c["days_from_sample"]
    when = "same day as" if days == 0 else f"{abs(days)} days {'after' if days > 0 else 'before'}"
    return f"issued {when} {c['failing_batch_no']}" + ("" if c.get("same_product", True) else " (another product)")


def _table(header: list[str], rows: list[list[str]], fail_rows: list[bool] | None = None) -> str:
    """Cells are already escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = ' class="fail"' if fail_rows and fail_rows[i] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
