"""The HTML documents: the month's report and a supplier's scorecard, from ``templates/report/``.

One template per document serves both languages: every word in it is a catalogue phrase
(``t("...")``). The page forbids every external resource and every script through its
Content-Security-Policy, so it works offline and a browser reports anything that would
need the network.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from qsync.i18n import Catalogue
from qsync.render import render
from qsync.report import figures, views
from qsync.report.alerts_adapter import AlertsOverview
from qsync.report.control import ChartSettings
from qsync.report.data import ReportData
from qsync.report.fmt import Formats
from qsync.resources import default_templates_dir

MONTH_TEMPLATE = "report/month.html.j2"
SCORECARD_TEMPLATE = "report/scorecard.html.j2"
WORST = 5
SMALL = 380  # width of the three trend charts side by side on a scorecard


def templates_for(templates_dir: Path, name: str) -> Path:
    """The workspace's templates folder when it has ``name``, else the packaged one (a
    workspace created before reports existed has no ``templates/report/``)."""
    return templates_dir if (templates_dir / name).is_file() else default_templates_dir()


def _common(data: ReportData, catalogue: Catalogue, generated: datetime) -> dict[str, Any]:
    fmt = Formats.of(catalogue)
    t = views.phrases(catalogue)
    return {
        "t": t,
        "lang": catalogue.lang,
        "html_lang": t("html-lang"),
        "month": data.month,
        "month_name": fmt.month(data.month),
        "generated": t("generated", at=fmt.datetime(generated)),
    }


def _control_note(catalogue: Catalogue, settings: ChartSettings) -> str:
    fmt = Formats.of(catalogue)
    rules = ", ".join(str(r) for r in settings.rules)
    return views.phrases(catalogue)(
        "control-note",
        limit=fmt.num(settings.cpk_limit, 2),
        rules=rules,
        months=settings.lookback_months,
        min=settings.min_subgroups,
    )


def month_context(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    *,
    settings: ChartSettings,
    generated: datetime,
) -> dict[str, Any]:
    """Everything ``report/month.html.j2`` shows, written in the catalogue's language."""
    fmt = Formats.of(catalogue)
    t = views.phrases(catalogue)
    cards = data.cards.scorecards
    last = data.trend[-1] if data.trend else None
    counts = data.grade_counts()
    scored = len(cards)
    grade_names = {g.grade: g.name.in_lang(fmt.lang) for g in data.rules.grades}
    open_count = len(alerts.open_alerts) if alerts.available else None
    kpis = [
        ("kpi-suppliers", fmt.num(scored)),
        ("kpi-ppm", fmt.num(last.ppm if last else None)),
        ("kpi-acceptance", fmt.pct(last.acceptance if last else None)),
        ("kpi-otd", fmt.pct(last.otd if last else None)),
        ("kpi-open-alerts", fmt.num(open_count)),
    ]
    ranking = [
        views.card_row(card, data, fmt, entry.rank)
        for entry in data.cards.ranking()
        if (card := data.cards.get(entry.supplier_id)) is not None
    ]
    currencies: dict[str | None, list] = {}
    for s in data.spend:
        currencies.setdefault(s.currency, []).append(s)
    return {
        **_common(data, catalogue, generated),
        "subtitle": t("subtitle-month", suppliers=fmt.num(scored)),
        "kpis": [{"label": t(key), "value": value} for key, value in kpis],
        "grade_chart": figures.grade_chart(counts, fmt),
        "grades": [
            {
                "grade": figures.grade_label(fmt, g),
                "grade_class": views.grade_class(g),
                "grade_name": grade_names.get(g, "") if g else t("no-score"),
                "count": fmt.num(n),
                "share": fmt.pct(n / scored if scored else None),
            }
            for g, n in counts.items()
            if g is not None or n
        ],
        "ppm_chart": figures.ppm_chart(data.trend, fmt),
        "otd_chart": figures.otd_chart(data.trend, fmt),
        "trend": views.trend_rows(data.trend, fmt),
        "worst": [
            {"row": views.card_row(card, data, fmt), "portrait": views.portrait(card, fmt)}
            for card in data.worst(WORST)
        ],
        "worst_max": WORST,
        "defects": views.defects_view(data, fmt),
        "spend": [
            {
                "currency": currency or "",
                "chart": figures.spend_chart(rows, fmt),
                "rows": [
                    {
                        "grade": figures.grade_label(fmt, s.grade),
                        "grade_class": views.grade_class(s.grade),
                        "suppliers": fmt.num(s.suppliers),
                        "amount": fmt.num(s.amount, 2),
                        "share": fmt.pct(s.share),
                    }
                    for s in rows
                ],
            }
            for currency, rows in currencies.items()
        ],
        "alerts": views.alerts_view(alerts, data, catalogue, fmt),
        "charts": views.charts_view(data.charts, catalogue, fmt, settings),
        "control_note": _control_note(catalogue, settings),
        "ranking": ranking,
    }


