"""What the HTML templates receive: the report's data written out in one language.

Every figure is formatted here (:class:`~qsync.report.fmt.Formats`), every word comes from
the message catalogue or from the rule files' own names (metrics, grades, risk factors,
departments), and every chart is an SVG string from :mod:`qsync.report.figures`. Templates
only place things.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from qsync.errors import ConfigError
from qsync.i18n import Catalogue
from qsync.report import figures
from qsync.report.alerts_adapter import AlertsOverview
from qsync.report.control import Chart, ChartSettings
from qsync.report.data import ReportData
from qsync.report.fmt import Formats
from qsync.report.trends import TrendPoint
from qsync.score.catalog import BY_ID
from qsync.score.scorecard import Scorecard

SECTION = "report"
Phrase = Callable[..., str]
DIGITS = {
    "ppm": 0,
    "cpk_worst": 2,
    "cpk_median": 2,
    "ppap_cycle_days": 1,
    "audit_score": 1,
    "energy_kwh": 0,
    "co2_t": 1,
    "water_m3": 0,
    "waste_t": 1,
    "recycled_pct": 1,
    "esg_incidents": 0,
}


def phrases(catalogue: Catalogue) -> Phrase:
    """``t(key, **params)``: a phrase of the ``report`` section; an unknown key is an error
    (like an undefined template variable), so a missing translation cannot slip through."""
    known = catalogue.data.get(SECTION, {})

    def t(key: str, /, **params: Any) -> str:
        if key not in known:
            raise ConfigError(
                f"the message catalogue ({catalogue.lang}) has no phrase report.{key}",
                hint="Add it to templates/i18n/<lang>.yaml (or update the workspace's copy).",
            )
        return catalogue.text(SECTION, key, **params)

    return t


def metric_value(card: Scorecard, metric_id: str, fmt: Formats) -> str:
    """One metric's value written for people (rates as percentages, missing as a dash)."""
    value = card.value(metric_id)
    kind = BY_ID[metric_id].kind
    if value is None:
        return fmt.num(None)
    if isinstance(value, bool):
        return fmt.yes_no(value)
    if isinstance(value, date):
        return fmt.date(value)
    if isinstance(value, int | float):
        if kind == "rate":
            return fmt.pct(float(value))
        return fmt.num(value, 0 if kind == "count" else DIGITS.get(metric_id, 2))
    return str(value)


def grade_class(grade: str | None) -> str:
    """CSS class of a grade badge."""
    return f"grade-{grade.lower()}" if grade else "grade-none"


def card_row(card: Scorecard, data: ReportData, fmt: Formats, rank: int | None = None) -> dict:
    """One supplier's headline figures (a row of the ranking or the worst table)."""
    lang = fmt.lang
    return {
        "rank": "—" if rank is None else str(rank),
        "supplier_id": card.supplier_id,
        "name": data.supplier(card.supplier_id).display_name(lang),
        "score": fmt.num(card.score, 1),
        "grade": figures.grade_label(fmt, card.grade),
        "grade_class": grade_class(card.grade),
        "grade_name": card.grade_name.in_lang(lang) if card.grade_name else "",
        "lots": metric_value(card, "lots", fmt),
        "acceptance": metric_value(card, "lot_acceptance_rate", fmt),
        "ppm": metric_value(card, "ppm", fmt),
        "otd": metric_value(card, "otd", fmt),
        "cpk": metric_value(card, "cpk_worst", fmt),
        "risk": fmt.num(card.risk.coefficient, 2),
        "risk_level": card.risk.level_name.in_lang(lang) if card.risk.level_name else "—",
        "risk_class": f"risk-{card.risk.level or 'none'}",
    }


def portrait(card: Scorecard, fmt: Formats) -> dict:
    """The risk portrait of one card: chart and one row per factor."""
    rows = [
        {
            "factor": c.name.in_lang(fmt.lang),
            "risk": fmt.num(c.risk, 2),
            "share": fmt.pct(c.share),
            "contribution": fmt.num(c.contribution, 3),
        }
        for c in card.risk.contributions
    ]
    return {
        "chart": figures.portrait_chart(card.risk, fmt, f"portrait-{card.supplier_id}"),
        "rows": rows,
        "coefficient": fmt.num(card.risk.coefficient, 2),
    }


