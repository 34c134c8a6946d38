"""Scorecards: one per active supplier-month, as plain data, a ranking and a storable frame."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

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
    cards = sorted(scorecards, key=lambda c: (c.score is None, -(c.score or 0.0), c.supplier_id))
    out: list[RankEntry] = []
    for position, card in enumerate(cards, start=1):
        if card.score is None:
            rank = None
        elif out and out[-1].score == card.score:
            rank = out[-1].rank
        else:
            rank = position
        out.append(RankEntry(rank, card.supplier_id, card.score, card.grade))
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


@dataclass(frozen=True)
class MonthlyScorecards:
    """All scorecards of one month, sorted by supplier id."""

    month: str
    scorecards: tuple[Scorecard, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"month": "2026-10", "suppliers": [scorecard dicts]}`` with null for missing data."""
        return {"month": self.month, "suppliers": [c.to_dict() for c in self.scorecards]}

    def ranking(self) -> list[RankEntry]:
        """The month's ranking (see :func:`ranking`)."""
        return ranking(self.scorecards)

    def to_frame(self) -> pl.DataFrame:
        """The month as a storable frame (see :func:`scorecards_frame`)."""
        return scorecards_frame(self.scorecards)

    def get(self, supplier_id: str) -> Scorecard | None:
        """The scorecard of one supplier, or None if it had no activity."""
        return next((c for c in self.scorecards if c.supplier_id == supplier_id), None)


def _previous_scores(previous: Previous, month: Month, months: int) -> dict[str, list[float]]:
    """Each supplier's scores of the ``months`` months before ``month``, oldest first."""
    if previous is None:
        return {}
    wanted = [month.shift(-k).label for k in range(months, 0, -1)]
    if isinstance(previous, pl.DataFrame):
        rows: Iterable[Mapping[str, Any]] = previous.select(
            "month", "supplier_id", "score"
        ).iter_rows(named=True)
    else:
        rows = (
            {"month": c.month, "supplier_id": c.supplier_id, "score": c.score} for c in previous
        )
    found: dict[tuple[str, str], float] = {}
    for row in rows:
        if row["month"] in wanted and row["score"] is not None:
            found[(row["supplier_id"], row["month"])] = float(row["score"])
    out: dict[str, list[float]] = {}
    for (supplier, _label), score in sorted(
        found.items(), key=lambda kv: (kv[0][0], wanted.index(kv[0][1]))
    ):
        out.setdefault(supplier, []).append(score)
    return out


def scorecards_from_metrics(
    metrics: pl.DataFrame, month: Month | str, rules: ScorecardRules, previous: Previous = None
) -> MonthlyScorecards:
    """Build the month's scorecards from a collected :func:`supplier_metrics` frame."""
    month = month if isinstance(month, Month) else Month.parse(month)
    history = _previous_scores(previous, month, rules.risk_portrait.trend.months)
    cards = []
    for row in metrics.sort("supplier_id").iter_rows(named=True):
        results, composite = score_row(row, rules)
        grade = composite.grade
        supplier = str(row["supplier_id"])
        cards.append(
            Scorecard(
                month=month.label,
                supplier_id=supplier,
                score=composite.score,
                grade=grade.grade if grade else None,
                grade_name=grade.name if grade else None,
                actions=tuple(grade.actions) if grade else (),
                coverage=composite.coverage,
                metrics=results,
                risk=risk_portrait(results, composite.score, history.get(supplier, []), rules),
            )
        )
    return MonthlyScorecards(month.label, tuple(cards))


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
    done: list[Scorecard] = []
    out = []
    for label in sorted(months):
        month = score_month(tables, label, rules, previous=done)
        done.extend(month.scorecards)
        out.append(month)
    return out
