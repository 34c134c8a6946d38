"""What every reader returns: a supplier table as text, with where each row came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qsync.model import Issue

if TYPE_CHECKING:
    import polars as pl

ROW = "_row"
"""Provenance column: the row number the supplier sees (CSV line, Excel row, PDF table row)."""
PAGE = "_page"
"""Provenance column: the PDF page a row came from (absent for CSV and Excel)."""


@dataclass
class RawTable:
    """One table from a supplier file, every cell still text.

    ``frame`` has one String column per source column, named by position (``"0"``, ``"1"``,
    ...) because suppliers' headers may be blank or repeated, plus the provenance column
    :data:`ROW` (and :data:`PAGE` for PDF). ``headers`` holds the header text as written.
    ``issues`` are problems met while reading (a bad byte on a line, a ragged row); ``notes``
    are facts worth telling (the encoding assumed, a totals row skipped).
    """

    file: str
    frame: pl.DataFrame
    headers: list[str]
    format: str
    sheet: str | None = None
    encoding: str | None = None
    sha256: str | None = None
    header_row: int = 1
    column_letters: list[str] | None = None
    document_text: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: list[Issue] = field(default_factory=list)

    def column_names(self) -> list[str]:
        """Positional frame column names matching ``headers``."""
        return [str(i) for i in range(len(self.headers))]
