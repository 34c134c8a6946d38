"""The month's report as an Excel workbook: the same content as the HTML page, as tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from qsync.i18n import Catalogue
from qsync.report import figures
from qsync.report.alerts_adapter import AlertsOverview
from qsync.report.book import Book, month_date, naive
from qsync.report.control import ChartSettings
from qsync.report.data import ReportData
from qsync.report.sheets import DEC1, DEC2, INT, PCT


def _card_rows(book: Book, data: ReportData) -> list[list[Any]]:
    rows = []
    for entry in data.cards.ranking():
        card = data.cards.get(entry.supplier_id)
        if card is None:
            continue
        rows.append(
            [
                entry.rank,
                card.supplier_id,
                book.name(data, card.supplier_id),
                card.score,
                card.grade,
                card.value("lots"),
                card.value("lot_acceptance_rate"),
                card.value("ppm"),
                card.value("otd"),
                card.value("cpk_worst"),
                card.risk.coefficient,
                card.risk.level_name.in_lang(book.fmt.lang) if card.risk.level_name else None,
            ]
        )
    return rows


def _alert_sheets(book: Book, alerts: AlertsOverview, data: ReportData) -> None:
    t = book.t
    unavailable = None if alerts.available else t("no-alerts-data")
    columns = [
        book.col("col-alert-id", width=15),
        book.col("col-rule", width=28),
        book.col("col-supplier", width=10),
        book.col("col-name", width=28),
        book.col("col-subject", width=18),
        book.col("col-status", width=12),
        book.col("col-raised", book.datetime, 18),
        book.col("col-department", width=12),
        book.col("col-action", width=34),
        book.col("col-due", book.datetime, 18),
        book.col("col-state", width=12),
    ]
    rows = [
        [
            a.alert_id,
            book.catalogue.text("alerts", f"rule-{a.rule}"),
            a.supplier_id,
            book.name(data, a.supplier_id),
            " · ".join(x for x in (a.part_no, a.subject) if x),
            t(f"status-{a.status}"),
            a.raised_at,
            task.department,
            task.action,
            task.due_at,
            t(f"state-{task.state}"),
        ]
        for a in alerts.open_alerts
        for task in a.tasks
    ]
    book.table("sheet-alerts", columns, rows, unavailable or t("no-open-alerts"))
    columns = [
        book.col("col-department", width=12),
        book.col("col-rule", width=28),
        book.col("col-tasks", INT, 8),
        book.col("col-deadline", DEC1, 12),
        book.col("col-respond-median", DEC1, 14),
        book.col("col-done-median", DEC1, 14),
        book.col("col-done-worst", DEC1, 14),
        book.col("col-on-time", INT, 10),
        book.col("col-late", INT, 8),
        book.col("col-waiting", INT, 10),
    ]
    rows = [
        [
            r.department,
            book.catalogue.text("alerts", f"rule-{r.rule}"),
            r.tasks,
            r.deadline_h,
            r.respond_median_h,
            r.done_median_h,
            r.done_worst_h,
            r.on_time,
            r.late,
            r.waiting,
        ]
        for r in alerts.responses
    ]
    book.table("sheet-responses", columns, rows, unavailable or t("no-responses"))


def month_workbook(
    data: ReportData,
    alerts: AlertsOverview,
    catalogue: Catalogue,
    path: Path,
    *,
    settings: ChartSettings,
    generated: datetime | None = None,
) -> Path:
    """Write the month's report as a workbook at ``path``; returns ``path``."""
    from qsync.report.html import WORST

    book = Book(catalogue)
    t, fmt = book.t, book.fmt
    last = data.trend[-1] if data.trend else None
    book.summary(
        [
            (t("item-report"), t("title-month"), None),
            (t("item-month"), month_date(data.month), book.month),
            (t("item-generated"), naive(generated or datetime.now()), book.datetime),
            (t("kpi-suppliers"), len(data.cards.scorecards), INT),
            (t("kpi-ppm"), last.ppm if last else None, INT),
            (t("kpi-acceptance"), last.acceptance if last else None, PCT),
            (t("kpi-otd"), last.otd if last else None, PCT),
            (t("kpi-open-alerts"), len(alerts.open_alerts) if alerts.available else None, INT),
        ]
    )
    counts = data.grade_counts()
    scored = len(data.cards.scorecards)
    names = {g.grade: g.name.in_lang(fmt.lang) for g in data.rules.grades}
    book.table(
        "sheet-grades",
        [
            book.col("col-grade", width=10, grade=True),
            book.col("col-grade-name", width=24),
            book.col("col-suppliers", INT, 12),
            book.col("col-share", PCT, 10),
        ],
        [
            [
                figures.grade_label(fmt, g),
                names.get(g, "") if g else t("no-score"),
                n,
                n / scored if scored else None,
            ]
            for g, n in counts.items()
            if g is not None or n
        ],
    )
    book.trend(data.trend)
    book.table(
        "sheet-ranking",
        [
            book.col("col-rank", INT, 6),
            book.col("col-supplier", width=10),
            book.col("col-name", width=32),
            book.col("col-score", DEC2, 10),
            book.col("col-grade", width=8, grade=True),
            book.col("col-lots", INT, 8),
            book.col("col-acceptance", PCT, 12),
            book.col("col-ppm", INT, 10),
            book.col("col-otd", PCT, 12),
            book.col("col-cpk-worst", DEC2, 11),
            book.col("col-risk", DEC2, 8),
            book.col("col-risk-level", width=12),
        ],
        _card_rows(book, data),
        t("no-scorecards"),
    )
    book.portraits(data, data.worst(WORST))
    book.defects(data)
    book.table(
        "sheet-spend",
        [
            book.col("col-currency", width=10),
            book.col("col-grade", width=10, grade=True),
            book.col("col-suppliers", INT, 12),
            book.col("col-amount", DEC2, 18),
            book.col("col-share", PCT, 10),
        ],
        [
            [s.currency, figures.grade_label(fmt, s.grade), s.suppliers, s.amount, s.share]
            for s in data.spend
        ],
        t("no-spend"),
    )
    _alert_sheets(book, alerts, data)
    book.control(data.charts, settings)
    return book.save(path)
