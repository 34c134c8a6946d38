"""The risk portrait: one coefficient per supplier-month with each factor's contribution.

Scale: 0 (no risk seen) to 1 (highest). Each factor (weights and settings in
``rules/scorecard.yaml`` section ``risk_portrait``) gives a risk from 0 to 1:

* quality, delivery, complaints, audits: 1 − (mean points of its metrics with data)/100;
  an overdue audit raises the audit risk to at least ``overdue_risk``;
* certificates: ``expired_risk`` if any certificate type has expired, else
  ``expiring_risk`` if any expires within ``certificates.expiring_within_days``, else 0;
* trend: the drop of this month's score below the mean of up to ``months`` previous scores,
  divided by ``full_risk_drop`` and clamped to 0-1 (a rising score is 0).

The coefficient is the weighted mean of the factors that have data; a factor without data is
None and its weight is shared by the others, as for the score. Each contribution is
risk × share, so the contributions add up to the coefficient.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from qsync.score.rules import MetricFactor, ScorecardRules
from qsync.score.scoring import MetricResult
from qsync.spec import I18nText

FACTORS = ("quality", "delivery", "complaints", "audits", "certificates", "trend")


@dataclass(frozen=True, slots=True)
class RiskContribution:
    """One factor of the portrait: its risk (0-1), weight, share and contribution.

    ``basis`` says what the risk was read from (metric points, overdue flag, certificate
    counts, previous scores), as plain data.
    """

    factor: str
    name: I18nText
    risk: float | None
    weight: float
    share: float | None
    contribution: float | None
    basis: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        return {
            "name": self.name.model_dump(),
            "risk": self.risk,
            "weight": self.weight,
            "share": self.share,
            "contribution": self.contribution,
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class RiskPortrait:
    """Risk coefficient (0-1, None without any factor), its level, and every contribution."""

    coefficient: float | None
    level: str | None
    level_name: I18nText | None
    contributions: tuple[RiskContribution, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary; contributions keyed by factor id."""
        return {
            "coefficient": self.coefficient,
            "level": self.level,
            "level_name": self.level_name.model_dump() if self.level_name else None,
            "contributions": {c.factor: c.to_dict() for c in self.contributions},
        }


def _from_metrics(
    factor: MetricFactor, metrics: Mapping[str, MetricResult]
) -> tuple[float | None, dict[str, object]]:
    points = {m: metrics[m].points for m in factor.metrics if m in metrics}
    present = [p for p in points.values() if p is not None]
    risk = 1 - statistics.fmean(present) / 100 if present else None
    return risk, {"points": points}


def _certificates(
    metrics: Mapping[str, MetricResult], rules: ScorecardRules
) -> tuple[float | None, dict[str, object]]:
    counts: dict[str, object] = {
        c: metrics[c].value
        for c in ("certificates_valid", "certificates_expiring", "certificates_expired")
    }
    if not any(isinstance(v, int) and v > 0 for v in counts.values()):
        return None, counts
    factor = rules.risk_portrait.certificates
    if counts["certificates_expired"]:
        return factor.expired_risk, counts
    if counts["certificates_expiring"]:
        return factor.expiring_risk, counts
    return 0.0, counts


def _trend(
    score: float | None, previous: Sequence[float], rules: ScorecardRules
) -> tuple[float | None, dict[str, object]]:
    factor = rules.risk_portrait.trend
    recent = list(previous)[-factor.months :]
    if score is None or not recent:
        return None, {"previous": recent}
    baseline = statistics.fmean(recent)
    drop = baseline - score
    risk = min(1.0, max(0.0, drop / factor.full_risk_drop))
    return risk, {"previous": recent, "baseline": round(baseline, 2), "change": round(-drop, 2)}


def risk_portrait(
    metrics: Mapping[str, MetricResult],
    score: float | None,
    previous_scores: Sequence[float],
    rules: ScorecardRules,
) -> RiskPortrait:
    """The portrait of one supplier-month.

    ``previous_scores`` are the supplier's scores of the preceding months, oldest first
    (only the last ``trend.months`` are used).
    """
    portrait = rules.risk_portrait
    risks: dict[str, tuple[float | None, dict[str, object]]] = {}
    for name in ("quality", "delivery", "complaints"):
        risks[name] = _from_metrics(getattr(portrait, name), metrics)
    audit_risk, audit_basis = _from_metrics(portrait.audits, metrics)
    overdue = metrics["audit_overdue"].value if "audit_overdue" in metrics else None
    if overdue is True:
        audit_risk = max(audit_risk or 0.0, portrait.audits.overdue_risk)
    risks["audits"] = (audit_risk, {**audit_basis, "overdue": overdue})
    risks["certificates"] = _certificates(metrics, rules)
    risks["trend"] = _trend(score, previous_scores, rules)

    weights = {name: getattr(portrait, name).weight for name in FACTORS}
    have = sum(w for name, w in weights.items() if risks[name][0] is not None)
    contributions = []
    for name in FACTORS:
        risk, basis = risks[name]
        share = weights[name] / have if risk is not None and have > 0 else None
        contributions.append(
            RiskContribution(
                factor=name,
                name=getattr(portrait, name).name,
                risk=round(risk, 4) if risk is not None else None,
                weight=weights[name],
                share=round(share, 6) if share is not None else None,
                contribution=round(risk * share, 4)
                if risk is not None and share is not None
                else None,
                basis=basis,
            )
        )
    if have == 0:
        return RiskPortrait(None, None, None, tuple(contributions))
    coefficient = round(
        sum(weights[n] * (risks[n][0] or 0.0) for n in FACTORS if risks[n][0] is not None) / have, 4
    )
    level = next(lv for lv in portrait.levels if coefficient >= lv.min_risk)
    return RiskPortrait(coefficient, level.level, level.name, tuple(contributions))
