"""The scoring rule file ``rules/scorecard.yaml`` (materials: :mod:`qsync.score.materials`).

It is checked when loaded (pydantic with unknown keys forbidden, then cross-checks), and
every mistake is reported at once as ``rules/scorecard.yaml:14 metrics.ppm.weight: ...``
(see :mod:`qsync.rulefile`).
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from qsync.resources import default_rules_dir
from qsync.rulefile import Problem, RuleModel, load_rule_file, suggest
from qsync.score.catalog import BY_ID, METRIC_IDS
from qsync.spec import I18nText
from qsync.yamlsource import Path_

__all__ = [
    "Band",
    "Grade",
    "Linear",
    "MetricRule",
    "Points",
    "Portrait",
    "ScorecardRules",
    "load_scorecard_rules",
]

AuditType = Literal["system", "process", "product", "initial", "special"]
ComplaintStatus = Literal["open", "contained", "closed", "rejected"]


class Band(RuleModel):
    """One band of a points table: ``at_least`` or ``at_most`` a bound (inclusive), or neither.

    Bands are tried in order and the first that holds gives the points; the last band has no
    bound and catches every other value.
    """

    at_least: float | None = None
    at_most: float | None = None
    points: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _one_bound(self) -> Band:
        if self.at_least is not None and self.at_most is not None:
            raise ValueError("a band has either 'at_least' or 'at_most', not both")
        return self

    def holds(self, value: float) -> bool:
        """Whether ``value`` falls in this band."""
        if self.at_least is not None:
            return value >= self.at_least
        if self.at_most is not None:
            return value <= self.at_most
        return True


class Linear(RuleModel):
    """Points rising (or falling) in a straight line: 0 at ``zero_at``, 100 at ``full_at``.

    Values beyond either end are clamped, so ``zero_at: 0.8, full_at: 1.0`` gives 50 points
    at 0.9 and 0 points at 0.7; for "lower is better" put ``zero_at`` above ``full_at``.
    """

    zero_at: float
    full_at: float

    @model_validator(mode="after")
    def _distinct(self) -> Linear:
        if self.zero_at == self.full_at:
            raise ValueError("'zero_at' and 'full_at' must differ")
        return self


class Points(RuleModel):
    """How a metric value becomes 0-100 points: ``bands`` or ``linear``, exactly one."""

    bands: list[Band] | None = None
    linear: Linear | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Points:
        if (self.bands is None) == (self.linear is None):
            raise ValueError("give either 'bands' or 'linear'")
        if self.bands is not None:
            if not self.bands:
                raise ValueError("'bands' needs at least one band")
            *bounded, last = self.bands
            if last.at_least is not None or last.at_most is not None:
                raise ValueError("the last band must have no bound, so every value gets points")
            if any(b.at_least is None and b.at_most is None for b in bounded):
                raise ValueError("only the last band may be without a bound")
        return self

    def of(self, value: float) -> float:
        """Points for ``value``.

        >>> Points(linear=Linear(zero_at=0.8, full_at=1.0)).of(0.9)
        50.0
        >>> Points(bands=[Band(at_most=100, points=100), Band(points=0)]).of(100)
        100.0
        """
        if self.linear is not None:
            low, high = self.linear.zero_at, self.linear.full_at
            share = (value - low) / (high - low)
            return round(100.0 * min(1.0, max(0.0, share)), 6)
        assert self.bands is not None
        return float(next(b.points for b in self.bands if b.holds(value)))


class MetricRule(RuleModel):
    """A metric's name, its group, and (when it counts towards the score) weight and points."""

    name: I18nText
    group: str
    weight: float = Field(default=0, ge=0)
    points: Points | None = None

    @model_validator(mode="after")
    def _weighted_needs_points(self) -> MetricRule:
        if self.weight > 0 and self.points is None:
            raise ValueError("a metric with a weight needs 'points'")
        return self


class Grade(RuleModel):
    """A grade, the lowest score that earns it, and what it triggers."""

    grade: str = Field(min_length=1, max_length=3)
    min_score: float = Field(ge=0, le=100)
    name: I18nText
    actions: list[I18nText] = Field(default_factory=list)


