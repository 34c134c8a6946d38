"""Benchmark: qsync read + normalise + validate of a 1M-row CSV vs a bare ``polars.read_csv``.

Usage::

    uv run python bench/validate_csv.py [--rows 1000000] [--repeats 5]

Generates (once) a CSV with Chinese headers and ~0.1% bad rows under ``bench/out/``, then
runs each side in fresh processes and prints the median ratio and peak RSS. Budget: ≤ 2×.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import child_measure, measure, summarise  # noqa: E402


def _child(mode: str, path: Path) -> None:
    import polars as pl

    if mode == "bare":
        child_measure(lambda: pl.read_csv(path))
        return
    from qsync.resources import default_rules_dir
    from qsync.spec import load_specs
    from qsync.submission import check_file

    specs = load_specs(default_rules_dir())
    # Start-up, not work: pandera registers its Polars backend (and imports its optional
    # strategies) on first use. Both sides have their imports done before the clock starts.
    from pandera.backends.polars.register import register_polars_backends

    register_polars_backends()

    def work() -> None:
        result, _, _ = check_file(path, specs)
        assert result.rows > 0 and result.kind == "inspections", result

    child_measure(work)


def main() -> None:
    """Parse options, generate the data once, measure both sides."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"))
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    data = out / f"inspections_{args.rows}.csv"
    if not data.exists():
        generator = HERE.parent / "sample_data" / "generate.py"
        cmd = [sys.executable, str(generator), "large", str(data), "--rows", str(args.rows)]
        subprocess.run(cmd, check=True)
    print(f"file: {data} ({data.stat().st_size / 2**20:.0f} MiB, {args.rows:,} rows)")
    bare = measure(Path(__file__), "bare", [str(data)], args.repeats)
    qsync = measure(Path(__file__), "qsync", [str(data)], args.repeats)
    summarise("validate_csv", qsync, bare)


if __name__ == "__main__":
    main()
