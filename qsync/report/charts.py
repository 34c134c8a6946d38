"""Small hand-written SVG charts for reports that work offline: no script, no external font.

Each function returns one ``<svg>`` element as text. Every label and tooltip it receives is
escaped here, so a template may insert the result as it is. Colours are presentation
attributes (not CSS), so a chart looks the same wherever it is pasted. Elements carry
classes that tests and style sheets can count on: ``bar``, ``point`` (``point flagged`` for a
point that broke a rule), ``segment``, ``limit``; the ``<svg>`` carries ``data-chart``.

>>> svg = bar_chart([Bar("A", 3, "3", GRADE_COLOURS["A"])], name="grades", title="Grades")
>>> svg.count('class="bar"'), 'data-chart="grades"' in svg
(1, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e3e8ee"
ACCENT = "#2f6db5"
ALERT = "#d64541"
GRADE_COLOURS = {"A": "#1b7f3b", "B": "#7cb342", "C": "#f0a020", "D": "#d64541", "": "#9aa5b1"}
FACTOR_COLOUR = "#8e5bb5"

Fmt = Callable[[float], str]


def grade_colour(grade: str | None) -> str:
    """The colour of a grade (grey for no grade or a grade letter without a colour)."""
    return GRADE_COLOURS.get(grade or "", GRADE_COLOURS[""])


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Canvas:
    """Collects SVG elements; every text and attribute value is escaped on the way in."""

    def __init__(self, width: int, height: int, name: str, title: str) -> None:
        self.width, self.height, self.name, self.title = width, height, name, title
        self.parts: list[str] = []

    def rect(
        self, x: float, y: float, w: float, h: float, fill: str, cls: str = "", tip: str = ""
    ) -> None:
        attrs = f'x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}"'
        self._shape("rect", f'{attrs} fill="{_esc(fill)}"', cls, tip)

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        *,
        dash: bool = False,
        width: float = 1,
        cls: str = "",
    ) -> None:
        style = ' stroke-dasharray="5 4"' if dash else ""
        attrs = f'x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"'
        self._shape("line", f'{attrs} stroke="{_esc(stroke)}" stroke-width="{width}"{style}', cls)

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str) -> None:
        if len(points) < 2:
            return
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{_esc(stroke)}" stroke-width="2"/>'
        )

    def circle(self, cx: float, cy: float, r: float, fill: str, cls: str, tip: str) -> None:
        self._shape("circle", f'cx="{_n(cx)}" cy="{_n(cy)}" r="{r}" fill="{_esc(fill)}"', cls, tip)

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        anchor: str = "start",
        size: int = 11,
        fill: str = MUTED,
        weight: str = "normal",
    ) -> None:
        bold = ' font-weight="bold"' if weight == "bold" else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{bold}>{_esc(value)}</text>'
        )

    def _shape(self, tag: str, attrs: str, cls: str, tip: str = "") -> None:
        klass = f' class="{_esc(cls)}"' if cls else ""
        if tip:
            self.parts.append(f"<{tag}{klass} {attrs}><title>{_esc(tip)}</title></{tag}>")
        else:
            self.parts.append(f"<{tag}{klass} {attrs}/>")

    def svg(self) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_esc(self.name)}"'
            f' viewBox="0 0 {self.width} {self.height}" width="{self.width}"'
            f' height="{self.height}" role="img" aria-label="{_esc(self.title)}"'
            f' font-family="{_esc(FONT)}">'
        )
        return "".join([head, f"<title>{_esc(self.title)}</title>", *self.parts, "</svg>"])


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (1, 2 or 5 times a power of ten apart).

    >>> nice_ticks(0, 27000)
    [0.0, 10000.0, 20000.0, 30000.0]
    >>> nice_ticks(0.5, 1.0)
    [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    """
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        if value >= high - 1e-12:
            break
        value += step
    return [float(t) + 0.0 for t in ticks]


@dataclass(frozen=True)
class _Frame:
    """The plotting area of a chart and its vertical scale."""

    left: float
    top: float
    right: float
    bottom: float
    low: float
    high: float

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)


def _axis(canvas: _Canvas, frame: _Frame, ticks: Sequence[float], fmt: Fmt) -> None:
    """Grid lines with their labels; a tick whose label repeats the previous one (0.5 shown
    without decimals) is left out."""
    shown = ""
    for tick in ticks:
        label = fmt(tick)
        if label == shown:
            continue
        shown = label
        y = frame.y(tick)
        canvas.line(frame.left, y, frame.right, y, GRID)
        canvas.text(frame.left - 6, y + 4, label, anchor="end", size=10)


def text_width(text: str, size: int = 10) -> float:
    """Rough width of ``text`` in pixels: CJK characters are square, others about 0.6 wide.

    >>> text_width("Oct 26"), text_width("26年10月")
    (33.0, 42.0)
    """
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in text) * size


