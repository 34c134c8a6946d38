"""Benchmark: the monthly supplier metrics query vs a bare hand-written Polars group-by.

Usage::

    uv run python bench/score.py [--rows 10000000] [--deliveries 1000000] [--months 12]
                                 [--order date|random] [--source store|parquet] [--repeats 7]

Generates (once) inspections and deliveries as Parquet files under ``bench/out/`` (data made
here, with Polars: 500 suppliers, 5,000 parts, rows spread over ``--months`` months of 2026,
in arrival order or shuffled) and, for ``--source store`` (the default, as ``qsync score``
reads them), a qsync store holding them: one append per month through the store's own
writer, with the tables' canonical schemas. Then it times in fresh processes:

* ``bare``: a hand-written lazy group-by per table computing lots, lot acceptance, PPM and
  OTD for one month (2026-06), collected together; ``bare_cpk`` adds the month's reported
  Cpk minimum and median per supplier (for reference);
* ``query``: ``collect_metrics(supplier_metrics(...))`` for the same month: every metric of
  the catalogue, Cpk worst and median included (budget: within 1.5× of ``bare``, < 2 GB);
* ``score``: ``qsync.score.score_month``, the query plus every supplier's points, score,
  grade and risk coefficient (the scorecard objects and their JSON are built only when
  asked for, so they are not timed);
* ``command`` (``--source store`` only): ``score_store(..., save=True)``, what
  ``qsync score --month`` does after start-up: the month scored against the stored earlier
  months, every scorecard object with its JSON detail built, and the month written to the
  store's ``scorecards`` table (replacing the run before).

Both sides scan the same data lazily (the store's Delta tables, opened inside the timed work,
or the Parquet files) and have their imports done before the clock starts; the sides
alternate run by run. Peak RSS is each child's own (data are generated in a
separate child).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import child_measure, interleaved, summarise  # noqa: E402

if TYPE_CHECKING:
    import polars as pl

MONTH = "2026-06"
SUPPLIERS = 500
PARTS = 5_000


def _generate_inspections(path: Path, rows: int, months: int, shuffle: bool) -> None:
    import polars as pl

    days = (date(2026 + (months - 1) // 12, (months - 1) % 12 + 1, 28) - date(2026, 1, 1)).days
    i = pl.col("i")

    def rnd(seed: int, mod: int) -> pl.Expr:
        return (i.hash(seed) % mod).cast(pl.Int64)

    frame = (
        pl.LazyFrame()
        .select(pl.int_range(rows, dtype=pl.Int64).alias("i"))
        .with_columns(
            supplier_id=pl.format("S{}", (rnd(1, SUPPLIERS) + 1000).cast(pl.String)),
            part_no=pl.format("P-{}", (rnd(2, PARTS) + 1000).cast(pl.String)),
            lot_id=pl.format("L{}", i.cast(pl.String)),
            received_date=(pl.lit(date(2026, 1, 1)) + pl.duration(days=i * days // rows)),
            qty_received=rnd(3, 5000) + 50,
            sample_size=pl.lit(32, pl.Int64),
            defects=pl.when(rnd(4, 100) < 90).then(0).otherwise(rnd(5, 4)),
            decision=pl.when(rnd(6, 100) < 95)
            .then(pl.lit("accept"))
            .when(rnd(6, 100) < 98)
            .then(pl.lit("conditional"))
            .otherwise(pl.lit("reject")),
            aql=pl.lit(0.65),
            cpk=pl.when(rnd(7, 10) < 3).then(0.8 + rnd(8, 120) / 100.0),
            inspector=pl.format("QC{}", rnd(9, 20).cast(pl.String)),
            _submission=pl.format("sub-{}", (i // 5000).cast(pl.String)),
            _file=pl.lit("iqc.xlsx"),
            _row=i % 5000 + 2,
        )
        .with_columns(
            received_date=pl.col("received_date").cast(pl.Date),
            inspection_date=(pl.col("received_date") + pl.duration(days=rnd(10, 3))).cast(pl.Date),
        )
    )
    if shuffle:
        frame = frame.sort(i.hash(42))
    frame.drop("i").sink_parquet(path, row_group_size=100_000)


def _generate_deliveries(path: Path, rows: int, months: int, shuffle: bool) -> None:
    import polars as pl

    days = months * 30
    i = pl.col("i")

    def rnd(seed: int, mod: int) -> pl.Expr:
        return (i.hash(seed) % mod).cast(pl.Int64)

    promised = pl.lit(date(2026, 1, 1)) + pl.duration(days=i * days // rows)
    frame = (
        pl.LazyFrame()
        .select(pl.int_range(rows, dtype=pl.Int64).alias("i"))
        .with_columns(
            supplier_id=pl.format("S{}", (rnd(11, SUPPLIERS) + 1000).cast(pl.String)),
            po_no=pl.format("45{}", (rnd(12, 10**8) + 10**7).cast(pl.String)),
            po_line=rnd(13, 20) * 10 + 10,
            part_no=pl.format("P-{}", (rnd(14, PARTS) + 1000).cast(pl.String)),
            lot_id=pl.format("D{}", i.cast(pl.String)),
            qty_delivered=rnd(15, 5000) + 50,
            promised_date=promised.cast(pl.Date),
            delivered_date=(promised + pl.duration(days=rnd(16, 7) - 4)).cast(pl.Date),
            _submission=pl.format("dlv-{}", (i // 5000).cast(pl.String)),
            _row=i % 5000 + 2,
        )
    )
    if shuffle:
        frame = frame.sort(i.hash(43))
    frame.drop("i").sink_parquet(path, row_group_size=100_000)


def _bare_scans(source: str, first: Path, second: Path) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Inspections and deliveries as the bare side reads them: Polars' own scans."""
    import polars as pl

    if source == "store":
        return pl.scan_delta(str(first / "inspections")), pl.scan_delta(str(first / "deliveries"))
    return pl.scan_parquet(first), pl.scan_parquet(second)


