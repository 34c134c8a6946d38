"""The month scored at once (qsync.score.batch) gives the per-row scoring's figures exactly.

``score_row`` and ``risk_portrait`` score one supplier in Python; ``score_frame`` scores every
supplier of a metrics frame with Polars expressions. Both run here on varied rows (missing
metrics, redistributed weights, each grade band, coverage below the minimum, overdue audits,
certificates, a falling and a rising trend, NaN and values on band edges) and must agree to
the last bit.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import polars as pl
import pytest

from qsync.score import load_scorecard_rules, risk_portrait, supplier_metrics
from qsync.score.batch import POINTS, RISK, previous_scores, score_frame
from qsync.score.period import Month
from qsync.score.portrait import FACTORS
from qsync.score.rules import Band, Grade, Linear, MissingData, Points, ScorecardRules
from qsync.score.scoring import score_row

MONTH = Month.parse("2026-10")
RATES = [None, 0.0, 0.85, 0.9, 0.9345678, 0.95, 0.99, 1.0, float("nan")]


def _value(metric: str, rng: random.Random) -> Any:
    """A value for a weighted metric: often on a band edge, sometimes missing."""
    edges: dict[str, list[Any]] = {
        "ppm": [None, 0.0, 100.0, 100.5, 500.0, 999.9, 3000.0, 1e6],
        "cpk_median": [None, 0.5, 1.0, 1.329, 1.33, 1.67, float("nan")],
        "complaints": [None, 0, 1, 2, 3],
        "audit_score": [None, 50.0, 60.0, 77.7, 95.0, 100.0],
        "ppap_cycle_days": [None, 0.0, 20.0, 40.5, 60.0, 61.0],
        "esg_incidents": [None, 0.0, 1.0, 2.0],
    }
    choices = edges.get(metric, RATES)
    return rng.choice(choices) if rng.random() < 0.8 else rng.uniform(-0.1, 1.1)


def _rows(rules: ScorecardRules, count: int, seed: int) -> pl.DataFrame:
    """Metrics rows with every column of supplier_metrics, varied as described above."""
    rng = random.Random(seed)
    schema = supplier_metrics({}, MONTH, rules).collect_schema()
    rows = []
    for i in range(count):
        row: dict[str, Any] = {c: None for c in schema}
        row["supplier_id"] = f"S{i:04d}"
        for metric in rules.weighted:
            row[metric] = _value(metric, rng)
        if row["complaints"] is not None:
            row["complaints"] = int(row["complaints"])
        row["audit_overdue"] = rng.choice([None, True, False])
        counts = [rng.choice([None, 0, 1, 2]) for _ in range(3)]
        names = ("certificates_valid", "certificates_expiring", "certificates_expired")
        row.update(dict(zip(names, counts, strict=True)))
        rows.append(row)
    # The first rows pin the four grade bands (every weighted metric present, so under either
    # policy): 100 (A), 85 (B), 72 (C) and 56 (D); then an unscored supplier.
    perfect = {m: 1.0 for m in rules.weighted}
    perfect.update(ppm=0.0, cpk_median=2.0, complaints=0, audit_score=100.0)
    perfect.update(ppap_cycle_days=0.0, esg_incidents=0.0)
    for i, (rate, ppm) in enumerate([(1.0, 0.0), (0.95, 0.0), (0.92, 500.0), (0.9, 3000.0)]):
        rows[i] = {**rows[i], **perfect, "lot_acceptance_rate": rate, "otd": rate, "ppm": ppm}
    rows[4] = {**rows[4], **{m: None for m in rules.weighted}, "otd": 0.9}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _history(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Previous scores of most suppliers: one to three months, some with a gap."""
    rng = random.Random(seed)
    rows = []
    for supplier in frame["supplier_id"]:
        for month in ("2026-06", "2026-07", "2026-08", "2026-09"):
            if rng.random() < 0.6:
                rows.append((month, supplier, rng.choice([None, rng.uniform(40, 100), 90.0])))
    return pl.DataFrame(rows, schema=["month", "supplier_id", "score"], orient="row")


def _rules(policy: str) -> ScorecardRules:
    rules = load_scorecard_rules()
    return rules.model_copy(update={"missing_data": MissingData(policy=policy)})  # type: ignore[arg-type]


