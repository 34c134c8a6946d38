"""Control-chart flags: Nelson rules on the subgroup means of each measurement series.

A series is one supplier, part and characteristic, its subgroups (lot and subgroup number)
in the order they were measured, over the ``lookback_months`` months ending with the scoring
month. The centre line is the grand mean and σ of a plotted mean is σ_within/√n (R̄/d2, as
:func:`qsync.spc.capability`; MR̄/1.128 for individual values), n the most common subgroup
size. Points flagged by a rule form episodes (runs of consecutive flagged points); the first
episode with a point measured in the month is flagged, its first point being the window.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import polars as pl

from qsync import spc
from qsync.alerts.lots import lookback
from qsync.alerts.model import Flag
from qsync.alerts.rules import NelsonRule
from qsync.score.period import Month
from qsync.score.tables import Tables, get_table

SERIES = ["supplier_id", "part_no", "characteristic"]


def subgroups(tables: Tables, month: Month, months: int) -> pl.DataFrame:
    """Every subgroup of the look-back: its values, mean, size and first measurement time."""
    measurements = get_table(tables, "measurements")
    if measurements is None or "measured_at" not in measurements.collect_schema().names():
        return pl.DataFrame()
    first = lookback(month, months)[0]
    at = pl.col("measured_at").cast(pl.Date)
    return (
        measurements.filter(at.is_between(pl.lit(first.start), pl.lit(month.end), closed="left"))
        .filter(pl.col("value").is_not_null())
        .group_by(*SERIES, "lot_id", "subgroup")
        .agg(
            values=pl.col("value").sort_by("sample_no"),
            mean=pl.col("value").mean(),
            n=pl.len(),
            at=pl.col("measured_at").min(),
        )
        .sort(*SERIES, "at", "lot_id", "subgroup")
        .collect()
    )


def _plot_sigma(groups: list[list[float]]) -> float | None:
    """σ of a plotted subgroup mean, or None when it cannot be estimated."""
    sizes = Counter(len(g) for g in groups)
    n = sizes.most_common(1)[0][0]
    try:
        if n == 1:
            return spc.moving_range_sigma([g[0] for g in groups])
        same = [g for g in groups if len(g) == n]
        return float(spc.sigma_within(same) / n**0.5)
    except ValueError:
        return None


def _episodes(indices: list[int]) -> list[list[int]]:
    """Runs of consecutive indices: ``[1, 2, 5]`` → ``[[1, 2], [5]]``.

    >>> _episodes([1, 2, 5])
    [[1, 2], [5]]
    """
    out: list[list[int]] = []
    for index in indices:
        if out and index == out[-1][-1] + 1:
            out[-1].append(index)
        else:
            out.append([index])
    return out


def nelson_flags(
    tables: Tables, month: Month, rule: NelsonRule, classes: dict[str, str]
) -> list[Flag]:
    """One flag per series and Nelson rule broken by a subgroup measured in ``month``."""
    frame = subgroups(tables, month, rule.lookback_months)
    if frame.is_empty():
        return []
    flags = []
    for key, series in frame.group_by(SERIES, maintain_order=True):
        if series.height < rule.min_subgroups:
            continue
        groups = series["values"].to_list()
        sigma = _plot_sigma(groups)
        if sigma is None or sigma <= 0:
            continue
        centre = statistics.fmean(v for g in groups for v in g)
        means = series["mean"].to_list()
        in_month = [m.date() >= month.start for m in series["at"]]
        broken = spc.nelson_rules(means, centre, sigma)
        supplier, part, characteristic = (str(k) for k in key)
        for number in rule.rules:
            touching = [e for e in _episodes(broken[number]) if any(in_month[i] for i in e)]
            if not touching:
                continue
            first = touching[0]
            flagged = [i for e in touching for i in e if in_month[i]]
            points = [_point(series, i) for i in flagged]
            flags.append(
                Flag(
                    rule="nelson",
                    supplier_id=supplier,
                    part_no=part,
                    subject=characteristic,
                    window=f"R{number}@{series['lot_id'][first[0]]}/{series['subgroup'][first[0]]}",
                    material_class=classes.get(part),
                    evidence={
                        "nelson_rule": number,
                        "characteristic": characteristic,
                        "centre": round(centre, 6),
                        "sigma": round(sigma, 6),
                        "subgroups": series.height,
                        "points_in_month": len(points),
                        "first_lot": series["lot_id"][first[0]],
                        "points": points[:20],
                    },
                )
            )
    return flags


def _point(series: pl.DataFrame, i: int) -> dict[str, Any]:
    return {
        "lot_id": series["lot_id"][i],
        "subgroup": int(series["subgroup"][i]),
        "mean": round(float(series["mean"][i]), 6),
    }
