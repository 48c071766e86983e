"""The one page layout and stylesheet of every agritrace HTML page, and the helpers they share.

Every page is built by ``page()``: the data-quality and quarantine pages, the trace lookup, the
marts page, error pages, and the standalone yearly report file (``agritrace report``), which gets
the same stylesheet inlined and no menu (its links would lead nowhere in a mailed file).

Plain HTML and CSS, no external assets (the pages run inside Airflow on networks without internet,
and the report opens offline). Colours carry meaning and are always paired with a word, so a page
read at night on a phone, or printed in black and white, says the same thing.

Every helper that takes text escapes it; ``table`` and ``page`` take cells and bodies that are
already HTML, built from these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

STYLE = """
:root { --ok: #2f855a; --warn: #b7791f; --bad: #c53030; --wait: #2b6cb0; --muted: #4a5568; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 0;
       color: #1a202c; background: #f7f9fc; }
header.top { background: #1f3a5f; color: #fff; padding: .7rem 1.5rem; display: flex; gap: .4rem 1.5rem;
             align-items: baseline; flex-wrap: wrap; }
header.top h1 { font-size: 1.25rem; margin: 0; } header.top p.sub { margin: 0; color: #cfe0ff; flex-basis: 100%; }
header.top nav a { color: #cfe0ff; margin-right: 1rem; text-decoration: none; }
header.top nav a.here { color: #fff; font-weight: 700; border-bottom: 2px solid #fff; }
header.top nav.sub { flex-basis: 100%; }
header.top .who { margin-left: auto; font-size: .85rem; color: #cfe0ff; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid #cbd5e0; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.4rem; margin: 1rem 0; }
section > h2 { margin-top: 0; border-bottom: 0; } h2 small { font-weight: 400; color: var(--muted); font-size: .8rem;
                                                              margin-left: .5rem; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.2rem; }
.grid2 > * { min-width: 0; } /* a wide table scrolls inside its column instead of stretching the grid */
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; margin: .3rem 0 1rem; width: 100%; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #edf2f7; font-weight: 600; position: sticky; top: 0; }
td.links a { margin-right: .5rem; white-space: nowrap; display: inline-block; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
        color: #fff; white-space: nowrap; }
.pill.ok { background: var(--ok); } .pill.warn { background: var(--warn); } .pill.bad { background: var(--bad); }
.pill.wait { background: var(--wait); } .pill.muted { background: #718096; }
tr.bad td { background: #fff5f5; } tr.warn td { background: #fffaf0; }
tr.fail td { background: #fde8e8; color: #9b1c1c; font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .5rem 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-left: 6px solid #718096; border-radius: 6px;
        padding: .6rem .9rem; flex: 1 1 9rem; }
.card.ok { border-left-color: var(--ok); } .card.bad { border-left-color: var(--bad); }
.card.warn { border-left-color: var(--warn); } .card.wait { border-left-color: var(--wait); }
.card .n { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .l, .card .d { color: var(--muted); font-size: .85rem; }
.todo { margin: .25rem 0 0; color: #1a202c; } .todo code, td code { background: #edf2f7; padding: 0 .3rem; border-radius: 3px; }
.note { color: var(--muted); } .empty { color: var(--muted); font-style: italic; }
.banner { padding: .6rem .9rem; border-radius: 6px; margin: .5rem 0 1rem; font-weight: 600; }
.banner.ok { background: #f0fff4; border: 1px solid #9ae6b4; color: #22543d; }
.banner.bad { background: #fff5f5; border: 1px solid #feb2b2; color: #9b2c2c; }
.banner.warn { background: #fffaf0; border: 1px solid #fbd38d; color: #7b341e; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .4rem 0 .8rem; }
form.recover { display: inline-block; margin: .2rem .4rem .2rem 0; } form.recover button { font-size: .85rem; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
select, input, button { font: inherit; padding: .3rem .5rem; border: 1px solid #a0aec0; border-radius: 4px; background: #fff; }
input[name=q] { width: 22rem; max-width: 100%; }
button { background: #1f5fbf; color: #fff; border: 0; }
ul.reasons { margin: 0; padding-left: 1.1rem; } dl.raw { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 .6rem; }
dl.raw dt { color: var(--muted); } dl.raw dd { margin: 0; overflow-wrap: anywhere; } td.raw { min-width: 22rem; }
.downloads a { margin-right: 1rem; } p.batch { margin: .8rem 0 .2rem; }
.grade { display: inline-block; width: 1.5rem; text-align: center; border-radius: 4px; color: #fff; font-weight: 600; }
.grade.A { background: #2e7d32; } .grade.B { background: #9e9d24; } .grade.C { background: #ef6c00; }
.grade.D { background: #c62828; }
footer { color: var(--muted); font-size: .8rem; text-align: center; margin-top: 1.5rem; }
a { color: #1f5fbf; }
@media print { header.top nav, form.filters, form.recover { display: none; } th { position: static; } }
"""


@dataclass(frozen=True)
class Page:
    """A page of the web app: its menu key, its label and its path below the app root."""

    key: str
    label: str
    path: str


PAGES = (
    Page("quality", "Data quality · 数据质量", "ui/quality"),
    Page("trace", "Trace lookup · 追溯查询", "ui/trace"),
    Page("marts", "Marts · 统计报表", "ui/marts"),
)
PAGE = {p.key: p for p in PAGES}


@dataclass(frozen=True)
class Nav:
    """Where a page of the web app sits: the menu entry to mark (``here``, may be empty) and the
    relative path back to the app root (e.g. ``../``), so the menu works under any mount prefix."""

    here: str
    root: str


@dataclass(frozen=True)
class Link:
    """A link in a page's second menu line (e.g. the years of the marts page)."""

    label: str
    href: str
    here: bool = False


def e(value: Any) -> str:
    """HTML-escaped text; ``-`` for nothing, so an empty cell never looks like a rendering fault."""
    return "-" if value is None or value == "" else escape(str(value))


def page(title: str, body: str, *, nav: Nav | None = None, who: str | None = None, subtitle: str | None = None,
         links: Sequence[Link] = (), script: str | None = None) -> str:
    """A whole HTML document: header (title, subtitle, menu, second menu line, who is signed in), then ``body``.

    ``nav`` None leaves the menu out (the standalone report file); ``script`` is inline JavaScript
    run at the end of the body (the trace page's name suggestions), never a file fetched from elsewhere.
    """
    parts = [f"<h1>{escape(title)}</h1>"]
    if subtitle:
        parts.append(f'<p class="sub">{escape(subtitle)}</p>')
    if nav is not None:
        parts.append("<nav>" + "".join(_link(p.label, nav.root + p.path, p.key == nav.here) for p in PAGES) + "</nav>")
    if who:
        parts.append(f'<span class="who">signed in as {escape(who)}</span>')
    if links:
        parts.append('<nav class="sub">' + "".join(_link(x.label, x.href, x.here) for x in links) + "</nav>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · agritrace</title><style>{STYLE}</style></head><body>"
        f'<header class="top">{"".join(parts)}</header>'
        f"<main>{body}</main>{f'<script>{script}</script>' if script else ''}</body></html>\n"
    )


def _link(label: str, href: str, here: bool) -> str:
    return f'<a href="{escape(href)}"{" class=here" if here else ""}>{escape(label)}</a>'


def pill(kind: str, text: str) -> str:
    """A coloured word: ``kind`` is ok, warn, bad, wait or muted."""
    return f'<span class="pill {kind}">{escape(text)}</span>'


def card(label: str, value: str, *, kind: str = "", detail: str = "") -> str:
    """A headline figure: big ``value`` over its ``label``, an optional ``detail`` line; ``kind`` colours its edge."""
    more = f'<div class="d">{escape(detail)}</div>' if detail else ""
    return (f'<div class="card {kind}"><div class="n">{escape(value)}</div><div class="l">{escape(label)}</div>'
            f"{more}</div>")


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, columns: Sequence[str] = (),
          row_classes: Sequence[str] = ()) -> str:
    """A table; ``header`` is text (escaped here), the cells are HTML already.

    ``columns`` are CSS classes per column (``num`` right-aligns figures), ``row_classes`` one per
    row (``fail``, ``bad``, ``warn``); an empty class is left out.
    """

    def cls(classes: Sequence[str], i: int) -> str:
        return f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""

    head = "".join(f"<th{cls(columns, i)}>{escape(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        f"<tr{cls(row_classes, r)}>" + "".join(f"<td{cls(columns, i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for r, row in enumerate(rows)
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
