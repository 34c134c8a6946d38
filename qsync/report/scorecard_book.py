"""A supplier's scorecard as an Excel workbook (that supplier's data only)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from qsync.i18n import Catalogue
from qsync.report.alerts_adapter import AlertsOverview
from qsync.report.book import Book, month_date, naive
from qsync.report.control import ChartSettings
from qsync.report.data import ReportData
from qsync.report.fmt import Formats
from qsync.report.sheets import DEC1, DEC2, INT, PCT, add_table
from qsync.score.catalog import BY_ID
from qsync.score.scorecard import Scorecard


def _metric_value(card: Scorecard, metric_id: str, fmt: Formats) -> tuple[Any, str | None]:
    """A metric's value as a cell value and its number format."""
    value = card.value(metric_id)
    kind = BY_ID[metric_id].kind
    if value is None:
        return None, None
    if kind == "rate":
        return value, PCT
    if kind == "count":
        return value, INT
    if kind == "number":
        return value, INT if metric_id == "ppm" else DEC2
    if kind == "bool":
        return fmt.yes_no(bool(value)), None
    if kind == "date":
        return value, fmt.catalogue.text("report", "xlsx-date")
    return str(value), None


def supplier_workbook(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    path: Path,
    *,
    settings: ChartSettings,
    generated: datetime | None = None,
) -> Path:
    """Write a supplier's scorecard as a workbook at ``path`` (that supplier's data only)."""
    assert data.supplier_id is not None
    book = Book(catalogue)
    t, fmt = book.t, book.fmt
    card = data.card
    items: list[tuple[str, Any, str | None]] = [
        (t("item-report"), t("title-scorecard"), None),
        (t("item-supplier"), data.supplier_id, None),
        (t("col-name"), book.name(data, data.supplier_id), None),
        (t("item-month"), month_date(data.month), book.month),
        (t("item-generated"), naive(generated or datetime.now()), book.datetime),
    ]
    if card is None:
        items.append((t("col-score"), t("no-scorecard", month=fmt.month(data.month)), None))
    else:
        items += [
            (t("col-score"), card.score, DEC2),
            (t("col-grade"), card.grade, None),
            (
                t("col-grade-name"),
                card.grade_name.in_lang(fmt.lang) if card.grade_name else None,
                None,
            ),
            (t("col-risk"), card.risk.coefficient, DEC2),
            (
                t("col-risk-level"),
                card.risk.level_name.in_lang(fmt.lang) if card.risk.level_name else None,
                None,
            ),
        ]
        items += [(t("section-actions"), a.in_lang(fmt.lang), None) for a in card.actions]
    book.summary(items)
    metric_rows = []
    if card is not None:
        for metric_id, result in card.metrics.items():
            if result.weight <= 0 and result.value is None:
                continue
            group = data.rules.groups.get(result.group) if result.group else None
            value, number_format = _metric_value(card, metric_id, fmt)
            metric_rows.append(
                (
                    [
                        group.in_lang(fmt.lang) if group else None,
                        result.name.in_lang(fmt.lang) if result.name else metric_id,
                        value,
                        result.points,
                        result.share,
                        result.contribution,
                    ],
                    number_format,
                )
            )
    columns = [
        book.col("col-group", width=14),
        book.col("col-metric", width=34),
        book.col("col-value", None, 14),
        book.col("col-points", DEC1, 10),
        book.col("col-weight", PCT, 12),
        book.col("col-contribution", DEC2, 12),
    ]
    sheet = add_table(book.book, t("sheet-metrics"), columns, [r for r, _ in metric_rows])
    for i, (_, number_format) in enumerate(metric_rows, start=2):
        if number_format:
            sheet.cell(row=i, column=3).number_format = number_format
    book.portraits(data, [card] if card else [])
    book.trend(data.trend, {p.month: (p.score, p.grade) for p in data.scores})
    book.defects(data)
    book.control(data.charts, settings)
    book.table(
        "sheet-alerts",
        [
            book.col("col-alert-id", width=15),
            book.col("col-rule", width=30),
            book.col("col-subject", width=20),
            book.col("col-status", width=12),
            book.col("col-raised", book.datetime, 18),
        ],
        [
            [
                a.alert_id,
                catalogue.text("alerts", f"rule-{a.rule}"),
                " · ".join(x for x in (a.part_no, a.subject) if x),
                t(f"status-{a.status}"),
                a.raised_at,
            ]
            for a in alerts.open_alerts
        ],
        t("no-open-alerts") if alerts.available else t("no-alerts-data"),
    )
    return book.save(path)
