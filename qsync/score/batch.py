"""Scoring a whole month at once: points, score, grade and risk as columns of one frame.

:func:`score_frame` adds to a collected :func:`~qsync.score.metrics.supplier_metrics` frame
what :func:`~qsync.score.scoring.score_row` and :func:`~qsync.score.portrait.risk_portrait`
compute for one supplier, as Polars expressions over every supplier at once:

* ``<metric>:points`` for each weighted metric (bands or linear scale);
* ``weight_with_data``, ``coverage``, ``score`` (rounded to 2 decimals) and ``grade``, with
  the weight of missing metrics redistributed as ``missing_data`` says;
* ``<factor>:risk`` for each risk factor (unrounded), ``risk`` (the coefficient, rounded to
  4 decimals) and ``risk_level``; ``trend:previous`` holds the scores the trend compares with.

The arithmetic follows the per-row functions operation by operation, so the figures are the
same floats. Where Python's behaviour differs from a Polars expression it is kept: the
roundings use Python's ``round`` (exact on the binary value, where Polars' ``round``
multiplies first), and means of three or more points use ``math.fsum`` as
``statistics.fmean`` does. Those loops run over at most a few columns of one value per
supplier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import TYPE_CHECKING

import polars as pl

from qsync.score.period import Month
from qsync.score.portrait import FACTORS
from qsync.score.rules import MetricFactor, Points, ScorecardRules

if TYPE_CHECKING:
    from qsync.score.scorecard import Scorecard

POINTS = "{}:points"
RISK = "{}:risk"
PREVIOUS = "trend:previous"
BASELINE = "trend:baseline"
HAVE = "weight_with_data"
_ONES = "_ones"
_CERTIFICATES = ("certificates_valid", "certificates_expiring", "certificates_expired")


def _sum(terms: Sequence[pl.Expr]) -> pl.Expr:
    """Left-to-right sum, the order of Python's ``sum`` over the same terms."""
    return reduce(lambda a, b: a + b, terms[1:], terms[0]) if terms else pl.lit(0.0)


def _per(numerator: pl.Expr, divisor: float) -> pl.Expr:
    """``numerator / divisor`` as Python divides.

    Polars divides by a constant by multiplying with its reciprocal (70 / 100 gives
    0.7000000000000001); dividing by a column of the constant is a true division. Needs the
    ``_ones`` column that :func:`score_frame` adds.
    """
    return numerator / (pl.col(_ONES) * divisor)


def _clamp01(share: pl.Expr) -> pl.Expr:
    """``min(1.0, max(0.0, share))`` as Python evaluates it (NaN and -0.0 give 0.0)."""
    return share.fill_nan(0.0).clip(0.0, 1.0).abs()  # abs: -0.0 becomes 0.0


def points_expr(points: Points, value: pl.Expr) -> pl.Expr:
    """Points of ``value`` by ``points``; linear points before their rounding to 6 decimals.

    Null stays null. A band holds as in :meth:`~qsync.score.rules.Band.holds` (NaN is in no
    bounded band).

    >>> from qsync.score.rules import Band
    >>> rule = Points(bands=[Band(at_most=100, points=100), Band(points=0)])
    >>> pl.select(points_expr(rule, pl.lit(150.0))).item()
    0.0
    """
    number = value.cast(pl.Float64)
    if points.linear is not None:
        low, high = points.linear.zero_at, points.linear.full_at
        scored = 100.0 * _clamp01(_per(number - low, high - low))
    else:
        assert points.bands is not None
        *bounded, last = points.bands
        scored = pl.lit(float(last.points))
        for band in reversed(bounded):
            if band.at_least is not None:
                holds = (number >= band.at_least) & number.is_not_nan()
            else:
                holds = number <= band.at_most
            scored = pl.when(holds).then(float(band.points)).otherwise(scored)
    return pl.when(number.is_not_null()).then(scored)


def _round(expr: pl.Expr, digits: int) -> pl.Expr:
    """``expr`` rounded with Python's ``round``, as the per-row scoring rounds."""

    def rounded(series: pl.Series) -> pl.Series:
        values = [None if v is None else round(v, digits) for v in series.to_list()]
        return pl.Series(series.name, values, pl.Float64)

    return expr.map_batches(rounded, return_dtype=pl.Float64, is_elementwise=True)


