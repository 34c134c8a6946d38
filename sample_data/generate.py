"""Generate realistic, messy supplier files for qsync demos and benchmarks.

Two uses, both deterministic (fixed seeds), needing only the standard library and Polars:

``demo OUTDIR``
    Writes the three small supplier CSV files kept in ``sample_data/csv/`` for the
    ``qsync validate`` demo. Each is valid apart from a few planted errors of different kinds:

    * ``iqc_2026-10_华东精密.csv``: incoming inspections in GBK with Chinese headers, mixed
      date styles, quoted thousands separators and full-width digits; planted: defects above the
      sample size, negative defects, an unknown decision (``待定``), an impossible date, a
      duplicate lot number, an empty supplier code and a ``=HYPERLINK(...)`` formula.
    * ``iqc_oct_acme.csv``: incoming inspections in UTF-8 with BOM and English headers;
      planted: ``N/A`` as defects, a sample larger than the lot, a malformed supplier code.
    * ``deliveries_oct_delta.csv``: semicolon-delimited deliveries with mixed English and
      Chinese headers; one late delivery (data, not an error); planted: ``yesterday`` as the
      delivered date, a missing PO number.

    Regenerate the committed files with::

        uv run python sample_data/generate.py demo sample_data/csv

``large OUTFILE --rows N [--bad-fraction 0.001] [--encoding utf-8]``
    Streams a large incoming-inspection CSV with the same Chinese headers as the GBK demo file,
    written in chunks so that 10 million rows need no more than a few hundred MB of memory.
    Suppliers S0001..S0040, five parts each, unique lot numbers, received dates through 2026,
    ISO 2859-1 sample sizes, and about ``--bad-fraction`` bad rows of the same kinds as the demo
    (all but the duplicate lot numbers are unique). Random choices come from Polars' hash of the
    row number, so the output does not depend on the chunk size (it may change with the Polars
    version)::

        uv run python sample_data/generate.py large /tmp/iqc_1m.csv --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

SEED = 20261005
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
IQC_HEADERS_ZH = (
    "供应商代码",
    "物料编码",
    "批次号",
    "到货日期",
    "来料数量",
    "抽样数",
    "不良数",
    "判定",
    "检验员",
)
IQC_HEADERS_EN = (
    "Supplier Code",
    "Part No.",
    "Lot No.",
    "Received Date",
    "Lot Size",
    "Sample Size",
    "Defects",
    "Result",
    "Inspector",
)
DELIVERY_HEADERS = (
    "Supplier Code",
    "PO No.",
    "行号",
    "Part No.",
    "批次号",
    "送货单号",
    "Qty Ordered",
    "交货数量",
    "Unit Price",
    "金额",
    "Currency",
    "Promised Date",
    "实际交货日期",
)
INSPECTORS_ZH = ("张伟", "李娜", "王芳", "刘洋", "陈静", "杨帆")
HYPERLINK = '=HYPERLINK("http://x","click")'
LOT_SIZES = (200, 300, 500, 800, 1000, 1200, 1500, 2000, 2500, 3000, 5000, 8000, 10000, 20000)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Planted errors of the GBK demo file: data row index (0-based) -> what is wrong there.
GBK_ERRORS = {
    6: "defects above sample size",
    11: "negative defects",
    15: "unknown decision",
    20: "impossible date",
    24: "duplicate lot",
    29: "empty supplier code",
    34: "formula",
}
GBK_DUPLICATE_OF = 9
GBK_FULL_WIDTH_ROWS = (3, 27)
ACME_ERRORS = {7: "N/A defects", 14: "sample above lot size", 22: "bad supplier code"}
DELTA_ERRORS = {12: "delivered date 'yesterday'", 19: "missing PO number"}
DELTA_LATE_ROW = 8


def sample_size_for(lot_size: int) -> int:
    """ISO 2859-1 sample size for a lot, general inspection level II.

    >>> sample_size_for(1200), sample_size_for(1201), sample_size_for(50)
    (80, 125, 8)
    """
    table = (
        (8, 2),
        (15, 3),
        (25, 5),
        (50, 8),
        (90, 13),
        (150, 20),
        (280, 32),
        (500, 50),
        (1200, 80),
        (3200, 125),
        (10000, 200),
        (35000, 315),
        (150000, 500),
    )
    for upper, size in table:
        if lot_size <= upper:
            return size
    return 800


def decision_zh(defects: int, rng: random.Random) -> str:
    """A Chinese IQC decision consistent with the defects found (a few written as ``OK``)."""
    if defects == 0:
        return rng.choice(("合格", "合格", "合格", "合格", "允收", "OK"))
    if defects == 1:
        return "特采"
    return "不合格"


def date_text(day: date, style: int) -> str:
    """``day`` in one of the styles suppliers use: 0 ``2026/10/6``, 1 ``2026年10月5日``,
    2 ``2026-10-07``, 3 ``5-Oct-2026``, 4 ``Oct 6, 2026``, 5 ``2026/10/06``."""
    if style == 0:
        return f"{day.year}/{day.month}/{day.day}"
    if style == 1:
        return f"{day.year}年{day.month}月{day.day}日"
    if style == 2:
        return day.isoformat()
    if style == 3:
        return f"{day.day}-{MONTHS[day.month - 1]}-{day.year}"
    if style == 4:
        return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    return day.strftime("%Y/%m/%d")


def thousands(value: float, decimals: int = 0) -> str:
    """``value`` with a comma thousands separator, as spreadsheets export it (``1,200``)."""
    return f"{value:,.{decimals}f}"


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str,
    delimiter: str = ",",
) -> None:
    """Write ``rows`` under ``header`` with Windows line ends, quoting only where needed."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def demo_gbk_rows(rng: random.Random) -> list[list[str]]:
    """Rows of ``iqc_2026-10_华东精密.csv``: 40 lots from supplier S0012 with planted errors."""
    parts = ("P-1001", "P-1002", "P-1003", "P-1004", "P-1005")
    rows: list[list[str]] = []
    for r in range(40):
        day = date(2026, 10, 1) + timedelta(days=r * 30 // 40)
        qty = rng.choice((500, 800, 1200, 1200, 1500, 2000, 3000))
        sample = sample_size_for(qty)
        defects = rng.choices((0, 1, 2, 3), weights=(80, 10, 6, 4))[0]
        qty_text = thousands(qty) if qty >= 1000 and rng.random() < 0.6 else str(qty)
        if r in GBK_FULL_WIDTH_ROWS:
            qty_text = str(qty).translate(FULL_WIDTH)
        row = [
            "S0012",
            rng.choice(parts),
            f"HD2610-{r + 1:03d}",
            date_text(day, r % 4),
            qty_text,
            str(sample),
            str(defects),
            decision_zh(defects, rng),
            rng.choice(INSPECTORS_ZH[:4]),
        ]
        problem = GBK_ERRORS.get(r)
        if problem == "defects above sample size":
            row[6], row[7] = str(sample + 7), "不合格"
        elif problem == "negative defects":
            row[6], row[7] = "-2", "合格"
        elif problem == "unknown decision":
            row[7] = "待定"
        elif problem == "impossible date":
            row[3] = "2026-13-45"
        elif problem == "duplicate lot":
            row[2] = rows[GBK_DUPLICATE_OF][2]
        elif problem == "empty supplier code":
            row[0] = ""
        elif problem == "formula":
            row[8] = HYPERLINK
        rows.append(row)
    return rows


def demo_acme_rows(rng: random.Random) -> list[list[str]]:
    """Rows of ``iqc_oct_acme.csv``: 30 lots from supplier S0107 with planted errors."""
    parts = ("P-2101", "P-2102", "P-2103")
    inspectors = ("J. Miller", "K. Brown", "R. Davis")
    rows: list[list[str]] = []
    for r in range(30):
        day = date(2026, 10, 2) + timedelta(days=r * 28 // 30)
        qty = rng.choice((250, 500, 1000, 2500, 2500, 4000))
        sample = sample_size_for(qty)
        defects = rng.choices((0, 1, 3), weights=(85, 10, 5))[0]
        result = rng.choice(("OK", "Pass", "OK")) if defects <= 1 else "NG"
        row = [
            "S0107",
            rng.choice(parts),
            f"AC2610-{r + 1:03d}",
            date_text(day, rng.choice((2, 4))),
            thousands(qty),
            str(sample),
            str(defects),
            result,
            rng.choice(inspectors),
        ]
        problem = ACME_ERRORS.get(r)
        if problem == "N/A defects":
            row[6] = "N/A"
        elif problem == "sample above lot size":
            row[4], row[5], row[6], row[7] = "50", "80", "0", "OK"
        elif problem == "bad supplier code":
            row[0] = "ACME-1"
        rows.append(row)
    return rows


def demo_delta_rows(rng: random.Random) -> list[list[str]]:
    """Rows of ``deliveries_oct_delta.csv``: 30 PO lines and lots from S0023 with errors."""
    parts = {"P-3001": 3.85, "P-3002": 12.40, "P-3003": 0.62, "P-3004": 27.15}
    rows: list[list[str]] = []
    po_no = 4500012300
    while len(rows) < 30:
        po_no += rng.randint(1, 9)
        for line in range(10, 10 * rng.randint(2, 4), 10):
            part = rng.choice(list(parts))
            price = parts[part]
            ordered = rng.choice((1000, 2000, 2500, 5000, 12000))
            lots = (ordered,) if rng.random() < 0.75 else (ordered // 2, ordered - ordered // 2)
            promised = date(2026, 10, 2) + timedelta(days=rng.randint(0, 27))
            for delivered_qty in lots:
                r = len(rows)
                if r == 30:
                    break
                delivered = promised - timedelta(days=rng.randint(0, 3))
                if r == DELTA_LATE_ROW:
                    delivered = promised + timedelta(days=3)
                row = [
                    "S0023",
                    str(po_no),
                    str(line),
                    part,
                    f"DL{promised:%y%m%d}-{r + 1:02d}",
                    f"DN{delivered:%Y%m%d}",
                    thousands(ordered),
                    thousands(delivered_qty),
                    f"{price:.2f}",
                    thousands(delivered_qty * price, 2),
                    rng.choice(("CNY", "CNY", "RMB")),
                    date_text(promised, rng.choice((2, 5))),
                    date_text(delivered, rng.choice((2, 5))),
                ]
                problem = DELTA_ERRORS.get(r)
                if problem == "delivered date 'yesterday'":
                    row[12] = "yesterday"
                elif problem == "missing PO number":
                    row[1] = ""
                rows.append(row)
    return rows


def write_demo(outdir: Path) -> list[Path]:
    """Write the three demo supplier files into ``outdir``; return their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    files = [
        (outdir / "iqc_2026-10_华东精密.csv", IQC_HEADERS_ZH, demo_gbk_rows(rng), "gbk", ","),
        (outdir / "iqc_oct_acme.csv", IQC_HEADERS_EN, demo_acme_rows(rng), "utf-8-sig", ","),
        (outdir / "deliveries_oct_delta.csv", DELIVERY_HEADERS, demo_delta_rows(rng), "utf-8", ";"),
    ]
    for path, header, rows, encoding, delimiter in files:
        write_csv(path, header, rows, encoding, delimiter)
    return [path for path, *_ in files]


def _pick(salt: int, n: int, seed: int) -> pl.Expr:
    """A deterministic pseudo-random integer in ``[0, n)`` for each row number ``i``."""
    return (pl.col("i").hash(seed=seed + salt) % n).cast(pl.Int64)


def large_chunk(start: int, stop: int, total: int, bad_fraction: float, seed: int) -> pl.DataFrame:
    """Rows ``start``..``stop - 1`` of the large inspection file, all columns as text.

    Columns carry the Chinese headers of :data:`IQC_HEADERS_ZH`; an extra boolean ``bad``
    column says which rows had an error planted (dropped before writing).
    """
    lot_index = _pick(3, len(LOT_SIZES), seed)
    qty = lot_index.replace_strict(dict(enumerate(LOT_SIZES)), return_dtype=pl.Int64)
    sample = lot_index.replace_strict(
        {i: sample_size_for(size) for i, size in enumerate(LOT_SIZES)}, return_dtype=pl.Int64
    )
    roll = _pick(5, 1000, seed)
    defects = (
        pl.when(roll < 950)
        .then(0)
        .when(roll < 985)
        .then(1)
        .when(roll < 996)
        .then(2)
        .otherwise(3 + _pick(6, 3, seed))
    )
    supplier_index = _pick(1, 40, seed)
    day_of_year = (pl.col("i") * 365 // total + _pick(2, 3, seed)).clip(0, 364)
    received = pl.date(2026, 1, 1) + pl.duration(days=day_of_year)
    qty_text = (
        pl.when((qty >= 1000) & (_pick(7, 10, seed) == 0))
        .then(pl.format("{},{}", qty // 1000, (qty % 1000).cast(pl.String).str.zfill(3)))
        .otherwise(qty.cast(pl.String))
    )
    bad = _pick(8, 1_000_000, seed) < round(bad_fraction * 1_000_000)
    kind = _pick(9, 7, seed)
    frame = pl.DataFrame({"i": pl.int_range(start, stop, eager=True, dtype=pl.Int64)})
    base = frame.with_columns(
        supplier=pl.format("S{}", (supplier_index + 1).cast(pl.String).str.zfill(4)),
        part=pl.format("P-{}", (1001 + supplier_index * 5 + _pick(4, 5, seed)).cast(pl.String)),
        lot=pl.format("L26{}", pl.col("i").cast(pl.String).str.zfill(8)),
        date=pl.when(_pick(10, 20, seed) == 0)
        .then(received.dt.strftime("%Y/%-m/%-d"))
        .otherwise(received.dt.strftime("%Y-%m-%d")),
        qty=qty_text,
        sample=sample,
        defects=defects,
        inspector=_pick(11, len(INSPECTORS_ZH), seed).replace_strict(
            dict(enumerate(INSPECTORS_ZH)), return_dtype=pl.String
        ),
        bad=bad,
        kind=pl.when(bad).then(kind).otherwise(-1),
    )
    k = pl.col("kind")
    out = base.select(
        pl.when(k == 5).then(None).otherwise(pl.col("supplier")).alias(IQC_HEADERS_ZH[0]),
        pl.col("part").alias(IQC_HEADERS_ZH[1]),
        pl.when((k == 4) & (pl.col("i") > 0))
        .then(pl.format("L26{}", (pl.col("i") - 1).cast(pl.String).str.zfill(8)))
        .otherwise(pl.col("lot"))
        .alias(IQC_HEADERS_ZH[2]),
        pl.when(k == 3)
        .then(pl.lit("2026-13-45"))
        .otherwise(pl.col("date"))
        .alias(IQC_HEADERS_ZH[3]),
        pl.col("qty").alias(IQC_HEADERS_ZH[4]),
        pl.col("sample").cast(pl.String).alias(IQC_HEADERS_ZH[5]),
        pl.when(k == 0)
        .then(pl.col("sample") + 7)
        .when(k == 1)
        .then(-1)
        .otherwise(pl.col("defects"))
        .cast(pl.String)
        .alias(IQC_HEADERS_ZH[6]),
        pl.when(k == 2)
        .then(pl.lit("待定"))
        .when((k == 0) | (pl.col("defects") >= 2))
        .then(pl.lit("不合格"))
        .when((pl.col("defects") == 1) & (_pick(12, 3, seed) == 0))
        .then(pl.lit("特采"))
        .otherwise(pl.lit("合格"))
        .alias(IQC_HEADERS_ZH[7]),
        pl.when(k == 6)
        .then(pl.lit(HYPERLINK))
        .otherwise(pl.col("inspector"))
        .alias(IQC_HEADERS_ZH[8]),
        pl.col("bad"),
    )
    return out


def write_large(
    path: Path,
    rows: int,
    bad_fraction: float = 0.001,
    encoding: str = "utf-8",
    seed: int = SEED,
    chunk_rows: int = 250_000,
) -> int:
    """Stream a ``rows``-row inspection CSV to ``path`` in chunks; return the bad-row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bad_rows = 0
    with path.open("w", encoding=encoding, newline="") as handle:
        for start in range(0, max(rows, 1), chunk_rows):
            stop = min(start + chunk_rows, rows)
            chunk = large_chunk(start, stop, max(rows, 1), bad_fraction, seed)
            bad_rows += int(chunk["bad"].sum())
            handle.write(chunk.drop("bad").write_csv(include_header=start == 0))
    return bad_rows


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and write the requested files; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the small messy demo supplier files")
    demo.add_argument("outdir", type=Path)
    large = sub.add_parser("large", help="stream a large inspections CSV with Chinese headers")
    large.add_argument("outfile", type=Path)
    large.add_argument("--rows", type=int, required=True, help="number of data rows")
    large.add_argument("--bad-fraction", type=float, default=0.001, help="share of bad rows")
    large.add_argument("--encoding", default="utf-8", help="utf-8, utf-8-sig, gbk, gb18030...")
    large.add_argument("--seed", type=int, default=SEED, help="change to get other data")
    args = parser.parse_args(argv)
    if args.command == "demo":
        for path in write_demo(args.outdir):
            print(f"wrote {path}")
        return 0
    if args.rows < 0 or not 0 <= args.bad_fraction <= 1:
        parser.error("--rows must be >= 0 and --bad-fraction between 0 and 1")
    bad = write_large(args.outfile, args.rows, args.bad_fraction, args.encoding, args.seed)
    print(f"wrote {args.outfile} ({args.rows} rows, {bad} bad, {args.encoding})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