def _x_labels(canvas: _Canvas, xs: Sequence[float], labels: Sequence[str], y: float) -> None:
    """Labels under the points, every k-th one when they would overlap."""
    step = xs[1] - xs[0] if len(xs) > 1 else 1e9
    widest = max((text_width(label) for label in labels), default=0.0) + 4
    every = max(1, math.ceil(widest / step))
    for i, (x, label) in enumerate(zip(xs, labels, strict=True)):
        if (len(labels) - 1 - i) % every == 0:
            canvas.text(x, y, label, anchor="middle", size=10)


@dataclass(frozen=True)
class Bar:
    """One bar: its axis label, value, the text shown on it, and its colour."""

    label: str
    value: float
    text: str
    colour: str = ACCENT


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    name: str,
    title: str,
    fmt: Fmt = _count,
    width: int = 360,
    height: int = 220,
) -> str:
    """Vertical bars with their value written above each one; ``fmt`` writes the axis."""
    canvas = _Canvas(width, height, name, title)
    top = max((b.value for b in bars), default=0.0)
    frame = _Frame(40, 20, width - 10, height - 28, 0.0, top * 1.15 or 1.0)
    _axis(canvas, frame, nice_ticks(0, frame.high, 4), fmt)
    slot = (frame.right - frame.left) / max(len(bars), 1)
    for i, bar in enumerate(bars):
        x = frame.left + i * slot + slot * 0.2
        y = frame.y(bar.value)
        canvas.rect(
            x, y, slot * 0.6, frame.bottom - y, bar.colour, "bar", f"{bar.label}: {bar.text}"
        )
        canvas.text(x + slot * 0.3, y - 4, bar.text, anchor="middle", fill=INK)
        canvas.text(x + slot * 0.3, frame.bottom + 16, bar.label, anchor="middle", fill=INK)
    return canvas.svg()


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    texts: Sequence[str],
    *,
    name: str,
    title: str,
    fmt: Fmt,
    floor: float | None = 0.0,
    ceiling: float | None = None,
    width: int = 560,
    height: int = 220,
) -> str:
    """A line over the months; a month without data (None) is a gap with no point.

    Each point is a ``circle class="point"`` with its label and text as tooltip.
    """
    canvas = _Canvas(width, height, name, title)
    present = [v for v in values if v is not None]
    low = floor if floor is not None else min(present, default=0.0)
    high = max(present, default=1.0)
    if ceiling is not None:
        high = max(high, ceiling)
    if floor is None and present:
        low = low - (high - low) * 0.1
    ticks = nice_ticks(low, high * 1.05 if ceiling is None else high, 4)
    frame = _Frame(56, 14, width - 14, height - 28, ticks[0], ticks[-1])
    _axis(canvas, frame, ticks, fmt)
    step = (frame.right - frame.left) / max(len(values), 1)
    xs = [frame.left + step * (i + 0.5) for i in range(len(values))]
    run: list[tuple[float, float]] = []
    for x, value in zip(xs, values, strict=True):
        if value is None:
            canvas.polyline(run, ACCENT)
            run = []
        else:
            run.append((x, frame.y(value)))
    canvas.polyline(run, ACCENT)
    for x, value, label, text in zip(xs, values, labels, texts, strict=True):
        if value is not None:
            canvas.circle(x, frame.y(value), 3.5, ACCENT, "point", f"{label}: {text}")
    _x_labels(canvas, xs, labels, frame.bottom + 16)
    return canvas.svg()


def pareto_chart(
    labels: Sequence[str],
    values: Sequence[float],
    cumulative: Sequence[float],
    *,
    name: str,
    title: str,
    pct: Fmt,
    fmt: Fmt = _count,
    width: int = 560,
    height: int = 260,
) -> str:
    """Bars in decreasing order with the cumulative share as a line on a 0-100 % scale."""
    canvas = _Canvas(width, height, name, title)
    top = max(values, default=0.0)
    frame = _Frame(44, 14, width - 44, height - 60, 0.0, top or 1.0)
    _axis(canvas, frame, nice_ticks(0, frame.high, 4), fmt)
    share = _Frame(frame.left, frame.top, frame.right, frame.bottom, 0.0, 1.0)
    for tick in (0.0, 0.5, 0.8, 1.0):
        canvas.text(frame.right + 6, share.y(tick) + 4, pct(tick), size=10)
    canvas.line(frame.left, share.y(0.8), frame.right, share.y(0.8), MUTED, dash=True)
    slot = min((frame.right - frame.left) / max(len(values), 1), 64.0)
    line: list[tuple[float, float]] = []
    for i, (label, value, cum) in enumerate(zip(labels, values, cumulative, strict=True)):
        x = frame.left + i * slot
        y = frame.y(value)
        tip = f"{label}: {fmt(value)} ({pct(cum)})"
        canvas.rect(x + slot * 0.12, y, slot * 0.76, frame.bottom - y, ACCENT, "bar", tip)
        canvas.text(x + slot / 2, y - 4, fmt(value), anchor="middle", size=10, fill=INK)
        line.append((x + slot / 2, share.y(cum)))
        short = label if len(label) <= 8 else label[:7] + "…"
        canvas.text(x + slot / 2, frame.bottom + 14 + 12 * (i % 2), short, anchor="middle", size=10)
    canvas.polyline(line, ALERT)
    for (x, y), label, cum in zip(line, labels, cumulative, strict=True):
        canvas.circle(x, y, 3, ALERT, "point", f"{label}: {pct(cum)}")
    return canvas.svg()


