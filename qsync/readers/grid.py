"""The part of the Excel reader that runs in the isolated worker: calamine → text grids.

fastexcel reads every cell as text (``dtypes="string"``) so nothing silently becomes null,
and three things it renders badly are repaired here, where the reader is at hand:

- dates come as ``2026-10-05 00:00:00``: a midnight date becomes ``2026-10-05`` and a bare time
  ``14:30:00``;
- numbers get at most 9 decimals, so ``1.23e-10`` reads ``0``: columns whose XML holds such a
  number are read again as floats and those cells rewritten with Excel's 15 significant digits
  (``1.23e-10``, ``0.333333333333333``);
- error cells (``#N/A``) read as null: their text is put back from the sheet XML.

This module imports only fastexcel (and polars, on a thread while calamine parses the first
sheet), so the worker is ready for it long before it could import the header matching, and
leaves the CPU to the guard while that checks the file; finding the table in a grid is
:mod:`qsync.readers.excel`'s job, in the calling process.
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.errors import SupplierFileError
from qsync.readers.sheetscan import SheetFacts

if TYPE_CHECKING:
    import fastexcel
    import polars as pl

HIDDEN, UNREADABLE, EMPTY = "hidden", "unreadable", "empty"
"""What :func:`read_grids` gives instead of a grid for a sheet it did not load."""

_NUMBER = r"^-?\d+(?:\.\d+)?$"
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$"
_ISO_T = r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})$"
_BARE_TIME = r"^1899-12-3[01] (\d{2}:\d{2}:\d{2})$"


@dataclass
class Grid:
    """A sheet as text: column ``i`` is Excel column ``columns[i]``, row ``r`` Excel row r+1."""

    frame: pl.DataFrame
    columns: list[int]


def read_grids(path: Path, sheets: list[SheetFacts]) -> list[tuple[str, Grid | str]]:
    """Every sheet of a checked workbook in workbook order, as a :class:`Grid`, or
    :data:`HIDDEN` (not loaded), :data:`UNREADABLE` or :data:`EMPTY`.

    ``sheets`` are the guard's facts (by sheet name): the state, the error cells and the
    columns with long numbers. Raises ``unreadable-file`` when fastexcel cannot open it.
    """
    import fastexcel

    _import_polars_meanwhile()
    try:
        reader = fastexcel.read_excel(str(path))
    except fastexcel.FastExcelError as exc:
        raise SupplierFileError(
            f"cannot read the workbook: {exc}",
            reference="unreadable-file",
            location=str(path),
            params={"reason": str(exc).splitlines()[0][:200]},
        ) from None
    facts = {sheet.name: sheet for sheet in sheets}
    grids: list[tuple[str, Grid | str]] = []
    for sheet_name in reader.sheet_names:
        sheet_facts = facts.get(sheet_name) or SheetFacts(member="", name=sheet_name)
        if sheet_facts.state != "visible":
            grids.append((sheet_name, HIDDEN))
            continue
        try:
            grid = load_grid(reader, sheet_name, sheet_facts)
        except fastexcel.FastExcelError:
            grids.append((sheet_name, UNREADABLE))
            continue
        grids.append((sheet_name, EMPTY if grid is None else grid))
    return grids


def _import_polars_meanwhile() -> None:
    """Import polars on a thread while calamine parses the first sheet (it releases the GIL),
    so neither waits for the other: the worker does not import it before it is asked to."""
    if "polars" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("polars",), daemon=True).start()


def load_grid(reader: fastexcel.ExcelReader, sheet: str, facts: SheetFacts) -> Grid | None:
    """One sheet as text with its dates, long numbers and error cells repaired."""
    loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    frame = loaded.to_polars()
    columns = [c.absolute_index + 1 for c in loaded.selected_columns]
    if frame.height == 0 or frame.width == 0:
        return None
    names = [str(i) for i in range(frame.width)]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = _tidy_dates(frame)
    frame = _repair_numbers(reader, sheet, frame, columns, facts.long_number_columns)
    position = {col: i for i, col in enumerate(columns)}
    errors = {(r, position[c]): v for (r, c), v in facts.error_cells.items() if c in position}
    return Grid(_scatter(frame, errors), columns)


def _tidy_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Midnight dates as ``2026-10-05``, ISO ``T`` datetimes as ``2026-10-05 14:30:00`` and
    bare times as ``14:30:00``; columns holding none of them are left as they are."""
    import polars as pl

    # Whether a column needs each step, all in one pass. The " 00:00:00" suffix is dropped
    # before the date patterns apply; it never changes what they look at (the 11th character,
    # the first nine), so the flags can be taken from the text as read.
    flags = frame.select(
        pl.struct(
            suffix=pl.col(c).str.ends_with(" 00:00:00").any(),
            dates=(
                pl.col(c).str.slice(10, 1).eq("T") | pl.col(c).str.starts_with("1899-12-3")
            ).any(),
        ).alias(c)
        for c in frame.columns
    ).row(0)
    fixed = []
    for c, flag in zip(frame.columns, flags, strict=True):
        if not (flag["suffix"] or flag["dates"]):
            continue
        column = pl.col(c).str.strip_suffix(" 00:00:00") if flag["suffix"] else pl.col(c)
        if flag["dates"]:
            column = (
                column.str.replace(_ISO_T, "$1 $2")
                .str.replace(_BARE_TIME, "$1")
                .str.replace(_MIDNIGHT, "$1")
            )
        fixed.append(column)
    return frame.with_columns(fixed) if fixed else frame


