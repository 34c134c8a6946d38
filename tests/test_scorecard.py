"""Scorecards, grades, risk portraits, explanations and sampling plans from tiny tables.

Weights and bands come from a small ``scorecard.yaml`` written here, so every expected score
is worked out by hand below from the rows and the rule text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qsync import sampling
from qsync.score import (
    SCORECARD_SCHEMA,
    ScorecardRules,
    explain,
    load_material_rules,
    load_scorecard_rules,
    plan_for,
    ranking,
    score_month,
    score_months,
    scorecards_frame,
)
from qsync.score.rules import MissingData

D = date
MONTH = "2026-10"

RULES = """\
activity: [lots, deliveries]
missing_data: {policy: redistribute, min_coverage: 0.5}
groups:
  quality: {en: Quality, zh: 质量}
  delivery: {en: Delivery, zh: 交付}
metrics:
  lot_acceptance_rate:
    name: {en: Lot acceptance rate, zh: 批次合格率}
    group: quality
    weight: 50
    points: {linear: {zero_at: 0.9, full_at: 1.0}}
  ppm:
    name: {en: PPM, zh: PPM}
    group: quality
    weight: 20
    points:
      bands: [{at_most: 100, points: 100}, {at_most: 1000, points: 50}, {points: 0}]
  otd:
    name: {en: On-time delivery, zh: 准时交货率}
    group: delivery
    weight: 30
    points: {linear: {zero_at: 0.8, full_at: 1.0}}
grades:
  - {grade: A, min_score: 90, name: {en: Excellent, zh: 优秀}}
  - {grade: B, min_score: 75, name: {en: Good, zh: 良好}}
  - {grade: C, min_score: 60, name: {en: Improve, zh: 待改进}}
  - grade: D
    min_score: 0
    name: {en: Unacceptable, zh: 不合格}
    actions:
      - {en: No new business, zh: 暂停新项目定点}
      - {en: Development plan required, zh: 须制定供应商发展计划}
risk_portrait:
  quality: {name: {en: Quality, zh: 质量}, weight: 60, metrics: [lot_acceptance_rate, ppm]}
  delivery: {name: {en: Delivery, zh: 交付}, weight: 40, metrics: [otd]}
  complaints: {name: {en: Complaints, zh: 投诉}, weight: 0, metrics: [ppm]}
  audits: {name: {en: Audits, zh: 审核}, weight: 0, metrics: [ppm]}
  certificates: {name: {en: Certificates, zh: 证书}, weight: 10}
  trend: {name: {en: Trend, zh: 趋势}, weight: 20, months: 3, full_risk_drop: 20}
  levels:
    - {level: high, min_risk: 0.5, name: {en: High, zh: 高}}
    - {level: medium, min_risk: 0.25, name: {en: Medium, zh: 中}}
    - {level: low, min_risk: 0, name: {en: Low, zh: 低}}
