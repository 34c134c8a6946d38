"""PDF reader: supplier tables printed to PDF → :class:`RawTable` with the page and row of each row.

pdfplumber returns a table that spans pages as one table per page, usually with the header
repeated: tables are joined while their header stays the same, repeated headers are dropped,
and a page table without a header continues the previous table when it has as many columns.
Ruled tables are found first; only when none matches a spec are borderless (text-aligned)
tables tried. ``_row`` is the row's index within its page's table, counting that page's
header row as row 1 (a continuation page without a header starts at row 1 with data).

pdfplumber runs only in the isolated worker of :func:`~qsync.readers.guard.run_isolated`
(:mod:`qsync.readers.pdfpages`, which imports nothing else), since a hostile PDF can be a
decompression bomb too; the worker sends back plain page data and the tables are assembled
here, so it never imports the header matching.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.headers import AliasIndex, normalise_header
from qsync.model import Issue
from qsync.readers.base import PAGE, ROW, RawTable
from qsync.readers.excel import find_header, is_total_label
from qsync.readers.guard import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIMEOUT_S,
    run_isolated,
    start_worker,
)
from qsync.readers.isolate import cast_isolated
from qsync.readers.pdfpages import Box, Cells, Page, read_pages, refuse, release_pages

if TYPE_CHECKING:
    import polars as pl

TEXT_TABLES = {"vertical_strategy": "text", "horizontal_strategy": "text"}
"""pdfplumber settings for tables without ruling lines (tried when ruled ones do not match)."""
PDF_MODULES = ("pdfplumber", "qsync.readers.pdfpages")
"""What the worker imports for a PDF read."""
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

__all__ = ["TEXT_TABLES", "Box", "Cells", "read_pdf", "read_pdf_in_process"]


@dataclass
class _Table:
    """A table being assembled across pages."""

    headers: list[str]
    key: tuple[str, ...]
    page: int
    rows: list[Cells] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)


def read_pdf(
    path: Path,
    indexes: list[AliasIndex],
    *,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[RawTable]:
    """Read the tables of a supplier PDF whose header matches a spec, as text with provenance.

    Raises :class:`SupplierFileError` with reference ``scanned-pdf`` (no text on any page),
    ``encrypted-pdf``, ``unreadable-pdf`` (not a PDF, truncated) or ``pdf-no-table``; a crash
    or timeout of the reader is ``reader-crashed``. When tables exist but none matches a spec,
    the first one is returned with its first row as header, so the caller can say what is
    missing.
    """
    start_worker(PDF_MODULES)
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF" not in head:
        raise refuse(path, "this is not a PDF file", "unreadable-pdf", reason="not-a-pdf")
    deadline = time.monotonic() + timeout_s

    def pages_of(settings: dict[str, str] | None, keep: bool) -> list[Page]:
        return run_isolated(
            read_pages,
            path,
            settings,
            keep,
            memory_limit_mb=memory_limit_mb,
            timeout_s=timeout_s,
            deadline=deadline,
            location=str(path),
        )

    return _read(path, indexes, pages_of, lambda: cast_isolated(release_pages))


def read_pdf_in_process(path: Path, indexes: list[AliasIndex]) -> list[RawTable]:
    """The reader proper, in the current process (``read_pdf`` runs pdfplumber in the worker)."""
    return _read(
        path, indexes, lambda settings, keep: read_pages(path, settings, keep), release_pages
    )


def _read(
    path: Path,
    indexes: list[AliasIndex],
    pages_of: Callable[[dict[str, str] | None, bool], list[Page]],
    release: Callable[[], None],
) -> list[RawTable]:
    """Ruled tables first, borderless ones when no ruled table matches a spec."""
    pages = pages_of(None, True)  # kept open: a second pass reuses the parsed pages
    kept = True
    try:
        if not any(page.has_text for page in pages):
            raise refuse(
                path,
                "the PDF has no text layer (a scan or a picture)",
                "scanned-pdf",
                hint="Ask for the Excel original, or a PDF printed from it (not scanned).",
            )
        tables = _assemble(str(path), pages, indexes)
        if not any(t.key for t in tables):
            kept = False
            unruled = pages_of(TEXT_TABLES, False)
            found = _assemble(str(path), unruled, indexes)
            if any(t.key for t in found):
                pages, tables = unruled, found
    finally:
        if kept:
            release()
    if not tables:
        raise refuse(
            path,
            "no table was found in the PDF",
            "pdf-no-table",
            hint="Ask for the Excel original of the table.",
        )
    lines = [line for page in pages for line in page.text_outside_tables()]
    chosen = [t for t in tables if t.key] or tables[:1]
    return [_raw_table(str(path), t, lines) for t in chosen]


def _cell(value: str | None) -> str | None:
    """A cell's text with its wrapped lines joined (no space between CJK characters)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.splitlines() if p.strip()]
    text = ""
    for part in parts:
        glue = "" if not text or text.endswith("-") or _CJK.search(text[-1] + part[0]) else " "
        text += glue + part
    return text or None


