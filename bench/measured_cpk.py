"""Benchmark: the Cpk of every measured lot and characteristic, as ``qsync score`` computes it.

Usage::

    uv run python bench/measured_cpk.py [--lots 4000] [--characteristics 5] [--repeats 5]

Generates (once, ``bench/out/measured_cpk_<lots>x<characteristics>.parquet``) measurements of
``--lots`` lots of 200 suppliers, each lot with ``--characteristics`` characteristics measured
as 5 subgroups of 5 values, and the parts table with their limits. Then times in fresh
processes, Polars and qsync imported before the clock:

* ``qsync``: :func:`qsync.score.cpk.measured_cpk`, one Cpk per lot-characteristic through
  :func:`qsync.spc.within_capability` (R̄/d2, a Python call per group);
* ``bare``: a hand-written Polars group-by computing the same Cpk by R̄/d2 (subgroup ranges,
  then their mean per lot-characteristic), with no check of the data;

and prints the medians, the ratio and each side's peak RSS. Both sides' Cpk agree to 1e-9.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import child_measure, interleaved, prepared, summarise  # noqa: E402

if TYPE_CHECKING:
    import polars as pl

SUBGROUPS, SUBGROUP_SIZE = 5, 5
D2_5 = 2.326  # d2 for subgroups of 5, as qsync.spc's table has it
LSL, USL = 9.0, 11.5


def _generate(path: Path, lots: int, characteristics: int) -> None:
    import polars as pl

    per_lot = characteristics * SUBGROUPS * SUBGROUP_SIZE
    i = pl.col("i")
    (
        pl.LazyFrame()
        .select(pl.int_range(lots * per_lot, dtype=pl.Int64).alias("i"))
        .with_columns(
            supplier_id=pl.format("S{}", (i // per_lot) % 200 + 1000),
            part_no=pl.lit("P-1"),
            lot_id=pl.format("L{}", i // per_lot),
            characteristic=pl.format("C{}", (i // (SUBGROUPS * SUBGROUP_SIZE)) % characteristics),
            subgroup=(i % (SUBGROUPS * SUBGROUP_SIZE)) // SUBGROUP_SIZE,
            sample_no=i % SUBGROUP_SIZE,
            value=10 + (i.hash(1) % 1000).cast(pl.Float64) / 1000,
        )
        .drop("i")
        .sink_parquet(path)
    )


def _parts(characteristics: int) -> pl.LazyFrame:
    import polars as pl

    names = [f"C{k}" for k in range(characteristics)]
    return pl.LazyFrame(
        {
            "part_no": ["P-1"] * characteristics,
            "characteristic": names,
            "material_class": ["A"] * characteristics,
            "lsl": [LSL] * characteristics,
            "usl": [USL] * characteristics,
        }
    )


def _bare(measurements: pl.LazyFrame) -> pl.DataFrame:
    import polars as pl

    keys = ["supplier_id", "part_no", "lot_id", "characteristic"]
    ranges = measurements.group_by(*keys, "subgroup").agg(
        r=pl.col("value").max() - pl.col("value").min(),
        total=pl.col("value").sum(),
        n=pl.len(),
    )
    per_lot = ranges.group_by(*keys).agg(
        sigma=pl.col("r").mean() / D2_5, mean=pl.col("total").sum() / pl.col("n").sum()
    )
    cpk = pl.min_horizontal(USL - pl.col("mean"), pl.col("mean") - LSL) / (3 * pl.col("sigma"))
    return per_lot.select(*keys, cpk=cpk).sort(keys).collect()


def _child(mode: str, path: Path, characteristics: int) -> None:
    import polars as pl

    from qsync.score.cpk import measured_cpk

    def scan() -> pl.LazyFrame:
        return pl.scan_parquet(path)

    def qsync() -> None:
        lots = scan().select("supplier_id", "lot_id").unique()
        result = measured_cpk(scan(), _parts(characteristics), lots)
        assert result["cpk"].null_count() == 0

    def bare() -> None:
        assert _bare(scan()).height > 0

    child_measure(qsync if mode == "qsync" else bare)


def _check(path: Path, characteristics: int) -> None:
    """Both sides compute the same Cpk (the bare side is a fair reference)."""
    import polars as pl

    from qsync.score.cpk import measured_cpk

    lots = pl.scan_parquet(path).select("supplier_id", "lot_id").unique()
    ours = measured_cpk(pl.scan_parquet(path), _parts(characteristics), lots)
    theirs = _bare(pl.scan_parquet(path))
    gap = (ours["cpk"] - theirs["cpk"]).abs().max()
    assert isinstance(gap, float) and gap < 1e-9, gap


def main() -> None:
    """Parse options, generate the data once, check both sides agree, measure each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lots", type=int, default=4000)
    parser.add_argument("--characteristics", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "CHARACTERISTICS"))
    args = parser.parse_args()
    if args.child:
        mode, path, characteristics = args.child
        _child(mode, Path(path), int(characteristics))
        return
    name = f"measured_cpk_{args.lots}x{args.characteristics}.parquet"
    path = prepared(name, lambda p: _generate(p, args.lots, args.characteristics))
    _check(path, args.characteristics)
    groups = args.lots * args.characteristics
    print(f"{groups:,} lot-characteristics of {SUBGROUPS}x{SUBGROUP_SIZE} values")
    sides = [str(path), str(args.characteristics)]
    runs = interleaved(Path(__file__), ("qsync", "bare"), sides, args.repeats)
    summarise("measured_cpk vs bare group-by", runs["qsync"], runs["bare"])


if __name__ == "__main__":
    main()
