"""Benchmark: one-shot ``qsync trace`` over a 2M-edge genealogy vs networkx, as processes.

Usage::

    uv run --with networkx python bench/trace.py [--edges 2000000] [--repeats 5]

(networkx is a dev dependency; ``--with`` is only needed when it is not installed.)

Generates (once, under ``bench/out/``) a workspace whose store holds a four-level genealogy
(supplier lots → components → sub-assemblies → finished lots) written as a Delta table, with
inspections for the supplier lots and shipments for most finished lots. Then, in the same run:

* ``qsync trace FG… --format json`` (backward) and ``qsync trace --forward SL… --format json``
  as fresh processes, wall time from spawn to exit (start-up, index check and load included);
* the same two questions answered by fresh processes that read the genealogy with Polars,
  build a ``networkx.DiGraph`` and call ``descendants``/``ancestors``, then look up the
  inspections and shipments of the lots found;

and checks that both sides found the same lots. The index is built once before timing (what
ingest does through ``rebuild_index``); its build time is reported, and so is one "cold" trace
that finds no index and rebuilds it first. Budget: < 1 s each, start-up included.

Timings include Python compiling every module when bytecode caching is off
(``PYTHONDONTWRITEBYTECODE=1``); set ``PYTHONPYCACHEPREFIX`` to a folder and unset it to
measure an installed qsync, whose modules are compiled once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Levels: (prefix, lots per 2M edges, lots consumed per lot made). Level 0 is bought in.
LEVELS = (("SL", 200_000, 0), ("C", 250_000, 4), ("SA", 100_000, 6), ("FG", 50_000, 8))
LAUNCH = "import qsync.cli, qsync.cli.trace; from qsync.cli.app import main; main()"


def generate(store: Path, edges: int) -> None:
    """Write genealogy, inspections and shipments Delta tables for about ``edges`` links."""
    import polars as pl

    scale = edges / 2_000_000
    sizes = [max(int(count * scale), 10) for _, count, _ in LEVELS]
    parts = []
    for level in range(1, len(LEVELS)):
        prefix, _, fan_in = LEVELS[level]
        below = LEVELS[level - 1][0]
        made = sizes[level]
        parts.append(
            pl.select(r=pl.int_range(0, made * fan_in, dtype=pl.Int64))
            .select(
                parent=(pl.col("r") // fan_in),
                child=(pl.col("r").hash(level) % sizes[level - 1]).cast(pl.Int64),
                operator=pl.format("E{}", (pl.col("r").hash(99) % 400).cast(pl.String)),
                qty_consumed=(pl.col("r").hash(7) % 500 + 1).cast(pl.Float64),
            )
            .with_columns(
                parent_lot=pl.format("{}-{}", pl.lit(prefix), _pad("parent")),
                child_lot=pl.format("{}-{}", pl.lit(below), _pad("child")),
                work_order=pl.format("WO{}-{}", pl.lit(level), _pad("parent")),
                parent_part_no=pl.format("P-{}{}", pl.lit(level), pl.col("parent") % 50),
                part_no=pl.format("P-{}{}", pl.lit(level - 1), pl.col("child") % 50),
                consumed_at=pl.datetime(2026, 10, 1)
                + pl.duration(seconds=pl.col("parent") * 7 + level * 86_400),
            )
        )
    genealogy = (
        pl.concat(parts)
        .unique(["parent_lot", "child_lot", "work_order"])
        .select(
            "parent_lot",
            "parent_part_no",
            "child_lot",
            "part_no",
            "work_order",
            "operator",
            "qty_consumed",
            "consumed_at",
        )
    )
    genealogy.write_delta(str(store / "genealogy"), mode="overwrite")
    bought = pl.select(n=pl.int_range(0, sizes[0], dtype=pl.Int64)).select(
        lot_id=pl.format("SL-{}", _pad("n")),
        supplier_id=pl.format("S{}", (pl.col("n").hash(3) % 300).cast(pl.String).str.zfill(4)),
        part_no=pl.format("P-0{}", pl.col("n") % 50),
        decision=pl.when(pl.col("n").hash(4) % 25 == 0)
        .then(pl.lit("reject"))
        .otherwise(pl.lit("accept")),
        cpk=(pl.col("n").hash(5) % 150).cast(pl.Float64) / 100 + 0.8,
        received_date=pl.date(2026, 9, 1),
        qty_received=(pl.col("n").hash(6) % 5000 + 100).cast(pl.Int64),
    )
    bought.write_delta(str(store / "inspections"), mode="overwrite")
    finished = sizes[-1]
    pl.select(n=pl.int_range(0, finished, dtype=pl.Int64)).filter(
        pl.col("n").hash(8) % 10 != 0
    ).select(
        shipment_id=pl.format("DN-{}", (pl.col("n") // 3).cast(pl.String).str.zfill(6)),
        lot_id=pl.format("FG-{}", _pad("n")),
        part_no=pl.format("P-3{}", pl.col("n") % 50),
        customer=pl.format("Customer {}", (pl.col("n").hash(9) % 20).cast(pl.String)),
        qty=(pl.col("n").hash(10) % 900 + 100).cast(pl.Int64),
        shipped_date=pl.date(2026, 10, 20),
        ship_to=pl.lit("Plant 1"),
    ).write_delta(str(store / "shipments"), mode="overwrite")


def _pad(column: str) -> object:
    import polars as pl

    return pl.col(column).cast(pl.String).str.zfill(7)


def _child(mode: str, store: Path, lot: str) -> None:
    """networkx side: read, build the graph, answer one question, look up records."""
    import networkx as nx
    import polars as pl

    edges = pl.scan_delta(str(store / "genealogy")).select("parent_lot", "child_lot").collect()
    graph = nx.DiGraph()
    graph.add_edges_from(zip(edges["parent_lot"], edges["child_lot"], strict=True))
    found = nx.descendants(graph, lot) if mode == "backward" else nx.ancestors(graph, lot)
    lots = sorted(found | {lot})
    table = "inspections" if mode == "backward" else "shipments"
    records = pl.scan_delta(str(store / table)).filter(pl.col("lot_id").is_in(lots)).collect()
    print(json.dumps({"lots": lots, "records": records.height}))


def _run(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds from spawn to exit, peak RSS (MiB) and stdout of one process."""
    with tempfile.TemporaryFile("w+b") as out, tempfile.TemporaryFile("w+b") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{argv} failed ({process.returncode}): {err.read().decode()}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode("utf-8")