"""


@pytest.fixture
def rules(tmp_path: Path) -> ScorecardRules:
    path = tmp_path / "scorecard.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_scorecard_rules(path, "rules/scorecard.yaml")


def inspections() -> pl.DataFrame:
    """S0001: 20 October lots, 19 accepted, 1 conditional, no defects; S0002: 4 clean lots."""
    rows: list[tuple[Any, ...]] = []
    for i in range(20):
        decision = "conditional" if i == 7 else "accept"
        rows.append(("S0001", "P-1", f"L{i:02d}", D(2026, 10, 1 + i), 1000, 0, decision))
    for i in range(4):
        rows.append(("S0002", "P-3", f"M{i}", D(2026, 10, 2 + i), 500, 0, "accept"))
    rows.append(("S0005", "P-5", "X1", D(2026, 9, 30), 500, 0, "accept"))  # September only
    frame = pl.DataFrame(
        rows,
        schema=[
            "supplier_id",
            "part_no",
            "lot_id",
            "received_date",
            "qty_received",
            "defects",
            "decision",
        ],
        orient="row",
    )
    return frame.with_columns(
        _submission=pl.lit("sub-oct"), _row=pl.int_range(2, frame.height + 2, dtype=pl.Int64)
    )


def deliveries() -> pl.DataFrame:
    """S0001: 10 deliveries promised in October, 9 on time; S0003: 1 delivery on time."""
    rows = [
        ("S0001", "P-1", D(2026, 10, 10 + i), D(2026, 10, 10 + i + (1 if i == 0 else 0)))
        for i in range(10)
    ]
    rows.append(("S0003", "P-9", D(2026, 10, 15), D(2026, 10, 14)))
    return pl.DataFrame(
        rows, schema=["supplier_id", "part_no", "promised_date", "delivered_date"], orient="row"
    )


def tables() -> dict[str, pl.DataFrame]:
    return {"inspections": inspections(), "deliveries": deliveries()}


def test_score_is_the_weighted_points_and_sits_on_the_c_band_edge(rules: ScorecardRules) -> None:
    card = score_month(tables(), MONTH, rules).get("S0001")
    assert card is not None
    # acceptance 19/20 = 0.95 -> 50 points; PPM 0 -> 100; OTD 9/10 = 0.9 -> 50 points
    points = {"lot_acceptance_rate": 50.0, "ppm": 100.0, "otd": 50.0}
    assert {k: card.metrics[k].points for k in points} == points
    assert card.score == (50 * 50 + 20 * 100 + 30 * 50) / 100 == 60.0
    assert (card.grade, card.coverage) == ("C", 1.0)
    assert [card.metrics[k].share for k in points] == [0.5, 0.2, 0.3]
    assert sum(card.metrics[k].contribution or 0 for k in points) == pytest.approx(card.score)


def test_missing_metric_weight_is_redistributed_not_scored_as_zero(rules: ScorecardRules) -> None:
    card = score_month(tables(), MONTH, rules).get("S0002")
    assert card is not None
    otd = card.metrics["otd"]
    assert (card.value("deliveries"), otd.value, otd.points, otd.share) == (0, None, None, None)
    # no deliveries: OTD is missing; acceptance 1.0 -> 100, PPM 0 -> 100 share weights 50:20
    assert card.score == (50 * 100 + 20 * 100) / (50 + 20) == 100.0
    assert card.coverage == pytest.approx(0.7)
    assert card.metrics["lot_acceptance_rate"].share == pytest.approx(50 / 70, abs=1e-6)
    assert card.metrics["ppm"].share == pytest.approx(20 / 70, abs=1e-6)
    assert card.grade == "A"


def test_missing_data_policy_no_score_leaves_an_incomplete_supplier_unscored(
    rules: ScorecardRules,
) -> None:
    strict = rules.model_copy(update={"missing_data": MissingData(policy="no_score")})
    month = score_month(tables(), MONTH, strict)
    s2 = month.get("S0002")
    s1 = month.get("S0001")
    assert s2 is not None and s1 is not None
    assert (s2.score, s2.grade, s2.metrics["ppm"].points) == (None, None, 100.0)
    assert s1.score == 60.0


def test_below_min_coverage_there_is_no_score(rules: ScorecardRules) -> None:
    card = score_month(tables(), MONTH, rules).get("S0003")
    assert card is not None  # active: one delivery
    assert (card.coverage, card.score, card.grade, card.actions) == (0.3, None, None, ())
    assert card.value("otd") == 1.0


def test_a_supplier_with_no_activity_in_the_month_gets_no_scorecard(
    rules: ScorecardRules,
) -> None:
    month = score_month(tables(), MONTH, rules)
    assert [c.supplier_id for c in month.scorecards] == ["S0001", "S0002", "S0003"]
    assert month.get("S0005") is None


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A"),
        (90, "A"),
        (89.99, "B"),
        (75, "B"),
        (74.99, "C"),
        (60, "C"),
        (59.99, "D"),
        (0, "D"),
    ],
)
def test_grade_band_edges_belong_to_the_higher_grade(
    rules: ScorecardRules, score: float, grade: str
) -> None:
    assert rules.grade_for(score).grade == grade


def test_weights_and_grade_actions_come_from_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.yaml"
    path.write_text(RULES.replace("    weight: 30\n", "    weight: 80\n"), encoding="utf-8")
    reweighted = load_scorecard_rules(path)
    card = score_month(tables(), MONTH, reweighted).get("S0001")
    assert card is not None
    assert card.score == round((50 * 50 + 20 * 100 + 80 * 50) / 150, 2) == 56.67
    assert card.grade == "D"
    assert [a.en for a in card.actions] == ["No new business", "Development plan required"]
    assert card.actions[0].zh == "暂停新项目定点"


def test_risk_portrait_shows_each_contribution_and_the_trend(rules: ScorecardRules) -> None:
    previous = pl.DataFrame(
        {
            "month": ["2026-05", "2026-07", "2026-08", "2026-09"],
            "supplier_id": ["S0001"] * 4,
            "score": [0.0, 70.0, 80.0, 90.0],
        }
    )
    card = score_month(tables(), MONTH, rules, previous=previous).get("S0001")
    assert card is not None
    risk = {c.factor: c for c in card.risk.contributions}
    # quality: 1 - mean(50, 100)/100; delivery: 1 - 50/100; trend: mean(70, 80, 90) - 60 = 20
    # points drop = full risk; certificates: no data; complaints, audits: weight 0.
    assert (risk["quality"].risk, risk["delivery"].risk, risk["trend"].risk) == (0.25, 0.5, 1.0)
    assert risk["certificates"].risk is None and risk["certificates"].share is None
    assert risk["trend"].basis == {
        "previous": [70.0, 80.0, 90.0],
        "baseline": 80.0,
        "change": -20.0,
    }
    expected = (60 * 0.25 + 40 * 0.5 + 20 * 1.0) / (60 + 40 + 20)
    assert card.risk.coefficient == pytest.approx(expected, abs=1e-4)
    assert sum(c.contribution or 0 for c in card.risk.contributions) == pytest.approx(
        expected, abs=1e-3
    )
    assert card.risk.level == "medium"


def test_without_previous_scores_the_trend_is_missing(rules: ScorecardRules) -> None:
    card = score_month(tables(), MONTH, rules).get("S0001")
    assert card is not None
    trend = next(c for c in card.risk.contributions if c.factor == "trend")
    assert (trend.risk, trend.share) == (None, None)
    assert card.risk.coefficient == pytest.approx((60 * 0.25 + 40 * 0.5) / 100, abs=1e-4)


def test_score_months_feeds_each_month_the_earlier_scores(rules: ScorecardRules) -> None:
    september = (
        inspections()
        .head(4)
        .with_columns(
            supplier_id=pl.lit("S0001"),
            received_date=pl.lit(D(2026, 9, 15)),
            decision=pl.lit("accept"),
        )
    )
    data = {"inspections": pl.concat([september, inspections()]), "deliveries": deliveries()}
    sep, oct_ = score_months(data, ["2026-10", "2026-09"], rules)
    assert (sep.month, oct_.month) == ("2026-09", MONTH)
    before, after = sep.get("S0001"), oct_.get("S0001")
    assert before is not None and after is not None
    assert (before.score, after.score) == (100.0, 60.0)  # September: no deliveries, all accepted
    trend = next(c for c in after.risk.contributions if c.factor == "trend")
    assert (trend.risk, trend.basis["change"]) == (1.0, -40.0)


def test_to_dict_has_the_documented_shape_with_null_for_missing_data(
    rules: ScorecardRules,
) -> None:
    data = score_month(tables(), MONTH, rules).to_dict()
    assert data["month"] == MONTH
    s2 = data["suppliers"][1]
    assert {"supplier_id", "lots", "lots_accepted", "lot_acceptance_rate", "ppm"} <= set(s2)
    assert {"deliveries", "otd", "score", "grade", "metrics", "risk"} <= set(s2)
    assert (s2["supplier_id"], s2["lots"], s2["lots_accepted"], s2["otd"]) == ("S0002", 4, 4, None)
    assert s2["metrics"]["otd"]["points"] is None
    assert s2["metrics"]["complaints"]["value"] is None  # no complaints table: no data
    assert s2["metrics"]["lot_acceptance_rate"]["name"] == {
        "en": "Lot acceptance rate",
        "zh": "批次合格率",
    }
    assert s2["metrics"]["lots"]["source"] == {
        "table": "inspections",
        "selection": "received-in-month",
        "rows": 4,
    }
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_ranking_puts_equal_scores_on_the_same_rank_and_unscored_last(
    rules: ScorecardRules,
) -> None:
    month = score_month(tables(), MONTH, rules)
    s1, s2, s3 = month.scorecards
    twin = replace(s1, supplier_id="S0000")
    ranked = ranking([s1, s3, twin, s2])
    assert [(r.rank, r.supplier_id, r.score) for r in ranked] == [
        (1, "S0002", 100.0),
        (2, "S0000", 60.0),
        (2, "S0001", 60.0),
        (None, "S0003", None),
    ]


def test_scorecards_frame_is_one_row_per_supplier_month_with_json_detail(
    rules: ScorecardRules,
) -> None:
    month = score_month(tables(), MONTH, rules)
    frame = scorecards_frame(month.scorecards)
    assert frame.schema == pl.Schema(SCORECARD_SCHEMA)
    assert frame.select("month", "supplier_id", "score", "grade").rows() == [
        (MONTH, "S0001", 60.0, "C"),
        (MONTH, "S0002", 100.0, "A"),
        (MONTH, "S0003", None, None),
    ]
    detail = json.loads(frame["metrics"][0])
    assert detail["ppm"]["points"] == 100.0
    assert json.loads(frame["risk_portrait"][0])["coefficient"] == 0.35
    assert scorecards_frame([]).schema == pl.Schema(SCORECARD_SCHEMA)


def test_explanation_lists_the_source_rows_with_their_provenance(rules: ScorecardRules) -> None:
    card = score_month(tables(), MONTH, rules).get("S0002")
    assert card is not None
    explained = explain(card, tables(), rules)
    rows = explained.sources["inspections"]
    assert rows.select("lot_id", "decision", "_submission", "_row").rows() == [
        ("M0", "accept", "sub-oct", 22),
        ("M1", "accept", "sub-oct", 23),
        ("M2", "accept", "sub-oct", 24),
        ("M3", "accept", "sub-oct", 25),
    ]
    assert explained.sources["deliveries"].height == 0
    data = explained.to_dict()
    assert data["sources"]["inspections"][0]["received_date"] == "2026-10-02"
    assert data["metrics"]["ppm"]["source"]["table"] == "inspections"


def parts() -> pl.DataFrame:
    return pl.DataFrame(
        {"part_no": ["P-1", "P-1"], "characteristic": ["D1", "D2"], "material_class": ["B", "A"]}
    )


def history(decisions: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "supplier_id": ["S0001"] * len(decisions),
            "part_no": ["P-1"] * len(decisions),
            "lot_id": [f"H{i}" for i in range(len(decisions))],
            "received_date": [D(2026, 9, 1 + i) for i in range(len(decisions))],
            "qty_received": [1000] * len(decisions),
            "defects": [0 if d == "accept" else 2 for d in decisions],
            "decision": decisions,
        }
    )


def test_plan_uses_the_most_critical_class_and_starts_at_normal() -> None:
    decision = plan_for("S0001", "P-1", 1250, {"parts": parts()})
    a = load_material_rules().classes["A"]
    assert (decision.material_class, decision.level, decision.aql) == ("A", "II", 0.065)
    assert decision.plan == sampling.plan(1250, 0.065, "II", "normal")
    assert [r.id for r in decision.reasons] == [
        "material-class-parts",
        "switching-initial-normal",
        "reduced-not-permitted",
    ]
    assert decision.approvers == tuple(r.id for r in a.conditional_release)


def test_two_lots_not_accepted_of_five_tighten_and_a_conditional_release_counts() -> None:
    tables_ = {"inspections": history(["accept", "conditional", "accept", "reject"])}
    decision = plan_for("S0001", "P-1", 500, tables_, load_material_rules())
    assert decision.severity == "tightened"
    assert decision.plan == sampling.plan(500, 0.065, "II", "tightened")
    switching = decision.reasons[1]
    assert switching.id == "switching-two-of-five-rejected"
    assert switching.params["lot_id"] == "H3"
    assert decision.lots_considered == 4


def test_switching_score_judges_each_lot_by_its_own_lot_size() -> None:
    # Class C (level I, AQL 2.5): a lot of 100 has Ac 0 (+2 when accepted), a lot of 1000
    # Ac 2 (+3 when its defects are within the tighter Ac 1). Five small lots then seven
    # large ones, all accepted with 0 defects: 5 x 2 + 7 x 3 = 31 reaches 30 at lot H11
    # (10 + 6 x 3 = 28 at H10), whatever the size of the lot to come.
    sizes = [100] * 5 + [1000] * 7
    lots = history(["accept"] * len(sizes)).with_columns(qty_received=pl.Series(sizes))
    class_c = pl.DataFrame({"part_no": ["P-1"], "characteristic": ["D1"], "material_class": ["C"]})
    tables_ = {"inspections": lots, "parts": class_c}
    for next_lot in (100, 1000, 10000):
        decision = plan_for("S0001", "P-1", next_lot, tables_)
        assert (decision.material_class, decision.severity) == ("C", "reduced"), next_lot
        assert decision.reasons[1].id == "switching-switching-score-30"
        assert decision.reasons[1].params["lot_id"] == "H11"
        assert decision.plan == sampling.plan(next_lot, 2.5, "I", "reduced")


def test_lots_without_a_size_are_judged_by_the_plan_of_the_lot_to_come() -> None:
    # Class C at lot size 1000 has Ac 2 (+3 a lot with 0 defects): ten lots reach 30 at H9.
    # Lots H0-H3 have no size (a table not written by qsync ingest): they take the next
    # lot's plan; the lot size to plan for comes from the last lot with a size.
    sizes = [None] * 4 + [1000] * 6
    lots = history(["accept"] * 10).with_columns(qty_received=pl.Series(sizes, dtype=pl.Int64))
    class_c = pl.DataFrame({"part_no": ["P-1"], "characteristic": ["D1"], "material_class": ["C"]})
    decision = plan_for("S0001", "P-1", None, {"inspections": lots, "parts": class_c})
    assert (decision.lot_size, decision.severity) == (1000, "reduced")
    assert decision.reasons[0].params == {"lot_size": 1000, "lot_id": "H9"}
    assert decision.reasons[2].params["lot_id"] == "H9"


def test_plan_history_can_stop_before_a_date() -> None:
    tables_ = {"inspections": history(["accept", "conditional", "accept", "reject"])}
    decision = plan_for("S0001", "P-1", 500, tables_, before=D(2026, 9, 4))
    assert (decision.severity, decision.lots_considered) == ("normal", 3)
    assert decision.to_dict()["plan"] == sampling.plan(500, 0.065, "II", "normal").to_dict()
