"""Benchmark: qsync read + validate of a 200k-row workbook vs a bare fastexcel read.

Usage::

    uv run python bench/read_excel.py [--rows 200000] [--repeats 5]

Generates (once, under ``bench/out/``) an incoming-inspection workbook with a title block,
the supplier code above the table, Chinese headers and ~0.1% bad rows; then times, each in
fresh processes, ``fastexcel.read_excel(path).load_sheet(0)`` and qsync's ``check_file``
(guard, isolated read, normalise, validate), once with the isolated reader process already
started and once cold. Budget: ≤ 2×.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
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

HEADER = ["物料编码", "批次号", "到货日期", "来料数量", "抽样数", "不良数", "判定", "检验员"]


def generate(path: Path, rows: int) -> None:
    """Write the benchmark workbook with openpyxl's streaming writer."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("来料检验")
    ws.append(["来料检验记录"])
    ws.append(["供应商代码：S0031"])
    ws.append([])
    ws.append(HEADER)
    start = date(2026, 1, 1)
    for i in range(rows):
        bad = i % 997 == 0
        ws.append(
            [
                f"P-{1000 + i % 50}",
                f"L{i:08d}",
                start + timedelta(days=i % 300),
                1200,
                80,
                -1 if bad else i % 3,
                "待定" if i % 1499 == 0 else "合格",
                "王芳",
            ]
        )
    wb.save(path)


def _child(mode: str, path: Path) -> None:
    import polars  # noqa: F401  (start-up, not work)

    if mode == "bare":
        import fastexcel

        child_measure(lambda: fastexcel.read_excel(path).load_sheet(0).to_polars())
        return
    from qsync.readers.guard import start_worker

    # Warm: the isolated reader process already running; cold: started inside the timing.
    measure_check_file(path, "inspections", start_worker if mode == "qsync" else None)


def main() -> None:
    """Parse options, generate the workbook once, measure both sides."""
    args = parse(__doc__, "rows", 200_000, 5)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    data = prepared(f"inspections_{args.size}.xlsx", lambda p: generate(p, args.size))
    print(f"file: {data} ({data.stat().st_size / 2**20:.1f} MiB, {args.size:,} rows)")
    bare = measure(Path(__file__), "bare", [str(data)], args.repeats)
    qsync = measure(Path(__file__), "qsync", [str(data)], args.repeats)
    cold = measure(Path(__file__), "qsync-cold", [str(data)], args.repeats)
    summarise("read_excel (reader process warm)", qsync, bare)
    summarise("read_excel (cold: reader process started inside the timing)", cold, bare)


if __name__ == "__main__":
    main()
