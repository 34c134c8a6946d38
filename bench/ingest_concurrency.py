"""Benchmark: concurrent ingests, a workspace lock against Delta's optimistic retries.

Usage::

    uv run python bench/ingest_concurrency.py [--processes 2 4] [--files 5] [--rows 1000 50000]

Each of P processes ingests its own F files (distinct lots, one table) into one store at the
same moment, once with the writer lock (``store/.lock``: validation in parallel, writes one at
a time, new keys appended) and once without (every write a MERGE, conflicts retried with
backoff). Prints the wall time of the writes (all children start together, after their
imports) and the commit conflicts retried, and checks that nothing was lost or doubled.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision"


def write_file(path: Path, prefix: str, rows: int) -> None:
    """A valid inspections CSV whose lots are ``<prefix>-<n>``."""
    lines = [HEADER]
    lines += [f"S0042,P-1001,{prefix}-{n:07d},2026-10-05,500,50,{n % 3},OK" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def child(mode: str, start_at: float, workspace: Path, files: list[Path]) -> None:
    """At ``start_at`` (after imports), ingest ``files``; print end time, retries, waits."""
    from qsync.config import find_workspace
    from qsync.ingest import ingest_paths
    from qsync.spec import load_specs
    from qsync.store import open_store

    ws = find_workspace(workspace)
    specs = load_specs(ws.rules_dir)
    store = open_store(ws)
    waits = []
    time.sleep(max(0.0, start_at - time.time()))
    report = ingest_paths(
        files, ws, specs, store=store, lock=mode == "lock", on_wait=lambda h: waits.append(h)
    )
    end = time.time()
    assert all(f.status == "accepted" for f in report.files), [f.status for f in report.files]
    print(json.dumps({"end": end, "retries": store.retries, "waits": len(waits)}))


def run(mode: str, processes: int, files: int, rows: int) -> dict[str, float]:
    """One round: fresh workspace, P children started together; returns the figures."""
    from qsync.config import init_workspace
    from qsync.store import open_store

    root = Path(tempfile.mkdtemp(prefix="qsync-bench-"))
    try:
        ws = init_workspace(root / "ws")
        assert ws.root is not None
        groups = []
        for p in range(processes):
            group = []
            for f in range(files):
                path = root / f"p{p}_f{f}.csv"
                write_file(path, f"L{p}{f:02d}", rows)
                group.append(str(path))
            groups.append(group)
        script = str(Path(__file__).resolve())
        start_at = time.time() + 5.0  # every child has imported everything by then
        children = [
            subprocess.Popen(
                [sys.executable, script, "--child", mode, str(start_at), str(ws.root), *group],
                stdout=subprocess.PIPE,
                text=True,
            )
            for group in groups
        ]
        outputs = [json.loads(c.communicate()[0].strip().splitlines()[-1]) for c in children]
        wall = max(o["end"] for o in outputs) - start_at
        table = open_store(ws).read("inspections")
        expected = processes * files * rows
        assert table.height == expected, (table.height, expected)
        assert table["lot_id"].n_unique() == expected
        assert open_store(ws).submissions().height == processes * files
        return {
            "wall_s": round(wall, 2),
            "retries": sum(o["retries"] for o in outputs),
            "lock_waits": sum(o["waits"] for o in outputs),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Parse options and print one line per configuration and mode."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, start_at, workspace, *files = args.child
        child(mode, float(start_at), Path(workspace), [Path(p) for p in files])
        return
    for rows in args.rows:
        for processes in args.processes:
            for mode in ("lock", "retry"):
                figures = run(mode, processes, args.files, rows)
                print(
                    f"{processes} processes x {args.files} files x {rows} rows, {mode:5}: "
                    + ", ".join(f"{k}={v}" for k, v in figures.items()),
                    flush=True,
                )


if __name__ == "__main__":
    main()
