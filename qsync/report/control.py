"""Control charts of the flagged characteristics: which series, their limits, their points.

A series is one supplier, part and characteristic; a point is one subgroup's mean (lot and
subgroup number) in the order measured, over the ``lookback_months`` months ending with the
report month. As in the alert rules, the centre line is the grand mean and the limits are
those of :mod:`qsync.spc` from the within-subgroup σ (R̄/d2 over subgroups of the most common
size; MR̄/1.128 for individual values). A series is charted when, in the report month,

* a lot's Cpk computed from its measurements (as the scorecard computes it) is below
  ``cpk_limit``, or
* a point measured in the month breaks one of the chosen Nelson ``rules`` (series of at least
  ``min_subgroups`` points only: fewer give no reliable limits to test against).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from qsync import spc
from qsync.score.metrics import month_lot_cpk
from qsync.score.period import Month
from qsync.score.tables import Tables, get_table

SERIES = ("supplier_id", "part_no", "characteristic")


@dataclass(frozen=True)
class ChartSettings:
    """What flags a characteristic (defaults as ``rules/risk.yaml`` ships them)."""

    cpk_limit: float = 1.33
    rules: tuple[int, ...] = (1, 2)
    lookback_months: int = 6
    min_subgroups: int = 20


@dataclass(frozen=True)
class Point:
    """One subgroup mean; ``rules`` are the chosen Nelson rules it broke."""

    lot_id: str
    subgroup: int
    measured_at: datetime
    mean: float
    n: int
    rules: tuple[int, ...]
    in_month: bool


@dataclass(frozen=True)
class Chart:
    """The control chart of one series (``kind`` ``xbar`` or ``i``) and why it is shown."""

    supplier_id: str
    part_no: str
    characteristic: str
    kind: str
    subgroup_size: int
    center: float
    lcl: float
    ucl: float
    lsl: float | None
    usl: float | None
    month_cpk: float | None
    reasons: tuple[str, ...]
    points: tuple[Point, ...] = field(repr=False)

    def broken(self) -> dict[int, int]:
        """How many points broke each rule (rules without a point left out)."""
        counts: Counter[int] = Counter(r for p in self.points for r in p.rules)
        return dict(sorted(counts.items()))


def _month_cpk(tables: Tables, month: Month) -> dict[tuple[str, str, str], float]:
    """The lowest measured lot Cpk of the month per series."""
    lots = month_lot_cpk(tables, month)
    if lots is None:
        return {}
    worst = (
        lots.filter(
            (pl.col("source") == "measurements")
            & pl.col("cpk").is_not_null()
            & pl.col("characteristic").is_not_null()
        )
        .group_by(*SERIES)
        .agg(pl.col("cpk").min())
        .collect()
    )
    return {(r[0], r[1], r[2]): float(r[3]) for r in worst.iter_rows()}


def _spec_limits(tables: Tables) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    parts = get_table(tables, "parts")
    if parts is None:
        return {}
    rows = (
        parts.group_by("part_no", "characteristic")
        .agg(pl.col("lsl").drop_nulls().first(), pl.col("usl").drop_nulls().first())
        .collect()
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows.iter_rows()}


def _limits(groups: list[list[float]]) -> tuple[str, int, float, float, float] | None:
    """(kind, n, centre, LCL, UCL) of the plotted means, or None when σ cannot be had."""
    n = Counter(len(g) for g in groups).most_common(1)[0][0]
    centre = statistics.fmean(v for g in groups for v in g)
    try:
        if n == 1:
            chart, _ = spc.imr_limits(centre, spc.moving_range_sigma([g[0] for g in groups]))
        elif n <= 25:
            sigma = spc.sigma_within([g for g in groups if len(g) == n])
            chart, _ = spc.xbar_r_limits(centre, sigma, n)
        else:
            return None
    except ValueError:
        return None
    if chart.ucl <= chart.lcl:
        return None
    return ("i" if n == 1 else "xbar"), n, centre, chart.lcl, chart.ucl


def control_charts(
    tables: Tables, month: Month, settings: ChartSettings | None = None
) -> list[Chart]:
    """The charts of every flagged series, sorted by supplier, part and characteristic."""
    settings = settings or ChartSettings()
    from qsync.alerts.nelson import subgroups  # the same subgroups the Nelson flags test

    frame = subgroups(tables, month, settings.lookback_months)
    if frame.is_empty():
        return []
    cpks = _month_cpk(tables, month)
    specs = _spec_limits(tables)
    charts = []
    for key, series in frame.group_by(list(SERIES), maintain_order=True):
        supplier, part, characteristic = (str(k) for k in key)
        groups = series["values"].to_list()
        limits = _limits(groups)
        if limits is None:
            continue
        kind, n, centre, lcl, ucl = limits
        means = series["mean"].to_list()
        in_month = [t.date() >= month.start for t in series["at"]]
        broken: dict[int, list[int]] = {}
        if len(means) >= settings.min_subgroups:
            found = spc.nelson_rules(means, centre, (ucl - centre) / 3)
            broken = {r: found[r] for r in settings.rules}
        reasons = []
        cpk = cpks.get((supplier, part, characteristic))
        if cpk is not None and cpk < settings.cpk_limit:
            reasons.append("cpk")
        for rule, indices in broken.items():
            if any(in_month[i] for i in indices):
                reasons.append(f"nelson-{rule}")
        if not reasons:
            continue
        points = tuple(
            Point(
                str(series["lot_id"][i]),
                int(series["subgroup"][i]),
                series["at"][i],
                float(means[i]),
                int(series["n"][i]),
                tuple(r for r, idx in broken.items() if i in idx),
                in_month[i],
            )
            for i in range(series.height)
        )
        lsl, usl = specs.get((part, characteristic), (None, None))
        charts.append(
            Chart(
                supplier,
                part,
                characteristic,
                kind,
                n,
                centre,
                lcl,
                ucl,
                lsl,
                usl,
                cpk,
                tuple(reasons),
                points,
            )
        )
    return sorted(charts, key=lambda c: (c.supplier_id, c.part_no, c.characteristic))
