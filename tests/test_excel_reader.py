"""The Excel reader: tiny workbooks written with openpyxl in each test, named after their defect."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qsync.headers import AliasIndex
from qsync.readers.base import RawTable
from qsync.readers.excel import read_excel
from qsync.spec import Spec
from qsync.submission import check_raw

ZH = ["供应商代码", "物料编码", "批次号", "到货日期", "来料数量", "抽样数", "不良数", "判定"]
EN = ["Supplier Code", "Part No.", "Lot No.", "Received Date", "Qty Received", "Sample Size"]
EN += ["Defects", "Decision"]
ROW_1 = ["S0042", "P-1001", "L2610-0001", dt.date(2026, 10, 5), 1200, 80, 0, "合格"]
ROW_2 = ["S0042", "P-1001", "L2610-0002", dt.date(2026, 10, 6), 600, 50, 2, "不合格"]


@pytest.fixture
def indexes(specs: dict[str, Spec]) -> list[AliasIndex]:
    """Alias indexes of the workspace's specs (inspections only)."""
    return [AliasIndex.build(spec) for spec in specs.values()]


@pytest.fixture
def workbook(tmp_path: Path) -> Callable[..., Path]:
    """``workbook(name, rows, edit=None)``: one sheet holding ``rows``; ``edit(wb)`` adds more."""

    def make(name: str, rows: list[list[Any]], edit: Callable[..., None] | None = None) -> Path:
        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "来料检验"
        for row in rows:
            ws.append(row)
        if edit is not None:
            edit(wb)
        path = tmp_path / name
        wb.save(path)
        return path

    return make


def read(path: Path, indexes: list[AliasIndex]) -> list[RawTable]:
    return read_excel(path, indexes)


def values(table: RawTable) -> list[tuple[Any, ...]]:
    return table.frame.rows()