def trend_rows(trend: list[TrendPoint], fmt: Formats) -> list[dict]:
    """The month-by-month table under the trend charts."""
    return [
        {
            "month": fmt.month(p.month),
            "lots": fmt.num(p.lots),
            "acceptance": fmt.pct(p.acceptance),
            "defects": fmt.num(p.defects),
            "qty": fmt.num(p.qty_received),
            "ppm": fmt.num(p.ppm),
            "deliveries": fmt.num(p.deliveries),
            "otd": fmt.pct(p.otd),
        }
        for p in trend
    ]


def defects_view(data: ReportData, fmt: Formats) -> dict:
    """The Pareto chart and its table (empty when nothing was found)."""
    rows = [
        {
            "type": figures.defect_label(fmt, d.defect_type),
            "defects": fmt.num(d.defects),
            "lots": fmt.num(d.lots),
            "share": fmt.pct(d.share),
            "cumulative": fmt.pct(d.cumulative),
        }
        for d in data.defects
    ]
    return {"chart": figures.pareto(data.defects, fmt) if rows else "", "rows": rows}


def rule_texts(catalogue: Catalogue) -> dict[int, str]:
    """Nelson rule number → "rule 2: nine points in a row on the same side" (catalogue)."""
    t = phrases(catalogue)
    return {
        n: t("nelson-rule", rule=n, text=catalogue.text("alerts", f"nelson-{n}"))
        for n in range(1, 9)
    }


def charts_view(
    charts: list[Chart], catalogue: Catalogue, fmt: Formats, settings: ChartSettings
) -> list[dict]:
    """Each flagged series: its chart, why it is shown, its limits and rules broken."""
    t = phrases(catalogue)
    names = rule_texts(catalogue)
    out = []
    for chart in charts:
        reasons = []
        if "cpk" in chart.reasons:
            reasons.append(
                t(
                    "reason-cpk",
                    cpk=fmt.num(chart.month_cpk, 2),
                    limit=fmt.num(settings.cpk_limit, 2),
                )
            )
        for rule, count in chart.broken().items():
            in_month = sum(1 for p in chart.points if p.in_month and rule in p.rules)
            reasons.append(
                t("broken-count", rule=names[rule], count=fmt.num(count), month=fmt.num(in_month))
            )
        out.append(
            {
                "title": figures.chart_title(chart),
                "svg": figures.control_chart(chart, fmt, names),
                "points": len(chart.points),
                "kind": t(f"chart-kind-{chart.kind}", n=chart.subgroup_size),
                "reasons": reasons,
                "spec": t(
                    "spec-limits",
                    lsl=fmt.num(chart.lsl, 4) if chart.lsl is not None else "—",
                    usl=fmt.num(chart.usl, 4) if chart.usl is not None else "—",
                ),
                "cpk": fmt.num(chart.month_cpk, 2),
            }
        )
    return out


STATE_CLASS = {"done": "ok", "overdue": "bad", "acknowledged": "warn", "open": "warn"}


def alerts_view(
    overview: AlertsOverview, data: ReportData, catalogue: Catalogue, fmt: Formats
) -> dict:
    """Open alerts with their tasks and deadlines, and the month's response times."""
    t = phrases(catalogue)
    rows = []
    for alert in overview.open_alerts:
        rows.append(
            {
                "id": alert.alert_id,
                "title": catalogue.text("alerts", f"rule-{alert.rule}"),
                "supplier_id": alert.supplier_id,
                "supplier": data.supplier(alert.supplier_id).display_name(fmt.lang),
                "about": " · ".join(x for x in (alert.part_no, alert.subject) if x),
                "status": t(f"status-{alert.status}"),
                "raised": fmt.datetime(alert.raised_at),
                "tasks": [
                    {
                        "department": task.department,
                        "action": task.action,
                        "due": fmt.datetime(task.due_at),
                        "state": t(f"state-{task.state}"),
                        "state_class": STATE_CLASS.get(task.state, ""),
                    }
                    for task in alert.tasks
                ],
            }
        )
    responses = [
        {
            "department": r.department,
            "rule": catalogue.text("alerts", f"rule-{r.rule}"),
            "tasks": fmt.num(r.tasks),
            "deadline": fmt.hours(r.deadline_h),
            "respond": fmt.hours(r.respond_median_h),
            "done": fmt.hours(r.done_median_h),
            "worst": fmt.hours(r.done_worst_h),
            "on_time": fmt.num(r.on_time),
            "late": fmt.num(r.late),
            "waiting": fmt.num(r.waiting),
            "late_class": "bad" if r.late else "",
            "within": r.done_median_h is not None and r.done_median_h <= r.deadline_h,
        }
        for r in overview.responses
    ]
    return {
        "available": overview.available,
        "timezone": overview.timezone,
        "rows": rows,
        "responses": responses,
    }