def _bare(source: str, first: Path, second: Path, with_cpk: bool = False) -> None:
    import polars as pl

    inspections, deliveries = _bare_scans(source, first, second)
    start, end = date(2026, 6, 1), date(2026, 7, 1)
    month = inspections.filter(pl.col("received_date").is_between(start, end, closed="left"))
    lots = (
        month.group_by("supplier_id")
        .agg(
            lots=pl.len(),
            accepted=(pl.col("decision") == "accept").sum(),
            defects=pl.col("defects").sum(),
            qty=pl.col("qty_received").sum(),
        )
        .with_columns(
            lot_acceptance_rate=pl.col("accepted") / pl.col("lots"),
            ppm=pl.col("defects") * 1_000_000 / pl.col("qty"),
        )
    )
    otd = (
        deliveries.filter(pl.col("promised_date").is_between(start, end, closed="left"))
        .group_by("supplier_id")
        .agg(
            deliveries=pl.len(),
            on_time=(pl.col("delivered_date") <= pl.col("promised_date")).sum(),
        )
        .with_columns(otd=pl.col("on_time") / pl.col("deliveries"))
    )
    queries = [lots, otd]
    if with_cpk:
        cpk = month.filter(pl.col("cpk").is_not_null()).group_by("supplier_id")
        queries.append(cpk.agg(worst=pl.col("cpk").min(), median=pl.col("cpk").median()))
    frames = pl.collect_all(queries)
    assert all(f.height > 0 for f in frames)


def _load_delta_modules() -> None:
    """Import what reading a Delta table imports (``pl.scan_delta`` loads deltalake and
    arro3, collecting it pyarrow): start-up, not work, on both sides."""
    import deltalake
    import pyarrow

    del deltalake, pyarrow


def _child(mode: str, source: str, first: Path, second: Path) -> None:
    import polars as pl

    if source == "store":
        _load_delta_modules()
    if mode in ("bare", "bare_cpk"):
        child_measure(lambda: _bare(source, first, second, with_cpk=mode == "bare_cpk"))
        return
    from qsync.score import collect_metrics, load_scorecard_rules, score_month, supplier_metrics
    from qsync.score.run import store_tables
    from qsync.store import Store, StoreLocation

    rules = load_scorecard_rules()

    def tables() -> dict[str, pl.LazyFrame]:
        if source == "store":
            return store_tables(Store.open(StoreLocation.parse(str(first))))
        return {"inspections": pl.scan_parquet(first), "deliveries": pl.scan_parquet(second)}

    def query() -> None:
        frame = collect_metrics(supplier_metrics(tables(), MONTH, rules))
        assert frame.height > 0 and frame["ppm"].null_count() == 0

    def score() -> None:
        month = score_month(tables(), MONTH, rules)
        assert month.frame.height > 0 and month.frame["grade"].null_count() < month.frame.height

    def command() -> None:
        from qsync.score.run import score_store

        run = score_store(Store.open(StoreLocation.parse(str(first))), MONTH, rules, save=True)
        assert run.version is not None and len(run.cards.scorecards) == run.cards.frame.height

    child_measure({"query": query, "score": score, "command": command}[mode])