def _same(a: float | None, b: float | None) -> bool:
    """Equal floats, bit for bit (NaN equals NaN, -0.0 differs from 0.0)."""
    return repr(a) == repr(b)


@pytest.mark.parametrize(
    ("policy", "seed"), [("redistribute", 1), ("redistribute", 2), ("no_score", 3)]
)
def test_score_frame_equals_the_per_row_scoring(policy: str, seed: int) -> None:
    rules = _rules(policy)
    metrics = _rows(rules, 300, seed)
    previous = _history(metrics, seed)
    history = previous_scores(previous, MONTH, rules.risk_portrait.trend.months)
    scored = score_frame(metrics, rules, history)
    assert scored["supplier_id"].to_list() == sorted(metrics["supplier_id"].to_list())
    _assert_per_row_figures(scored, history, rules)
    assert set(scored["grade"]) == {"A", "B", "C", "D", None}
    assert scored["score"].head(4).to_list() == [100.0, 85.0, 72.0, 56.0]


def _assert_per_row_figures(
    scored: pl.DataFrame, history: pl.DataFrame, rules: ScorecardRules
) -> None:
    """Every row of ``score_frame``'s output shows what the per-row scoring gives for it."""
    recent = {r[0]: r[1] for r in history.iter_rows()}
    for row in scored.iter_rows(named=True):
        results, composite = score_row(row, rules)
        portrait = risk_portrait(
            results, composite.score, recent.get(row["supplier_id"], []), rules
        )
        for metric in rules.weighted:
            assert _same(row[POINTS.format(metric)], results[metric].points), metric
        assert _same(row["score"], composite.score)
        assert _same(row["coverage"], composite.coverage)
        assert row["grade"] == (composite.grade.grade if composite.grade else None)
        risks = {c.factor: c.risk for c in portrait.contributions}
        for factor in FACTORS:
            mine = row[RISK.format(factor)]
            assert _same(None if mine is None else round(mine, 4), risks[factor]), factor
        assert _same(row["risk"], portrait.coefficient)
        assert row["risk_level"] == portrait.level


def _random_points(rng: random.Random) -> Points:
    """A linear scale, rising or falling, or zero to four bands before the catch-all."""
    if rng.random() < 0.5:
        low, high = rng.choice([(0.8, 1.0), (1.0, 0.8), (0, 3), (60, 95), (0.1, 0.7)])
        return Points(linear=Linear(zero_at=low, full_at=high))
    bands = []
    for _ in range(rng.randint(0, 4)):
        bound = {rng.choice(["at_least", "at_most"]): rng.choice([0.0, 0.5, 0.9, 1.0, 1.33, 100.0])}
        bands.append(Band(**bound, points=rng.choice([0, 33.3, 50, 100])))
    return Points(bands=[*bands, Band(points=rng.choice([0, 10, 100]))])


def _random_rules(rng: random.Random) -> ScorecardRules:
    """The shipped rules with random weights (zero included), points, grades, missing-data
    policy and coverage, factor weights, trend months and overdue risk."""
    base = load_scorecard_rules()
    metrics = {
        metric_id: rule
        if rule.points is None
        else rule.model_copy(
            update={"weight": rng.choice([0, 1, 2.5, 10, 0.1, 1e-3]), "points": _random_points(rng)}
        )
        for metric_id, rule in base.metrics.items()
    }
    if not any(rule.weight > 0 for rule in metrics.values()):
        metrics["otd"] = metrics["otd"].model_copy(update={"weight": 1})
    floors = sorted(rng.sample([95.5, 90, 80, 66.666, 50, 33.33, 10], rng.randint(0, 4)))
    grades = [
        Grade(grade=f"G{i}", min_score=floor, name=base.grades[0].name)
        for i, floor in enumerate([*reversed(floors), 0])
    ]
    missing = MissingData(
        policy=rng.choice(["redistribute", "no_score"]), min_coverage=rng.choice([0, 0.3, 1.0])
    )
    portrait = base.risk_portrait
    factors = {
        name: getattr(portrait, name).model_copy(update={"weight": rng.choice([0, 1, 10, 0.3])})
        for name in FACTORS
    }
    factors["trend"] = factors["trend"].model_copy(
        update={"months": rng.choice([1, 2, 5]), "full_risk_drop": rng.choice([0.7, 20, 3])}
    )
    factors["audits"] = factors["audits"].model_copy(
        update={"overdue_risk": rng.choice([0, 0.3, 1.0])}
    )
    return base.model_copy(
        update={
            "metrics": metrics,
            "grades": grades,
            "missing_data": missing,
            "risk_portrait": portrait.model_copy(update=factors),
        }
    )