def _measure(argv: list[str], repeats: int) -> tuple[list[float], list[float], str]:
    times, peaks, out = [], [], ""
    for _ in range(repeats):
        seconds, peak, out = _run(argv)
        times.append(seconds)
        peaks.append(peak)
    return times, peaks, out


def _prepare(root: Path, edges: int) -> None:
    """In a child (so the parent stays small): generate once, then rebuild the index."""
    from qsync.config import init_workspace
    from qsync.trace import rebuild_index

    ws = init_workspace(root)
    store = ws.folder("store")
    if not (store / "genealogy").exists():
        started = time.perf_counter()
        generate(store, edges)
        print(f"generated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    built = rebuild_index(ws)
    print(
        f"index rebuilt in {time.perf_counter() - started:.2f} s: "
        + ", ".join(f"{name} {info.rows:,} rows" for name, info in built.items())
    )


def main() -> None:
    """Generate once, build the index, then time both sides on both questions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "STORE", "LOT"))
    parser.add_argument("--prepare", nargs=2, metavar=("ROOT", "EDGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.child[2])
        return
    if args.prepare:
        _prepare(Path(args.prepare[0]), int(args.prepare[1]))
        return
    root = HERE / "out" / f"trace_{args.edges}"
    subprocess.run([sys.executable, __file__, "--prepare", str(root), str(args.edges)], check=True)
    store = root / "store"
    questions = {"backward": ["FG-0000123"], "forward": ["--forward", "SL-0000123"]}
    qsync = [sys.executable, "-c", LAUNCH, "-w", str(root), "trace", "--format", "json"]
    report: dict[str, dict[str, float]] = {}
    for mode, lot_args in questions.items():
        q_times, q_peaks, q_out = _measure([*qsync, *lot_args], args.repeats)
        lot = lot_args[-1]
        bare = [sys.executable, __file__, "--child", mode, str(store), lot]
        n_times, n_peaks, n_out = _measure(bare, args.repeats)
        q_lots = sorted(item["lot_id"] for item in json.loads(q_out)["lots"])
        n_lots = json.loads(n_out)["lots"]
        assert q_lots == n_lots, f"{mode}: qsync found {len(q_lots)} lots, networkx {len(n_lots)}"
        figures = {
            "lots": len(q_lots),
            "qsync_s": round(statistics.median(q_times), 3),
            "qsync_max_s": round(max(q_times), 3),
            "networkx_s": round(statistics.median(n_times), 3),
            "ratio": round(statistics.median(q_times) / statistics.median(n_times), 3),
            "qsync_peak_rss_mb": round(max(q_peaks)),
            "networkx_peak_rss_mb": round(max(n_peaks)),
        }
        report[mode] = figures
        print(f"trace {mode}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    for part in (store / "_trace_index").glob("*.pack"):
        part.unlink()
    cold, cold_peak, _ = _run([*qsync, *questions["backward"]])
    print(f"trace backward, cold (whole index rebuilt first): {cold:.2f} s, {cold_peak:.0f} MiB")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
