"""Benchmark: rebuilding each trace index part, against a bare read of the same Delta table.

Usage::

    flock /tmp/bench.lock uv run python bench/trace_index.py \
        [--rows 1000000] [--edges 2000000] [--repeats 5]

Makes (once, under ``bench/out/trace_index_<rows>/``) a workspace whose store holds the
inspections of a generated ``--rows`` CSV loaded with ``qsync ingest`` (the real columns and
types), and a genealogy and shipments as ``bench/trace.py`` writes them for ``--edges`` links.
Then, for each part, in fresh processes (Polars, the Delta engine and qsync imported before
the clock starts):

* ``qsync.trace.index.build_part``: what ``qsync ingest`` and a stale ``qsync trace`` run,
  the build from the table and the write of the pack; the build alone is the time the part
  records, the rest (``write_s``) is the write plus the table's version check;
* the reference, the bare cost of reading the same table: ``polars.read_delta`` and
  ``polars.scan_delta(...).collect()``.

Prints medians, the ratio against ``read_delta`` and the peak RSS of each side, then one JSON
line with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import child_measure, measure, prepared, summarise  # noqa: E402

PARTS = ("inspections", "genealogy", "shipments")
DONE = ".prepared"


def _peak_rss_mb() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _child_part(table: Path) -> None:
    """In a child: time ``build_part`` once; print seconds, the build's share and peak RSS."""
    import time

    import deltalake  # noqa: F401  (the Delta engine, loaded before the clock like Polars)
    import polars  # noqa: F401

    import qsync.store.delta  # noqa: F401  (imported by the first scan otherwise)
    from qsync.trace.index import build_part, part_path

    store, name = table.parent, table.name
    start = time.perf_counter()
    info = build_part(store, name)
    seconds = time.perf_counter() - start
    figures = {
        "seconds": seconds,
        "build_s": info.seconds,
        "write_s": seconds - info.seconds,
        "pack_mb": part_path(store, name).stat().st_size / 2**20,
        "max_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(figures))


def _child(mode: str, table: Path) -> None:
    if mode == "part":
        _child_part(table)
        return
    import deltalake  # noqa: F401
    import polars as pl

    if mode == "read_delta":
        child_measure(lambda: pl.read_delta(str(table)))
    else:
        child_measure(lambda: pl.scan_delta(str(table)).collect())


def _generate_csv(path: Path, rows: int) -> None:
    generator = HERE.parent / "sample_data" / "generate.py"
    cmd = [sys.executable, str(generator), "large", str(path), "--rows", str(rows)]
    subprocess.run(cmd, check=True)


def _write_genealogy(store: Path, edges: int) -> None:
    """Genealogy and shipments (and inspections, replaced later) as ``bench/trace.py`` has them."""
    spec = importlib.util.spec_from_file_location("bench_trace", HERE / "trace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(store, edges)


def _prepare(root: Path, rows: int, edges: int) -> None:
    """In a child (so that the parent stays small): make the workspace once."""
    from qsync.config import init_workspace
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs

    if (root / DONE).exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    data = prepared(f"inspections_{rows}.csv", lambda p: _generate_csv(p, rows))
    ws = init_workspace(root)
    assert ws.root is not None
    for spec in (ws.root / "rules" / "specs").glob("*.yaml"):
        if spec.name != "inspections.yaml":
            spec.unlink()
    store = ws.folder("store")
    _write_genealogy(store, edges)
    shutil.rmtree(store / "inspections")
    [done] = ingest_paths([data], ws, load_specs(ws.rules_dir)).files
    print(f"ingested {done.rows_accepted:,} inspection rows ({done.rows_rejected:,} rejected)")
    (root / DONE).touch()


def _median(runs: list[dict[str, float]], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 3)


def _bench_part(table: Path, repeats: int) -> dict[str, float]:
    """Measure one part against the bare reads of its table; print and return the figures."""
    script = Path(__file__)
    read = measure(script, "read_delta", [str(table)], repeats)
    scan = measure(script, "scan_delta", [str(table)], repeats)
    rebuilt = measure(script, "part", [str(table)], repeats)
    figures = summarise(f"rebuild {table.name}", rebuilt, read)
    figures.update(
        build_s=_median(rebuilt, "build_s"),
        write_s=_median(rebuilt, "write_s"),
        pack_mb=round(rebuilt[-1]["pack_mb"], 1),
        scan_delta_s=_median(scan, "seconds"),
    )
    print(
        f"  build {figures['build_s']} s + write {figures['write_s']} s, pack "
        f"{figures['pack_mb']} MiB; scan_delta().collect() {figures['scan_delta_s']} s"
    )
    return figures


def main() -> None:
    """Make the store once, then measure every part against reading its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TABLE"))
    parser.add_argument("--prepare", nargs=3, metavar=("ROOT", "ROWS", "EDGES"))
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    if args.prepare:
        _prepare(Path(args.prepare[0]), int(args.prepare[1]), int(args.prepare[2]))
        return
    root = HERE / "out" / f"trace_index_{args.rows}"
    prepare = [sys.executable, __file__, "--prepare", str(root), str(args.rows), str(args.edges)]
    subprocess.run(prepare, check=True)
    store = root / "store"
    report = {name: _bench_part(store / name, args.repeats) for name in PARTS}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
