"""Writing a table to a worksheet: header, frozen panes, filter, number formats, grade colours.

Every cell goes through :func:`qsync.xlsx.put_text`, so text is stored as text and can never
run as a formula (``=HYPERLINK(...)`` in a supplier's defect description stays inert).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from openpyxl.styles import Alignment, PatternFill

from qsync.xlsx import HEADER_FONT, column_letter, put_text

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

INT = "#,##0"
DEC1 = "#,##0.0"
DEC2 = "#,##0.00"
DEC4 = "0.0000"
PCT = "0.0%"
HEADER_FILL = PatternFill("solid", start_color="DCE6F1", end_color="DCE6F1")
GRADE_FILLS = {
    grade: PatternFill("solid", start_color=colour, end_color=colour)
    for grade, colour in {"A": "C6EFCE", "B": "E2F0D9", "C": "FFEB9C", "D": "FFC7CE"}.items()
}
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    """A column: its header, Excel number format, width, and whether it holds grades."""

    header: str
    number_format: str | None = None
    width: int = 14
    grade: bool = False


def sheet_title(book: Workbook, wanted: str) -> str:
    """A valid, unused sheet name: no ``[]:*?/\\``, at most 31 characters.

    >>> from openpyxl import Workbook
    >>> sheet_title(Workbook(), "Risk: portraits/worst")
    'Risk portraits worst'
    """
    base = _BAD_TITLE.sub(" ", wanted).strip()
    base = re.sub(r"\s+", " ", base)[:31] or "Sheet"
    title, n = base, 2
    while title in book.sheetnames:
        suffix = f" {n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    return title


def _formattable(value: Any) -> bool:
    """Numbers (not booleans) and dates take a number format; text and blanks do not."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float | date | datetime)


def add_table(
    book: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    note: str | None = None,
) -> Worksheet:
    """A new sheet holding one table; ``note`` (e.g. "no data") fills the first row when
    there are no rows."""
    sheet = book.create_sheet(sheet_title(book, title))
    for j, column in enumerate(columns, start=1):
        cell = put_text(sheet.cell(row=1, column=j), column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.column_dimensions[column_letter(j - 1)].width = column.width
    for i, row in enumerate(rows, start=2):
        for j, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = put_text(sheet.cell(row=i, column=j), value)
            if column.number_format and _formattable(value):
                cell.number_format = column.number_format
            if column.grade and isinstance(value, str) and value in GRADE_FILLS:
                cell.fill = GRADE_FILLS[value]
    if not rows and note:
        put_text(sheet.cell(row=2, column=1), note)
    sheet.freeze_panes = "A2"
    last = column_letter(len(columns) - 1)
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows), 1) + 1}"
    return sheet