def set_cached_value(path: Path, cell: str, value: str) -> None:
    """Give an openpyxl formula cell (written without a value) the cached value Excel saves."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    xml = parts[member].decode()
    start = xml.index(f'<c r="{cell}"')
    end = xml.index("</c>", start)
    parts[member] = (
        xml[:start] + xml[start:end].replace("<v />", f"<v>{value}</v>") + xml[end:]
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def test_excel_header_below_title_rows(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    path = workbook(
        "title_rows.xlsx",
        [
            ["来料检验记录 Incoming Inspection"],
            ["供应商代码：", "S0042", "日期", "2026-10-05"],
            [],
            ZH,
            ROW_1,
        ],
    )
    (table,) = read(path, indexes)
    assert table.sheet == "来料检验"
    assert table.header_row == 4
    assert table.headers == ZH
    assert table.column_letters == ["A", "B", "C", "D", "E", "F", "G", "H"]
    assert values(table) == [
        ("S0042", "P-1001", "L2610-0001", "2026-10-05", "1200", "80", "0", "合格", 5)
    ]
    assert table.document_text == [
        "来料检验记录 Incoming Inspection",
        "供应商代码：",
        "S0042",
        "日期",
        "2026-10-05",
        "供应商代码：S0042",
        "日期: 2026-10-05",
    ]


def test_excel_bilingual_headers_match(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    headers = [f"{zh} {en}" for zh, en in zip(ZH, EN, strict=True)]
    (table,) = read(workbook("bilingual.xlsx", [headers, ROW_1]), indexes)
    spec, checked, issues = check_raw(table, indexes)
    assert checked is not None and spec.kind == "inspections"
    assert issues == []
    assert checked.table.frame["lot_id"].to_list() == ["L2610-0001"]


def test_excel_two_row_header_with_merged_group_cell(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    upper = [
        "Supplier Code",
        "Part No.",
        "Lot No.",
        "Received Date",
        "Qty",
        None,
        "Defects",
        "Decision",
    ]
    lower = [None, None, None, None, "Received", "Sample Size", None, None]

    def merge(wb: openpyxl.Workbook) -> None:
        ws = wb.active
        ws.merge_cells("E2:F2")
        for col in "ABCDGH":
            ws.merge_cells(f"{col}2:{col}3")

    (table,) = read(workbook("two_rows.xlsx", [["IQC"], upper, lower, ROW_1], merge), indexes)
    assert table.header_row == 2
    assert table.headers == [*EN[:4], "Qty Received", "Sample Size", "Defects", "Decision"]
    assert values(table)[0][-1] == 4


def test_excel_totals_row_skipped(workbook: Callable[..., Path], indexes: list[AliasIndex]) -> None:
    totals = ["合 计", None, None, None, 1800, 130, 2, None]
    path = workbook("totals.xlsx", [ZH, ROW_1, ROW_2, totals, ["Total:", None, None, None, 1800]])
    (table,) = read(path, indexes)
    assert [row[-1] for row in values(table)] == [2, 3]
    notes = [(n.rule, n.row, n.params["label"]) for n in table.notes]
    assert notes == [("totals-row-skipped", 4, "合 计"), ("totals-row-skipped", 5, "Total:")]


def test_excel_blank_rows_skipped_keeping_row_numbers(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    (table,) = read(workbook("blank_rows.xlsx", [ZH, ROW_1, [], [None, " "], ROW_2]), indexes)
    assert [row[-1] for row in values(table)] == [2, 5]


def test_excel_dates_and_numbers_as_plain_text(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    headers = ["批次号", "到货日期", "检验日期", "来料数量", "AQL", "Cpk", "物料编码", "检验员"]
    row = [
        "L1",
        dt.date(2026, 10, 5),
        dt.datetime(2026, 10, 5, 14, 30),
        1200.0,
        0.65,
        1.33,
        46300,
        True,
    ]
    text_serial = ["L2", "46300", None, "1,200", "六百", "N/A", "00123", "张三"]
    (table,) = read(workbook("types.xlsx", [headers, row, text_serial]), indexes)
    assert values(table) == [
        ("L1", "2026-10-05", "2026-10-05 14:30:00", "1200", "0.65", "1.33", "46300", "true", 2),
        ("L2", "46300", None, "1,200", "六百", "N/A", "00123", "张三", 3),
    ]


def test_excel_small_and_long_numbers_keep_their_digits(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    rows = [
        ["批次号", "Cpk", "AQL"],
        ["L1", 1 / 3, 3e-10],
        ["L2", 1.2345678901234, 0],
        ["L3", 2.5e-11, -1e-12],
    ]
    (table,) = read(workbook("precision.xlsx", rows), indexes)
    assert values(table) == [
        ("L1", "0.333333333333333", "3e-10", 2),
        ("L2", "1.2345678901234", "0", 3),
        ("L3", "2.5e-11", "-1e-12", 4),
    ]


def test_excel_error_cells_are_kept_as_text_and_reported(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    (table,) = read(workbook("errors.xlsx", [ZH, [*ROW_1[:6], "#DIV/0!", "#N/A"]]), indexes)
    assert values(table)[0][6:] == ("#DIV/0!", "#N/A", 2)
    found = [(i.rule, i.cell, i.column, i.value) for i in table.issues]
    assert found == [
        ("cell-error", "G2", "不良数", "#DIV/0!"),
        ("cell-error", "H2", "判定", "#N/A"),
    ]


def test_excel_formula_cached_value_used(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    path = workbook("formula_cached.xlsx", [ZH, [*ROW_1[:6], "=F2-80", "合格"]])
    set_cached_value(path, "G2", "0")
    (table,) = read(path, indexes)
    assert values(table)[0][6] == "0"
    assert table.issues == []


def test_excel_formula_without_cached_value_reported(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    path = workbook(
        "formula_no_value.xlsx",
        [ZH, [*ROW_1[:6], "=F2-80", "合格"], [None, None, None, "=TODAY()"]],
    )
    (table,) = read(path, indexes)
    assert values(table)[0][6] is None
    found = [
        (i.rule, i.severity, i.row, i.cell, i.column, i.params["formula"]) for i in table.issues
    ]
    # Row 3 holds nothing but an uncalculated formula: a template row, dropped as blank.
    assert found == [("formula-no-value", "error", 2, "G2", "不良数", "=F2-80")]


def test_excel_hidden_rows_noted(workbook: Callable[..., Path], indexes: list[AliasIndex]) -> None:
    def hide(wb: openpyxl.Workbook) -> None:
        for row in (3, 4):
            wb.active.row_dimensions[row].hidden = True

    (table,) = read(workbook("hidden_rows.xlsx", [ZH, ROW_1, ROW_2, ROW_1], hide), indexes)
    assert len(table.frame) == 3
    (note,) = [n for n in table.notes if n.rule == "hidden-rows"]
    assert (note.severity, note.sheet, note.params) == (
        "info",
        "来料检验",
        {"rows": "3-4", "count": 2},
    )


def test_excel_hidden_sheet_skipped_with_note(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    def hidden_copy(wb: openpyxl.Workbook) -> None:
        old = wb.create_sheet("旧数据")
        old.append(ZH)
        old.append(ROW_2)
        old.sheet_state = "hidden"

    tables = read(workbook("hidden_sheet.xlsx", [ZH, ROW_1], hidden_copy), indexes)
    assert [t.sheet for t in tables] == ["来料检验"]
    notes = [(n.rule, n.sheet) for n in tables[0].notes]
    assert notes == [("hidden-sheet", "旧数据")]


def test_excel_every_matching_sheet_read_and_others_noted(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    def more_sheets(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("说明 Instructions").append(["Fill in one row per lot."])
        wb.create_sheet("Empty")
        second = wb.create_sheet("十月 Oct")
        second.append(EN)
        second.append(ROW_2)

    tables = read(workbook("sheets.xlsx", [ZH, ROW_1], more_sheets), indexes)
    assert [t.sheet for t in tables] == ["来料检验", "十月 Oct"]
    notes = [(n.rule, n.sheet, n.params["reason"]) for n in tables[0].notes]
    assert notes == [
        ("sheet-skipped", "说明 Instructions", "no-header"),
        ("sheet-skipped", "Empty", "empty"),
    ]


def test_excel_no_matching_sheet_returns_first_sheet_for_unknown_kind(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    (table,) = read(workbook("unknown.xlsx", [["Name", "Colour"], ["a", "red"]]), indexes)
    assert table.headers == ["Name", "Colour"]
    _, checked, issues = check_raw(table, indexes)
    assert checked is None and [i.rule for i in issues] == ["unknown-kind"]


def test_excel_merged_cells_in_data_filled_down(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    def merge(wb: openpyxl.Workbook) -> None:
        wb.active.merge_cells("A2:A3")

    second = [None, *ROW_2[1:]]
    (table,) = read(workbook("merged_data.xlsx", [ZH, ROW_1, second], merge), indexes)
    assert [row[0] for row in values(table)] == ["S0042", "S0042"]
    (note,) = [n for n in table.notes if n.rule == "merged-cells-filled"]
    assert note.params == {"ranges": "A2:A3", "count": 1}


def test_excel_table_not_starting_in_column_a(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    (table,) = read(workbook("offset.xlsx", [[], [None, None, *ZH], [None, None, *ROW_1]]), indexes)
    assert table.header_row == 2
    assert table.column_letters == ["C", "D", "E", "F", "G", "H", "I", "J"]
    _, checked, issues = check_raw(table, indexes)
    assert checked is not None and issues == []


def test_excel_cell_coordinates_in_issues(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    bad = [*ROW_1[:6], -1, "合格"]
    (table,) = read(workbook("bad_value.xlsx", [["IQC"], ZH, ROW_1, bad]), indexes)
    _, _, issues = check_raw(table, indexes)
    assert [(i.rule, i.row, i.cell, i.sheet, i.column) for i in issues] == [
        ("duplicate-key", 4, "C4", "来料检验", "批次号"),
        ("out-of-range", 4, "G4", "来料检验", "不良数"),
    ]


def test_excel_empty_workbook_refused(
    workbook: Callable[..., Path], indexes: list[AliasIndex]
) -> None:
    from qsync.errors import SupplierFileError

    with pytest.raises(SupplierFileError) as caught:
        read(workbook("empty.xlsx", []), indexes)
    assert caught.value.reference == "empty-file"
