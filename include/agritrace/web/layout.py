"""Page chrome shared by the agritrace pages we render: one stylesheet, a small menu, escaping.

Plain HTML and CSS, no external assets (the pages run inside Airflow on networks without internet).
Colours carry meaning and are always paired with a word, so a page read at night on a phone, or
printed in black and white, says the same thing.
"""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
:root { --ok: #2f855a; --warn: #b7791f; --bad: #c53030; --wait: #2b6cb0; --muted: #4a5568; --line: #e2e8f0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #1a202c; background: #f7f9fc; }
header.top { background: #1f3a5f; color: #fff; padding: .7rem 1.5rem; display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
header.top h1 { font-size: 1.25rem; margin: 0; } header.top nav a { color: #cfe0ff; margin-right: 1rem; text-decoration: none; }
header.top nav a.here { color: #fff; font-weight: 700; border-bottom: 2px solid #fff; }
header.top .who { margin-left: auto; font-size: .85rem; color: #cfe0ff; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid #cbd5e0; }
table { border-collapse: collapse; background: #fff; margin: .3rem 0 1rem; width: 100%; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #edf2f7; font-weight: 600; position: sticky; top: 0; }
td.links a { margin-right: .5rem; white-space: nowrap; display: inline-block; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pill { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; color: #fff; white-space: nowrap; }
.pill.ok { background: var(--ok); } .pill.warn { background: var(--warn); } .pill.bad { background: var(--bad); }
.pill.wait { background: var(--wait); } .pill.muted { background: #718096; }
tr.bad td { background: #fff5f5; } tr.warn td { background: #fffaf0; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: .5rem 0 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-left: 6px solid #718096; border-radius: 6px; padding: .6rem .9rem; flex: 1 1 9rem; }
.card.ok { border-left-color: var(--ok); } .card.bad { border-left-color: var(--bad); } .card.warn { border-left-color: var(--warn); }
.card.wait { border-left-color: var(--wait); }
.card .n { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; } .card .l { color: var(--muted); font-size: .85rem; }
.todo { margin: .25rem 0 0; color: #1a202c; } .todo code, td code { background: #edf2f7; padding: 0 .3rem; border-radius: 3px; }
.note { color: var(--muted); } .empty { color: var(--muted); font-style: italic; }
.banner { padding: .6rem .9rem; border-radius: 6px; margin: .5rem 0 1rem; font-weight: 600; }
.banner.ok { background: #f0fff4; border: 1px solid #9ae6b4; color: #22543d; }
.banner.bad { background: #fff5f5; border: 1px solid #feb2b2; color: #9b2c2c; }
.banner.warn { background: #fffaf0; border: 1px solid #fbd38d; color: #7b341e; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .4rem 0 .8rem; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
select, input, button { font: inherit; padding: .3rem .5rem; border: 1px solid #a0aec0; border-radius: 4px; background: #fff; }
button { background: #1f5fbf; color: #fff; border: 0; }
ul.reasons { margin: 0; padding-left: 1.1rem; } dl.raw { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 .6rem; }
dl.raw dt { color: var(--muted); } dl.raw dd { margin: 0; overflow-wrap: anywhere; } td.raw { min-width: 22rem; }
a { color: #1f5fbf; }
"""

MENU = (("quality", "Data quality · 数据质量", "ui/quality"), ("trace", "Trace lookup · 追溯查询", "ui/trace"),
        ("marts", "Marts · 统计报表", "ui/marts"))


def e(value: Any) -> str:
    """HTML-escaped text; ``-`` for nothing, so an empty cell never looks like a rendering fault."""
    return "-" if value is None or value == "" else escape(str(value))


def page(*, title: str, here: str, body: str, root: str, who: str | None = None) -> str:
    """A whole page. ``root`` is the relative path back to the app root (e.g. ``../``), so links work under any prefix."""
    menu = "".join(
        f'<a href="{root}{href}"{" class=here" if key == here else ""}>{escape(label)}</a>'
        for key, label, href in MENU
    )
    signed_in = f'<span class="who">signed in as {escape(who)}</span>' if who else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · agritrace</title><style>{STYLE}</style></head><body>"
        f'<header class="top"><h1>{escape(title)}</h1><nav>{menu}</nav>{signed_in}</header>'
        f"<main>{body}</main></body></html>"
    )


def pill(kind: str, text: str) -> str:
    return f'<span class="pill {kind}">{escape(text)}</span>'