def month_html(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    templates_dir: Path,
    *,
    settings: ChartSettings,
    generated: datetime,
) -> str:
    """The month's report as one self-contained HTML page."""
    context = month_context(data, alerts, catalogue, settings=settings, generated=generated)
    return render(templates_for(templates_dir, MONTH_TEMPLATE), MONTH_TEMPLATE, **context)


def _metric_rows(data: ReportData, fmt: Formats) -> tuple[list[dict], list[dict]]:
    """(weighted metrics with points, other metrics that have a value) of the scorecard."""
    card = data.card
    if card is None:
        return [], []
    weighted, facts = [], []
    for metric_id, result in card.metrics.items():
        name = result.name.in_lang(fmt.lang) if result.name else metric_id
        group_name = data.rules.groups.get(result.group) if result.group else None
        group = group_name.in_lang(fmt.lang) if group_name else ""
        row = {
            "id": metric_id,
            "group": group,
            "name": name,
            "value": views.metric_value(card, metric_id, fmt),
            "points": fmt.num(result.points, 1),
            "share": fmt.pct(result.share),
            "contribution": fmt.num(result.contribution, 2),
        }
        if result.weight > 0:
            weighted.append(row)
        elif result.value is not None:
            facts.append(row)
    return weighted, facts


def scorecard_context(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    *,
    settings: ChartSettings,
    generated: datetime,
) -> dict[str, Any]:
    """Everything ``report/scorecard.html.j2`` shows for ``data.supplier_id``."""
    assert data.supplier_id is not None
    fmt = Formats.of(catalogue)
    t = views.phrases(catalogue)
    card = data.card
    supplier = data.supplier(data.supplier_id)
    weighted, facts = _metric_rows(data, fmt)
    kpis = []
    if card is not None:
        kpis = [
            {"label": t("col-lots"), "value": views.metric_value(card, "lots", fmt)},
            {"label": t("col-ppm"), "value": views.metric_value(card, "ppm", fmt)},
            {"label": t("col-otd"), "value": views.metric_value(card, "otd", fmt)},
            {"label": t("col-cpk-worst"), "value": views.metric_value(card, "cpk_worst", fmt)},
        ]
    return {
        **_common(data, catalogue, generated),
        "supplier_id": data.supplier_id,
        "supplier_name": supplier.display_name(fmt.lang),
        "card": views.card_row(card, data, fmt) if card else None,
        "kpis": kpis,
        "actions": [a.in_lang(fmt.lang) for a in card.actions] if card else [],
        "coverage": fmt.pct(card.coverage) if card else "",
        "metrics": weighted,
        "facts": facts,
        "portrait": views.portrait(card, fmt) if card else None,
        "score_chart": figures.score_chart(
            [p.month for p in data.scores], [p.score for p in data.scores], fmt, width=SMALL
        ),
        "ppm_chart": figures.ppm_chart(data.trend, fmt, width=SMALL),
        "otd_chart": figures.otd_chart(data.trend, fmt, width=SMALL),
        "trend": views.trend_rows(data.trend, fmt),
        "defects": views.defects_view(data, fmt),
        "charts": views.charts_view(data.charts, catalogue, fmt, settings),
        "control_note": _control_note(catalogue, settings),
        "alerts": views.alerts_view(alerts, data, catalogue, fmt),
    }


def scorecard_html(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    templates_dir: Path,
    *,
    settings: ChartSettings,
    generated: datetime,
) -> str:
    """A supplier's scorecard as one self-contained HTML page (that supplier's data only)."""
    context = scorecard_context(data, alerts, catalogue, settings=settings, generated=generated)
    return render(templates_for(templates_dir, SCORECARD_TEMPLATE), SCORECARD_TEMPLATE, **context)
