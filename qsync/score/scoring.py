"""From metric values to points, a weighted score and a grade.

Each metric with a weight in ``rules/scorecard.yaml`` gets 0-100 points. The score is the
weighted mean of the points of the metrics that have data: a metric without data is shown as
missing (value and points None) and its weight is shared by the present metrics in
proportion to their own weights (``missing_data.policy: redistribute``). With ``no_score``,
any missing weighted metric leaves the supplier without a score. Below
``missing_data.min_coverage`` (share of the total weight with data) there is no score either.
The score is rounded to 2 decimals and the grade is read from the rounded score, so the grade
always matches the score a person sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from qsync.score.catalog import BY_ID
from qsync.score.rules import Grade, ScorecardRules
from qsync.spec import I18nText

Value = int | float | bool | str | date | None

# Selection ids: which rows of a table a metric reads (for a catalogue or the explanation).
SELECTIONS = {
    "inspections": "received-in-month",
    "lot_cpk": "lots-received-in-month",
    "deliveries": "promised-in-month",
    "complaints": "received-or-due-in-month",
    "price_reductions": "period-covering-month",
    "audits": "latest-audit-by-month-end",
    "ppap": "approved-in-month",
    "esg": "reported-for-month",
    "certificates": "latest-per-type-as-of-month-end",
}
_ROW_COUNTS = {
    "inspections": ("lots",),
    "lot_cpk": ("cpk_values",),
    "deliveries": ("deliveries",),
    "price_reductions": ("price_reduction_parts",),
    "ppap": ("ppap_approved",),
    "certificates": ("certificates_valid", "certificates_expiring", "certificates_expired"),
}


@dataclass(frozen=True, slots=True)
class MetricSource:
    """Where a metric comes from: table, the selection id, and how many source rows."""

    table: str
    selection: str
    rows: int | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {"table": self.table, "selection": self.selection, "rows": self.rows}


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric of one supplier-month and how it counts.

    ``weight`` is the declared weight (0: shown, not scored); ``share`` the fraction of the
    score it carries after redistribution (None when missing or unscored); ``contribution``
    = points × share, so the contributions add up to the score.
    """

    id: str
    value: Value
    points: float | None
    weight: float
    share: float | None
    contribution: float | None
    group: str | None
    name: I18nText | None
    source: MetricSource

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary (dates as ISO text)."""
        value = self.value.isoformat() if isinstance(self.value, date) else self.value
        return {
            "value": value,
            "points": self.points,
            "weight": self.weight,
            "share": self.share,
            "contribution": self.contribution,
            "group": self.group,
            "name": self.name.model_dump() if self.name else None,
            "source": self.source.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Composite:
    """The weighted score of a supplier-month, the share of weight with data, and the grade."""

    score: float | None
    coverage: float
    grade: Grade | None


def _sources(row: Mapping[str, Any]) -> dict[str, MetricSource]:
    """The source of each table's metrics for one row, with its row count where known."""
    out = {}
    for table, selection in SELECTIONS.items():
        counts = [row.get(c) for c in _ROW_COUNTS.get(table, ())]
        known = [int(c) for c in counts if c is not None]
        rows = sum(known) if known else None
        if table == "audits":
            rows = 1 if row.get("audit_id") is not None else 0
        out[table] = MetricSource(table, selection, rows)
    return out


def composite(points: Mapping[str, float | None], rules: ScorecardRules) -> Composite:
    """Weighted score from each weighted metric's points (None = no data).

    >>> from qsync.score.rules import load_scorecard_rules
    >>> rules = load_scorecard_rules()
    >>> c = composite({"lot_acceptance_rate": 100.0, "otd": 50.0, "ppm": 100.0}, rules)
    >>> (c.score, round(c.coverage, 2), c.grade.grade)
    (83.33, 0.6, 'B')
    """
    weights = {k: rule.weight for k, rule in rules.weighted.items()}
    total = sum(weights.values())
    present = {k: w for k, w in weights.items() if points.get(k) is not None}
    have = sum(present.values())
    coverage = have / total if total else 0.0
    policy = rules.missing_data
    if (
        have == 0
        or coverage < policy.min_coverage
        or (policy.policy == "no_score" and len(present) < len(weights))
    ):
        return Composite(None, coverage, None)
    score = round(sum(w * float(points[k] or 0.0) for k, w in present.items()) / have, 2)
    return Composite(score, coverage, rules.grade_for(score))


def score_row(
    row: Mapping[str, Any], rules: ScorecardRules
) -> tuple[dict[str, MetricResult], Composite]:
    """Points, shares and the composite for one row of :func:`supplier_metrics` output."""
    points: dict[str, float | None] = {}
    for metric_id, rule in rules.weighted.items():
        value = row.get(metric_id)
        points[metric_id] = (
            None if value is None or rule.points is None else rule.points.of(float(value))
        )
    result = composite(points, rules)
    have = sum(rules.metrics[k].weight for k, p in points.items() if p is not None)
    sources = _sources(row)
    metrics: dict[str, MetricResult] = {}
    for metric_id, metric in BY_ID.items():
        declared = rules.metrics.get(metric_id)
        got = points.get(metric_id)
        share = None
        if got is not None and result.score is not None and declared is not None:
            share = declared.weight / have
        metrics[metric_id] = MetricResult(
            id=metric_id,
            value=row.get(metric_id),
            points=got,
            weight=declared.weight if declared else 0.0,
            share=round(share, 6) if share is not None else None,
            contribution=round(got * share, 4) if got is not None and share is not None else None,
            group=declared.group if declared else None,
            name=declared.name if declared else None,
            source=sources[metric.table],
        )
    return metrics, result
