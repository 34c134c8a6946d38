"""Everything a report shows, gathered from the store with the scoring library.

:func:`gather` returns plain data (:class:`ReportData`): the month's scorecards exactly as
``qsync score`` computes them, twelve months of totals, the defect Pareto, spend by grade and
the flagged control charts. With ``supplier_id`` every table is narrowed to that supplier
first (:func:`qsync.report.suppliers.only_supplier`), so a scorecard holds that supplier's
data and nothing else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from qsync.report.control import Chart, ChartSettings, control_charts
from qsync.report.suppliers import Supplier, only_supplier, read_suppliers
from qsync.report.trends import (
    DefectType,
    Spend,
    TrendPoint,
    defect_pareto,
    monthly_trend,
    months_ending,
    spend_by_grade,
)
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules
from qsync.score.scorecard import MonthlyScorecards, Scorecard, score_month
from qsync.score.tables import Tables

if TYPE_CHECKING:
    from qsync.store import Store

TREND_MONTHS = 12


@dataclass(frozen=True)
class ScorePoint:
    """A stored (or, for the report month, fresh) score of one supplier-month."""

    month: str
    score: float | None
    grade: str | None


@dataclass(frozen=True)
class ReportData:
    """The figures of one report: for the plant (``supplier_id`` None) or one supplier."""

    month: str
    supplier_id: str | None
    rules: ScorecardRules = field(repr=False)
    cards: MonthlyScorecards
    suppliers: dict[str, Supplier]
    trend: list[TrendPoint]
    defects: list[DefectType]
    spend: list[Spend]
    charts: list[Chart]
    scores: list[ScorePoint] = field(default_factory=list)

    def grade_counts(self) -> dict[str | None, int]:
        """Suppliers per grade, best first as ``scorecard.yaml`` lists them, then None
        (too little data for a score); every grade is a key, even with no supplier."""
        counts = Counter(c.grade for c in self.cards.scorecards)
        return {g: counts.get(g, 0) for g in (*self.grade_order, None)}

    @property
    def grade_order(self) -> tuple[str, ...]:
        """The grades from best to worst."""
        return tuple(g.grade for g in self.rules.grades)

    def worst(self, count: int = 5) -> list[Scorecard]:
        """The ``count`` lowest scores (ties: higher risk first, then id); unscored last."""
        ranked = sorted(
            self.cards.scorecards,
            key=lambda c: (
                c.score is None,
                c.score if c.score is not None else 0.0,
                -(c.risk.coefficient or 0.0),
                c.supplier_id,
            ),
        )
        return ranked[:count]

    def supplier(self, supplier_id: str) -> Supplier:
        """Master data of a supplier (only the id when the master data lacks it)."""
        return self.suppliers.get(supplier_id) or Supplier(supplier_id)

    @property
    def card(self) -> Scorecard | None:
        """The scorecard of a supplier report (None for the plant or without activity)."""
        return self.cards.get(self.supplier_id) if self.supplier_id else None


def _previous(store: Store, month: str, supplier_id: str | None) -> pl.DataFrame | None:
    from qsync.score.run import stored_scorecards

    stored = stored_scorecards(store)
    if stored is None:
        return None
    stored = stored.filter(pl.col("month") < month)
    if supplier_id is not None:
        stored = stored.filter(pl.col("supplier_id") == supplier_id)
    return stored


def _score_history(
    previous: pl.DataFrame | None, month: Month, card: Scorecard | None
) -> list[ScorePoint]:
    wanted = [m.label for m in months_ending(month, TREND_MONTHS)]
    found: dict[str, ScorePoint] = {}
    if previous is not None:
        for row in previous.filter(pl.col("month").is_in(wanted)).iter_rows(named=True):
            found[row["month"]] = ScorePoint(row["month"], row["score"], row["grade"])
    if card is not None:
        found[month.label] = ScorePoint(month.label, card.score, card.grade)
    return [found.get(label, ScorePoint(label, None, None)) for label in wanted]


def gather_tables(
    tables: Tables,
    month: str,
    rules: ScorecardRules,
    *,
    supplier_id: str | None = None,
    previous: pl.DataFrame | None = None,
    settings: ChartSettings | None = None,
) -> ReportData:
    """The report's figures from ``tables`` (canonical name → frame), see :func:`gather`."""
    period = Month.parse(month)
    if supplier_id is not None:
        tables = only_supplier(tables, supplier_id)
    cards = score_month(tables, period, rules, previous=previous)
    grades = {c.supplier_id: c.grade for c in cards.scorecards}
    card = cards.get(supplier_id) if supplier_id else None
    return ReportData(
        month=period.label,
        supplier_id=supplier_id,
        rules=rules,
        cards=cards,
        suppliers=read_suppliers(tables),
        trend=monthly_trend(tables, period, rules, TREND_MONTHS),
        defects=defect_pareto(tables, period),
        spend=spend_by_grade(tables, period, grades, [g.grade for g in rules.grades]),
        charts=control_charts(tables, period, settings),
        scores=_score_history(previous, period, card) if supplier_id else [],
    )


def gather(
    store: Store,
    month: str,
    rules: ScorecardRules,
    *,
    supplier_id: str | None = None,
    settings: ChartSettings | None = None,
) -> ReportData:
    """The figures of the month's report (or of one supplier's scorecard) from the store.

    The month is scored afresh, with the stored scorecards of earlier months for the risk
    portrait's trend, exactly as ``qsync score --dry-run`` would; nothing is written.
    """
    from qsync.score.run import store_tables

    Month.parse(month)
    previous = _previous(store, month, supplier_id)
    return gather_tables(
        store_tables(store),
        month,
        rules,
        supplier_id=supplier_id,
        previous=previous,
        settings=settings,
    )
