"""Charts as inline SVG strings: no JavaScript, no fonts or scripts fetched from anywhere.

Shared by the HTML report and the marts page of the web UI, so both show the same picture.
Every function is pure: data in, an ``<svg>`` string out. Text is escaped; sizes are in pixels
of the SVG's own coordinate system (the SVG scales to its container's width).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',system-ui,sans-serif"
PRIMARY = "#1f6f8b"
ACCENT = "#c0392b"
GRID = "#e5e7eb"
INK = "#1f2937"
MUTED = "#6b7280"


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend: its label and value, with an optional interval (e.g. Wilson 95%)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar: label, value, optional interval whiskers and a note printed after the value."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    note: str = ""
    highlight: bool = False


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK characters are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10^k) giving about ``target_ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def rate_axis(values: Sequence[float | None], floor: float = 0.0, ceiling: float = 100.0) -> tuple[float, float]:
    """Axis bounds for percentages: from a round number below the smallest value up to ``ceiling``.

    Pass rates cluster near 100%, so an axis from 0 would flatten every difference; the axis
    starts just below the data instead (and the chart labels it).
    """
    present = [v for v in values if v is not None]
    if not present:
        return floor, ceiling
    low = min(present)
    step = nice_step(max(ceiling - low, 1.0))
    start = max(floor, math.floor((low - step / 2) / step) * step)
    return start, ceiling


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _svg_open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" role="img" aria-label="{escape(title)}" '
        f'style="max-width:{width:.0f}px;font-family:{escape(FONT)}">'
        f"<title>{escape(title)}</title>"
    )


def trend_with_band(
    points: Sequence[TrendPoint],
    *,
    title: str,
    y_label: str = "%",
    y_min: float | None = None,
    y_max: float | None = None,
    decimals: int = 2,
    width: int = 760,
    height: int = 320,
    color: str = PRIMARY,
    line_label: str = "value",
    band_label: str = "95% interval",
) -> str:
    """A line of ``value`` over ``label`` with a shaded band from ``low`` to ``high``.

    Periods without a value break the line and the band rather than being drawn as zero.
    """
    if not points:
        return _empty(title, width)
    left, right, top, bottom = 56, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    everything = [v for p in points for v in (p.value, p.low, p.high) if v is not None]
    auto_min, auto_max = rate_axis(everything) if y_label == "%" else (0.0, max(everything or [1.0]))
    lo = auto_min if y_min is None else y_min
    hi = auto_max if y_max is None else y_max
    if hi <= lo:
        hi = lo + 1

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / len(points))

    def y(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, lo), hi) - lo) / (hi - lo))

    parts = [_svg_open(width, height, title)]
    step = nice_step(hi - lo)
    tick = math.ceil(lo / step) * step
    while tick <= hi + 1e-9:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" fill="{MUTED}" '
            f'text-anchor="end">{_fmt(tick, 0 if float(step).is_integer() else 1)}</text>'
        )
        tick += step
    parts.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" fill="{MUTED}" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})" text-anchor="middle">{escape(y_label)}</text>'
    )
    for segment in _runs(points, lambda p: p.low is not None and p.high is not None):
        upper = [f"{x(i):.1f},{y(points[i].high):.1f}" for i in segment]
        lower = [f"{x(i):.1f},{y(points[i].low):.1f}" for i in reversed(segment)]
        parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="{color}" fill-opacity="0.16" stroke="none"/>')
    for segment in _runs(points, lambda p: p.value is not None):
        coords = " ".join(f"{x(i):.1f},{y(points[i].value):.1f}" for i in segment)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2.2"/>')
    label_every = max(1, math.ceil(len(points) / 12))
    for i, point in enumerate(points):
        if point.value is not None:
            tip = f"{point.label}: {_fmt(point.value, decimals)}{y_label if y_label == '%' else ''}"
            if point.low is not None and point.high is not None:
                tip += f" (95% CI {_fmt(point.low, decimals)}–{_fmt(point.high, decimals)})"
            if point.note:
                tip += f" · {point.note}"
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="3.5" fill="#fff" stroke="{color}" '
                f'stroke-width="2"><title>{escape(tip)}</title></circle>'
            )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" font-size="11" fill="{MUTED}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    parts.append(_legend(left, height - 10, color, line_label, band_label))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str = "%",
    x_min: float | None = None,
    x_max: float | None = None,
    decimals: int = 2,
    width: int = 760,
    bar_height: int = 22,
    color: str = PRIMARY,
) -> str:
    """Horizontal bars with optional interval whiskers, value and note printed after each bar.

    For percentages the axis starts just below the smallest value (stated on the axis), since
    pass rates near 100% would otherwise look identical.
    """
    if not bars:
        return _empty(title, width)
    gap = 10
    left = min(260, 12 + max(text_width(b.label, 12) for b in bars))
    value_labels = [f"{_fmt(b.value, decimals)}{unit if unit == '%' else ''}" + (f"  {b.note}" if b.note else "") for b in bars]
    right = 16 + max(text_width(v, 11) for v in value_labels)
    top, bottom = 8, 28
    height = top + bottom + len(bars) * (bar_height + gap)
    plot_w = width - left - right
    everything = [v for b in bars for v in (b.value, b.low, b.high) if v is not None]
    auto_min, auto_max = rate_axis(everything) if unit == "%" else (0.0, max(everything) or 1.0)
    lo = auto_min if x_min is None else x_min
    hi = auto_max if x_max is None else x_max
    if hi <= lo:
        hi = lo + 1
    step = nice_step(hi - lo)
    if decimals == 0:
        # Counts: whole-number ticks, and the axis ends on a tick.
        step = float(max(1, math.ceil(step)))
        hi = lo + math.ceil((hi - lo) / step) * step

    def x(v: float) -> float:
        return left + plot_w * (min(max(v, lo), hi) - lo) / (hi - lo)

    parts = [_svg_open(width, height, title)]
    tick = math.ceil(lo / step) * step
    axis_y = top + len(bars) * (bar_height + gap)
    while tick <= hi + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{axis_y}" stroke="{GRID}"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 16}" font-size="11" fill="{MUTED}" '
            f'text-anchor="middle">{_fmt(tick, 0 if float(step).is_integer() else 1)}</text>'
        )
        tick += step
    for i, (bar, value_label) in enumerate(zip(bars, value_labels)):
        y0 = top + i * (bar_height + gap)
        mid = y0 + bar_height / 2
        fill = ACCENT if bar.highlight else color
        parts.append(
            f'<text x="{left - 8}" y="{mid + 4:.1f}" font-size="12" fill="{INK}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{left}" y="{y0}" width="{max(x(bar.value) - left, 0):.1f}" height="{bar_height}" '
            f'rx="2" fill="{fill}" fill-opacity="0.85"><title>{escape(bar.label)}: {escape(value_label)}</title></rect>'
        )
        if bar.low is not None and bar.high is not None:
            parts.append(
                f'<line x1="{x(bar.low):.1f}" x2="{x(bar.high):.1f}" y1="{mid:.1f}" y2="{mid:.1f}" '
                f'stroke="{INK}" stroke-width="1.2"/>'
                f'<line x1="{x(bar.low):.1f}" x2="{x(bar.low):.1f}" y1="{mid - 5:.1f}" y2="{mid + 5:.1f}" stroke="{INK}"/>'
                f'<line x1="{x(bar.high):.1f}" x2="{x(bar.high):.1f}" y1="{mid - 5:.1f}" y2="{mid + 5:.1f}" stroke="{INK}"/>'
            )
        end = max(x(bar.value), x(bar.high) if bar.high is not None else 0)
        parts.append(
            f'<text x="{end + 6:.1f}" y="{mid + 4:.1f}" font-size="11" fill="{INK}">{escape(value_label)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="{MUTED}"/>')
    if lo > 0:
        parts.append(
            f'<text x="{left}" y="{height - 2}" font-size="10" fill="{MUTED}">'
            f"axis starts at {_fmt(lo, 0)}{escape(unit)} 坐标轴起点</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: Sequence[TrendPoint], present) -> list[list[int]]:
    """Indexes of consecutive points for which ``present`` holds."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, point in enumerate(points):
        if present(point):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _legend(x0: float, y0: float, color: str, line_label: str, band_label: str) -> str:
    band_x = x0 + 24 + text_width(line_label, 11) + 18
    return (
        f'<line x1="{x0}" x2="{x0 + 18}" y1="{y0 - 4}" y2="{y0 - 4}" stroke="{color}" stroke-width="2.2"/>'
        f'<text x="{x0 + 24}" y="{y0}" font-size="11" fill="{MUTED}">{escape(line_label)}</text>'
        f'<rect x="{band_x:.1f}" y="{y0 - 10}" width="18" height="10" fill="{color}" fill-opacity="0.16"/>'
        f'<text x="{band_x + 24:.1f}" y="{y0}" font-size="11" fill="{MUTED}">{escape(band_label)}</text>'
    )


def _empty(title: str, width: int) -> str:
    return (
        _svg_open(width, 60, title)
        + f'<text x="{width / 2}" y="34" font-size="13" fill="{MUTED}" text-anchor="middle">'
        "无数据 No data</text></svg>"
    )