def _scatter(frame: pl.DataFrame, cells: dict[tuple[int, int], str]) -> pl.DataFrame:
    """Set cells given by (Excel row, frame column position)."""
    by_column: dict[int, dict[int, str]] = {}
    for (row, col), value in cells.items():
        if 1 <= row <= frame.height:
            by_column.setdefault(col, {})[row - 1] = value
    for col, values in by_column.items():
        series = frame[str(col)].scatter(list(values), list(values.values()))
        frame = frame.with_columns(series)
    return frame


def _repair_numbers(
    reader: fastexcel.ExcelReader,
    sheet: str,
    frame: pl.DataFrame,
    columns: list[int],
    long_number_columns: set[int],
) -> pl.DataFrame:
    """Rewrite numbers fastexcel rendered with lost digits, from a float read of the sheet.

    fastexcel keeps 9 decimals: ``1/3`` reads ``0.333333333`` and ``3E-10`` reads ``0``. Only
    the columns whose XML holds such a number (and whose text is numeric, not a date) are
    read again as floats. A text cell reads the same both ways, so only numbers change.
    """
    import polars as pl

    candidates = [i for i, col in enumerate(columns) if col in long_number_columns]
    if not candidates:
        return frame
    numeric = frame.select(pl.col(str(i)).str.contains(_NUMBER).any() for i in candidates)
    positions = [i for i, flag in zip(candidates, numeric.row(0), strict=True) if flag]
    if not positions:
        return frame
    floats = reader.load_sheet(
        sheet,
        header_row=None,
        skip_rows=0,
        dtypes="float",
        use_columns=[columns[i] - 1 for i in positions],
    ).to_polars()
    repaired = []
    for i, exact in zip(positions, floats.iter_columns(), strict=True):
        text = frame[str(i)]
        shown = text.cast(pl.Float64, strict=False)
        rows = ((shown != exact) & text.str.contains(_NUMBER)).fill_null(False).arg_true()
        changed = [
            (row, better)
            for row, old, value in zip(
                rows.to_list(),
                shown.gather(rows).to_list(),
                exact.gather(rows).to_list(),
                strict=True,
            )
            if abs(float(better := f"{value:.15g}") - value) < abs(old - value)
        ]
        if changed:
            repaired.append(text.scatter([r for r, _ in changed], [n for _, n in changed]))
    return frame.with_columns(repaired) if repaired else frame
