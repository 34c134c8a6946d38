"""Benchmark: ``qsync ingest`` of a 1M-row CSV, and a merge of 10k corrected rows into it.

Usage::

    uv run python bench/ingest.py [--rows 1000000] [--corrected 10000] [--repeats 3]

1. ingest: validate + store a generated 1M-row inspections file (about 0.1% bad rows, which
   go to quarantine; raw archive with fsync; submissions row) into an empty store, against a
   bare ``polars.read_csv`` + ``write_delta`` of the same file. Budget: ≤ 2×. Measured
   twice: storing only (``ingest_paths(..., refresh_index=False)``), and as ``qsync ingest``
   runs it, followed by the rebuild of the trace index part of the table written (a derived
   copy for ``qsync trace`` that the bare side has no counterpart for).
2. merge: ingest a corrected file of 10k rows (same lots, changed defects) into the store
   holding the 1M rows (supersede by natural key, history kept), against a bare
   ``read_csv`` + Delta MERGE of the same file into a bare 1M-row table.

Every measurement runs in a fresh process (imports done before the clock starts); the
stores are copied from templates built once, so each run starts from the same state.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import child_measure, measure, summarise  # noqa: E402

LOT = "批次号"


def _child(mode: str, data: Path, template: Path) -> None:
    import polars as pl

    work = Path(tempfile.mkdtemp(prefix="qsync-bench-"))
    try:
        if mode.startswith("bare"):
            target = work / "table"
            if mode == "bare-merge":
                shutil.copytree(template, target)
            _bare(mode, data, target)
            return
        from pandera.backends.polars.register import register_polars_backends

        from qsync.config import find_workspace
        from qsync.ingest import ingest_paths
        from qsync.spec import load_specs
        from qsync.submission import check_file

        register_polars_backends()
        if mode == "validate":
            specs = load_specs(template / "rules")
            child_measure(lambda: check_file(data, specs))
            return
        shutil.copytree(template, work / "ws")
        ws = find_workspace(work / "ws")
        specs = load_specs(ws.rules_dir)
        pl.DataFrame({"a": [1]}).write_delta(work / "warm")  # load the Delta engine first

        refresh = mode == "qsync-index"

        def run() -> None:
            [done] = ingest_paths([data], ws, specs, refresh_index=refresh).files
            assert done.rows_read == done.rows_accepted + done.rows_rejected, done
            assert done.status in ("accepted", "partial"), done.status

        child_measure(run)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bare(mode: str, data: Path, target: Path) -> None:
    import polars as pl

    pl.DataFrame({"a": [1]}).write_delta(target.parent / "warm")
    if mode == "bare-ingest":
        child_measure(lambda: pl.read_csv(data).write_delta(target))
        return

    def merge() -> None:
        source = pl.read_csv(data)
        options = {
            "predicate": f's."{LOT}" = t."{LOT}"',
            "source_alias": "s",
            "target_alias": "t",
        }
        merger = source.write_delta(target, mode="merge", delta_merge_options=options)
        merger.when_matched_update_all().when_not_matched_insert_all().execute()

    child_measure(merge)


def _templates(big: Path, out: Path) -> None:
    """An empty workspace, a workspace holding ``big``, and a bare table of ``big``."""
    import polars as pl

    from qsync.config import init_workspace
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs

    empty = out / "ws_empty"
    loaded = out / "ws_loaded"
    bare = out / "bare_table"
    for folder in (empty, loaded, bare):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in (empty, loaded):
        ws = init_workspace(folder)
        assert ws.root is not None
        for spec in (ws.root / "rules" / "specs").glob("*.yaml"):
            if spec.name != "inspections.yaml":
                spec.unlink()
    ws = init_workspace(loaded)
    ingest_paths([big], ws, load_specs(ws.rules_dir))
    pl.read_csv(big).write_delta(bare)


def _corrected(big: Path, rows: int, target: Path) -> None:
    """``rows`` lines of ``big`` again (lots that appear once), with ``不良数`` changed."""
    import polars as pl

    head = pl.read_csv(big, n_rows=rows * 2, infer_schema=False)
    head = head.unique(subset=LOT, keep="none", maintain_order=True).head(rows)
    head = head.with_columns(
        pl.when(pl.col("不良数") == "0").then(pl.lit("1")).otherwise(pl.lit("0")).alias("不良数")
    )
    head.write_csv(target)


def main() -> None:
    """Parse options, generate the data once, measure both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--corrected", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "TEMPLATE"))
    parser.add_argument("--templates", nargs=3, metavar=("FILE", "FOLDER", "CORRECTED_ROWS"))
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    if args.templates:
        big, folder = Path(args.templates[0]), Path(args.templates[1])
        _templates(big, folder)
        _corrected(big, int(args.templates[2]), folder / "corrected.csv")
        return
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    big = out / f"inspections_{args.rows}.csv"
    if not big.exists():
        generator = HERE.parent / "sample_data" / "generate.py"
        cmd = [sys.executable, str(generator), "large", str(big), "--rows", str(args.rows)]
        subprocess.run(cmd, check=True)
    print(f"file: {big} ({big.stat().st_size / 2**20:.0f} MiB, {args.rows:,} rows)")
    script = Path(__file__)
    templates = out / "ingest_templates"
    # In a child: a parent holding the 1M rows would pass its RSS on to every child it starts.
    prepare = [sys.executable, str(script), "--templates", str(big), str(templates)]
    subprocess.run([*prepare, str(args.corrected)], check=True)
    empty, loaded, bare_table = (templates / n for n in ("ws_empty", "ws_loaded", "bare_table"))
    bare = measure(script, "bare-ingest", [str(big), str(bare_table)], args.repeats)
    qsync = measure(script, "qsync", [str(big), str(empty)], args.repeats)
    indexed = measure(script, "qsync-index", [str(big), str(empty)], args.repeats)
    validate = measure(script, "validate", [str(big), str(empty)], args.repeats)
    summarise("ingest_1m", qsync, bare)
    summarise("  with the trace index refresh (as qsync ingest)", indexed, bare)
    summarise("  of which validate (check_file)", validate, bare)
    corrected = templates / "corrected.csv"
    bare = measure(script, "bare-merge", [str(corrected), str(bare_table)], args.repeats)
    qsync = measure(script, "qsync", [str(corrected), str(loaded)], args.repeats)
    indexed = measure(script, "qsync-index", [str(corrected), str(loaded)], args.repeats)
    name = f"merge_{args.corrected // 1000}k_into_{args.rows // 1000}k"
    summarise(name, qsync, bare)
    summarise("  with the trace index refresh (as qsync ingest)", indexed, bare)
    shutil.rmtree(out / "ingest_templates", ignore_errors=True)


if __name__ == "__main__":
    main()
