"""Flags over a supplier-part's lots in received order: the Cpk streak and k-of-n rejections.

Lots are ordered by ``received_date``, then ``lot_id``. Both rules look back
``lookback_months`` months (the scoring month included), so a streak that began last month
and continues this month is found whole and keeps its first lot as its window.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from qsync.alerts.model import Flag
from qsync.alerts.rules import CpkStreakRule, LotsRejectedRule
from qsync.score.metrics import month_lot_cpk
from qsync.score.period import Month
from qsync.score.sources import in_month
from qsync.score.tables import Tables, get_table

KEYS = ["supplier_id", "part_no"]
ORDER = ["supplier_id", "part_no", "received_date", "lot_id"]


def lookback(month: Month, months: int) -> list[Month]:
    """The ``months`` months ending with ``month``, oldest first.

    >>> [m.label for m in lookback(Month.parse("2026-01"), 3)]
    ['2025-11', '2025-12', '2026-01']
    """
    return [month.shift(-k) for k in range(months - 1, -1, -1)]


def received_lots(tables: Tables, month: Month, months: int) -> pl.LazyFrame | None:
    """Inspections of the lots received in the ``months`` months ending with ``month``."""
    inspections = get_table(tables, "inspections")
    if inspections is None:
        return None
    first = lookback(month, months)[0]
    received = pl.col("received_date")
    return inspections.filter(
        received.is_between(pl.lit(first.start), pl.lit(month.end), closed="left")
    ).select(*KEYS, "lot_id", "received_date", "decision")


def lot_cpk_sequence(tables: Tables, month: Month, months: int) -> pl.DataFrame:
    """One row per lot with a Cpk: its worst characteristic's Cpk, in received order.

    Cpk values come from :func:`qsync.score.metrics.month_lot_cpk` for each month of the
    look-back (measured where measurements exist, else as reported).
    """
    lots = received_lots(tables, month, months)
    frames = [month_lot_cpk(tables, m) for m in lookback(month, months)]
    present = [f for f in frames if f is not None]
    if lots is None or not present:
        return pl.DataFrame(
            schema={
                "supplier_id": pl.String,
                "part_no": pl.String,
                "lot_id": pl.String,
                "cpk": pl.Float64,
                "characteristic": pl.String,
                "received_date": pl.Date,
            }
        )
    values = pl.concat(
        [f.select(*KEYS, "lot_id", "characteristic", "cpk") for f in present], how="vertical"
    ).filter(pl.col("cpk").is_not_null())
    worst = values.group_by(*KEYS, "lot_id").agg(
        pl.col("cpk").min(), pl.col("characteristic").sort_by("cpk").first()
    )
    dates = lots.select(*KEYS, "lot_id", "received_date").unique(subset=[*KEYS, "lot_id"])
    return worst.join(dates, on=[*KEYS, "lot_id"], how="inner").sort(ORDER).collect()


def _lot_rows(frame: pl.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    rows = frame.select(columns).to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, date):
                row[key] = value.isoformat()
            elif isinstance(value, float):
                row[key] = round(value, 4)
    return rows


def cpk_streaks(
    sequence: pl.DataFrame, month: Month, rule: CpkStreakRule, classes: dict[str, str]
) -> list[Flag]:
    """Streaks of at least ``rule.consecutive`` lots below ``rule.limit`` touching ``month``.

    ``sequence`` is :func:`lot_cpk_sequence`; ``classes`` maps part to material class. Each
    maximal streak with a lot received in the month is one flag whose window is its first
    lot, so the same streak growing stays the same alert, and a streak after a good lot is
    a new one.
    """
    if sequence.is_empty():
        return []
    low = pl.col("cpk") < rule.limit
    runs = (
        sequence.with_columns(_run=(~low).cast(pl.Int64).cum_sum().over(KEYS), _low=low)
        .filter(pl.col("_low"))
        .group_by(*KEYS, "_run", maintain_order=True)
        .agg(
            pl.struct("lot_id", "received_date", "cpk", "characteristic").alias("lots"),
            n=pl.len(),
            touches=in_month(pl.col("received_date"), month).any(),
        )
        .filter((pl.col("n") >= rule.consecutive) & pl.col("touches"))
    )
    flags = []
    for row in runs.iter_rows(named=True):
        lots = _lot_rows(
            pl.DataFrame(row["lots"]), ["lot_id", "received_date", "cpk", "characteristic"]
        )
        flags.append(
            Flag(
                rule="cpk_streak",
                supplier_id=row["supplier_id"],
                part_no=row["part_no"],
                subject=None,
                window=lots[0]["lot_id"],
                material_class=classes.get(row["part_no"]),
                evidence={
                    "limit": rule.limit,
                    "consecutive": rule.consecutive,
                    "streak": len(lots),
                    "first_lot": lots[0]["lot_id"],
                    "last_lot": lots[-1]["lot_id"],
                    "worst_cpk": min(lot["cpk"] for lot in lots),
                    "lots": lots,
                },
            )
        )
    return flags


def rejection_runs(
    lots: pl.DataFrame, month: Month, rule: LotsRejectedRule, classes: dict[str, str]
) -> list[Flag]:
    """Supplier-parts with at least ``rule.rejected`` of their last ``rule.last`` lots rejected.

    ``lots`` are the received lots (:func:`received_lots`, collected). The condition is
    checked after every lot; an episode is a run of lots after which it holds, and it is
    flagged when one of those lots was received in the month. The window is the lot with
    which the episode began; the evidence lists the last lots up to the episode's last one.
    """
    if lots.is_empty():
        return []
    bad_values = ["reject", "conditional"] if rule.count_conditional else ["reject"]
    ordered = lots.sort(ORDER).with_columns(
        _bad=pl.col("decision").is_in(bad_values).cast(pl.Int64),
        _pos=pl.int_range(pl.len()).over(KEYS),
    )
    ordered = ordered.with_columns(
        _count=pl.col("_bad").rolling_sum(window_size=rule.last, min_samples=1).over(KEYS)
    ).with_columns(_holds=pl.col("_count") >= rule.rejected)
    episodes = (
        ordered.with_columns(_ep=(~pl.col("_holds")).cast(pl.Int64).cum_sum().over(KEYS))
        .filter(pl.col("_holds"))
        .group_by(*KEYS, "_ep", maintain_order=True)
        .agg(
            first_lot=pl.col("lot_id").first(),
            last_pos=pl.col("_pos").max(),
            touches=in_month(pl.col("received_date"), month).any(),
        )
        .filter(pl.col("touches"))
    )
    flags = []
    for row in episodes.iter_rows(named=True):
        keys = (pl.col("supplier_id") == row["supplier_id"]) & (pl.col("part_no") == row["part_no"])
        last = row["last_pos"]
        window = ordered.filter(keys & pl.col("_pos").is_between(last - rule.last + 1, last)).sort(
            "_pos"
        )
        shown = _lot_rows(window, ["lot_id", "received_date", "decision"])
        flags.append(
            Flag(
                rule="lots_rejected",
                supplier_id=row["supplier_id"],
                part_no=row["part_no"],
                subject=None,
                window=row["first_lot"],
                material_class=classes.get(row["part_no"]),
                evidence={
                    "rejected": int(window["_bad"].sum()),
                    "last": len(shown),
                    "threshold": rule.rejected,
                    "of_last": rule.last,
                    "triggered_by": row["first_lot"],
                    "lots": shown,
                },
            )
        )
    return flags
