"""Supplier scoring: monthly metrics, scorecards and grades, risk portrait, sampling plans.

Library only: every function takes Polars LazyFrames (one per canonical table, any of them
missing) and returns Polars frames or small dataclasses. Rules come from
``rules/scorecard.yaml`` and ``rules/materials.yaml``.

>>> from qsync.score import load_scorecard_rules
>>> load_scorecard_rules().missing_data.policy
'redistribute'
"""

from qsync.score.catalog import METRIC_IDS, METRICS, MetricDef
from qsync.score.explain import Explanation, explain
from qsync.score.materials import MaterialRules, load_material_rules
from qsync.score.metrics import (
    collect_metrics,
    month_lot_cpk,
    supplier_metrics,
    supplier_part_metrics,
)
from qsync.score.period import Month
from qsync.score.plans import PlanDecision, Reason, lot_history, plan_for
from qsync.score.portrait import RiskContribution, RiskPortrait, risk_portrait
from qsync.score.rules import ScorecardRules, load_scorecard_rules
from qsync.score.scorecard import (
    SCORECARD_SCHEMA,
    MonthlyScorecards,
    RankEntry,
    Scorecard,
    ranking,
    score_month,
    score_months,
    scorecards_frame,
    scorecards_from_metrics,
)
from qsync.score.scoring import Composite, MetricResult, MetricSource, composite
from qsync.score.tables import PROVENANCE, Tables

__all__ = [
    "METRICS",
    "METRIC_IDS",
    "PROVENANCE",
    "SCORECARD_SCHEMA",
    "Composite",
    "Explanation",
    "MaterialRules",
    "MetricDef",
    "MetricResult",
    "MetricSource",
    "Month",
    "MonthlyScorecards",
    "PlanDecision",
    "RankEntry",
    "Reason",
    "RiskContribution",
    "RiskPortrait",
    "Scorecard",
    "ScorecardRules",
    "Tables",
    "collect_metrics",
    "composite",
    "explain",
    "load_material_rules",
    "load_scorecard_rules",
    "lot_history",
    "month_lot_cpk",
    "plan_for",
    "ranking",
    "risk_portrait",
    "score_month",
    "score_months",
    "scorecards_frame",
    "scorecards_from_metrics",
    "supplier_metrics",
    "supplier_part_metrics",
]