@pytest.mark.parametrize("seed", range(30))
def test_score_frame_equals_the_per_row_scoring_under_random_rules(seed: int) -> None:
    # Rule files other than the shipped one: falling scales, zero weights, grade floors,
    # both missing-data policies, coverage limits, factor weights, trend months.
    rng = random.Random(seed)
    rules = _random_rules(rng)
    metrics = _rows(rules, 40, seed)
    history = previous_scores(_history(metrics, seed), MONTH, rules.risk_portrait.trend.months)
    _assert_per_row_figures(score_frame(metrics, rules, history), history, rules)


def test_hand_computed_row() -> None:
    """Default rules: acceptance 0.95 -> 50 points, PPM 50 -> 100, OTD 0.9 -> 50, weights
    20 each; the seven other weighted metrics (weight 40 of 100) have no data."""
    rules = load_scorecard_rules()
    metrics = pl.DataFrame(
        {"supplier_id": ["S1"], "lot_acceptance_rate": [0.95], "ppm": [50.0], "otd": [0.9]}
    )
    row = score_frame(metrics, rules).row(0, named=True)
    assert row["coverage"] == 0.6
    assert row["score"] == round((20 * 50 + 20 * 100 + 20 * 50) / 60, 2) == 66.67
    assert row["grade"] == "C"
    # quality 1 - (50 + 100)/2/100 = 0.25 (weight 30), delivery 1 - 50/100 = 0.5 (weight 20)
    assert (row["quality:risk"], row["delivery:risk"]) == (0.25, 0.5)
    assert row["risk"] == (30 * 0.25 + 20 * 0.5) / 50 == 0.35
    assert row["risk_level"] == "medium"


def test_previous_scores_keep_the_last_row_of_a_month_and_skip_empty_months() -> None:
    previous = pl.DataFrame(
        {
            "month": ["2026-09", "2026-07", "2026-09", "2026-08", "2026-05"],
            "supplier_id": ["S1", "S1", "S1", "S1", "S1"],
            "score": [10.0, 70.0, 90.0, None, 0.0],
        }
    )
    history = previous_scores(previous, MONTH, 3)
    # September given twice: the later 90 counts; August has no score; May is too old.
    assert history.rows() == [("S1", [70.0, 90.0], 80.0)]


def test_month_frame_and_scorecards_agree() -> None:
    """score_month's frame (ranking, stored columns) and its scorecards show one score."""
    from qsync.score import score_month

    insp = pl.DataFrame(
        {
            "supplier_id": ["S1", "S1", "S2"],
            "part_no": ["P"] * 3,
            "lot_id": ["L1", "L2", "L3"],
            "received_date": [date(2026, 10, 1)] * 3,
            "qty_received": [1000, 1000, 10],
            "defects": [0, 1, 1],
            "decision": ["accept", "conditional", "reject"],
        }
    )
    dlv = pl.DataFrame(
        {
            "supplier_id": ["S1", "S2"],
            "part_no": ["P"] * 2,
            "promised_date": [date(2026, 10, 5)] * 2,
            "delivered_date": [date(2026, 10, 5), date(2026, 10, 6)],
        }
    )
    month = score_month({"inspections": insp, "deliveries": dlv}, MONTH)
    # S1: acceptance 1/2 -> 0 points, PPM 500 -> 80, OTD 1 -> 100: (0 + 1600 + 2000)/60 = 60
    # S2: acceptance 0 -> 0, PPM 100,000 -> 0, OTD 0 -> 0: 0
    ranked = [(e.rank, e.supplier_id, e.score, e.grade) for e in month.ranking()]
    assert ranked == [(1, "S1", 60.0, "C"), (2, "S2", 0.0, "D")]
    cards = [(c.supplier_id, c.score, c.grade) for c in month.scorecards]
    assert cards == [r[1:] for r in ranked]
    assert month.frame["score"].to_list() == [60.0, 0.0]
