"""The part of the PDF reader that runs in the isolated worker: pdfplumber → plain page data.

:func:`read_pages` returns, per page, its text lines and the tables pdfplumber finds (rows of
cells, where each row starts, the table's box), as plain Python data; joining tables across
pages and finding their headers is :mod:`qsync.readers.pdf`'s job, in the calling process, so
the worker needs nothing but pdfplumber (and this module). A document asked to be kept stays
open in the worker until the next call, so a second pass with other table settings reuses the
pages already parsed (parsing is most of the cost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qsync.errors import SupplierFileError

Cells = list[str | None]
Box = tuple[float, float, float, float]  # x0, top, x1, bottom

_kept: tuple[str, Any] | None = None
"""``(path, pdfplumber.PDF)`` kept open by :func:`read_pages` for the next call."""


@dataclass
class PageTable:
    """One table as pdfplumber found it on a page: its rows and where each row starts."""

    rows: list[Cells]
    tops: list[float]
    bbox: Box


@dataclass
class Page:
    """What one page holds: its number, whether it has text, its text lines and tables."""

    number: int
    has_text: bool
    lines: list[tuple[str, Box]]
    tables: list[PageTable]
    regions: list[Box] = field(default_factory=list)

    def text_outside_tables(self) -> list[str]:
        """Text lines not inside the header and data rows of a table read."""

        def inside(box: Box, region: Box) -> bool:
            x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            return region[0] <= x <= region[2] and region[1] <= y <= region[3]

        return [text for text, box in self.lines if not any(inside(box, r) for r in self.regions)]


def refuse(
    path: Path, message: str, reference: str, hint: str | None = None, **params: Any
) -> SupplierFileError:
    """A :class:`SupplierFileError` about the PDF at ``path``."""
    return SupplierFileError(
        message, reference=reference, location=str(path), hint=hint, params=params
    )


def _damaged(path: Path, cause: BaseException) -> SupplierFileError:
    error = refuse(
        path,
        "the PDF is damaged or incomplete",
        "unreadable-pdf",
        hint="Send the file again, or the Excel original.",
        reason="damaged",
    )
    error.details = [f"pdfminer: {type(cause).__name__}: {cause}"]
    return error


def read_pages(path: Path, settings: dict[str, str] | None, keep: bool = False) -> list[Page]:
    """Every page of the PDF: text lines and the tables found with ``settings`` (pdfplumber's
    ruled tables when ``None``). With ``keep`` the document stays open for the next call.

    Raises ``encrypted-pdf`` or ``unreadable-pdf`` (damaged) as :class:`SupplierFileError`.
    """
    global _kept
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    pdf: Any = None
    try:
        if _kept is not None and _kept[0] == str(path):
            pdf, _kept = _kept[1], None
        else:
            release_pages()
            pdf = pdfplumber.open(path)
        pages = [_read_page(page, settings) for page in pdf.pages]
        if keep:
            _kept, pdf = (str(path), pdf), None
        return pages
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFEncryptionError):
            raise refuse(
                path,
                "the PDF is password-protected",
                "encrypted-pdf",
                hint="Ask for a copy without a password.",
                reason=type(cause).__name__,
            ) from None
        raise _damaged(path, cause) from None
    except PSException as exc:
        raise _damaged(path, exc) from None
    finally:
        if pdf is not None:
            pdf.close()


def release_pages() -> None:
    """Close the document :func:`read_pages` kept open, if any."""
    global _kept
    kept, _kept = _kept, None
    if kept is not None:
        kept[1].close()


def _read_page(page: Any, settings: dict[str, str] | None) -> Page:
    found = page.find_tables(settings) if settings else page.find_tables()
    tables = [PageTable(t.extract(), [row.bbox[1] for row in t.rows], t.bbox) for t in found]
    lines = [
        (line["text"].strip(), (line["x0"], line["top"], line["x1"], line["bottom"]))
        for line in page.extract_text_lines(return_chars=False)
        if line["text"].strip()
    ]
    return Page(page.page_number, bool(page.chars), lines, tables)