class MissingData(RuleModel):
    """What happens to the weight of a metric without data.

    ``redistribute``: the present metrics share the whole weight in proportion to their own
    weights. ``no_score``: any weighted metric without data leaves the supplier unscored.
    Either way, below ``min_coverage`` (share of the total weight that has data) there is no
    score and no grade.
    """

    policy: Literal["redistribute", "no_score"] = "redistribute"
    min_coverage: float = Field(default=0.5, ge=0, le=1)


class LotRules(RuleModel):
    """Which inspection decisions count as an accepted lot in the lot acceptance rate.

    By default only ``accept``: a conditional acceptance (特采, a concession) is a lot the
    supplier did not deliver to specification, so it counts as not accepted.
    """

    conditional_counts_as_accepted: bool = False


class DeliveryRules(RuleModel):
    """On time means delivered no later than ``tolerance_days`` after the promised date."""

    tolerance_days: int = Field(default=0, ge=0)


def _statuses(*names: ComplaintStatus) -> list[ComplaintStatus]:
    return list(names)


class ComplaintRules(RuleModel):
    """8D deadlines in days after the complaint is received; statuses left out of the count."""

    containment_days: int = Field(default=1, ge=0)
    closure_days: int = Field(default=30, ge=0)
    excluded_status: list[ComplaintStatus] = Field(default_factory=lambda: _statuses("rejected"))


class AuditRules(RuleModel):
    """Which audits count, and the interval assumed when ``next_audit_due`` is empty."""

    interval_months: int = Field(default=12, gt=0)
    types: list[AuditType] = Field(default_factory=lambda: list(typing.get_args(AuditType)))


class CertificateRules(RuleModel):
    """A certificate expires "soon" when it ends within this many days of the month's end."""

    expiring_within_days: int = Field(default=90, ge=0)


class MetricFactor(RuleModel):
    """A risk factor read from metrics: risk = 1 − (mean points of the metrics present)/100."""

    name: I18nText
    weight: float = Field(ge=0)
    metrics: list[str] = Field(min_length=1)


class AuditFactor(MetricFactor):
    """The audit factor; an overdue audit raises the risk to at least ``overdue_risk``."""

    overdue_risk: float = Field(default=1.0, ge=0, le=1)


class CertificateFactor(RuleModel):
    """Risk from certificates: any expired, else any expiring soon, else none."""

    name: I18nText
    weight: float = Field(ge=0)
    expired_risk: float = Field(default=1.0, ge=0, le=1)
    expiring_risk: float = Field(default=0.5, ge=0, le=1)


class TrendFactor(RuleModel):
    """Risk from a falling score: drop versus the mean of the previous ``months`` scores.

    risk = clamp(drop / ``full_risk_drop``, 0, 1); a rising score is no risk.
    """

    name: I18nText
    weight: float = Field(ge=0)
    months: int = Field(default=3, ge=1)
    full_risk_drop: float = Field(default=20, gt=0)


class RiskLevel(RuleModel):
    """A named level of the risk coefficient (0-1), from ``min_risk`` up."""

    level: str
    min_risk: float = Field(ge=0, le=1)
    name: I18nText


class Portrait(RuleModel):
    """Weights and settings of the supplier risk coefficient (0 = no risk, 1 = highest)."""

    quality: MetricFactor
    delivery: MetricFactor
    complaints: MetricFactor
    audits: AuditFactor
    certificates: CertificateFactor
    trend: TrendFactor
    levels: list[RiskLevel] = Field(min_length=1)


