"""Shared helpers for the workbooks qsync writes: styles, column letters, safe cells."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

from qsync.safety import DANGEROUS_START, neutralise

ERROR_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
WARNING_FILL = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")
HEADER_FONT = Font(bold=True)


def column_letter(position: int) -> str:
    """Excel column letter of a 0-based position.

    >>> column_letter(0), column_letter(27)
    ('A', 'AB')
    """
    return str(get_column_letter(position + 1))


def safe_cell(value: Any) -> Any:
    """A value for a cell of an exported table (CSV rules): formula-like text neutralised.

    >>> safe_cell("=SUM(A1)"), safe_cell(3)
    ("'=SUM(A1)", 3)
    """
    return neutralise(value)


def put_text(cell: Cell, value: Any) -> Cell:
    """Store ``value`` in ``cell``; text is always a string cell, never a formula.

    openpyxl writes any text starting with ``=`` as a formula. Supplier text is stored as an
    inline string with Excel's quote prefix instead: it shows exactly as the supplier wrote it
    and is never evaluated, even after someone edits the cell.
    """
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(DANGEROUS_START):
            cell.quotePrefix = True
    return cell
