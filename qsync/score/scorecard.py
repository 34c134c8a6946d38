"""Scorecards: one per active supplier-month, as plain data, a ranking and a storable frame."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from qsync.score.batch import PREVIOUS, previous_scores, score_frame
from qsync.score.metrics import collect_metrics, supplier_metrics
from qsync.score.period import Month
from qsync.score.portrait import RiskPortrait, risk_portrait
from qsync.score.rules import ScorecardRules, load_scorecard_rules
from qsync.score.scoring import MetricResult, Value, score_row
from qsync.score.tables import Tables
from qsync.spec import I18nText

HEADLINE = (
    "lots",
    "lots_accepted",
    "lots_rejected",
    "lots_conditional",
    "lot_acceptance_rate",
    "ppm",
    "deliveries",
    "otd",
    "cpk_worst",
    "cpk_median",
)
Previous = pl.DataFrame | Iterable["Scorecard"] | None


@dataclass(frozen=True)
class Scorecard:
    """The scorecard of one supplier for one month.

    ``score`` is 0-100 (None when too little data), ``grade`` its letter with ``grade_name``
    and the ``actions`` it triggers, ``coverage`` the share of the total weight that had
    data, ``metrics`` every metric with value, points, weight and source, ``risk`` the
    risk portrait.
    """

    month: str
    supplier_id: str
    score: float | None
    grade: str | None
    grade_name: I18nText | None
    actions: tuple[I18nText, ...]
    coverage: float
    metrics: dict[str, MetricResult]
    risk: RiskPortrait

    def value(self, metric_id: str) -> Value:
        """The value of one metric (None when missing)."""
        return self.metrics[metric_id].value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: headline figures, score, grade, metrics and risk."""
        return {
            "supplier_id": self.supplier_id,
            **{k: self.metrics[k].to_dict()["value"] for k in HEADLINE},
            "score": self.score,
            "grade": self.grade,
            "grade_name": self.grade_name.model_dump() if self.grade_name else None,
            "actions": [a.model_dump() for a in self.actions],
            "coverage": round(self.coverage, 4),
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "risk": self.risk.to_dict(),
        }


@dataclass(frozen=True)
class RankEntry:
    """A supplier's place in the month's ranking (equal scores share a rank)."""

    rank: int | None
    supplier_id: str
    score: float | None
    grade: str | None


def ranking(scorecards: Iterable[Scorecard]) -> list[RankEntry]:
    """Rank by score, highest first; equal scores share a rank (1, 2, 2, 4); ties by id.

    Suppliers without a score come last, unranked (``rank`` None).
    """
    return _ranked((c.supplier_id, c.score, c.grade) for c in scorecards)


def _ranked(entries: Iterable[tuple[str, float | None, str | None]]) -> list[RankEntry]:
    """:func:`ranking` over ``(supplier_id, score, grade)`` triples."""
    ordered = sorted(entries, key=lambda e: (e[1] is None, -(e[1] or 0.0), e[0]))
    out: list[RankEntry] = []
    for position, (supplier, score, grade) in enumerate(ordered, start=1):
        if score is None:
            rank = None
        elif out and out[-1].score == score:
            rank = out[-1].rank
        else:
            rank = position
        out.append(RankEntry(rank, supplier, score, grade))
    return out


SCORECARD_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.String(),
    "supplier_id": pl.String(),
    "score": pl.Float64(),
    "grade": pl.String(),
    "coverage": pl.Float64(),
    "risk": pl.Float64(),
    "risk_level": pl.String(),
    "lots": pl.Int64(),
    "lots_accepted": pl.Int64(),
    "lots_rejected": pl.Int64(),
    "lots_conditional": pl.Int64(),
    "lot_acceptance_rate": pl.Float64(),
    "ppm": pl.Float64(),
    "deliveries": pl.Int64(),
    "otd": pl.Float64(),
    "cpk_worst": pl.Float64(),
    "cpk_median": pl.Float64(),
    "metrics": pl.String(),
    "risk_portrait": pl.String(),
}


def scorecards_frame(scorecards: Iterable[Scorecard]) -> pl.DataFrame:
    """The scorecards as a frame to store: one row per supplier-month, fixed schema.

    ``metrics`` and ``risk_portrait`` hold the nested detail as JSON text.
    """
    rows = []
    for card in scorecards:
        data = card.to_dict()
        rows.append(
            {
                "month": card.month,
                "supplier_id": card.supplier_id,
                "score": card.score,
                "grade": card.grade,
                "coverage": data["coverage"],
                "risk": card.risk.coefficient,
                "risk_level": card.risk.level,
                **{k: data[k] for k in HEADLINE},
                "metrics": json.dumps(data["metrics"], ensure_ascii=False, sort_keys=True),
                "risk_portrait": json.dumps(data["risk"], ensure_ascii=False, sort_keys=True),
            }
        )
    return pl.DataFrame(rows, schema=SCORECARD_SCHEMA, orient="row" if not rows else None)


