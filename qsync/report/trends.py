"""Monthly figures over a year, the defect Pareto and purchase spend by grade.

Rows belong to a month by the scoring library's own filters (:mod:`qsync.score.sources`):
inspections by ``received_date``, deliveries by ``promised_date`` with the on-time rule of
``scorecard.yaml``. So the report's PPM and on-time delivery of a month are the scorecards'
figures added up over the suppliers. Spend is booked when goods are received
(``delivered_date`` in the month, ``amount`` of the delivery).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from qsync.score import sources
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules
from qsync.score.tables import Tables, get_table

_TYPES = re.compile(r"\s*[;；,，、]\s*")
_LOT_KEYS = ("lots", "lots_accepted", "defects", "qty_received")
_DUE_KEYS = ("deliveries", "deliveries_on_time")


@dataclass(frozen=True)
class TrendPoint:
    """One month's totals: lots, defects, quantity received, PPM, deliveries, on-time rate."""

    month: str
    lots: int
    lots_accepted: int
    defects: int
    qty_received: int
    deliveries: int
    deliveries_on_time: int

    @property
    def ppm(self) -> float | None:
        """Defects per million parts received (None without any quantity)."""
        return self.defects * 1_000_000 / self.qty_received if self.qty_received else None

    @property
    def otd(self) -> float | None:
        """Share of the deliveries due that came on time (None without any due)."""
        return self.deliveries_on_time / self.deliveries if self.deliveries else None

    @property
    def acceptance(self) -> float | None:
        """Share of the lots received that were accepted."""
        return self.lots_accepted / self.lots if self.lots else None


def months_ending(month: Month, count: int) -> list[Month]:
    """The ``count`` months ending with ``month``, oldest first.

    >>> [m.label for m in months_ending(Month.parse("2026-02"), 3)]
    ['2025-12', '2026-01', '2026-02']
    """
    return [month.shift(-k) for k in range(count - 1, -1, -1)]


def monthly_trend(
    tables: Tables, month: Month, rules: ScorecardRules, count: int = 12
) -> list[TrendPoint]:
    """Totals of each of the ``count`` months ending with ``month`` (one query per table)."""
    months = months_ending(month, count)
    lots: dict[str, dict[str, int]] = {}
    inspections = get_table(tables, "inspections")
    if inspections is not None:
        parts = [
            sources.month_inspections(inspections, m).select(
                pl.lit(m.label).alias("month"),
                lots=pl.len().cast(pl.Int64),
                lots_accepted=sources.lot_accepted(rules).sum().cast(pl.Int64),
                defects=pl.col("defects").sum().cast(pl.Int64),
                qty_received=pl.col("qty_received").sum().cast(pl.Int64),
            )
            for m in months
        ]
        for row in pl.concat(parts).collect().iter_rows(named=True):
            lots[row["month"]] = row
    dues: dict[str, dict[str, int]] = {}
    deliveries = get_table(tables, "deliveries")
    if deliveries is not None:
        parts = [
            sources.month_deliveries(deliveries, m, rules).select(
                pl.lit(m.label).alias("month"),
                deliveries=pl.len().cast(pl.Int64),
                deliveries_on_time=pl.col("on_time").sum().cast(pl.Int64),
            )
            for m in months
        ]
        for row in pl.concat(parts).collect().iter_rows(named=True):
            dues[row["month"]] = row
    return [
        TrendPoint(
            m.label,
            *(int(lots.get(m.label, {}).get(k) or 0) for k in _LOT_KEYS),
            *(int(dues.get(m.label, {}).get(k) or 0) for k in _DUE_KEYS),
        )
        for m in months
    ]


@dataclass(frozen=True)
class DefectType:
    """One bar of the Pareto: a defect type (None: not stated), its defects and lots, its
    share of all defects and the cumulative share up to it."""

    defect_type: str | None
    defects: int
    lots: int
    share: float
    cumulative: float


