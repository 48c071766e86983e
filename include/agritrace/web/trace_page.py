"""The trace lookup page: a search box, the chain, the recall scope and download links.

Rendered on the server from the typed ``TraceResult`` / ``SearchResult`` (every value HTML-escaped)
on the shared layout, with a few lines of inline JavaScript for name suggestions; no external
assets, so it works offline inside the Airflow UI. Links are relative (``../api/trace/…``) so the
page works wherever the router is mounted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from agritrace.trace.models import SearchResult, TraceResult, counted, plain
from agritrace.web.layout import PAGE, Nav, e, page, pill, table

NAV = Nav("trace", "../")  # /ui/trace

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
    result: TraceResult | None = None,
    names: SearchResult | None = None,
    error: str | None = None,
) -> str:
    """The whole page; ``result`` is a trace lookup, ``names`` a name search, ``error`` a message."""
    body = [_form(query, from_date, to_date, recall_days)]
    if error:
        body.append(f'<div class="banner bad">{e(error)}</div>')
    if names is not None:
        body.append(_names(names, from_date, to_date))
    if result is not None:
        body.append(_chain(result, from_date, to_date, recall_days))
    return page(PAGE["trace"].label, "".join(body), nav=NAV, script=_SCRIPT)


def _form(query: str, from_date: str, to_date: str, recall_days: int) -> str:
    return (
        '<form class="filters" method="get" action="">'
        "<label>Certificate, batch, producer, report, trace code, lot number or name"
        f'<input name="q" list="names" value="{_attr(query)}" maxlength="64" autofocus required></label>'
        '<datalist id="names"></datalist>'
        f'<label>From<input type="date" name="from" value="{_attr(from_date)}"></label>'
        f'<label>To<input type="date" name="to" value="{_attr(to_date)}"></label>'
        f'<label>Recall ± days<input type="number" name="recall_days" min="0" max="90" value="{recall_days}"></label>'
        "<button>Trace</button></form>"
    )


def _attr(value: str) -> str:
    """An attribute value: escaped, and empty stays empty."""
    return e(value) if value else ""


def _names(names: SearchResult, from_date: str, to_date: str) -> str:
    if not names.found:
        return f'<p class="note">No producer or product name contains “{e(names.query)}”.</p>'
    parts = [f"<h2>Names containing “{e(names.query)}”</h2>"]
    if names.producers:
        parts.append(table(
            ["Producer", "Name", "Type", "Town / village", "Grid"],
            [[f'<a href="?{e(urlencode({"q": p.producer_id}))}">{e(p.producer_id)}</a>', e(p.producer_name),
              e(p.producer_type), e(p.place), e(p.grid_id)] for p in names.producers],
        ))
    if names.products:
        window = {k: v for k, v in (("from", from_date), ("to", to_date)) if v}

        def exports(product: str) -> str:
            if window.keys() != {"from", "to"}:
                return '<span class="note">give From and To for event exports</span>'
            return " ".join(
                f'<a href="../api/trace/export?{e(urlencode({"product": product, "format": fmt, **window}))}">{label}</a>'
                for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX"), ("epcis", "EPCIS"))
            )

        parts.append(table(
            ["Product", "On certificates", "Sampled", "Events"],
            [[e(p.product_name), _yes(p.on_certificates), _yes(p.in_samples), exports(p.product_name)]
             for p in names.products],
        ))
    return "".join(parts)


def _chain(r: TraceResult, from_date: str, to_date: str, recall_days: int) -> str:
    window, summary, recall = r.window, r.summary, r.recall
    params = {k: v for k, v in (("from", from_date), ("to", to_date)) if v}
    params["recall_days"] = str(recall_days)
    base = f"../api/trace/{quote(r.key, safe='')}"
    downloads = " ".join(
        f'<a href="{e(base + "?" + urlencode({**params, "format": fmt}))}" download>{label}</a>'
        for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON"))
    )
    failing = summary.failing_items
    headline = (
        f"<p><strong>{e(r.key)}</strong> is a <strong>{e(r.key_type)}</strong>. "
        f"Window {e(window.from_)} … {e(window.to)}, recall ±{e(window.recall_days)} days. "
        f"{summary.certificates} certificates, {summary.batches} sampling batches, {summary.test_items} test items, "
        f"{pill('bad' if failing else 'ok', f'{failing} failing')}</p>"
    )
    parts = [headline, f'<p class="downloads">Download: {downloads}</p>']
    if r.other_key_types:
        parts.append(f'<p class="note">The key also matches: {e(", ".join(r.other_key_types))}.</p>')

    parts.append("<h2>Producer · 生产主体</h2>")
    parts.append(table(
        ["Producer", "Name", "Type", "Town", "Village", "Grid", "Phone"],
        [[e(p.producer_id), e(p.producer_name), e(p.producer_type), e(p.town), e(p.village), e(p.grid_id),
          e(p.contact_phone)] for p in r.producers],
    ))

    parts.append(f"<h2>Certificates · 合格证 ({len(r.certificates)} of {r.certificates_total})</h2>")
    parts.append(table(
        ["Certificate", "Issued", "Product", "Quantity", "Lot", "Trace code", "Buyer"],
        [[e(c.certificate_no) + (" ←" if c.is_anchor else ""), e(c.issue_date), e(c.product_name),
          _amount(c.quantity, c.unit), e(c.lot_no), e(c.trace_code), e(c.buyer)] for c in r.certificates],
        row_classes=[_fail(c.has_failing_sample) for c in r.certificates],
    ))

    parts.append(f"<h2>Sampling and test results · 抽检结果 ({len(r.batches)} of {r.batches_total})</h2>")
    for b in r.batches:
        badge = {"fail": ("bad", "FAIL 不合格"), "pass": ("ok", "pass 合格")}.get(b.state, ("muted", b.state))
        parts.append(
            f'<p class="batch"><strong>{e(b.batch_no)}</strong> {e(b.sampling_date)} · {e(b.product_name)} · '
            f"{e(b.task_type)} / {e(b.sampling_level)} · {e(b.place)} · "
            f"certificate {e(b.certificate_no)} {pill(*badge)}</p>"
        )
        parts.append(table(
            ["Analyte", "Result", "Limit", "Kind", "Verdict", "Reason", "Standard", "Method", "Lab", "Report"],
            [[e(i.analyte_name), f"{e(i.shown_result)} {e(i.unit)}", _amount(i.limit, i.limit_unit),
              e(i.limit_kind), e(i.verdict), e(i.verdict_reason), e(i.shown_standard), e(i.method), e(b.lab),
              e(i.report_no)] for i in b.items],
            row_classes=[_fail(i.failing) for i in b.items],
        ))

    if r.corrections:
        parts.append("<h2>Corrections · 更正记录</h2>")
        parts.append(table(
            ["Record", "Key", "Earlier → current", "Delivered by", "Current when set aside", "Set aside"],
            [[e(x.record), e(x.key), e(x.what_changed), f"{e(x.delivered_by_file)} · {e(x.delivered_file_name)}",
              f"{e(x.superseded_by_file)} · {e(x.superseded_file_name)}", e(f"{x.superseded_at:%Y-%m-%d %H:%M}")]
             for x in r.corrections],
        ))

    parts.append("<h2>Trace forward · 流向</h2>")
    parts.append(table(
        ["Buyer", "Certificates", "kg", "First", "Last"],
        [[e(x.buyer), e(x.certificates), _number(x.quantity_kg), e(x.first_issue_date), e(x.last_issue_date)]
         for x in r.buyers],
    ) if r.buyers else '<p class="note">No buyer is named on these certificates.</p>')

    parts.append("<h2>Recall scope · 召回范围</h2>")
    if not recall.failing_batch_nos:
        parts.append('<p class="note">No failing sample in this chain.</p>')
        return "".join(parts)
    totals = recall.totals
    recall_downloads = " ".join(
        f'<a href="{e(base + "?" + urlencode({**params, "format": fmt}))}" download>{label}</a>'
        for fmt, label in (("recall-csv", "CSV"), ("recall-xlsx", "XLSX"))
    )
    parts.append(
        f"<p>Failing samples: <strong>{e(', '.join(recall.failing_batch_nos))}</strong>. "
        f"Buyers to notify: {e(', '.join(recall.buyers))}</p>"
    )
    parts.append(
        f'<p class="totals">Total · 合计: <strong>{e(totals.amount)}</strong> · '
        f"{e(totals.certificates)} certificates · 合格证, {e(totals.buyers)} buyers · 收货方</p>"
    )
    parts.append(f'<p class="downloads">Recall list · 召回清单: {recall_downloads}</p>')
    parts.append(table(
        ["Certificate", "Issued", "Product", "Quantity", "kg", "Buyer", "Why"],
        [[e(c.certificate_no), e(c.issue_date), e(c.product_name), _amount(c.quantity, c.unit),
          _number(c.quantity_kg), e(c.buyer), e(c.why)] for c in recall.certificates],
    ))
    if recall.buyer_contacts:
        parts.append("<p>Buyers to notify and whom to ask · 需通知的收货方（联系方式由发货的生产主体提供）:</p>")
        parts.append(table(
            ["Buyer", "Certificates", "kg", "Counted", "Contact", "Via"],
            [[e(x.buyer), e(x.certificates), _number(x.quantity_kg), e(counted(x.counted_units)), e(x.contact),
              e(f"{x.contact_via} {x.producer_name or x.producer_id or ''}".strip())]
             for x in recall.buyer_contacts],
        ))
    failures = recall.other_producer_failures
    if not failures:
        parts.append('<p class="note">No other producer failed the same product and analyte in the window.</p>')
        return "".join(parts)
    parts.append("<p>Other producers failing the same product and analyte in the window:</p>")
    parts.append(table(
        ["Batch", "Sampled", "Producer", "Product", "Analyte", "mg/kg", "Limit", "Report"],
        [[e(f.batch_no), e(f.sampling_date), e(f.producer), e(f.product_name), e(f.analyte_name),
          _number(f.value_mg_kg), _number(f.limit_mg_kg), e(f.report_no)] for f in failures],
        row_classes=["fail"] * len(failures),
    ))
    return "".join(parts)


def _number(value: Any) -> str:
    return e(plain(value))


def _amount(value: float | None, unit: str | None) -> str:
    return f"{_number(value)} {e(unit)}"


def _fail(failing: bool) -> str:
    return "fail" if failing else ""


def _yes(value: bool) -> str:
    return "yes" if value else "no"
