"""PDF reader: supplier tables printed to PDF → :class:`RawTable` with the page and row of each row.

pdfplumber returns a table that spans pages as one table per page, usually with the header
repeated: tables are joined while their header stays the same, repeated headers are dropped,
and a page table without a header continues the previous table when it has as many columns.
Ruled tables are found first; only when none matches a spec are borderless (text-aligned)
tables tried. ``_row`` is the row's index within its page's table, counting that page's
header row as row 1 (a continuation page without a header starts at row 1 with data).

pdfplumber is imported only here (it costs 0.3 s at start-up) and runs in the isolated
worker of :func:`~qsync.readers.guard.run_isolated`, since a hostile PDF can be a
decompression bomb too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.errors import SupplierFileError
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

if TYPE_CHECKING:
    import polars as pl

TEXT_TABLES = {"vertical_strategy": "text", "horizontal_strategy": "text"}
"""pdfplumber settings for tables without ruling lines (tried when ruled ones do not match)."""
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

Cells = list[str | None]


Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class _PageTable:
    """One table as pdfplumber found it on a page: its rows and where each row starts."""

    rows: list[Cells]
    tops: list[float]
    bbox: Box


@dataclass
class _Page:
    """What one page holds: its number, whether it has text, its text lines and tables."""

    number: int
    has_text: bool
    lines: list[tuple[str, Box]]
    tables: list[_PageTable]
    regions: list[Box] = field(default_factory=list)

    def text_outside_tables(self) -> list[str]:
        """Text lines not inside the header and data rows of a table read."""

        def inside(box: Box, region: Box) -> bool:
            x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            return region[0] <= x <= region[2] and region[1] <= y <= region[3]

        return [text for text, box in self.lines if not any(inside(box, r) for r in self.regions)]


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


def _refuse(
    path: Path, message: str, reference: str, hint: str | None = None, **params: Any
) -> SupplierFileError:
    return SupplierFileError(
        message, reference=reference, location=str(path), hint=hint, params=params
    )


def _damaged(path: Path, cause: BaseException) -> SupplierFileError:
    error = _refuse(
        path,
        "the PDF is damaged or incomplete",
        "unreadable-pdf",
        hint="Send the file again, or the Excel original.",
        reason="damaged",
    )
    error.details = [f"pdfminer: {type(cause).__name__}: {cause}"]
    return error


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
    start_worker()
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF" not in head:
        raise _refuse(path, "this is not a PDF file", "unreadable-pdf", reason="not-a-pdf")
    return run_isolated(
        read_pdf_in_process,
        path,
        indexes,
        memory_limit_mb=memory_limit_mb,
        timeout_s=timeout_s,
        location=str(path),
    )


def read_pdf_in_process(path: Path, indexes: list[AliasIndex]) -> list[RawTable]:
    """The reader proper, in the current process (``read_pdf`` runs it in the worker)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
            pages = [_read_page(page, None) for page in pdf.pages]
            if not any(page.has_text for page in pages):
                raise _refuse(
                    path,
                    "the PDF has no text layer (a scan or a picture)",
                    "scanned-pdf",
                    hint="Ask for the Excel original, or a PDF printed from it (not scanned).",
                )
            tables = _assemble(str(path), pages, indexes)
            if not any(t.key for t in tables):
                unruled = [_read_page(page, TEXT_TABLES) for page in pdf.pages]
                found = _assemble(str(path), unruled, indexes)
                if any(t.key for t in found):
                    pages, tables = unruled, found
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFEncryptionError):
            raise _refuse(
                path,
                "the PDF is password-protected",
                "encrypted-pdf",
                hint="Ask for a copy without a password.",
                reason=type(cause).__name__,
            ) from None
        raise _damaged(path, cause) from None
    except PSException as exc:
        raise _damaged(path, exc) from None
    if not tables:
        raise _refuse(
            path,
            "no table was found in the PDF",
            "pdf-no-table",
            hint="Ask for the Excel original of the table.",
        )
    lines = [line for page in pages for line in page.text_outside_tables()]
    chosen = [t for t in tables if t.key] or tables[:1]
    return [_raw_table(str(path), t, lines) for t in chosen]


def _read_page(page: Any, settings: dict[str, str] | None) -> _Page:
    found = page.find_tables(settings) if settings else page.find_tables()
    tables = [_PageTable(t.extract(), [row.bbox[1] for row in t.rows], t.bbox) for t in found]
    lines = [
        (line["text"].strip(), (line["x0"], line["top"], line["x1"], line["bottom"]))
        for line in page.extract_text_lines(return_chars=False)
        if line["text"].strip()
    ]
    return _Page(page.page_number, bool(page.chars), lines, tables)


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


def _assemble(file: str, pages: list[_Page], indexes: list[AliasIndex]) -> list[_Table]:
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