def _composite(rules: ScorecardRules) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Weight with data, coverage and the unrounded score (see ``scoring.composite``)."""
    weights = {m: rule.weight for m, rule in rules.weighted.items()}
    total = sum(weights.values())
    present = {m: pl.col(POINTS.format(m)).is_not_null() for m in weights}
    have = _sum([pl.when(present[m]).then(w).otherwise(0.0) for m, w in weights.items()])
    total_points = _sum([(w * pl.col(POINTS.format(m))).fill_null(0.0) for m, w in weights.items()])
    coverage = _per(have, total) if total else pl.lit(0.0)
    policy = rules.missing_data
    scored = (pl.col(HAVE) != 0) & ~(pl.col("coverage") < policy.min_coverage)  # as composite
    if policy.policy == "no_score":
        scored = scored & pl.all_horizontal(list(present.values()))
    return have, coverage, pl.when(scored).then(total_points / pl.col(HAVE))


def _first_reached(value: pl.Expr, steps: Sequence[tuple[float, str]]) -> pl.Expr:
    """The label of the first ``(minimum, label)`` that ``value`` reaches, else null."""
    out = pl.lit(None, pl.String)
    for minimum, label in reversed(steps):
        out = pl.when(value >= minimum).then(pl.lit(label)).otherwise(out)
    return out


def _factor_points(factor: MetricFactor, rules: ScorecardRules) -> list[str]:
    """Point columns a metric factor averages (metrics without a weight have no points)."""
    return [POINTS.format(m) for m in dict.fromkeys(factor.metrics) if m in rules.weighted]


def _metric_risks(rules: ScorecardRules) -> list[pl.Expr]:
    """Risk of quality, delivery, complaints and audits: 1 − (mean points present)/100.

    An overdue audit raises the audit risk to at least ``overdue_risk``.
    """
    portrait = rules.risk_portrait
    risks = {}
    for name in ("quality", "delivery", "complaints", "audits"):
        columns = _factor_points(getattr(portrait, name), rules)
        if not columns:
            risks[name] = pl.lit(None, pl.Float64)
            continue
        count = _sum([pl.col(c).is_not_null().cast(pl.Int64) for c in columns])
        if len(columns) > 2:  # below three values, a + b is already what fsum gives
            mean = pl.map_batches(columns, _fmeans, return_dtype=pl.Float64, is_elementwise=True)
        else:
            mean = _sum([pl.col(c).fill_null(0.0) for c in columns]) / count
        risks[name] = pl.when(count > 0).then(1 - _per(mean, 100))
    audits = risks["audits"]
    raised = pl.max_horizontal(audits.fill_null(0.0), pl.lit(portrait.audits.overdue_risk))
    risks["audits"] = pl.when(pl.col("audit_overdue").eq(True)).then(raised).otherwise(audits)
    return [risk.alias(RISK.format(name)) for name, risk in risks.items()]


def _fmeans(columns: Sequence[pl.Series]) -> pl.Series:
    """Row by row, the ``statistics.fmean`` of the values present (null when none)."""
    rows = zip(*(c.to_list() for c in columns), strict=True)
    return pl.Series([_fmean([v for v in row if v is not None]) for row in rows], dtype=pl.Float64)


def _fmean(values: Sequence[float]) -> float | None:
    """``statistics.fmean`` (``math.fsum`` over the count), None when empty."""
    return math.fsum(values) / len(values) if values else None


def _certificate_risk(rules: ScorecardRules) -> pl.Expr:
    """Expired, else expiring, else 0, when any certificate count is above 0."""
    factor = rules.risk_portrait.certificates
    valid, expiring, expired = (pl.col(c).fill_null(0) for c in _CERTIFICATES)
    return (
        pl.when(~((valid > 0) | (expiring > 0) | (expired > 0)))
        .then(None)
        .when(expired != 0)
        .then(factor.expired_risk)
        .when(expiring != 0)
        .then(factor.expiring_risk)
        .otherwise(0.0)
        .cast(pl.Float64)
    )


def _trend_risk(rules: ScorecardRules) -> pl.Expr:
    """Drop of the score below the previous months' mean, over ``full_risk_drop``, 0-1."""
    drop = pl.col(BASELINE) - pl.col("score")
    return pl.when(pl.col("score").is_not_null() & pl.col(BASELINE).is_not_null()).then(
        _clamp01(_per(drop, rules.risk_portrait.trend.full_risk_drop))
    )


def _no_history() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"supplier_id": pl.String, PREVIOUS: pl.List(pl.Float64), BASELINE: pl.Float64}
    )


