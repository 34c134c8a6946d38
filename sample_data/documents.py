"""Generate the Excel and PDF sample submissions used by ``qsync demo``.

Suppliers' workbooks are laid out for people: a title block, the supplier code printed above
the table, the header on row 5 in two languages, a blank row inside the table and a totals row
at the end. Certificates of analysis arrive as PDF, one lot per certificate, the table running
over two pages with its header repeated. Each file is valid apart from a few planted errors:

* ``xlsx/iqc_2026-10_东莞精工.xlsx`` (incoming inspections, supplier S0031): negative defects
  on Excel row 9, an unknown decision ``待检`` on row 13, defects above the sample size on
  row 15; a blank row 10 and a totals row ``合计`` that are skipped, not validated.
* ``pdf/coa_S0017_L2610-0042.pdf`` (SPC measurements of lot L2610-0042): ``N/A`` as a value
  and an impossible timestamp ``2026-10-32 08:00``.

Regenerate with (fpdf2 is a development dependency)::

    uv run python sample_data/documents.py sample_data
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_workbook(target: Path) -> Path:
    """The messy Excel submission of incoming inspections."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "来料检验"
    ws["A1"] = "东莞精工五金制品有限公司 来料检验记录 Incoming Inspection Record"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "供应商代码：S0031"
    ws["D2"] = "报告月份 Report Month: 2026-10"
    ws["A3"] = "制表：李明    审核：王芳"
    ws.append([])
    header = [
        "物料编码 Part No.",
        "批次号 Lot No.",
        "到货日期 Received",
        "来料数量 Qty",
        "抽样数 Sample",
        "不良数 Defects",
        "判定 Result",
        "检验员 Inspector",
    ]
    ws.append(header)
    for cell in ws[5]:
        cell.font = Font(bold=True)
    rows = [
        ["P-1101", "DG2610-001", "2026-10-03", 1200, 80, 0, "合格", "李明"],
        ["P-1101", "DG2610-002", "2026-10-06", 800, 80, 1, "合格", "李明"],
        ["P-1102", "DG2610-003", "2026-10-08", 500, 50, 0, "OK", "王芳"],
        ["P-1102", "DG2610-004", "2026-10-10", 500, 50, -3, "合格", "王芳"],
        [],
        ["P-1101", "DG2610-005", "2026-10-15", 1500, 125, 2, "特采", "李明"],
        ["P-1103", "DG2610-006", "2026-10-17", 300, 32, 0, "合格", "王芳"],
        ["P-1103", "DG2610-007", "2026-10-20", 300, 32, 0, "待检", "王芳"],
        ["P-1101", "DG2610-008", "2026-10-24", 1200, 80, 0, "合格", "李明"],
        ["P-1102", "DG2610-009", "2026-10-28", 500, 50, 60, "不合格", "王芳"],
    ]
    for row in rows:
        ws.append(row)
    ws.append(["合计", "", "", "=SUM(D6:D15)", "=SUM(E6:E15)", "=SUM(F6:F15)"])
    from datetime import date

    for row in ws.iter_rows(min_row=6, max_row=15, min_col=3, max_col=3):
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = date.fromisoformat(cell.value)
                cell.number_format = "yyyy/m/d"
    for letter, width in zip("ABCDEFGH", (18, 16, 14, 10, 10, 10, 10, 12), strict=True):
        ws.column_dimensions[letter].width = width
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def write_certificate(target: Path) -> Path:
    """A two-page certificate of analysis (English; the core PDF fonts have no Chinese)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    header = ["Characteristic", "Subgroup", "Sample No.", "Value (mm)", "Measured At"]
    widths = [45, 25, 25, 30, 50]
    readings = []
    for subgroup in range(1, 9):
        for sample in range(1, 6):
            value = f"{10.000 + ((subgroup * 7 + sample * 3) % 9 - 4) * 0.004:.3f}"
            stamp = f"2026-10-{10 + subgroup:02d} 08:{sample * 5:02d}"
            readings.append(["OD 10.00", str(subgroup), str(sample), value, stamp])
    readings[12][3] = "N/A"
    readings[27][4] = "2026-10-32 08:00"
    per_page = 24
    for start in range(0, len(readings), per_page):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, "Certificate of Analysis", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in ("Supplier Code: S0017", "Part No.: P-1085", "Lot No.: L2610-0042"):
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        for text, width in zip(header, widths, strict=True):
            pdf.cell(width, 7, text, border=1)
        pdf.ln()
        pdf.set_font("Helvetica", "", 10)
        for row in readings[start : start + per_page]:
            for text, width in zip(row, widths, strict=True):
                pdf.cell(width, 6, text, border=1)
            pdf.ln()
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(target))
    return target


def main() -> None:
    """Write both sample documents under OUTDIR (``xlsx/`` and ``pdf/``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", type=Path, nargs="?", default=HERE)
    args = parser.parse_args()
    print(write_workbook(args.outdir / "xlsx" / "iqc_2026-10_东莞精工.xlsx"))
    print(write_certificate(args.outdir / "pdf" / "coa_S0017_L2610-0042.pdf"))


if __name__ == "__main__":
    main()
