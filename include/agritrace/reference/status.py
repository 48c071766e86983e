"""How far the limits in force can be cited (``agritrace ref status``).

A limit is *verified* when its figure, the product or group it applies to and its residue
definition were checked against a published copy of the standard; the row then names that copy
(``source_url``) and the date (``checked_on``). Every other limit says why not
(``unverified_reason``), and every verdict that uses it says "unverified". This report counts the
verified limits per standard and product category and lists the rest, grouped by their reason.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from agritrace.reference.model import Limit
from agritrace.reference.store import ReferenceData

CATEGORY_ORDER = ("vegetables", "fruits", "tea", "livestock", "eggs", "aquatic")


@dataclass(frozen=True)
class StatusCount:
    standard: str
    category: str  # product category code
    verified: int
    total: int


def _width(text: str) -> int:
    """Terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _category_key(code: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(code) if code in CATEGORY_ORDER else len(CATEGORY_ORDER), code)


def status_counts(ref: ReferenceData) -> list[StatusCount]:
    """Verified and total limits per (standard, product category), standards in reference order."""
    totals: Counter[tuple[str, str]] = Counter()
    verified: Counter[tuple[str, str]] = Counter()
    for limit in ref.limits:
        key = (limit.standard, ref.level_category(limit.level, limit.product_level_code))
        totals[key] += 1
        verified[key] += limit.verified
    order = {s.code: i for i, s in enumerate(ref.standards)}
    keys = sorted(totals, key=lambda k: (order.get(k[0], len(order)), _category_key(k[1])))
    return [StatusCount(s, c, verified[(s, c)], totals[(s, c)]) for s, c in keys]


def limit_label(ref: ReferenceData, limit: Limit) -> str:
    """灭蝇胺 · 豆类蔬菜 0.5 mg/kg, 克百威 · 蔬菜 banned."""
    figure = (f"{limit.value_as_published} {limit.unit_as_published}" if limit.kind == "mrl" else "banned")
    return f"{ref.analyte(limit.analyte_code).name_zh} · {ref.level_name(limit.level, limit.product_level_code)} {figure}"


def unverified_by_reason(ref: ReferenceData) -> list[tuple[str, str, list[Limit]]]:
    """(standard, reason, limits) for the unverified limits, in reference order."""
    groups: dict[tuple[str, str], list[Limit]] = defaultdict(list)
    for limit in ref.limits:
        if not limit.verified:
            groups[(limit.standard, limit.unverified_reason or "no reason recorded")].append(limit)
    order = {s.code: i for i, s in enumerate(ref.standards)}
    return [(s, r, groups[(s, r)]) for s, r in sorted(groups, key=lambda k: order.get(k[0], len(order)))]


def status_report(ref: ReferenceData, *, summary_only: bool = False) -> str:
    counts = status_counts(ref)
    verified = sum(c.verified for c in counts)
    total = sum(c.total for c in counts)
    categories = {c.category: f"{ref.category_name(c.category)} {c.category}" for c in counts}
    width = max(_width(s) for s in ["standard", *(c.standard for c in counts)])
    cat_width = max(_width(s) for s in ["category", *categories.values()])
    lines = [f"Limits verified against a published copy of the standard: {verified} of {total}", "",
             f"{_pad('standard', width)}  {_pad('category', cat_width)}  verified  total"]
    for c in counts:
        lines.append(f"{_pad(c.standard, width)}  {_pad(categories[c.category], cat_width)}  "
                     f"{c.verified:>8}  {c.total:>5}")
    if summary_only:
        return "\n".join(lines)
    unverified = unverified_by_reason(ref)
    lines += ["", f"Not verified ({total - verified}), by reason:"]
    for standard, reason, limits in unverified:
        lines.append(f"- {standard} ({len(limits)}): " + "; ".join(limit_label(ref, lim) for lim in limits))
        lines.append(f"  why: {reason}")
    return "\n".join(lines)
