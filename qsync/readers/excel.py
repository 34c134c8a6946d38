"""Excel reader: an .xlsx/.xlsm → one :class:`RawTable` per sheet whose header matches a spec.

The workbook passes :func:`~qsync.readers.guard.check_workbook` first, then is read in the
isolated worker by :func:`~qsync.readers.grid.read_grids`: every cell as text, with dates,
long numbers and error cells repaired (see there). The worker hands back plain text grids and
the tables are found here, in the calling process, so the worker never needs the header
matching (or its imports).

Merged ranges, hidden rows and formulas without a cached value come from the sheet XML facts
the guard collected, so openpyxl is not needed. The header search (:func:`find_header`) is
shared with the PDF reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.errors import SupplierFileError
from qsync.headers import AliasIndex, normalise_header
from qsync.model import Issue
from qsync.readers.base import ROW, RawTable
from qsync.readers.grid import EMPTY, HIDDEN, UNREADABLE, Grid, read_grids
from qsync.readers.guard import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_TIMEOUT_S,
    SheetFacts,
    WorkbookInfo,
    check_workbook,
    column_letter,
    run_isolated,
    split_ref,
    start_worker,
)

if TYPE_CHECKING:
    import polars as pl

HEADER_SCAN_ROWS = 30
"""Rows searched for the header: title blocks above supplier tables are rarely longer."""
MIN_HEADER_MATCHES = 2
"""Recognised headers a row needs to count as a table header (one could be a label cell)."""
TOTAL_LABELS = frozenset(
    {"合计", "总计", "小计", "共计", "总合计", "total", "totals", "subtotal", "grandtotal"}
)
_TOTAL_PREFILTER = (
    r"(?i)^[\s\-_:：]*(?:[合总小共][\s总合]*计|(?:sub|grand)?[\s\-_]*totals?)[\s:：]*$"
)
_COLON_END = re.compile(r"[:：]\s*$")
_DATA_LIKE = re.compile(r"^[\d\s.,:/+%-]+$")  # numbers and dates are never headers


# --- header search (shared with the PDF reader) ---------------------------------------------


@dataclass
class HeaderChoice:
    """Where a table's header is: rows ``first..last`` (0-based) of the scanned rows."""

    first: int
    last: int
    headers: list[str]
    score: tuple[int, int]


class _Matcher:
    """Memoised header recognition across every spec."""

    def __init__(self, indexes: list[AliasIndex]) -> None:
        self.indexes = indexes
        self._hits: dict[str, list[str | None]] = {}
        self._none: list[str | None] = [None] * len(indexes)

    def hits(self, text: str) -> list[str | None]:
        found = self._hits.get(text)
        if found is None:
            if len(text) > 80 or _DATA_LIKE.match(text):
                found = self._none
            else:
                found = [index.match(text) for index in self.indexes]
            self._hits[text] = found
        return found

    def recognised(self, text: str) -> bool:
        return bool(text) and any(self.hits(text))

    def score(self, headers: list[str]) -> tuple[tuple[int, int], bool]:
        """(required columns found, columns found) of the best-fitting spec, and whether
        that spec's required columns are all there."""
        best, complete = (0, 0), False
        for i, index in enumerate(self.indexes):
            found = {hit for text in headers if text and (hit := self.hits(text)[i])}
            required = sum(1 for name in index.spec.required_columns if name in found)
            if (required, len(found)) > best:
                best = (required, len(found))
                complete = required == len(index.spec.required_columns)
        return best, complete


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _two_row_headers(upper: list[str], lower: list[str], matcher: _Matcher) -> list[str]:
    """Per column the first of ``upper lower``, ``lower``, ``upper`` that is recognised."""
    combined = []
    for top, bottom in zip(upper, lower, strict=True):
        if not top or top == bottom:
            options = [bottom]
        elif not bottom:
            options = [top]
        else:
            options = [f"{top} {bottom}", bottom, top]
        combined.append(next((o for o in options if matcher.recognised(o)), options[0]))
    return combined


