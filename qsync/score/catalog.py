"""The metrics qsync computes per supplier-month: stable ids, their source table and kind.

Names a person reads live in ``rules/scorecard.yaml`` (``metrics.<id>.name``, English and
Chinese); code and stored data use the ids below. Rates are fractions from 0 to 1 (0.975 is
97.5 %); PPM is parts per million; durations are in days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "rate", "number", "bool", "date", "text"]


@dataclass(frozen=True)
class MetricDef:
    """One metric: where it comes from and what sort of value it is.

    ``table`` is the canonical table whose rows are the metric's sources (``lot_cpk`` is the
    per-lot, per-characteristic Cpk table built from measurements and inspections).
    ``part_level`` marks metrics also computed per supplier-part.
    """

    id: str
    table: str
    kind: Kind
    part_level: bool = False


METRICS: tuple[MetricDef, ...] = (
    MetricDef("lots", "inspections", "count", True),
    MetricDef("lots_accepted", "inspections", "count", True),
    MetricDef("lots_rejected", "inspections", "count", True),
    MetricDef("lots_conditional", "inspections", "count", True),
    MetricDef("lot_acceptance_rate", "inspections", "rate", True),
    MetricDef("defects", "inspections", "count", True),
    MetricDef("qty_received", "inspections", "count", True),
    MetricDef("ppm", "inspections", "number", True),
    MetricDef("cpk_worst", "lot_cpk", "number", True),
    MetricDef("cpk_median", "lot_cpk", "number", True),
    MetricDef("cpk_values", "lot_cpk", "count", True),
    MetricDef("deliveries", "deliveries", "count", True),
    MetricDef("deliveries_on_time", "deliveries", "count", True),
    MetricDef("otd", "deliveries", "rate", True),
    MetricDef("complaints", "complaints", "count"),
    MetricDef("containment_due", "complaints", "count"),
    MetricDef("containment_met", "complaints", "count"),
    MetricDef("closure_due", "complaints", "count"),
    MetricDef("closure_met", "complaints", "count"),
    MetricDef("eightd_timeliness", "complaints", "rate"),
    MetricDef("price_reduction_parts", "price_reductions", "count", True),
    MetricDef("price_reduction_attainment", "price_reductions", "rate", True),
    MetricDef("audit_id", "audits", "text"),
    MetricDef("audit_date", "audits", "date"),
    MetricDef("audit_score", "audits", "number"),
    MetricDef("audit_next_due", "audits", "date"),
    MetricDef("audit_overdue", "audits", "bool"),
    MetricDef("ppap_approved", "ppap", "count", True),
    MetricDef("ppap_cycle_days", "ppap", "number", True),
    MetricDef("energy_kwh", "esg", "number"),
    MetricDef("co2_t", "esg", "number"),
    MetricDef("water_m3", "esg", "number"),
    MetricDef("waste_t", "esg", "number"),
    MetricDef("recycled_pct", "esg", "number"),
    MetricDef("esg_incidents", "esg", "number"),
    MetricDef("certificates_valid", "certificates", "count"),
    MetricDef("certificates_expiring", "certificates", "count"),
    MetricDef("certificates_expired", "certificates", "count"),
    MetricDef("cert_next_expiry", "certificates", "date"),
)

METRIC_IDS: tuple[str, ...] = tuple(m.id for m in METRICS)
BY_ID: dict[str, MetricDef] = {m.id: m for m in METRICS}