def previous_scores(
    previous: pl.DataFrame | Iterable[Scorecard] | None, month: Month, months: int
) -> pl.DataFrame:
    """Each supplier's scores of the ``months`` months before ``month``, oldest first.

    Columns ``supplier_id``, ``trend:previous`` (list of scores) and ``trend:baseline``
    (their mean). ``previous`` is a frame with ``month``, ``supplier_id`` and ``score``
    (stored scorecards) or Scorecard objects; a supplier-month given twice counts once (the
    later row). Months without a score are left out.

    >>> rows = pl.DataFrame({"month": ["2026-07", "2026-09", "2026-06"],
    ...     "supplier_id": ["S1"] * 3, "score": [70.0, 90.0, 10.0]})
    >>> previous_scores(rows, Month.parse("2026-10"), 3).row(0)
    ('S1', [70.0, 90.0], 80.0)
    """
    schema = {"month": pl.String, "supplier_id": pl.String, "score": pl.Float64}
    if previous is None:
        return _no_history()
    if isinstance(previous, pl.DataFrame):
        frame = previous.select(*schema).cast(schema)  # type: ignore[arg-type]
    else:
        rows = [(c.month, c.supplier_id, c.score) for c in previous]
        frame = pl.DataFrame(rows, schema=schema, orient="row")
    wanted = [month.shift(-k).label for k in range(months, 0, -1)]
    history = (
        frame.filter(pl.col("month").is_in(wanted) & pl.col("score").is_not_null())
        .unique(["supplier_id", "month"], keep="last", maintain_order=True)
        .sort("supplier_id", "month")
        .group_by("supplier_id", maintain_order=True)
        .agg(pl.col("score").alias(PREVIOUS))
    )
    baselines = [_fmean(scores) for scores in history[PREVIOUS].to_list()]
    return history.with_columns(pl.Series(BASELINE, baselines, pl.Float64)).cast(
        _no_history().schema
    )


def score_frame(
    metrics: pl.DataFrame, rules: ScorecardRules, history: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Points, score, grade and risk of every supplier of a collected metrics frame.

    ``history`` is :func:`previous_scores` (None: no trend). Rows are sorted by supplier.
    The per-row definitions are :func:`~qsync.score.scoring.score_row` and
    :func:`~qsync.score.portrait.risk_portrait`; the scorecards show the same figures.

    >>> from qsync.score.rules import load_scorecard_rules
    >>> rules = load_scorecard_rules()
    >>> metrics = pl.DataFrame({"supplier_id": ["S1"], "lot_acceptance_rate": [0.95],
    ...     "ppm": [50.0], "otd": [0.9]})
    >>> row = score_frame(metrics, rules).row(0, named=True)
    >>> (row["lot_acceptance_rate:points"], row["score"], row["grade"], row["coverage"])
    (50.0, 66.67, 'C', 0.6)
    >>> (row["quality:risk"], row["delivery:risk"], row["risk"], row["risk_level"])
    (0.25, 0.5, 0.35, 'medium')
    """
    weighted = rules.weighted
    needed = {
        **{m: pl.Float64() for m in weighted},
        "audit_overdue": pl.Boolean(),
        **{c: pl.Int64() for c in _CERTIFICATES},
    }
    ones = pl.Series(_ONES, [1.0] * metrics.height, pl.Float64)  # a real column: see _per
    frame = (
        metrics.with_columns(ones)
        .lazy()
        .with_columns(
            pl.lit(None, dtype).alias(c) for c, dtype in needed.items() if c not in metrics.columns
        )
    )
    points = []
    for metric_id, rule in weighted.items():
        assert rule.points is not None  # a weighted metric has points (checked on load)
        expr = points_expr(rule.points, pl.col(metric_id))
        points.append(
            (_round(expr, 6) if rule.points.linear else expr).alias(POINTS.format(metric_id))
        )
    have, coverage, score = _composite(rules)
    grades = [(g.min_score, g.grade) for g in rules.grades]
    frame = (
        frame.with_columns(points)
        .with_columns(have.alias(HAVE), coverage.alias("coverage"))
        .with_columns(_round(score, 2).alias("score"))
        .with_columns(grade=_first_reached(pl.col("score"), grades))
    )
    if history is None or history.is_empty():  # nothing to join: the trend is unknown
        frame = frame.with_columns(
            pl.lit(None, dtype).alias(name)
            for name, dtype in _no_history().schema.items()
            if name != "supplier_id"
        )
    else:
        frame = frame.join(history.lazy(), on="supplier_id", how="left")
    frame = frame.with_columns(
        *_metric_risks(rules),
        _certificate_risk(rules).alias(RISK.format("certificates")),
        _trend_risk(rules).alias(RISK.format("trend")),
    )
    portrait = rules.risk_portrait
    weights = {name: getattr(portrait, name).weight for name in FACTORS}
    risks = {name: pl.col(RISK.format(name)) for name in FACTORS}
    factor_have = _sum(
        [pl.when(risks[n].is_not_null()).then(w).otherwise(0.0) for n, w in weights.items()]
    )
    total_risk = _sum([(w * risks[n]).fill_null(0.0) for n, w in weights.items()])
    coefficient = pl.when(factor_have != 0).then(total_risk / factor_have)
    levels = [(lv.min_risk, lv.level) for lv in portrait.levels]
    return (
        frame.with_columns(risk=_round(coefficient, 4))
        .with_columns(risk_level=_first_reached(pl.col("risk"), levels))
        .drop(_ONES)
        .sort("supplier_id")
        .collect(engine="in-memory")
    )