def find_header(
    rows: list[list[str]],
    indexes: list[AliasIndex],
    *,
    upper_rows: list[list[str]] | None = None,
) -> HeaderChoice | None:
    """The header among the first rows: the row (or two rows) whose cells fit a spec best.

    ``upper_rows`` are the same rows with merged cells filled across their range, used for
    the upper row of a two-row header (a group header merged over its sub-headers). A
    two-row header must fit strictly better than every single row. ``None`` when no row has
    :data:`MIN_HEADER_MATCHES` recognised headers.

    >>> from qsync.resources import default_rules_dir
    >>> from qsync.spec import load_spec
    >>> spec = load_spec(default_rules_dir() / "specs" / "inspections.yaml")
    >>> rows = [["IQC report", ""], ["Lot No.", "Defects"], ["L1", "0"]]
    >>> find_header(rows, [AliasIndex.build(spec)]).first
    1
    """
    matcher = _Matcher(indexes)
    upper_rows = upper_rows or rows
    best: tuple[tuple[int, int], int, int] | None = None
    choice: HeaderChoice | None = None
    complete = False
    for r, row in enumerate(rows[: HEADER_SCAN_ROWS + 1]):
        if complete and choice is not None and r > choice.last + 1:
            break  # a header with every required column was found: rows below are data
        if not any(row):
            continue
        candidates = [(r, row)]
        if r + 1 < len(rows) and r < HEADER_SCAN_ROWS:
            candidates.append((r + 1, _two_row_headers(upper_rows[r], rows[r + 1], matcher)))
        for last, headers in candidates:
            score, whole = matcher.score(headers)
            key = (score, int(last == r), -r)
            if best is None or key > best:
                best, choice, complete = key, HeaderChoice(r, last, headers, score), whole
    if choice is None or choice.score[1] < min(MIN_HEADER_MATCHES, _fewest_columns(indexes)):
        return None
    return choice


def _fewest_columns(indexes: list[AliasIndex]) -> int:
    return min((len(index.spec.columns) for index in indexes), default=1)


def is_total_label(text: str) -> bool:
    """True for a totals-row label such as ``合 计``, ``Total:`` or ``Sub-total``.

    >>> is_total_label("合 计："), is_total_label("Lot")
    (True, False)
    """
    return re.sub(r"[\s\-_:：]", "", normalise_header(text)) in TOTAL_LABELS


def label_lines(cells: list[str]) -> list[str]:
    """Document text lines from one row of cells above a table.

    Each cell is a line; a label cell followed by a value cell also gives a ``label value``
    line, so a label and its value in separate cells read like one printed line.

    >>> label_lines(["供应商代码：", "S0042", "Date", "2026-10-05"])
    ['供应商代码：', 'S0042', 'Date', '2026-10-05', '供应商代码：S0042', 'Date: 2026-10-05']
    """
    texts = [c for c in cells if c]
    lines = list(texts)
    i = 0
    while i + 1 < len(texts):
        label, value = texts[i], texts[i + 1]
        if _COLON_END.search(label) and not _COLON_END.search(value):
            lines.append(label.rstrip() + (" " if label.rstrip().endswith(":") else "") + value)
            i += 2
        elif not any(ch.isdigit() for ch in label) and not _COLON_END.search(value):
            lines.append(f"{label}: {value}")
            i += 2
        else:
            i += 1
    return lines


# --- reading ---------------------------------------------------------------------------------


