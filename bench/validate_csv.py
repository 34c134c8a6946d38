"""Benchmark: qsync read + normalise + validate of a 1M-row CSV vs a bare ``polars.read_csv``.

Usage::

    uv run python bench/validate_csv.py [--rows 1000000] [--repeats 5]

Generates (once) a CSV with Chinese headers and ~0.1% bad rows under ``bench/out/``, then
runs each side in fresh processes, the sides taking turns, and prints the median ratio (of
wall time, and of CPU time) and the peak RSS. Budget: ≤ 2×.

A third side, ``minimal``, is a reference for how low the ratio can go: the work no validator
of this file can skip, written by hand in plain Polars and pandera — read the bytes and hash
them (on a second thread), parse every cell as text (a supplier's value must be quotable as
written), cast the typed columns with the cheap parse only, run the spec's pandera schema,
look for repeated lot numbers and run the row check. It reads no messy cell, counts no line
and builds no issue, so qsync cannot be faster than it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import (  # noqa: E402
    child_measure,
    interleaved,
    measure_check_file,
    parse,
    prepared,
    summarise,
)


def _minimal(path: Path) -> None:
    """The mandatory work on the benchmark file, by hand (see the module docstring)."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import pandera.polars as pa
    import polars as pl
    from pandera.config import ValidationDepth, config_context

    from qsync.resources import default_rules_dir
    from qsync.spec import load_specs
    from qsync.validate import build_schema

    spec = load_specs(default_rules_dir())["inspections"]
    # The generated file's columns (sample_data/generate.py), by their canonical names.
    names = [
        *("supplier_id", "part_no", "lot_id", "received_date", "qty_received"),
        *("sample_size", "defects", "decision", "inspector"),
    ]
    types = {n: spec.columns[n].type for n in names}
    schema = build_schema(spec, names)
    enums = {
        name: {alias: value for value, aliases in values.items() for alias in (value, *aliases)}
        for name in names
        if (values := spec.columns[name].values)
    }

    def cheap(name: str) -> pl.Expr:
        text = pl.col(name)
        if types[name] == "int":
            return text.cast(pl.Int64, strict=False)
        if types[name] == "date":
            return text.str.to_date("%Y-%m-%d", strict=False)
        if types[name] == "enum":
            return text.replace_strict(enums[name], default=None, return_dtype=pl.String)
        return text

    def repeated_lots(lots: pl.Series) -> pl.Series:
        # The file lists its lots in order (checked), so a repeat equals the row before it.
        assert lots.is_sorted()
        return (lots == lots.shift(1)).arg_true()

    def work() -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            data = path.read_bytes()
            digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
            text = pl.read_csv(data, infer_schema=False, new_columns=names)
            typed = text.select(*(cheap(n) for n in names))
            repeats = pool.submit(repeated_lots, typed["lot_id"])
            try:
                # A LazyFrame is validated for its schema only unless told: check the data too.
                with config_context(validation_depth=ValidationDepth.SCHEMA_AND_DATA):
                    schema.validate(typed.lazy(), lazy=True)
            except pa.errors.SchemaErrors as failed:
                assert failed.failure_cases.height > 0
            broken = [typed.filter(~pl.sql_expr(c.expr)).height for c in spec.row_checks]
            assert sum(broken) > 0 and digest.result() and repeats.result() is not None

    child_measure(work)


def _child(mode: str, path: Path) -> None:
    import polars as pl

    if mode == "bare":
        child_measure(lambda: pl.read_csv(path))
        return
    if mode == "minimal":
        from pandera.backends.polars.register import register_polars_backends

        register_polars_backends()
        _minimal(path)
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
    modes = ("bare", "qsync", "minimal")
    runs = interleaved(Path(__file__), modes, [str(data)], args.repeats)
    summarise("validate_csv", runs["qsync"], runs["bare"])
    summarise("minimal (reference)", runs["minimal"], runs["bare"])


if __name__ == "__main__":
    main()