@dataclass(frozen=True, eq=False)
class MonthlyScorecards:
    """All scorecards of one month, sorted by supplier id.

    ``frame`` holds one row per supplier: the metrics, each weighted metric's points, the
    score, grade, coverage, risk coefficient and level (see
    :func:`~qsync.score.batch.score_frame`). The Scorecard objects, with every metric's share
    and source and the risk portrait's contributions, are built from it when first asked for.
    """

    month: str
    frame: pl.DataFrame = field(repr=False)
    rules: ScorecardRules = field(repr=False)

    @cached_property
    def scorecards(self) -> tuple[Scorecard, ...]:
        """Every supplier's scorecard (built on first use)."""
        return tuple(self._card(row) for row in self.frame.iter_rows(named=True))

    def _card(self, row: dict[str, Any]) -> Scorecard:
        results, composite = score_row(row, self.rules)
        grade = composite.grade
        previous = row.get(PREVIOUS) or []
        return Scorecard(
            month=self.month,
            supplier_id=str(row["supplier_id"]),
            score=composite.score,
            grade=grade.grade if grade else None,
            grade_name=grade.name if grade else None,
            actions=tuple(grade.actions) if grade else (),
            coverage=composite.coverage,
            metrics=results,
            risk=risk_portrait(results, composite.score, previous, self.rules),
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"month": "2026-10", "suppliers": [scorecard dicts]}`` with null for missing data."""
        return {"month": self.month, "suppliers": [c.to_dict() for c in self.scorecards]}

    def ranking(self) -> list[RankEntry]:
        """The month's ranking (see :func:`ranking`), read from the scored frame."""
        columns = (self.frame[c].to_list() for c in ("supplier_id", "score", "grade"))
        return _ranked(zip(*columns, strict=True))

    def to_frame(self) -> pl.DataFrame:
        """The month as a storable frame (see :func:`scorecards_frame`)."""
        return scorecards_frame(self.scorecards)

    def scores(self) -> pl.DataFrame:
        """``month``, ``supplier_id`` and ``score`` of every supplier (a trend's input)."""
        return self.frame.select(pl.lit(self.month).alias("month"), "supplier_id", "score")

    @cached_property
    def _by_supplier(self) -> dict[str, Scorecard]:
        return {card.supplier_id: card for card in self.scorecards}

    def get(self, supplier_id: str) -> Scorecard | None:
        """The scorecard of one supplier, or None if it had no activity.

        Before every scorecard is built, only this supplier's is (and not kept).
        """
        if "scorecards" in self.__dict__:
            return self._by_supplier.get(supplier_id)
        rows = self.frame.filter(pl.col("supplier_id") == supplier_id)
        return self._card(rows.row(0, named=True)) if rows.height else None


def scorecards_from_metrics(
    metrics: pl.DataFrame, month: Month | str, rules: ScorecardRules, previous: Previous = None
) -> MonthlyScorecards:
    """Score the month from a collected :func:`supplier_metrics` frame (see :func:`score_month`)."""
    month = month if isinstance(month, Month) else Month.parse(month)
    history = previous_scores(previous, month, rules.risk_portrait.trend.months)
    return MonthlyScorecards(month.label, score_frame(metrics, rules, history), rules)


def score_month(
    tables: Tables,
    month: Month | str,
    rules: ScorecardRules | None = None,
    *,
    previous: Previous = None,
) -> MonthlyScorecards:
    """Score every supplier active in ``month`` (``"YYYY-MM"``).

    ``tables`` maps canonical table names to LazyFrames (missing tables: no data);
    ``previous`` holds earlier scorecards (a frame from :func:`scorecards_frame` or
    Scorecard objects) for the trend factor of the risk portrait.

    >>> import polars as pl
    >>> from datetime import date
    >>> insp = pl.DataFrame({"supplier_id": ["S0001"], "part_no": ["P-1"], "lot_id": ["L1"],
    ...     "received_date": [date(2026, 10, 5)], "qty_received": [500], "defects": [0],
    ...     "decision": ["accept"]})
    >>> dlv = pl.DataFrame({"supplier_id": ["S0001"], "part_no": ["P-1"],
    ...     "promised_date": [date(2026, 10, 6)], "delivered_date": [date(2026, 10, 5)]})
    >>> card = score_month({"inspections": insp, "deliveries": dlv}, "2026-10").scorecards[0]
    >>> (card.supplier_id, card.score, card.grade, card.value("otd"), card.value("complaints"))
    ('S0001', 100.0, 'A', 1.0, None)
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    rules = rules or load_scorecard_rules()
    frame = collect_metrics(supplier_metrics(tables, month, rules))
    return scorecards_from_metrics(frame, month, rules, previous)


def score_months(
    tables: Tables, months: Sequence[str], rules: ScorecardRules | None = None
) -> list[MonthlyScorecards]:
    """Score consecutive months in order, each using the earlier ones for its trend."""
    rules = rules or load_scorecard_rules()
    out: list[MonthlyScorecards] = []
    for label in sorted(months):
        done = pl.concat([m.scores() for m in out]) if out else None
        out.append(score_month(tables, label, rules, previous=done))
    return out
