"""Benchmark: qsync read + normalise + validate of a 1M-row CSV vs a bare ``polars.read_csv``.

Usage::

    uv run python bench/validate_csv.py [--rows 1000000] [--repeats 5]

Generates (once) a CSV with Chinese headers and ~0.1% bad rows under ``bench/out/``, then
runs each side in fresh processes and prints the median ratio and peak RSS. Budget: ≤ 2×.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import (  # noqa: E402
    child_measure,
    measure,
    measure_check_file,
    parse,
    prepared,
    summarise,
)


def _child(mode: str, path: Path) -> None:
    import polars as pl

    if mode == "bare":
        child_measure(lambda: pl.read_csv(path))
        return
    measure_check_file(path, "inspections")


def _generate(path: Path, rows: int) -> None:
    generator = HERE.parent / "sample_data" / "generate.py"
    cmd = [sys.executable, str(generator), "large", str(path), "--rows", str(rows)]
    subprocess.run(cmd, check=True)


def main() -> None:
    """Parse options, generate the data once, measure both sides."""
    args = parse(__doc__, "rows", 1_000_000, 5)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    data = prepared(f"inspections_{args.size}.csv", lambda p: _generate(p, args.size))
    print(f"file: {data} ({data.stat().st_size / 2**20:.0f} MiB, {args.size:,} rows)")
    bare = measure(Path(__file__), "bare", [str(data)], args.repeats)
    qsync = measure(Path(__file__), "qsync", [str(data)], args.repeats)
    summarise("validate_csv", qsync, bare)


if __name__ == "__main__":
    main()
