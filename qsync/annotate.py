"""The annotated workbook: the supplier's own file handed back with every problem marked.

For an Excel submission the supplier's workbook is copied with its data, formatting and other
sheets kept; each bad cell is filled and carries a comment in Chinese and English, a missing
column is noted on the header row, and a new first sheet "错误 Errors" lists every issue with a
link to its cell. CSV and PDF submissions get a new workbook of the parsed table, laid out so
that each record sits on the row number the supplier knows (the CSV line, or the PDF row).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qsync.i18n import Catalogue
from qsync.model import FileResult, Issue
from qsync.spec import Spec
from qsync.xlsx import ERROR_FILL, HEADER_FONT, WARNING_FILL, column_letter, put_text

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from qsync.submission import CheckedTable

ERRORS_SHEET = "错误 Errors"
_ERROR_COLUMNS = ("sheet", "row", "column", "value", "rule", "severity")


@dataclass
class Located:
    """An issue with the worksheet cell it belongs to (``None`` for file-level issues)."""

    issue: Issue
    sheet: str | None
    cell: str | None
    text: str


def _bilingual(issue: Issue, spec: Spec | None, catalogues: tuple[Catalogue, Catalogue]) -> str:
    zh, en = (c.issue_message(issue, spec) for c in catalogues)
    return f"{zh}\n{en}"


def _cell_of(issue: Issue, checked: CheckedTable | None, default_sheet: str | None) -> str | None:
    if issue.cell:
        return issue.cell
    if issue.row is None or checked is None:
        return None
    fields = {name: pos for pos, name in checked.table.match.fields.items()}
    position = fields.get(issue.field or "")
    if position is None:
        if issue.rule in ("missing-column", "unknown-column"):
            position = len(checked.table.raw.headers) if issue.rule == "missing-column" else None
            if issue.rule == "unknown-column" and issue.column in checked.table.raw.headers:
                position = checked.table.raw.headers.index(issue.column)
        if position is None:
            position = 0
    return f"{column_letter(position)}{issue.row}"


def locate(
    result: FileResult,
    checked: list[CheckedTable],
    spec: Spec | None,
    catalogues: tuple[Catalogue, Catalogue],
) -> list[Located]:
    """Place every issue of a file on a sheet and cell, with its message in zh and en."""
    by_sheet = {c.table.raw.sheet: c for c in checked}
    located = []
    for issue in result.issues:
        table = by_sheet.get(issue.sheet) or (checked[0] if checked else None)
        sheet = issue.sheet if issue.sheet is not None else None
        cell = _cell_of(issue, table, sheet)
        located.append(Located(issue, sheet, cell, _bilingual(issue, spec, catalogues)))
    return located


def _mark(ws: Worksheet, item: Located) -> None:
    from openpyxl.comments import Comment

    if item.cell is None:
        return
    cell = ws[item.cell]
    cell.fill = ERROR_FILL if item.issue.severity == "error" else WARNING_FILL
    previous = cell.comment.text + "\n\n" if cell.comment else ""
    comment = Comment(previous + item.text, "qsync")
    comment.width, comment.height = 320, 140
    cell.comment = comment


def _errors_sheet(wb: Workbook, located: list[Located], default_sheet: str) -> None:
    ws = wb.create_sheet(ERRORS_SHEET, 0)
    headers = ("工作表 Sheet", "行 Row", "列 Column", "值 Value", "规则 Rule", "级别 Severity")
    ws.append([*headers, "单元格 Cell", "说明 Message"])
    for cell in ws[1]:
        cell.font = HEADER_FONT
    for item in located:
        issue = item.issue
        sheet = item.sheet or default_sheet
        row = [sheet, issue.row, issue.column, issue.value, issue.rule, issue.severity]
        line = ws.max_row + 1
        for position, value in enumerate((*row, item.cell, item.text), start=1):
            put_text(ws.cell(row=line, column=position), value)
        if item.cell:
            link = ws.cell(row=ws.max_row, column=7)
            link.hyperlink = f"#'{sheet}'!{item.cell}"
            link.style = "Hyperlink"
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    for letter, width in zip("ABCDEFGH", (16, 7, 16, 24, 28, 9, 9, 70), strict=True):
        ws.column_dimensions[letter].width = width


def _table_workbook(checked: list[CheckedTable], name: str) -> Workbook:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = name
    for item in checked:
        raw = item.table.raw
        for position, header in enumerate(raw.headers, start=1):
            put_text(ws.cell(row=raw.header_row, column=position), header).font = HEADER_FONT
        columns = raw.column_names()
        for record in raw.frame.select("_row", *columns).iter_rows():
            for position, value in enumerate(record[1:], start=1):
                if value is not None:
                    put_text(ws.cell(row=record[0], column=position), value)
    return wb


def annotate(
    source: Path,
    result: FileResult,
    checked: list[CheckedTable],
    spec: Spec | None,
    catalogues: tuple[Catalogue, Catalogue],
    out_dir: Path,
) -> Path:
    """Write the annotated copy of ``source`` into ``out_dir``; returns its path.

    ``catalogues`` is the (Chinese, English) pair used for the bilingual comments.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    located = locate(result, checked, spec, catalogues)
    if source.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm")
        default_sheet = wb.sheetnames[0]
    else:
        default_sheet = "数据 Data"
        wb = _table_workbook(checked, default_sheet)
    for item in located:
        sheet = item.sheet or default_sheet
        if sheet in wb.sheetnames:
            _mark(wb[sheet], item)
    _errors_sheet(wb, located, default_sheet)
    wb.active = 0
    suffix = ".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx"
    target = out_dir / f"{source.stem}.annotated{suffix}"
    wb.save(target)
    return target