@dataclass(frozen=True)
class Segment:
    """One part of a 100 % bar: label, share (0-1), the text shown, colour."""

    label: str
    share: float
    text: str
    colour: str


def share_bar(
    segments: Sequence[Segment], *, name: str, title: str, width: int = 560, height: int = 80
) -> str:
    """One horizontal bar split into segments by share, with a legend below it."""
    canvas = _Canvas(width, height, name, title)
    left, right, x = 10.0, width - 10.0, 10.0
    for seg in segments:
        w = (right - left) * seg.share
        canvas.rect(x, 10, w, 28, seg.colour, "segment", f"{seg.label}: {seg.text}")
        x += w
    slot = (right - left) / max(len(segments), 1)
    for i, seg in enumerate(segments):
        lx = left + i * slot
        canvas.rect(lx, 52, 10, 10, seg.colour)
        canvas.text(lx + 14, 61, f"{seg.label} {seg.text}", size=11, fill=INK)
    return canvas.svg()


@dataclass(frozen=True)
class HBar:
    """One row of a horizontal bar chart: label, value (None: no data) and its text."""

    label: str
    value: float | None
    text: str


def hbar_chart(
    rows: Sequence[HBar],
    *,
    name: str,
    title: str,
    maximum: float = 1.0,
    colour: str = FACTOR_COLOUR,
    width: int = 360,
) -> str:
    """Horizontal bars from 0 to ``maximum``; a row without data shows its text only."""
    height = 12 + 22 * len(rows)
    canvas = _Canvas(width, height, name, title)
    left, right = 110.0, width - 110.0
    for i, row in enumerate(rows):
        y = 8 + 22 * i
        canvas.text(left - 6, y + 12, row.label, anchor="end", fill=INK)
        canvas.rect(left, y + 2, right - left, 14, GRID)
        if row.value is not None:
            w = (right - left) * min(max(row.value / maximum, 0.0), 1.0)
            canvas.rect(left, y + 2, w, 14, colour, "bar", f"{row.label}: {row.text}")
        canvas.text(right + 6, y + 13, row.text, size=10)
    return canvas.svg()


@dataclass(frozen=True)
class ControlPoint:
    """A plotted subgroup mean: axis group (month), value, whether it broke a rule, tooltip,
    and whether it lies in the report month (shaded)."""

    group: str
    value: float
    flagged: bool
    tip: str
    current: bool


def control_chart(
    points: Sequence[ControlPoint],
    *,
    center: float,
    lcl: float,
    ucl: float,
    limit_texts: tuple[str, str, str],
    name: str,
    title: str,
    fmt: Fmt,
    width: int = 760,
    height: int = 260,
) -> str:
    """An X̄ (or individuals) chart: centre line, dashed control limits, one point per
    subgroup; points that broke a rule are red (``point flagged``), and the report month's
    stretch is shaded. ``limit_texts`` label the lines (LCL, CL, UCL)."""
    canvas = _Canvas(width, height, name, title)
    values = [p.value for p in points]
    low, high = min([*values, lcl]), max([*values, ucl])
    pad = (high - low) * 0.08 or abs(center) * 0.01 or 1.0
    frame = _Frame(64, 12, width - 96, height - 30, low - pad, high + pad)
    _axis(canvas, frame, nice_ticks(frame.low, frame.high, 5)[1:-1], fmt)
    step = (frame.right - frame.left) / max(len(points), 1)
    xs = [frame.left + step * (i + 0.5) for i in range(len(points))]
    current = [x for x, p in zip(xs, points, strict=True) if p.current]
    if current:
        canvas.rect(
            min(current) - step / 2,
            frame.top,
            max(current) - min(current) + step,
            frame.bottom - frame.top,
            "#fdf3e1",
            "current",
        )
    for value, text, colour, dash in (
        (lcl, limit_texts[0], ALERT, True),
        (center, limit_texts[1], INK, False),
        (ucl, limit_texts[2], ALERT, True),
    ):
        y = frame.y(value)
        canvas.line(frame.left, y, frame.right, y, colour, dash=dash, cls="limit")
        canvas.text(frame.right + 6, y + 4, text, size=10, fill=colour)
    canvas.polyline([(x, frame.y(p.value)) for x, p in zip(xs, points, strict=True)], "#7d8b99")
    for x, point in zip(xs, points, strict=True):
        cls, fill = ("point flagged", ALERT) if point.flagged else ("point", ACCENT)
        canvas.circle(x, frame.y(point.value), 3.2, fill, cls, point.tip)
    groups = [p.group for p in points]
    for i, group in enumerate(groups):
        if i == 0 or group != groups[i - 1]:
            x = xs[i] - step / 2
            if i:
                canvas.line(x, frame.top, x, frame.bottom, GRID)
            canvas.text(x + 3, frame.bottom + 16, group, size=10)
    return canvas.svg()