def split_defects(text: str | None, defects: int) -> list[tuple[str | None, int]]:
    """Share a lot's defects between the types it names: evenly, the remainder going to the
    types named first, so the Pareto adds up to the defects found.

    >>> split_defects("外径超差;毛刺", 5)
    [('外径超差', 3), ('毛刺', 2)]
    >>> split_defects(None, 2)
    [(None, 2)]
    """
    names = [t for t in _TYPES.split(text or "") if t] or [None]
    unique = list(dict.fromkeys(names))
    base, extra = divmod(defects, len(unique))
    return [(name, base + (1 if i < extra else 0)) for i, name in enumerate(unique)]


def defect_pareto(tables: Tables, month: Month) -> list[DefectType]:
    """Defects of the month's inspections by type, most frequent first (ties by name)."""
    inspections = get_table(tables, "inspections")
    if inspections is None:
        return []
    names = inspections.collect_schema().names()
    kind = pl.col("defect_type") if "defect_type" in names else pl.lit(None, pl.String)
    rows = (
        sources.month_inspections(inspections, month)
        .filter(pl.col("defects") > 0)
        .select(kind.alias("defect_type"), "defects")
        .collect()
    )
    totals: dict[str | None, list[int]] = {}
    for text, defects in rows.iter_rows():
        for name, count in split_defects(text, int(defects)):
            entry = totals.setdefault(name, [0, 0])
            entry[0] += count
            entry[1] += 1
    everything = sum(d for d, _ in totals.values())
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0] is None, kv[0] or ""))
    out, running = [], 0
    for name, (defects, lots) in ordered:
        running += defects
        out.append(DefectType(name, defects, lots, defects / everything, running / everything))
    return out


@dataclass(frozen=True)
class Spend:
    """Purchase spend of one grade (None: suppliers without a scorecard) in one currency."""

    grade: str | None
    currency: str | None
    amount: float
    suppliers: int
    share: float


def spend_by_grade(
    tables: Tables,
    month: Month,
    grades: Mapping[str, str | None],
    order: Sequence[str] = ("A", "B", "C", "D"),
) -> list[Spend]:
    """Spend of the goods received in the month by the suppliers' grade, per currency.

    ``grades`` maps supplier id to the month's grade (suppliers without one: None, listed
    last), ``order`` lists the grades best first; the share is within the currency.
    """
    deliveries = get_table(tables, "deliveries")
    if deliveries is None or "amount" not in deliveries.collect_schema().names():
        return []
    names = deliveries.collect_schema().names()
    currency = pl.col("currency") if "currency" in names else pl.lit(None, pl.String)
    per_supplier = (
        deliveries.filter(sources.in_month(pl.col("delivered_date"), month))
        .filter(pl.col("amount").is_not_null())
        .group_by("supplier_id", currency.alias("currency"))
        .agg(amount=pl.col("amount").sum())
        .collect()
    )
    totals: dict[tuple[str | None, str | None], list[float]] = {}
    for supplier, cur, amount in per_supplier.iter_rows():
        entry = totals.setdefault((grades.get(supplier), cur), [0.0, 0])
        entry[0] += float(amount)
        entry[1] += 1
    by_currency: dict[str | None, float] = {}
    for (_, cur), (amount, _) in totals.items():
        by_currency[cur] = by_currency.get(cur, 0.0) + amount

    ranks = {grade: i for i, grade in enumerate(order)}

    def sort_key(key: tuple[str | None, str | None]) -> tuple[str, int]:
        grade, cur = key
        return (cur or "", ranks.get(grade or "", len(ranks)))

    return [
        Spend(
            grade,
            cur,
            amount,
            int(count),
            amount / by_currency[cur] if by_currency[cur] else 0.0,
        )
        for (grade, cur), (amount, count) in sorted(totals.items(), key=lambda kv: sort_key(kv[0]))
    ]
