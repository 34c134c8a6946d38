"""Flags over monthly figures: PPM above the class limit, on-time delivery below target,
complaints above a count, and a grade drop.

The month's rows are chosen by the scoring library's own filters (:mod:`qsync.score.sources`),
so a flag and the scorecard count the same deliveries and inspections. PPM and on-time
delivery are computed for each month of the look-back: an alert's window is the first month
of the run of consecutive months in breach that ends with the scoring month, so a supplier
late in August, September and October has one alert, not three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from qsync.alerts.lots import lookback
from qsync.alerts.model import Flag
from qsync.alerts.rules import ComplaintsRule, GradeDropRule, OtdRule, PpmRule
from qsync.score import sources
from qsync.score.materials import MaterialRules
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules
from qsync.score.scorecard import MonthlyScorecards
from qsync.score.tables import Tables, get_table


def run_start(breached: set[str], month: Month, months: int) -> str:
    """The first month of the run of breached months ending with ``month`` (which is breached).

    >>> run_start({"2026-08", "2026-09", "2026-10", "2026-06"}, Month.parse("2026-10"), 6)
    '2026-08'
    """
    start = month
    for back in range(1, months):
        earlier = month.shift(-back)
        if earlier.label not in breached:
            break
        start = earlier
    return start.label


def _per_month(months: Sequence[Month], query: Callable[[Month], pl.LazyFrame]) -> pl.DataFrame:
    return pl.concat(
        [query(m).with_columns(month=pl.lit(m.label)) for m in months], how="vertical"
    ).collect()


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def material_classes(tables: Tables, materials: MaterialRules) -> dict[str, str]:
    """Each part's material class: the most critical declared, else the default class."""
    parts = get_table(tables, "parts")
    if parts is None:
        return {}
    frame = parts.group_by("part_no").agg(pl.col("material_class").drop_nulls().min()).collect()
    return {
        str(part): str(cls or materials.default_class)
        for part, cls in frame.select("part_no", "material_class").iter_rows()
    }


def ppm_over_limit(
    tables: Tables,
    month: Month,
    rule: PpmRule,
    materials: MaterialRules,
    classes: dict[str, str],
) -> list[Flag]:
    """Supplier-parts whose PPM in ``month`` is above their material class's limit."""
    inspections = get_table(tables, "inspections")
    if inspections is None:
        return []
    months = lookback(month, rule.lookback_months)
    frame = _per_month(
        months,
        lambda m: (
            sources.month_inspections(inspections, m)
            .group_by("supplier_id", "part_no")
            .agg(
                lots=pl.len(),
                defects=pl.col("defects").sum(),
                qty_received=pl.col("qty_received").sum(),
            )
        ),
    ).filter((pl.col("qty_received") > 0) & (pl.col("lots") >= rule.min_lots))
    limits = {name: cls.ppm_limit for name, cls in materials.classes.items()}
    flags: list[Flag] = []
    breached: dict[tuple[str, str], set[str]] = {}
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for row in frame.iter_rows(named=True):
        cls = classes.get(row["part_no"], materials.default_class)
        ppm = row["defects"] * 1_000_000 / row["qty_received"]
        if ppm <= limits[cls]:
            continue
        key = (row["supplier_id"], row["part_no"])
        breached.setdefault(key, set()).add(row["month"])
        if row["month"] == month.label:
            current[key] = {**row, "ppm": ppm, "class": cls}
    for key, row in sorted(current.items()):
        flags.append(
            Flag(
                rule="ppm_over_limit",
                supplier_id=key[0],
                part_no=key[1],
                subject=None,
                window=run_start(breached[key], month, rule.lookback_months),
                material_class=row["class"],
                evidence={
                    "month": month.label,
                    "ppm": round(row["ppm"], 1),
                    "limit": limits[row["class"]],
                    "defects": row["defects"],
                    "qty_received": row["qty_received"],
                    "lots": row["lots"],
                    "months_over": sorted(breached[key]),
                },
            )
        )
    return flags


