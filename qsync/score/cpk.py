"""Cpk per lot and characteristic: from measurements when they exist, else as reported.

For the month's lots (inspections received in the month), the measurements of each lot and
characteristic go through :func:`qsync.spc.within_capability` with the part's LSL/USL from the
parts table (within-subgroup σ: R̄/d2 for subgroups, MR̄/1.128 for individual values).
A lot with at least one Cpk computed this way uses those; any other lot uses the ``cpk``
reported on its inspection row (characteristic unknown, shown as null). The month's
``cpk_worst`` and ``cpk_median`` are the minimum and median over all these values, one per
lot and characteristic (one per lot for reported values).
"""

from __future__ import annotations

import polars as pl

from qsync import spc
from qsync.score.tables import provenance_columns

LOT_KEYS = ["supplier_id", "part_no", "lot_id"]
SCHEMA: dict[str, pl.DataType] = {
    "supplier_id": pl.String(),
    "part_no": pl.String(),
    "lot_id": pl.String(),
    "characteristic": pl.String(),
    "cpk": pl.Float64(),
    "n": pl.Int64(),
    "source": pl.String(),
    "note": pl.String(),
}


def _spec_limits(parts: pl.LazyFrame | None) -> pl.LazyFrame:
    if parts is None:
        return pl.LazyFrame(
            schema={
                "part_no": pl.String,
                "characteristic": pl.String,
                "lsl": pl.Float64,
                "usl": pl.Float64,
            }
        )
    return parts.group_by("part_no", "characteristic").agg(
        pl.col("lsl").drop_nulls().first(), pl.col("usl").drop_nulls().first()
    )


def _one(
    values: list[float], subgroups: list[int], lsl: float | None, usl: float | None
) -> tuple[float | None, str | None]:
    """Cpk of one lot-characteristic, or None with the reason id."""
    if lsl is None and usl is None:
        return None, "no-spec-limits"
    try:
        result = spc.within_capability(values, subgroups=subgroups, lsl=lsl, usl=usl)
    except ValueError as exc:
        text = str(exc)
        if "no variation" in text:
            return None, "no-variation"
        if "at least 2" in text:
            return None, "too-few-values"
        if "cannot be mixed" in text:
            return None, "mixed-subgroup-sizes"
        return None, "capability-undefined"
    return result.cpk, None


def measured_cpk(
    measurements: pl.LazyFrame, parts: pl.LazyFrame | None, lots: pl.LazyFrame
) -> pl.DataFrame:
    """Cpk of every lot and characteristic measured among ``lots`` (supplier_id, lot_id).

    Returns the columns of :data:`SCHEMA` with ``source = "measurements"``; ``cpk`` is null
    with a ``note`` (``no-spec-limits``, ``too-few-values``, ``no-variation``,
    ``mixed-subgroup-sizes``) when it cannot be computed. When the measurements carry the
    store's provenance columns, each value carries those of its first measurement (first
    subgroup, first sample), so it can be traced to the supplier's file. Python loops over
    lot-characteristic groups here, never over rows.
    """
    order = ["subgroup", "sample_no"]
    provenance = provenance_columns(measurements)
    grouped = (
        measurements.join(lots, on=["supplier_id", "lot_id"], how="semi")
        .group_by(*LOT_KEYS, "characteristic")
        .agg(
            *(pl.col(c).sort_by(order).first() for c in provenance),
            values=pl.col("value").sort_by(order),
            subgroups=pl.col("subgroup").sort_by(order),
            n=pl.len().cast(pl.Int64),
        )
        .join(_spec_limits(parts), on=["part_no", "characteristic"], how="left")
        .sort(*LOT_KEYS, "characteristic")
        .collect()
    )
    cpks: list[float | None] = []
    notes: list[str | None] = []
    for values, subgroups, lsl, usl in zip(
        grouped["values"], grouped["subgroups"], grouped["lsl"], grouped["usl"], strict=True
    ):
        cpk, note = _one(values.to_list(), subgroups.to_list(), lsl, usl)
        cpks.append(cpk)
        notes.append(note)
    return grouped.select(
        *LOT_KEYS,
        "characteristic",
        pl.Series("cpk", cpks, dtype=pl.Float64),
        "n",
        pl.lit("measurements").alias("source"),
        pl.Series("note", notes, dtype=pl.String),
        *provenance,
    )


def lot_cpk(reported_rows: pl.LazyFrame, measured: pl.DataFrame | None) -> pl.LazyFrame:
    """All Cpk values of the month: measured ones, plus reported ones of unmeasured lots.

    ``reported_rows`` are the month's inspection rows with a reported Cpk; ``measured`` the
    result of :func:`measured_cpk` (or None without measurements). Measured rows with a
    null Cpk are kept (with their note) so the explanation can say why a value is missing;
    reported rows keep the store's provenance columns when the inspections have them.
    """
    reported = reported_rows.select(
        *LOT_KEYS,
        pl.lit(None, pl.String).alias("characteristic"),
        "cpk",
        pl.lit(None, pl.Int64).alias("n"),
        pl.lit("reported").alias("source"),
        pl.lit(None, pl.String).alias("note"),
        *provenance_columns(reported_rows),
    )
    if measured is None or measured.is_empty():
        return reported
    covered = measured.filter(pl.col("cpk").is_not_null()).select("supplier_id", "lot_id")
    reported = reported.join(covered.lazy().unique(), on=["supplier_id", "lot_id"], how="anti")
    return pl.concat([measured.lazy(), reported], how="diagonal_relaxed")
