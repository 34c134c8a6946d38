"""The PDF reader: tiny PDFs drawn with fpdf2 in each test, named after their defect.

fpdf2's core fonts cannot draw Chinese and no CJK font is installed here (``fc-list :lang=zh``
is empty), so these PDFs are in English; Chinese headers are covered by the Excel tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from qsync.docfields import extract_document_fields
from qsync.errors import SupplierFileError
from qsync.headers import AliasIndex
from qsync.readers.base import RawTable
from qsync.readers.pdf import read_pdf
from qsync.spec import Spec
from qsync.submission import check_raw

HEADER = ["Supplier Code", "Part No.", "Lot No.", "Received Date", "Qty Received", "Sample Size"]
HEADER += ["Defects", "Decision"]


def lot(i: int, defects: int = 0) -> list[str]:
    return ["S0042", "P-1001", f"L2610-{i:04d}", "2026-10-05", "1,200", "80", str(defects), "OK"]


@pytest.fixture
def indexes(specs: dict[str, Spec]) -> list[AliasIndex]:
    """Alias indexes of the workspace's specs (inspections only)."""
    return [AliasIndex.build(spec) for spec in specs.values()]


def write_pdf(
    path: Path,
    rows: list[list[str]],
    *,
    above: tuple[str, ...] = ("Incoming Inspection Report", "Supplier Code: S0042"),
    below: tuple[str, ...] = (),
    **table: Any,
) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for line in above:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    with pdf.table(**table) as drawn:
        for row in rows:
            cells = drawn.row()
            for value in row:
                cells.cell(value)
    for line in below:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def data(table: RawTable) -> list[tuple[Any, ...]]:
    return table.frame.select("2", "_page", "_row").rows()


def test_pdf_table_across_pages_joined_and_repeated_header_dropped(
    tmp_path: Path, indexes: list[AliasIndex]
) -> None:
    path = write_pdf(tmp_path / "two_pages.pdf", [HEADER] + [lot(i) for i in range(70)])
    (table,) = read_pdf(path, indexes)
    assert table.headers == HEADER and table.format == "pdf" and table.header_row == 1
    rows = data(table)
    assert len(rows) == 70
    assert rows[0] == ("L2610-0000", 1, 2)
    first_on_page_2 = next(r for r in rows if r[1] == 2)
    assert first_on_page_2[2] == 2  # the repeated header is row 1 of page 2
    assert rows[-1][0] == "L2610-0069"


def test_pdf_continuation_page_without_header(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    rows = [HEADER] + [lot(i) for i in range(70)]
    (table,) = read_pdf(write_pdf(tmp_path / "no_repeat.pdf", rows, repeat_headings=0), indexes)
    assert len(table.frame) == 70
    first_on_page_2 = next(r for r in data(table) if r[1] == 2)
    assert first_on_page_2[2] == 1


def test_pdf_page_text_becomes_document_text(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    path = write_pdf(tmp_path / "text.pdf", [HEADER, lot(1)], below=("Approved by: Zhang",))
    (table,) = read_pdf(path, indexes)
    assert table.document_text == [
        "Incoming Inspection Report",
        "Supplier Code: S0042",
        "Approved by: Zhang",
    ]
    spec = indexes[0].spec
    assert extract_document_fields(table.document_text, spec) == {"supplier_id": "S0042"}


def test_pdf_clean_table_validates(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    (table,) = read_pdf(write_pdf(tmp_path / "clean.pdf", [HEADER, lot(1), lot(2, 1)]), indexes)
    spec, checked, issues = check_raw(table, indexes)
    assert spec.kind == "inspections" and checked is not None
    assert issues == []
    assert checked.table.frame["qty_received"].to_list() == [1200, 1200]


def test_pdf_issue_points_at_page_and_row(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    rows = [HEADER] + [lot(i) for i in range(45)] + [lot(99, defects=-1)]
    (table,) = read_pdf(write_pdf(tmp_path / "bad.pdf", rows), indexes)
    _, _, issues = check_raw(table, indexes)
    ((rule, page, row),) = [(i.rule, i.page, i.row) for i in issues]
    assert (rule, page) == ("out-of-range", 2)
    assert row == len(table.frame.filter(table.frame["_page"] == 2)) + 1


def test_pdf_totals_row_skipped(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    totals = ["Total", "", "", "", "2,400", "160", "0", ""]
    (table,) = read_pdf(
        write_pdf(tmp_path / "totals.pdf", [HEADER, lot(1), lot(2), totals]), indexes
    )
    assert len(table.frame) == 2
    notes = [(n.rule, n.page, n.row) for n in table.notes]
    assert notes == [("totals-row-skipped", 1, 4)]


def test_pdf_borderless_table_read(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    path = write_pdf(tmp_path / "no_lines.pdf", [HEADER, lot(1), lot(2)], borders_layout="NONE")
    (table,) = read_pdf(path, indexes)
    assert table.headers == HEADER
    assert table.frame["2"].to_list() == ["L2610-0001", "L2610-0002"]
    assert "Supplier Code: S0042" in table.document_text


def test_pdf_scanned_refused(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 150, 80, style="F")  # a picture of a table, no text layer
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(SupplierFileError) as caught:
        read_pdf(tmp_path / "scan.pdf", indexes)
    assert caught.value.reference == "scanned-pdf"
    assert (
        caught.value.hint == "Ask for the Excel original, or a PDF printed from it (not scanned)."
    )


def test_pdf_encrypted_refused(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.cell(text="Lot No. Defects")
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.output(str(tmp_path / "locked.pdf"))
    with pytest.raises(SupplierFileError) as caught:
        read_pdf(tmp_path / "locked.pdf", indexes)
    assert (caught.value.reference, caught.value.params) == (
        "encrypted-pdf",
        {"reason": "PDFPasswordIncorrect"},
    )


def test_pdf_truncated_refused(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    whole = write_pdf(tmp_path / "whole.pdf", [HEADER, lot(1)]).read_bytes()
    (tmp_path / "cut.pdf").write_bytes(whole[: len(whole) // 3])
    with pytest.raises(SupplierFileError) as caught:
        read_pdf(tmp_path / "cut.pdf", indexes)
    assert (caught.value.reference, caught.value.params) == (
        "unreadable-pdf",
        {"reason": "damaged"},
    )


def test_pdf_not_a_pdf_refused(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    (tmp_path / "fake.pdf").write_bytes(b"Supplier Code,Lot No.\nS0042,L1\n")
    with pytest.raises(SupplierFileError) as caught:
        read_pdf(tmp_path / "fake.pdf", indexes)
    assert (caught.value.reference, caught.value.params) == (
        "unreadable-pdf",
        {"reason": "not-a-pdf"},
    )


def test_pdf_without_table_refused(tmp_path: Path, indexes: list[AliasIndex]) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.cell(text="Certificate of conformity")
    pdf.output(str(tmp_path / "letter.pdf"))
    with pytest.raises(SupplierFileError) as caught:
        read_pdf(tmp_path / "letter.pdf", indexes)
    assert caught.value.reference == "pdf-no-table"
