"""CSV reader: supplier bytes → :class:`RawTable` of text with source line numbers."""

from __future__ import annotations

import csv as stdcsv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.chunks import chunked_like
from qsync.errors import SupplierFileError
from qsync.fastpath import FileBytes, mark_plain
from qsync.model import Issue
from qsync.readers.base import ROW, RawTable
from qsync.readers.text import HEAD_BYTES, HeaderScore, decode, utf8_head

if TYPE_CHECKING:
    import polars as pl

DELIMITERS = (",", ";", "\t", "|")
# Magic bytes → (key of the catalogue's ``what`` section, English phrase for logs).
_SIGNATURES = {
    b"PK\x03\x04": ("zip", "an Excel or zip file"),
    b"%PDF": ("pdf", "a PDF"),
    b"\xd0\xcf\x11\xe0": ("xls", "an old Excel .xls file"),
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
    for magic, (what, described) in _SIGNATURES.items():
        if head.startswith(magic):
            raise SupplierFileError(
                f"this is {described}, not a CSV text file",
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


def _parse(utf8: bytes, delimiter: str) -> pl.DataFrame:
    import polars as pl

    return pl.read_csv(
        io.BytesIO(utf8),
        has_header=False,
        infer_schema=False,
        separator=delimiter,
        truncate_ragged_lines=False,
        raise_if_empty=False,
    )


def _count_records(data: bytes, text: str | None) -> int:
    """Lines in the file, the record count when no quoted cell spans lines."""
    if text is None:
        return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _line_count(data: bytes) -> int:
    """:func:`_count_records` of undecoded ``data``, counted by Polars' parallel line scan.

    With quoting off, Polars counts every newline (plus an unterminated last line), as
    ``bytes.count`` does, in a fraction of the time.
    """
    import polars as pl

    if not data:
        return _count_records(data, None)
    frame = pl.scan_csv(io.BytesIO(data), has_header=False, quote_char=None, infer_schema=False)
    return int(frame.select(pl.len()).collect().item())


def _line_numbers(text: str, delimiter: str) -> list[int]:
    """Starting line of each record, for files where quoted fields span lines."""
    reader = stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


def _mib(size: int) -> str:
    """A size in MiB as a person writes it, never rounded to a misleading ``1`` or ``0``.

    >>> _mib(1468006), _mib(1048576), _mib(300), _mib(104), _mib(536870912)
    ('1.4', '1', '0.000286', '0.000099', '512')
    """
    mib = size / 2**20
    if mib >= 100:
        return f"{mib:,.0f}"
    text = f"{mib:.3g}"
    return text if "e" not in text else f"{mib:.6f}".rstrip("0").rstrip(".")


def read_csv(
    path: Path,
    header_score: HeaderScore,
    *,
    encoding: str | None = None,
    max_bytes: int = 512 * 1024 * 1024,
    content: FileBytes | None = None,
) -> RawTable:
    """Read a supplier CSV as text with provenance.

    Raises :class:`SupplierFileError` for files that are not a table at all (empty, binary,
    over ``max_bytes``). Everything else — bad bytes, ragged rows — becomes issues.
    ``content``, when given, is the file's bytes already read by the caller (whose scan of
    them may still be running: it is waited for once the text is parsed).
    """
    import polars as pl

    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            size_mb, limit_mb = _mib(size), _mib(max_bytes)
            raise SupplierFileError(
                f"file is {size_mb} MiB, above the {limit_mb} MiB limit",
                reference="file-too-large",
                location=name,
                params={"size_mb": size_mb, "limit_mb": limit_mb},
            )
        data = content.data if content is not None else path.read_bytes()
    except OSError as exc:
        raise SupplierFileError(
            f"cannot read file: {exc.strerror}", location=name, params={"reason": exc.strerror}
        ) from None
    if not data or (len(data) < 65536 and not data.strip()):
        raise SupplierFileError("the file is empty", reference="empty-file", location=name)
    _refuse_binary(path, data[:8192])
    table = RawTable(file=name, frame=pl.DataFrame(), headers=[], format="csv")
    # hashlib releases the GIL on large buffers: hash while Polars parses (and, while each
    # block is in the cache, note whether the file holds any byte of whitespace or
    # full-width forms: see qsync.fastpath). The caller may have started that scan already.
    helpers = ThreadPoolExecutor(max_workers=2)
    scan = content or FileBytes(data, helpers)
    head = None if encoding else utf8_head(data, header_score)
    frame = None
    ragged: list[tuple[int, int]] = []
    text: str | None = None
    counting = None
    if head is not None:
        table.encoding = "utf-8"
        delimiter = sniff_delimiter(head)
        counting = helpers.submit(_line_count, data)  # the lines, counted alongside the parse
        try:
            frame = _parse(data, delimiter)
        except pl.exceptions.ComputeError:
            frame = None  # invalid UTF-8 further on, or ragged rows: take the careful path
    if frame is None:
        decoded = decode(data, header_score, declared=encoding)
        text = decoded.text
        delimiter = sniff_delimiter(text[:HEAD_BYTES])
        table.encoding = decoded.encoding
        if not decoded.certain:
            table.notes.append(
                Issue(name, "encoding-assumed", "warning", params={"encoding": decoded.encoding})
            )
        for line in decoded.bad_lines:
            table.issues.append(
                Issue(
                    name, "encoding-error", "error", row=line, params={"encoding": decoded.encoding}
                )
            )
        clean_utf8 = decoded.encoding == "utf-8" and not decoded.bad_lines
        try:
            frame = _parse(data if clean_utf8 else text.encode(), delimiter)
        except pl.exceptions.ComputeError:
            frame, ragged = _read_ragged(text, delimiter)
    if frame.height == 0 or frame.width == 0:
        raise SupplierFileError("the file is empty", reference="empty-file", location=name)
    if text is not None or counting is None or counting.exception() is not None:
        lines = _count_records(data, text)
    else:
        lines = counting.result()
    single_lines = lines == frame.height
    if single_lines:
        rows = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64)
    else:
        if text is None:
            text = data.decode("utf-8")
        rows = pl.Series(_line_numbers(text, delimiter)[: frame.height], dtype=pl.Int64)
    rows = chunked_like(rows, frame.to_series(0))
    names = [str(i) for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True))).with_columns(rows.alias(ROW))
    filled = pl.any_horizontal(pl.col(names).is_not_null())
    header_at = frame.head(1000).select(filled).to_series().arg_true()
    first = int(header_at[0]) if len(header_at) else 0
    header_values = frame.row(first)[: len(names)]
    table.headers = [("" if v is None else str(v)).strip() for v in header_values]
    table.header_row = int(frame[ROW][first])
    body = frame.slice(first + 1)
    # A blank line is a row of nulls; only rows whose first cell is null can be one.
    if body["0"].null_count() != 0:
        candidates = body["0"].is_null().arg_true()
        blank = candidates.filter(~body[candidates].select(filled).to_series())
        if len(blank):
            kept = pl.repeat(True, body.height, dtype=pl.Boolean, eager=True)
            body = body.filter(kept.scatter(blank, False))
    table.frame = body
    table.sha256, plain = scan.fingerprint()
    helpers.shutdown(wait=False)
    if plain and single_lines and text is None:
        mark_plain(table.frame)
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


def _read_ragged(text: str, delimiter: str) -> tuple[pl.DataFrame, list[tuple[int, int]]]:
    """Slow path for files whose rows have more fields than the header: report each."""
    import polars as pl

    reader = stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = list(reader)
    # Blank lines above the header are records of no field; the header sets the width.
    header = next((r for r in records if any(v.strip() for v in r)), [])
    width = len(header)
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
