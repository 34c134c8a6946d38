"""CSV reader: supplier bytes → :class:`RawTable` of text with source line numbers."""

from __future__ import annotations

import csv as stdcsv
import io
from pathlib import Path

from qsync.errors import SupplierFileError
from qsync.model import Issue
from qsync.readers.base import ROW, RawTable
from qsync.readers.text import HeaderScore, decode

DELIMITERS = (",", ";", "\t", "|")
_SIGNATURES = {
    b"PK\x03\x04": "an Excel or zip file",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old .xls",
}


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, consistent, columns.

    >>> sniff_delimiter("a;b;c\\n1;2,5;3\\n")
    ';'
    """
    sample = [line for line in text[:65536].splitlines()[:20] if line.strip()]
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        counts = [len(row) for row in stdcsv.reader(sample, delimiter=delim)]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, what in _SIGNATURES.items():
        if head.startswith(magic):
            raise SupplierFileError(
                f"this is a {what} file, not a CSV text file",
                reference="not-a-csv",
                location=str(path),
                params={"what": what},
            )
    if b"\x00" in head[:4096] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SupplierFileError(
            "binary content, not a CSV text file",
            reference="binary-file",
            location=str(path),
        )


def _line_numbers(text: str, delimiter: str) -> list[int]:
    """Starting line of each record, for files where quoted fields span lines."""
    reader = stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


def read_csv(
    path: Path,
    header_score: HeaderScore,
    *,
    encoding: str | None = None,
    max_bytes: int = 512 * 1024 * 1024,
) -> RawTable:
    """Read a supplier CSV as text with provenance.

    Raises :class:`SupplierFileError` for files that are not a table at all (empty, binary,
    over ``max_bytes``). Everything else — bad bytes, ragged rows — becomes issues.
    """
    import polars as pl

    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SupplierFileError(
                f"file is {size / 2**20:,.0f} MiB, above the {max_bytes / 2**20:,.0f} MiB limit",
                reference="file-too-large",
                location=name,
                params={"size_mb": f"{size / 2**20:,.0f}", "limit_mb": f"{max_bytes / 2**20:,.0f}"},
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SupplierFileError(
            f"cannot read file: {exc.strerror}", location=name, params={"reason": exc.strerror}
        ) from None
    if not data.strip():
        raise SupplierFileError("the file is empty", reference="empty-file", location=name)
    _refuse_binary(path, data[:8192])
    decoded = decode(data, header_score, declared=encoding)
    text = decoded.text
    delimiter = sniff_delimiter(text)
    table = RawTable(file=name, frame=pl.DataFrame(), headers=[], format="csv")
    table.encoding = decoded.encoding
    if not decoded.certain:
        table.notes.append(
            Issue(name, "encoding-assumed", "warning", params={"encoding": decoded.encoding})
        )
    for line in decoded.bad_lines:
        table.issues.append(
            Issue(name, "encoding-error", "error", row=line, params={"encoding": decoded.encoding})
        )
    utf8 = data if decoded.encoding == "utf-8" and not decoded.bad_lines else text.encode()
    try:
        frame = pl.read_csv(
            io.BytesIO(utf8),
            has_header=False,
            infer_schema=False,
            separator=delimiter,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
        ragged: list[tuple[int, int]] = []
    except pl.exceptions.ComputeError:
        frame, ragged = _read_ragged(text, delimiter)
    if frame.height == 0 or frame.width == 0:
        raise SupplierFileError("the file is empty", reference="empty-file", location=name)
    newline_rows = text.count("\n") + (0 if text.endswith("\n") else 1)
    if newline_rows == frame.height:
        rows = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64)
    else:
        rows = pl.Series(_line_numbers(text, delimiter)[: frame.height], dtype=pl.Int64)
    names = [str(i) for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True))).with_columns(rows.alias(ROW))
    header_at = frame.select(pl.any_horizontal(pl.col(names).is_not_null())).to_series().arg_true()
    first = int(header_at[0]) if len(header_at) else 0
    header_values = frame.row(first)[: len(names)]
    table.headers = [("" if v is None else str(v)).strip() for v in header_values]
    table.header_row = int(frame[ROW][first])
    body = frame.slice(first + 1)
    table.frame = body.filter(pl.any_horizontal(pl.col(names).is_not_null()))
    for line, count in ragged:
        table.issues.append(
            Issue(
                name,
                "ragged-row",
                "error",
                row=line,
                params={"found": count, "expected": len(table.headers)},
            )
        )
    return table


def _read_ragged(text: str, delimiter: str) -> tuple[object, list[tuple[int, int]]]:
    """Slow path for files whose rows have more fields than the header: report each."""
    import polars as pl

    reader = stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    width = len(records[0]) if records else 0
    ragged: list[tuple[int, int]] = []
    starts = _line_numbers(text, delimiter)
    cells: list[list[str | None]] = []
    for i, record in enumerate(records):
        if len(record) > width and any(v.strip() for v in record[width:]):
            ragged.append((starts[i], len(record)))
        padded = [v if v != "" else None for v in record[:width]]
        cells.append(padded + [None] * (width - len(padded)))
    frame = pl.DataFrame(cells, schema=[f"c{i}" for i in range(width)], orient="row")
    return frame, ragged