def _texts(row: Cells) -> list[str]:
    return [(c or "").strip() for c in row]


def _assemble(file: str, pages: list[Page], indexes: list[AliasIndex]) -> list[_Table]:
    """Join page tables into supplier tables; a table whose header matches nothing is kept
    (with an empty key) only when no table matches."""
    tables: list[_Table] = []
    current: _Table | None = None
    for page in pages:
        page.regions = []
        for found in page.tables:
            rows = [[_cell(c) for c in row] for row in found.rows]
            if not rows:
                continue
            choice = find_header([_texts(r) for r in rows], indexes)
            x0, _, x1, bottom = found.bbox
            if choice is not None:
                key = tuple(normalise_header(h) for h in choice.headers)
                if current is None or key != current.key:
                    current = _Table(choice.headers, key, page.number)
                    tables.append(current)
                # Rows above the header (a title inside the table) stay document text.
                page.regions.append((x0, found.tops[choice.first], x1, bottom))
                _add_rows(file, current, page.number, rows, choice.last + 1, choice.first)
            elif current is not None and len(rows[0]) == len(current.headers):
                page.regions.append(found.bbox)
                _add_rows(file, current, page.number, rows, 0, 0)
            elif not tables:
                orphan = _Table(_texts(rows[0]), (), page.number)
                page.regions.append(found.bbox)
                _add_rows(file, orphan, page.number, rows, 1, 0)
                tables.append(orphan)
    return tables


def _add_rows(
    file: str, table: _Table, page: int, rows: list[Cells], start: int, base: int
) -> None:
    """Rows ``start..`` of a page table; ``_row`` counts from row ``base`` as 1."""
    width = len(table.headers)
    for i in range(start, len(rows)):
        row, number = rows[i], i - base + 1
        texts = [t for t in _texts(row) if t]
        if not texts:
            continue
        if any(is_total_label(t) for t in texts[:2]):
            label = next(t for t in texts[:2] if is_total_label(t))
            table.notes.append(
                Issue(
                    file,
                    "totals-row-skipped",
                    "info",
                    row=number,
                    page=page,
                    params={"label": label},
                )
            )
            continue
        extra = [c for c in row[width:] if c]
        if extra:
            ragged = {"found": len(row), "expected": width}
            table.issues.append(
                Issue(file, "ragged-row", "error", row=number, page=page, params=ragged)
            )
        table.rows.append((row + [None] * width)[:width])
        table.pages.append(page)
        table.numbers.append(number)


def _raw_table(file: str, table: _Table, lines: list[str]) -> RawTable:
    import polars as pl

    names = [str(i) for i in range(len(table.headers))]
    frame: pl.DataFrame = pl.DataFrame(
        table.rows, schema={n: pl.String for n in names}, orient="row"
    ).with_columns(
        pl.Series(ROW, table.numbers, dtype=pl.Int64),
        pl.Series(PAGE, table.pages, dtype=pl.Int64),
    )
    raw = RawTable(file=file, frame=frame, headers=table.headers, format="pdf", header_row=1)
    raw.document_text = lines
    raw.issues, raw.notes = table.issues, table.notes
    return raw