def read_excel(
    path: Path,
    indexes: list[AliasIndex],
    *,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[RawTable]:
    """Read every sheet of a workbook whose header matches a spec, as text with provenance.

    The workbook is checked by :func:`~qsync.readers.guard.check_workbook` and read in an
    isolated worker (:func:`~qsync.readers.guard.run_isolated`). ``_row`` is the Excel row
    number, ``column_letters`` the Excel column of each frame column. Skipped sheets, hidden
    sheets and rows, and skipped totals rows become notes; formulas without a cached value
    and error cells become issues. When no sheet matches, the first non-empty sheet is
    returned with its first non-empty row as header, so the caller can say what is missing.

    Raises :class:`~qsync.errors.SupplierFileError` for a file that is not a readable
    workbook (see the guard), and ``empty-file`` when every sheet is empty.
    """
    start_worker()
    info = check_workbook(path)
    grids = run_isolated(
        read_grids,
        path,
        info.sheets,
        memory_limit_mb=memory_limit_mb,
        timeout_s=timeout_s,
        location=str(path),
    )
    return _tables(path, indexes, info, grids)


def read_checked_workbook(
    path: Path, indexes: list[AliasIndex], info: WorkbookInfo
) -> list[RawTable]:
    """The reader proper, for a workbook that passed the guard, all in this process
    (:func:`read_excel` runs the fastexcel part in the worker)."""
    return _tables(path, indexes, info, read_grids(path, info.sheets))


def _tables(
    path: Path,
    indexes: list[AliasIndex],
    info: WorkbookInfo,
    grids: list[tuple[str, Grid | str]],
) -> list[RawTable]:
    """The tables of the sheets :func:`~qsync.readers.grid.read_grids` read, with notes for
    the sheets skipped."""
    name = str(path)
    fmt = path.suffix.lower().lstrip(".") or "xlsx"
    facts = {sheet.name: sheet for sheet in info.sheets}
    tables: list[RawTable] = []
    notes: list[Issue] = []
    fallback: RawTable | None = None
    for sheet_name, grid in grids:
        sheet_facts = facts.get(sheet_name) or SheetFacts(member="", name=sheet_name)
        if grid == HIDDEN:
            notes.append(
                Issue(name, "hidden-sheet", "info", sheet=sheet_name, params={"sheet": sheet_name})
            )
            continue
        if grid == UNREADABLE:
            notes.append(_skipped(name, sheet_name, "unreadable"))
            continue
        if grid == EMPTY or not isinstance(grid, Grid):
            notes.append(_skipped(name, sheet_name, "empty"))
            continue
        table = _sheet_table(name, fmt, grid, sheet_facts, indexes)
        if table is not None:
            tables.append(table)
            continue
        notes.append(_skipped(name, sheet_name, "no-header"))
        if fallback is None:
            fallback = _sheet_table(name, fmt, grid, sheet_facts, indexes, forced=True)
    if not tables and fallback is not None:
        notes = [n for n in notes if n.sheet != fallback.sheet]
        tables = [fallback]
    if not tables:
        raise SupplierFileError(
            "every sheet of the workbook is empty", reference="empty-file", location=name
        )
    tables[0].notes[:0] = notes
    return tables


def _skipped(file: str, sheet: str, reason: str) -> Issue:
    return Issue(
        file, "sheet-skipped", "info", sheet=sheet, params={"sheet": sheet, "reason": reason}
    )


def _merged_ranges(facts: SheetFacts) -> list[tuple[int, int, int, int]]:
    ranges = []
    for ref in facts.merged:
        start, _, end = ref.partition(":")
        (r1, c1), (r2, c2) = split_ref(start), split_ref(end or start)
        ranges.append((r1, c1, r2, c2))
    return ranges


def _filled_top(
    rows: list[list[str]], columns: list[int], merges: list[tuple[int, int, int, int]]
) -> list[list[str]]:
    """The top rows with every merged range filled with its top-left value."""
    filled = [list(row) for row in rows]
    position = {col: i for i, col in enumerate(columns)}
    for r1, c1, r2, c2 in merges:
        if r1 > len(rows) or c1 not in position:
            continue
        value = rows[r1 - 1][position[c1]]
        spanned = [i for i, col in enumerate(columns) if c1 <= col <= c2]
        for r in range(r1, min(r2, len(rows)) + 1):
            for i in spanned:
                filled[r - 1][i] = value
    return filled


def _sheet_table(
    file: str,
    fmt: str,
    grid: Grid,
    facts: SheetFacts,
    indexes: list[AliasIndex],
    *,
    forced: bool = False,
) -> RawTable | None:
    """The table of one sheet, or ``None`` when no header in its top rows matches a spec."""
    top_frame = grid.frame.head(HEADER_SCAN_ROWS + 2)
    top = [[_cell_text(v) for v in row] for row in top_frame.rows()]
    merges = _merged_ranges(facts)
    choice = find_header(top, indexes, upper_rows=_filled_top(top, grid.columns, merges))
    if choice is None:
        if not forced:
            return None
        first = next(i for i, row in enumerate(top) if any(row)) if any(map(any, top)) else 0
        choice = HeaderChoice(first, first, top[first] if top else [], (0, 0))
    table = RawTable(file=file, frame=grid.frame, headers=[], format=fmt, sheet=facts.name)
    table.header_row = choice.first + 1
    table.document_text = [line for row in top[: choice.first] for line in label_lines(row)]
    _fill_body(table, grid, facts, choice, merges)
    return table


def _fill_body(
    table: RawTable,
    grid: Grid,
    facts: SheetFacts,
    choice: HeaderChoice,
    merges: list[tuple[int, int, int, int]],
) -> None:
    """Data rows under the header: merged cells filled down, blank and totals rows dropped."""
    import polars as pl

    first_data = choice.last + 2  # Excel row of the first data row
    body = grid.frame.slice(first_data - 1)
    body = body.with_columns(
        pl.int_range(first_data, first_data + body.height, dtype=pl.Int64).alias(ROW)
    )
    position = {col: i for i, col in enumerate(grid.columns)}
    body, filled = _fill_vertical_merges(body, first_data, position, merges)
    names = [str(i) for i in range(len(grid.columns))]
    body = body.filter(pl.any_horizontal(pl.col(names).str.strip_chars().str.len_bytes() > 0))
    body, totals = _drop_totals(body, names)
    headers = [*choice.headers, *[""] * (len(names) - len(choice.headers))]
    keep = [i for i, h in enumerate(headers) if h or body[str(i)].null_count() < body.height]
    table.frame = body.select([pl.col(str(i)).alias(str(n)) for n, i in enumerate(keep)] + [ROW])
    table.headers = [headers[i] for i in keep]
    table.column_letters = [column_letter(grid.columns[i]) for i in keep]
    _annotate(table, facts, choice, totals, filled)


def _fill_vertical_merges(
    body: pl.DataFrame,
    first_data: int,
    position: dict[int, int],
    merges: list[tuple[int, int, int, int]],
) -> tuple[pl.DataFrame, list[str]]:
    """Single-column merged ranges in the data filled down; the ranges filled."""
    filled = []
    updates: dict[int, dict[int, str]] = {}
    for r1, c1, r2, c2 in merges:
        if c1 != c2 or r1 < first_data or r2 <= r1 or c1 not in position:
            continue
        col = position[c1]
        if r1 - first_data >= body.height or (top := body[str(col)][r1 - first_data]) is None:
            continue
        for r in range(r1 + 1, min(r2, first_data + body.height - 1) + 1):
            updates.setdefault(col, {})[r - first_data] = top
        filled.append(f"{column_letter(c1)}{r1}:{column_letter(c1)}{r2}")
    columns = [
        body[str(c)].scatter(list(cells), list(cells.values())) for c, cells in updates.items()
    ]
    return (body.with_columns(columns) if columns else body), filled


def _drop_totals(
    body: pl.DataFrame, names: list[str]
) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    """Rows whose first or second non-empty cell is a totals label, removed; (row, label)."""
    import polars as pl

    maybe = body.filter(pl.any_horizontal(pl.col(names).str.contains(_TOTAL_PREFILTER)))
    totals = []
    for row in maybe.iter_rows():
        cells = [_cell_text(v) for v in row[: len(names)]]
        label = next((c for c in [c for c in cells if c][:2] if is_total_label(c)), None)
        if label is not None:
            totals.append((int(row[-1]), label))
    if totals:
        body = body.filter(~pl.col(ROW).is_in([r for r, _ in totals]))
    return body, totals


def _ranges(rows: list[int]) -> str:
    """``5, 7-9`` from ``[5, 7, 8, 9]``."""
    parts: list[str] = []
    for row in sorted(set(rows)):
        if parts and row == int(parts[-1].rsplit("-", 1)[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{row}"
        else:
            parts.append(str(row))
    return ", ".join(parts)


def _annotate(
    table: RawTable,
    facts: SheetFacts,
    choice: HeaderChoice,
    totals: list[tuple[int, str]],
    filled: list[str],
) -> None:
    """Issues for cells without a usable value; notes for hidden rows, totals, merges."""
    file, sheet = table.file, table.sheet
    rows: set[int] = set()
    if facts.formulas_without_value or facts.error_cells or facts.hidden_rows:
        rows = set(table.frame[ROW].to_list()) | set(range(choice.first + 1, choice.last + 2))
    letters = {letter: i for i, letter in enumerate(table.column_letters or [])}

    def issue(rule: str, row: int, col: int, value: str | None, params: dict[str, Any]) -> Issue:
        letter = column_letter(col)
        position = letters.get(letter)
        header = table.headers[position] if position is not None else None
        cell = f"{letter}{row}"
        return Issue(
            file,
            rule,
            "error",
            row=row,
            column=header or None,
            value=value,
            sheet=sheet,
            cell=cell,
            params={"cell": cell, **params},
        )

    for (row, col), formula in sorted(facts.formulas_without_value.items()):
        if row in rows:
            table.issues.append(issue("formula-no-value", row, col, None, {"formula": formula}))
    for (row, col), text in sorted(facts.error_cells.items()):
        if row in rows:
            table.issues.append(issue("cell-error", row, col, text, {"value": text}))
    hidden = [r for r in facts.hidden_rows if r in rows]
    if hidden:
        params = {"rows": _ranges(hidden), "count": len(hidden)}
        table.notes.append(Issue(file, "hidden-rows", "info", sheet=sheet, params=params))
    for row, label in totals:
        params = {"label": label}
        table.notes.append(
            Issue(file, "totals-row-skipped", "info", row=row, sheet=sheet, params=params)
        )
    if filled:
        params = {"ranges": ", ".join(filled), "count": len(filled)}
        table.notes.append(Issue(file, "merged-cells-filled", "info", sheet=sheet, params=params))
