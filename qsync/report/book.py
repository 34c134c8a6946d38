"""A workbook of a report being filled in one language: columns from the catalogue, the
tables both reports share, an atomic save.

Numbers stay numbers (with number formats), dates stay dates (formatted for the language),
headers and sheet names come from the catalogue, each sheet has a frozen header row and a
filter, grades are coloured (:mod:`qsync.report.sheets`). Every cell is written by
:func:`qsync.xlsx.put_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from qsync.i18n import Catalogue
from qsync.report import figures, views
from qsync.report.control import Chart, ChartSettings
from qsync.report.data import ReportData
from qsync.report.fmt import Formats
from qsync.report.sheets import DEC2, DEC4, GRADE_FILLS, INT, PCT, Column, add_table
from qsync.report.trends import TrendPoint
from qsync.score.scorecard import Scorecard
from qsync.xlsx import put_text


class Book:
    """A workbook being filled in one language, with the tables both reports share."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.book = Workbook()
        self.book.remove(self.book.active)
        self.catalogue = catalogue
        self.t = views.phrases(catalogue)
        self.fmt = Formats.of(catalogue)
        self.date = self.t("xlsx-date")
        self.datetime = self.t("xlsx-datetime")
        self.month = self.t("xlsx-month")

    def col(self, key: str, number_format: str | None = None, width: int = 14, **kw: Any) -> Column:
        """A column headed by the catalogue phrase ``key``."""
        return Column(self.t(key), number_format, width, **kw)

    def table(
        self,
        sheet: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        note: str | None = None,
    ) -> None:
        """A sheet named by the phrase ``sheet`` holding one table."""
        add_table(self.book, self.t(sheet), columns, rows, note=note)

    def save(self, path: Path) -> Path:
        """Write the workbook to ``path`` atomically (temporary name, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        self.book.save(temp)
        temp.replace(path)
        return path

    def name(self, data: ReportData, supplier_id: str) -> str:
        """A supplier's name in the workbook's language."""
        return data.supplier(supplier_id).display_name(self.catalogue.lang)

    def summary(self, items: Sequence[tuple[str, Any, str | None]]) -> None:
        """A two-column sheet of labelled values; each value may carry a number format."""
        columns = [self.col("col-item", width=28), self.col("col-value", width=40)]
        sheet = add_table(self.book, self.t("sheet-summary"), columns, [])
        for i, (label, value, number_format) in enumerate(items, start=2):
            put_text(sheet.cell(row=i, column=1), label)
            cell = put_text(sheet.cell(row=i, column=2), value)
            if number_format and not isinstance(value, str | bool) and value is not None:
                cell.number_format = number_format
            if isinstance(value, str) and value in GRADE_FILLS and label == self.t("col-grade"):
                cell.fill = GRADE_FILLS[value]
        sheet.auto_filter.ref = f"A1:B{max(len(items), 1) + 1}"

    # -- shared tables -------------------------------------------------------------------

    def trend(self, trend: Sequence[TrendPoint], scores: dict[str, Any] | None = None) -> None:
        """The monthly totals; with ``scores`` (month → (score, grade)) those columns too."""
        columns = [self.col("col-month", self.month, 12)]
        if scores is not None:
            columns += [self.col("col-score", DEC2, 10), self.col("col-grade", width=8, grade=True)]
        columns += [
            self.col("col-lots", INT, 10),
            self.col("col-acceptance", PCT),
            self.col("col-qty", INT, 16),
            self.col("col-defects", INT, 10),
            self.col("col-ppm", INT, 10),
            self.col("col-deliveries", INT),
            self.col("col-otd", PCT),
        ]
        rows = []
        for p in trend:
            row: list[Any] = [month_date(p.month)]
            if scores is not None:
                score, grade = scores.get(p.month, (None, None))
                row += [score, grade]
            row += [p.lots, p.acceptance, p.qty_received, p.defects, p.ppm, p.deliveries, p.otd]
            rows.append(row)
        self.table("sheet-trend", columns, rows)

    def defects(self, data: ReportData) -> None:
        """The defect Pareto."""
        columns = [
            self.col("col-defect-type", width=24),
            self.col("col-defects", INT, 10),
            self.col("col-lots", INT, 10),
            self.col("col-share", PCT, 10),
            self.col("col-cumulative", PCT, 12),
        ]
        rows = [
            [
                figures.defect_label(self.fmt, d.defect_type),
                d.defects,
                d.lots,
                d.share,
                d.cumulative,
            ]
            for d in data.defects
        ]
        self.table("sheet-defects", columns, rows, self.t("no-defects"))

    def portraits(self, data: ReportData, cards: Sequence[Scorecard]) -> None:
        """The risk portraits of ``cards``: one row per supplier and factor."""
        columns = [
            self.col("col-supplier", width=10),
            self.col("col-name", width=30),
            self.col("col-score", DEC2, 10),
            self.col("col-grade", width=8, grade=True),
            self.col("col-risk", DEC2, 10),
            self.col("col-factor", width=16),
            self.col("col-factor-risk", DEC4, 12),
            self.col("col-share", PCT, 10),
            self.col("col-contribution", DEC4, 14),
        ]
        rows = [
            [
                card.supplier_id,
                self.name(data, card.supplier_id),
                card.score,
                card.grade,
                card.risk.coefficient,
                c.name.in_lang(self.fmt.lang),
                c.risk,
                c.share,
                c.contribution,
            ]
            for card in cards
            for c in card.risk.contributions
        ]
        self.table("sheet-portraits", columns, rows, self.t("no-scorecards"))

    def control(self, charts: Sequence[Chart], settings: ChartSettings) -> None:
        """Every point of every flagged control chart, with its limits and rules broken."""
        columns = [
            self.col("col-supplier", width=10),
            self.col("col-part", width=10),
            self.col("col-characteristic", width=20),
            self.col("col-point", INT, 8),
            self.col("col-lot", width=13),
            self.col("col-subgroup", INT, 9),
            self.col("col-measured", self.datetime, 20),
            self.col("col-n", INT, 6),
            self.col("col-mean", DEC4, 11),
            self.col("col-lcl", DEC4, 11),
            self.col("col-cl", DEC4, 11),
            self.col("col-ucl", DEC4, 11),
            self.col("col-rules", width=12),
            self.col("col-in-month", width=10),
            self.col("col-reasons", width=30),
        ]
        names = views.charts_view(list(charts), self.catalogue, self.fmt, settings)
        rows = [
            [
                chart.supplier_id,
                chart.part_no,
                chart.characteristic,
                i,
                p.lot_id,
                p.subgroup,
                p.measured_at,
                p.n,
                p.mean,
                chart.lcl,
                chart.center,
                chart.ucl,
                ", ".join(str(r) for r in p.rules),
                self.fmt.yes_no(p.in_month),
                "; ".join(view["reasons"]) if i == 1 else "",
            ]
            for chart, view in zip(charts, names, strict=True)
            for i, p in enumerate(chart.points, start=1)
        ]
        self.table("sheet-control", columns, rows, self.t("no-charts"))


def month_date(label: str) -> date:
    """``2026-10`` as the date of its first day (a month cell).

    >>> month_date("2026-10")
    datetime.date(2026, 10, 1)
    """
    year, month = (int(p) for p in label.split("-"))
    return date(year, month, 1)


def naive(moment: datetime | None) -> datetime | None:
    """A time without its zone (Excel cells have none)."""
    return None if moment is None else moment.replace(tzinfo=None)