class ScorecardRules(RuleModel):
    """Contents of ``rules/scorecard.yaml``."""

    version: Literal[1] = 1
    activity: list[str] = Field(default_factory=lambda: ["lots", "deliveries"], min_length=1)
    missing_data: MissingData = Field(default_factory=MissingData)
    lots: LotRules = Field(default_factory=LotRules)
    delivery: DeliveryRules = Field(default_factory=DeliveryRules)
    complaints: ComplaintRules = Field(default_factory=ComplaintRules)
    audits: AuditRules = Field(default_factory=AuditRules)
    certificates: CertificateRules = Field(default_factory=CertificateRules)
    groups: dict[str, I18nText]
    metrics: dict[str, MetricRule]
    grades: list[Grade] = Field(min_length=1)
    risk_portrait: Portrait

    @property
    def weighted(self) -> dict[str, MetricRule]:
        """The metrics that count towards the score (weight above 0)."""
        return {k: v for k, v in self.metrics.items() if v.weight > 0}

    def grade_for(self, score: float) -> Grade:
        """The grade of ``score``: the first grade whose ``min_score`` it reaches."""
        return next(g for g in self.grades if score >= g.min_score)


def _scorecard_checks(rules: ScorecardRules) -> list[Problem]:
    problems: list[Problem] = []
    for metric_id, rule in rules.metrics.items():
        if metric_id not in BY_ID:
            problems.append(
                (("metrics", metric_id), "unknown metric" + suggest(metric_id, METRIC_IDS))
            )
        elif rule.points is not None and BY_ID[metric_id].kind not in ("count", "rate", "number"):
            problems.append((("metrics", metric_id, "points"), "this metric is not a number"))
        if rule.group not in rules.groups:
            problems.append(
                (("metrics", metric_id, "group"), f"'{rule.group}' is not one of 'groups'")
            )
    if not rules.weighted:
        problems.append((("metrics",), "at least one metric needs a weight above 0"))
    for i, metric_id in enumerate(rules.activity):
        if metric_id not in BY_ID or BY_ID[metric_id].kind != "count":
            problems.append((("activity", i), f"'{metric_id}' is not a count metric"))
    problems.extend(_grade_checks(rules.grades))
    problems.extend(_portrait_checks(rules))
    return problems


def _grade_checks(grades: list[Grade]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, grade in enumerate(grades):
        if grade.grade in seen:
            problems.append((("grades", i, "grade"), f"grade '{grade.grade}' appears twice"))
        seen.add(grade.grade)
        if i and grade.min_score >= grades[i - 1].min_score:
            problems.append(
                (("grades", i, "min_score"), "grades must be listed from the highest score down")
            )
    if grades and grades[-1].min_score != 0:
        problems.append(
            (("grades", len(grades) - 1, "min_score"), "the last grade must start at 0")
        )
    return problems


def _portrait_checks(rules: ScorecardRules) -> list[Problem]:
    problems: list[Problem] = []
    portrait = rules.risk_portrait
    for factor in ("quality", "delivery", "complaints", "audits"):
        model: MetricFactor = getattr(portrait, factor)
        for i, metric_id in enumerate(model.metrics):
            rule = rules.metrics.get(metric_id)
            if rule is None or rule.points is None:
                where = ("risk_portrait", factor, "metrics", i)
                problems.append((where, f"'{metric_id}' is not a metric with points"))
    weights = [getattr(portrait, f).weight for f in Portrait.model_fields if f != "levels"]
    if not any(w > 0 for w in weights):
        problems.append((("risk_portrait",), "at least one factor needs a weight above 0"))
    levels = portrait.levels
    for i in range(1, len(levels)):
        if levels[i].min_risk >= levels[i - 1].min_risk:
            at: Path_ = ("risk_portrait", "levels", i, "min_risk")
            problems.append((at, "levels must be listed from the highest risk down"))
    if levels and levels[-1].min_risk != 0:
        last: Path_ = ("risk_portrait", "levels", len(levels) - 1, "min_risk")
        problems.append((last, "the last level must start at 0"))
    return problems


def load_scorecard_rules(path: Path | None = None, display: str | None = None) -> ScorecardRules:
    """Load and check ``scorecard.yaml`` (the packaged default when ``path`` is None).

    >>> load_scorecard_rules().grade_for(90.0).grade
    'A'
    """
    if path is None:
        path, display = default_rules_dir() / "scorecard.yaml", display or "rules/scorecard.yaml"
    return load_rule_file(path, ScorecardRules, display=display, checks=_scorecard_checks)
