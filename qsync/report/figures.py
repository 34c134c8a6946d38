"""The report's charts: its data turned into :mod:`qsync.report.charts` SVG, in one language."""

from __future__ import annotations

from collections.abc import Sequence

from qsync.report import charts
from qsync.report.control import Chart
from qsync.report.fmt import Formats
from qsync.report.trends import DefectType, Spend, TrendPoint
from qsync.score.portrait import RiskPortrait

SECTION = "report"


def phrase(fmt: Formats, key: str, **params: object) -> str:
    """A phrase of the ``report`` section of the catalogue."""
    return fmt.catalogue.text(SECTION, key, **params)


def grade_label(fmt: Formats, grade: str | None) -> str:
    """A grade as shown: its letter, or "no grade"."""
    return grade if grade else phrase(fmt, "no-grade")


def grade_chart(counts: dict[str | None, int], fmt: Formats) -> str:
    """Suppliers per grade, coloured by grade."""
    bars = [
        charts.Bar(grade_label(fmt, g), n, fmt.num(n), charts.grade_colour(g))
        for g, n in counts.items()
        if g is not None or n
    ]
    return charts.bar_chart(
        bars, name="grades", title=phrase(fmt, "section-grades"), fmt=lambda v: fmt.num(v)
    )


def ppm_chart(
    trend: Sequence[TrendPoint], fmt: Formats, name: str = "ppm-trend", width: int = 560
) -> str:
    """Incoming PPM of each month."""
    return charts.line_chart(
        [fmt.month_short(p.month) for p in trend],
        [p.ppm for p in trend],
        [fmt.num(p.ppm) for p in trend],
        name=name,
        title=phrase(fmt, "chart-ppm"),
        fmt=lambda v: fmt.num(v),
        width=width,
    )


def otd_chart(
    trend: Sequence[TrendPoint], fmt: Formats, name: str = "otd-trend", width: int = 560
) -> str:
    """On-time delivery of each month, on a scale that ends at 100 %."""
    values = [p.otd for p in trend]
    present = [v for v in values if v is not None]
    low = min(present, default=0.0)
    return charts.line_chart(
        [fmt.month_short(p.month) for p in trend],
        values,
        [fmt.pct(v) for v in values],
        name=name,
        title=phrase(fmt, "chart-otd"),
        fmt=lambda v: fmt.pct(v, 0),
        floor=max(0.0, (low * 10 // 1) / 10 - 0.1) if present else 0.0,
        ceiling=1.0,
        width=width,
    )


def score_chart(
    months: Sequence[str],
    scores: Sequence[float | None],
    fmt: Formats,
    name: str = "score-trend",
    width: int = 560,
) -> str:
    """A supplier's score of each month (0-100 scale)."""
    return charts.line_chart(
        [fmt.month_short(m) for m in months],
        list(scores),
        [fmt.num(s, 1) for s in scores],
        name=name,
        title=phrase(fmt, "chart-score"),
        fmt=lambda v: fmt.num(v),
        floor=0.0,
        ceiling=100.0,
        width=width,
    )


def defect_label(fmt: Formats, defect_type: str | None) -> str:
    """A defect type as written by inspection, or "not stated"."""
    return defect_type if defect_type is not None else phrase(fmt, "unspecified-defect")


def pareto(defects: Sequence[DefectType], fmt: Formats) -> str:
    """Defects by type with the cumulative share."""
    return charts.pareto_chart(
        [defect_label(fmt, d.defect_type) for d in defects],
        [float(d.defects) for d in defects],
        [d.cumulative for d in defects],
        name="defect-pareto",
        title=phrase(fmt, "section-pareto"),
        pct=lambda v: fmt.pct(v, 0),
        fmt=lambda v: fmt.num(v),
    )


def spend_chart(spend: Sequence[Spend], fmt: Formats) -> str:
    """Shares of one currency's spend by grade (``spend`` all of one currency)."""
    segments = [
        charts.Segment(
            grade_label(fmt, s.grade),
            s.share,
            fmt.pct(s.share),
            charts.grade_colour(s.grade),
        )
        for s in spend
    ]
    currency = spend[0].currency if spend else ""
    return charts.share_bar(
        segments, name="spend-share", title=phrase(fmt, "chart-spend", currency=currency or "")
    )


def portrait_chart(portrait: RiskPortrait, fmt: Formats, name: str) -> str:
    """Each risk factor's risk (0-1); factors without data say so."""
    rows = [
        charts.HBar(
            c.name.in_lang(fmt.lang),
            c.risk,
            fmt.num(c.risk, 2) if c.risk is not None else phrase(fmt, "no-data"),
        )
        for c in portrait.contributions
    ]
    return charts.hbar_chart(rows, name=name, title=phrase(fmt, "section-portrait"))


def control_chart(chart: Chart, fmt: Formats, rule_text: dict[int, str]) -> str:
    """The X̄ (or individuals) chart of a flagged series; ``rule_text`` names the rules."""
    digits = _digits(chart)
    points = []
    for p in chart.points:
        broken = "; ".join(rule_text.get(r, str(r)) for r in p.rules)
        tip = phrase(
            fmt,
            "point-tip",
            lot=p.lot_id,
            subgroup=p.subgroup,
            at=fmt.datetime(p.measured_at),
            mean=fmt.num(p.mean, digits),
        )
        points.append(
            charts.ControlPoint(
                fmt.month_short(f"{p.measured_at:%Y-%m}"),
                p.mean,
                bool(p.rules),
                f"{tip} — {broken}" if broken else tip,
                p.in_month,
            )
        )
    texts = (
        phrase(fmt, "limit-lcl", value=fmt.num(chart.lcl, digits)),
        phrase(fmt, "limit-cl", value=fmt.num(chart.center, digits)),
        phrase(fmt, "limit-ucl", value=fmt.num(chart.ucl, digits)),
    )
    return charts.control_chart(
        points,
        center=chart.center,
        lcl=chart.lcl,
        ucl=chart.ucl,
        limit_texts=texts,
        name="control",
        title=chart_title(chart),
        fmt=lambda v: fmt.num(v, digits),
    )


def chart_title(chart: Chart) -> str:
    """``S0012 · P-1056 · 外径Ø10``."""
    return " · ".join((chart.supplier_id, chart.part_no, chart.characteristic))


def _digits(chart: Chart) -> int:
    """Decimals that show the limits apart: one more than the spread needs."""
    spread = abs(chart.ucl - chart.lcl) or 1.0
    digits = 0
    while spread * 10**digits < 10 and digits < 6:
        digits += 1
    return digits + 1