def otd_below_target(
    tables: Tables, month: Month, rule: OtdRule, scorecard: ScorecardRules
) -> list[Flag]:
    """Suppliers whose on-time delivery in ``month`` is below ``rule.target``."""
    deliveries = get_table(tables, "deliveries")
    if deliveries is None:
        return []
    months = lookback(month, rule.lookback_months)
    frame = _per_month(
        months,
        lambda m: (
            sources.month_deliveries(deliveries, m, scorecard)
            .group_by("supplier_id")
            .agg(deliveries=pl.len(), on_time=pl.col("on_time").sum())
        ),
    ).filter(pl.col("deliveries") >= rule.min_deliveries)
    frame = frame.with_columns(otd=pl.col("on_time") / pl.col("deliveries")).filter(
        pl.col("otd") < rule.target
    )
    breached: dict[str, set[str]] = {}
    for supplier, label in frame.select("supplier_id", "month").iter_rows():
        breached.setdefault(supplier, set()).add(label)
    history = {
        (s, m): _round(v, 4) for s, m, v in frame.select("supplier_id", "month", "otd").iter_rows()
    }
    flags = []
    for row in (
        frame.filter(pl.col("month") == month.label).sort("supplier_id").iter_rows(named=True)
    ):
        supplier = row["supplier_id"]
        flags.append(
            Flag(
                rule="otd_below_target",
                supplier_id=supplier,
                part_no=None,
                subject=None,
                window=run_start(breached[supplier], month, rule.lookback_months),
                material_class=None,
                evidence={
                    "month": month.label,
                    "otd": round(row["otd"], 4),
                    "target": rule.target,
                    "deliveries": row["deliveries"],
                    "on_time": row["on_time"],
                    "months_below": {m: history[(supplier, m)] for m in sorted(breached[supplier])},
                },
            )
        )
    return flags


def complaints_above(
    tables: Tables, month: Month, rule: ComplaintsRule, scorecard: ScorecardRules
) -> list[Flag]:
    """Suppliers with more than ``rule.more_than`` complaints received in ``month``."""
    complaints = get_table(tables, "complaints")
    if complaints is None:
        return []
    frame = (
        sources.month_complaints(complaints, month, scorecard)
        .filter(pl.col("received_in_month"))
        .group_by("supplier_id")
        .agg(count=pl.len(), ids=pl.col("complaint_id").sort())
        .filter(pl.col("count") > rule.more_than)
        .sort("supplier_id")
        .collect()
    )
    return [
        Flag(
            rule="complaints",
            supplier_id=row["supplier_id"],
            part_no=None,
            subject=None,
            window=month.label,
            material_class=None,
            evidence={
                "month": month.label,
                "count": row["count"],
                "more_than": rule.more_than,
                "complaints": list(row["ids"]),
            },
        )
        for row in frame.iter_rows(named=True)
    ]


def grade_drops(
    current: MonthlyScorecards,
    previous: MonthlyScorecards,
    rule: GradeDropRule,
    scorecard: ScorecardRules,
) -> list[Flag]:
    """Suppliers whose grade fell by at least ``rule.by_at_least`` grades since last month."""
    order = [g.grade for g in scorecard.grades]
    columns = ("supplier_id", "grade", "score")
    # The scored frames hold each supplier's grade and score: no scorecard object is needed.
    before = {row[0]: row[1:] for row in previous.frame.select(columns).iter_rows()}
    flags = []
    for supplier_id, grade, score in current.frame.select(columns).iter_rows():
        previous_grade, previous_score = before.get(supplier_id, (None, None))
        if previous_grade not in order or grade not in order:
            continue
        steps = order.index(grade) - order.index(previous_grade)
        if steps < rule.by_at_least:
            continue
        flags.append(
            Flag(
                rule="grade_drop",
                supplier_id=supplier_id,
                part_no=None,
                subject=None,
                window=current.month,
                material_class=None,
                evidence={
                    "month": current.month,
                    "grade": grade,
                    "score": _round(score, 1),
                    "previous_month": previous.month,
                    "previous_grade": previous_grade,
                    "previous_score": _round(previous_score, 1),
                    "steps": steps,
                },
            )
        )
    return flags
