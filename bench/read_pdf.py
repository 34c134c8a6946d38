"""Benchmark: qsync read + validate of a 50-page certificate vs bare pdfplumber tables.

Usage::

    uv run python bench/read_pdf.py [--pages 50] [--repeats 3]

Generates (once, under ``bench/out/``, with fpdf2) a certificate of analysis whose
measurement table runs over every page with its header repeated; then times, each in fresh
processes, bare ``pdfplumber`` ``extract_tables()`` on every page and qsync's ``check_file``.
Budget: ≤ 1.2×.
"""

from __future__ import annotations

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

HEADER = ["Characteristic", "Subgroup", "Sample No.", "Value (mm)", "Measured At"]
ROWS_PER_PAGE = 30


def generate(path: Path, pages: int) -> None:
    """Write the benchmark certificate."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    widths = [45, 25, 25, 30, 50]
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, "Certificate of Analysis", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for line in ("Supplier Code: S0017", "Part No.: P-1085", "Lot No.: L2610-0042"):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        for text, width in zip(HEADER, widths, strict=True):
            pdf.cell(width, 6, text, border=1)
        pdf.ln()
        for i in range(ROWS_PER_PAGE):
            n = page * ROWS_PER_PAGE + i
            row = ["OD 10.00", str(n // 5 + 1), str(n % 5 + 1), f"{10 + (n % 9 - 4) * 0.004:.3f}"]
            row.append(f"2026-10-{1 + n % 28:02d} 08:{n % 60:02d}")
            for text, width in zip(row, widths, strict=True):
                pdf.cell(width, 6, text, border=1)
            pdf.ln()
    pdf.output(str(path))


def _child(mode: str, path: Path) -> None:
    import pdfplumber
    import polars  # noqa: F401  (start-up, not work)

    if mode == "bare":

        def bare() -> None:
            with pdfplumber.open(path) as pdf:
                tables = [page.extract_tables() for page in pdf.pages]
            assert tables

        child_measure(bare)
        return
    measure_check_file(path, "measurements")


def main() -> None:
    """Parse options, generate the certificate once, measure both sides."""
    args = parse(__doc__, "pages", 50, 3)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return
    data = prepared(f"certificate_{args.size}p.pdf", lambda p: generate(p, args.size))
    print(f"file: {data} ({args.size} pages, {args.size * ROWS_PER_PAGE:,} rows)")
    bare = measure(Path(__file__), "bare", [str(data)], args.repeats)
    qsync = measure(Path(__file__), "qsync", [str(data)], args.repeats)
    summarise("read_pdf", qsync, bare)


if __name__ == "__main__":
    main()