def _build_store(root: Path, inspections: Path, deliveries: Path) -> None:
    """A qsync store holding the generated rows: per table, one append per month, in order
    (as monthly ingests leave it), conformed to the table's canonical schema."""
    import polars as pl

    from qsync.resources import default_rules_dir
    from qsync.spec import load_specs
    from qsync.store import Store, StoreLocation, delta
    from qsync.store.schema import conform, spec_schema

    specs = load_specs(default_rules_dir())
    building = root.with_name(root.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    store = Store.open(StoreLocation.parse(str(building)))
    for table, path, by in (
        ("inspections", inspections, "received_date"),
        ("deliveries", deliveries, "promised_date"),
    ):
        schema, target = spec_schema(specs[table]), store.target(table)
        months = pl.scan_parquet(path).select(pl.col(by).dt.truncate("1mo").unique().sort())
        for month in months.collect().to_series():
            rows = pl.scan_parquet(path).filter(pl.col(by).dt.truncate("1mo") == month)
            frame = conform(rows.collect(), schema, table)
            metadata = {"qsync.operation": "bench", "qsync.month": str(month)}
            if not delta.exists(target):
                delta.create(target, schema, table, frame, metadata)
            else:
                delta.append(target, frame, metadata, evolve=False)
    building.rename(root)


def _generate(inspections: Path, deliveries: Path, args: argparse.Namespace) -> None:
    """Write the data files in a child process, so this process stays small.

    A child started by this process inherits its peak RSS on Linux: generating 10M rows
    here would inflate every measurement's ``max_rss_mb``.
    """
    if inspections.exists() and deliveries.exists():
        return
    command = [sys.executable, __file__, "--generate", str(inspections), str(deliveries)]
    command += ["--rows", str(args.rows), "--deliveries", str(args.deliveries)]
    command += ["--months", str(args.months), "--order", args.order]
    subprocess.run(command, check=True)


def main() -> None:
    """Parse options, generate the data once, measure each side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--order", choices=("date", "random"), default="date")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--source", choices=("store", "parquet"), default="store")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "SOURCE", "FIRST", "SECOND"))
    parser.add_argument("--generate", nargs=2, metavar=("INSPECTIONS", "DELIVERIES"))
    parser.add_argument("--build-store", nargs=3, metavar=("ROOT", "INSPECTIONS", "DELIVERIES"))
    args = parser.parse_args()
    if args.child:
        mode, source, first, second = args.child
        _child(mode, source, Path(first), Path(second))
        return
    shuffle = args.order == "random"
    if args.generate:
        _generate_inspections(Path(args.generate[0]), args.rows, args.months, shuffle)
        _generate_deliveries(Path(args.generate[1]), args.deliveries, args.months, shuffle)
        return
    if args.build_store:
        _build_store(*(Path(a) for a in args.build_store))
        return
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    tag = f"{args.months}m_{args.order}"
    inspections = out / f"score_inspections_{args.rows}_{tag}.parquet"
    deliveries = out / f"score_deliveries_{args.deliveries}_{tag}.parquet"
    _generate(inspections, deliveries, args)
    print(
        f"inspections: {args.rows:,} rows ({inspections.stat().st_size / 2**20:.0f} MiB), "
        f"deliveries: {args.deliveries:,} rows, {args.months} months, {args.order} order, "
        f"month scored: {MONTH}"
    )
    sides = [args.source, str(inspections), str(deliveries)]
    if args.source == "store":
        store = out / f"score_store_{args.rows}_{args.deliveries}_{tag}"
        if not store.exists():  # built in a child, so this process stays small
            command = [sys.executable, __file__, "--build-store", str(store), *sides[1:]]
            subprocess.run(command, check=True)
        sides = [args.source, str(store), str(store)]
        print(f"read from the qsync store {store}")
    modes = ("bare", "bare_cpk", "query", "score")
    if args.source == "store":
        modes += ("command",)
    runs = interleaved(Path(__file__), modes, sides, args.repeats)
    summarise("score_query vs bare", runs["query"], runs["bare"])
    summarise("score_query vs bare+cpk", runs["query"], runs["bare_cpk"])
    summarise("score_month vs bare", runs["score"], runs["bare"])
    summarise("score_month vs bare+cpk", runs["score"], runs["bare_cpk"])
    if "command" in runs:
        summarise("score_store(save) vs bare", runs["command"], runs["bare"])


if __name__ == "__main__":
    main()
