"""The supplier gets their own file back: annotated workbook, feedback email, and templates."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import openpyxl
import pytest

from qsync.cli import main
from qsync.config import Workspace
from qsync.i18n import Catalogue
from qsync.spec import load_specs
from qsync.standard import write_template
from qsync.submission import check_file

HEADER = [
    "供应商代码",
    "物料编码",
    "批次号",
    "到货日期",
    "来料数量",
    "抽样数",
    "不良数",
    "判定",
    "检验员",
]
GOOD = ["S0042", "P-1001", "L1", "2026-10-05", 1200, 80, 0, "合格", "张三"]


def _workbook(path: Path, rows: list[list[object]], *, title_rows: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "来料检验"
    for i in range(title_rows):
        ws.append([f"标题 {i}"])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    other = wb.create_sheet("备注")
    other["A1"] = "supplier notes stay untouched"
    wb.save(path)
    return path


def _marked_cells(path: Path, sheet: str) -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}


def test_annotated_workbook_marks_exactly_the_bad_cells(
    workspace: Workspace, tmp_path: Path
) -> None:
    bad_defects = ["S0042", "P-1001", "L2", "2026-10-05", 500, 80, -1, "合格", "李四"]
    bad_decision = ["S0042", "P-1001", "L3", "2026-10-06", 500, 80, 0, "待定", "王五"]
    source = _workbook(tmp_path / "iqc.xlsx", [GOOD, bad_defects, bad_decision], title_rows=2)
    out = tmp_path / "feedback"
    code = main(["-w", str(workspace.root), "validate", str(source), "--annotate", str(out)])
    assert code == 1
    annotated = out / "iqc.annotated.xlsx"
    wb = openpyxl.load_workbook(annotated)
    assert wb.sheetnames == ["错误 Errors", "来料检验", "备注"]
    assert wb["备注"]["A1"].value == "supplier notes stay untouched"
    comments = _marked_cells(annotated, "来料检验")
    # Header on Excel row 3 (two title rows); L2 on row 5, L3 on row 6.
    assert sorted(comments) == ["G5", "H6"]
    assert comments["G5"] == '“-1”必须大于或等于 0\n"-1" must be 0 or more'
    assert comments["H6"].startswith("“待定”不是允许的值；请使用：合格, 不合格, 特采\n")
    assert wb["来料检验"]["G5"].fill.start_color.rgb == "00FFC7CE"
    assert wb["来料检验"]["G4"].fill.start_color.rgb in ("00000000", None)
    errors = wb["错误 Errors"]
    rows = list(errors.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[4], r[6]) for r in rows] == [
        (5, "不良数", "out-of-range", "G5"),
        (6, "判定", "unknown-value", "H6"),
    ]
    link = errors["G2"].hyperlink
    assert (link.location or link.target).lstrip("#") == "'来料检验'!G5"


def test_annotated_csv_is_a_new_workbook_on_the_suppliers_line_numbers(
    workspace: Workspace, tmp_path: Path
) -> None:
    text = ",".join(HEADER) + '\nS0042,P-1001,L1,2026-10-05,1200,80,0,合格,=HYPERLINK("http://x")\n'
    source = tmp_path / "iqc.csv"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "fb"
    main(["-w", str(workspace.root), "validate", str(source), "--annotate", str(out)])
    ws = openpyxl.load_workbook(out / "iqc.annotated.xlsx")["数据 Data"]
    cell = ws["I2"]
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"  # text, never a formula
    assert sorted(_marked_cells(out / "iqc.annotated.xlsx", "数据 Data")) == ["I2"]


def test_feedback_email_is_a_standard_eml_with_the_annotated_workbook(
    workspace: Workspace, tmp_path: Path
) -> None:
    bad = ["S0042", "P-1001", "L2", "2026-10-05", 500, 80, -1, "合格", "李四"]
    source = _workbook(tmp_path / "iqc.xlsx", [GOOD, bad])
    args = [
        "-w",
        str(workspace.root),
        "validate",
        str(source),
        "--email",
        "--to",
        "qa@s.example.cn",
    ]
    assert main([*args, "--lang", "en"]) == 1
    [eml] = sorted((workspace.folder("outbox")).glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"] == "qa@s.example.cn"
    assert msg["Subject"] == "[Incoming inspection] iqc.xlsx: 1 row(s) to correct"
    text = msg.get_body(("plain",)).get_content()
    assert 'row 3, column 不良数: "-1" must be 0 or more' in text
    html = msg.get_body(("html",)).get_content()
    assert "<td>不良数</td>" in html
    assert "<td>&#34;-1&#34; must be 0 or more</td>" in html
    assert [p.get_filename() for p in msg.iter_attachments()] == ["iqc.annotated.xlsx"]


def test_html_email_escapes_supplier_text(workspace: Workspace, tmp_path: Path) -> None:
    bad = ["S0042", "P-1001", "L2", "2026-10-05", 500, 80, 0, "<script>x</script>", "李四"]
    source = _workbook(tmp_path / "iqc.xlsx", [bad])
    main(["-w", str(workspace.root), "validate", str(source), "--email", "--lang", "en"])
    [eml] = sorted(workspace.folder("outbox").glob("*.eml"))
    html = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    body = html.get_body(("html",)).get_content()
    assert "<script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_filled_in_correctly_validates_without_issues(
    workspace: Workspace, tmp_path: Path, lang: str
) -> None:
    specs = load_specs(workspace.rules_dir)
    catalogue = Catalogue.load(workspace.templates_dir, lang)
    path = write_template(specs["inspections"], catalogue, tmp_path / f"tpl_{lang}.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    examples = {
        "supplier_id": "S0042",
        "part_no": "P-1001",
        "lot_id": "L2610-0001",
        "received_date": "2026-10-05",
        "qty_received": 1200,
        "sample_size": 80,
        "defects": 1,
        "decision": "合格" if lang == "zh" else "accept",
        "inspector": "Wang",
    }
    for position, name in enumerate(specs["inspections"].columns, start=1):
        if name in examples:
            ws.cell(row=2, column=position, value=examples[name])
    wb.save(path)
    result, tables, _ = check_file(path, specs)
    assert (result.kind, result.rows, result.issues) == ("inspections", 1, [])
    assert [n.rule for n in result.notes] == ["sheet-skipped"]
    assert tables[0].table.frame["decision"].to_list() == ["accept"]


def test_template_has_a_drop_down_for_enumerated_fields(
    workspace: Workspace, tmp_path: Path
) -> None:
    specs = load_specs(workspace.rules_dir)
    path = write_template(
        specs["inspections"], Catalogue.load(workspace.templates_dir, "zh"), tmp_path / "t.xlsx"
    )
    ws = openpyxl.load_workbook(path).worksheets[0]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert [(dv.formula1, str(dv.sqref)) for dv in lists] == [('"合格,不合格,特采"', "J2:J501")]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["供应商代码", "物料编码", "批次号"]


def test_document_field_above_the_table_fills_every_row(
    workspace: Workspace, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["来料检验报告"])
    ws.append(["供应商代码：S0042"])
    ws.append(HEADER[1:])
    ws.append(GOOD[1:])
    ws.append(["P-1001", "L2", "2026-10-06", 300, 50, 0, "OK", "李四"])
    path = tmp_path / "doc.xlsx"
    wb.save(path)
    result, tables, _ = check_file(path, load_specs(workspace.rules_dir))
    assert result.issues == []
    assert tables[0].table.frame["supplier_id"].to_list() == ["S0042", "S0042"]
    assert tables[0].table.frame["_row"].to_list() == [4, 5]
