"""Reading supplier CSV files: encodings, delimiters, and the row numbers suppliers see.

Every file is written by the test in the encoding named in the file name, then checked through
:func:`qsync.submission.check_file` against the inspections spec of a fresh workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qsync.readers.csv import sniff_delimiter
from qsync.readers.text import decode

ZH = """\
供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定,不良类型
S0042,P-1001,L2610-0001,2026-10-05,1200,80,0,合格,
S0042,P-1001,L2610-0002,2026-10-06,500,50,3,不合格,划伤
"""
EN = """\
Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision
S0042,P-1001,L2610-0001,2026-10-05,1200,80,0,OK
S0042,P-1001,L2610-0002,2026-10-06,500,50,3,NG
"""

Check = Callable[..., Any]
MakeCsv = Callable[..., Path]


def _assert_two_clean_lots(checked: Any) -> None:
    assert checked.result.kind == "inspections"
    assert checked.result.issues == []
    assert checked.result.rows == 2
    assert checked.column("_row") == [2, 3]
    assert checked.column("lot_id") == ["L2610-0001", "L2610-0002"]
    assert checked.column("qty_received") == [1200, 500]
    assert checked.column("decision") == ["accept", "reject"]


@pytest.mark.parametrize(
    ("name", "encoding", "detected"),
    [
        ("utf8.csv", "utf-8", "utf-8"),
        ("utf8-bom.csv", "utf-8-sig", "utf-8-sig"),
        ("utf16-le-bom.csv", "utf-16", "utf-16"),
        ("gbk.csv", "gbk", "gb18030"),
        ("gb18030.csv", "gb18030", "gb18030"),
    ],
)
def test_chinese_headers_in_each_encoding(
    csv_file: MakeCsv, check: Check, name: str, encoding: str, detected: str
) -> None:
    checked = check(csv_file(name, ZH, encoding))
    _assert_two_clean_lots(checked)
    assert checked.result.encoding == detected
    assert checked.result.notes == []
    assert checked.column("defect_type") == [None, "划伤"]


def test_utf16_big_endian_with_bom(bytes_file: Callable[[str, bytes], Path], check: Check) -> None:
    checked = check(bytes_file("utf16-be-bom.csv", b"\xfe\xff" + ZH.encode("utf-16-be")))
    _assert_two_clean_lots(checked)
    assert checked.result.encoding == "utf-16"


def test_short_gbk_file_whose_only_chinese_is_in_the_header(
    csv_file: MakeCsv, check: Check
) -> None:
    text = "供应商代码,Part No.,Lot No.,Received Date,Qty,Sample Size,Defects,Decision\n"
    text += "S0042,P-1,L1,2026-10-05,10,5,0,OK\n"
    checked = check(csv_file("short-gbk.csv", text, "gbk"))
    assert checked.result.encoding == "gb18030"
    assert checked.result.issues == []
    assert checked.tables[0].table.source_headers["supplier_id"] == "供应商代码"


def test_gbk_is_decoded_as_gb18030_never_gb2312_or_cp949() -> None:
    data = "批次号,数量\n".encode("gbk")
    decoded = decode(data, lambda header: 1 if "批次号" in header else 0)
    assert (decoded.encoding, decoded.certain, decoded.text) == ("gb18030", True, "批次号,数量\n")


def test_big5_file_is_not_read_as_gb18030_nonsense(csv_file: MakeCsv, check: Check) -> None:
    # 判定, 合格, 不合格 are written the same in traditional Chinese; 刮傷 is "scratch".
    text = (
        "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,判定,"
        "Defect Type\n"
        "S0042,P-1,L1,2026-10-05,100,10,0,合格,\n"
        "S0042,P-1,L2,2026-10-05,100,10,2,不合格,刮傷\n"
    )
    checked = check(csv_file("big5.csv", text, "big5"))
    assert checked.result.encoding == "big5"
    assert checked.result.issues == []
    assert checked.column("decision") == ["accept", "reject"]
    assert checked.column("defect_type") == [None, "刮傷"]


BIG5_ENGLISH = (
    "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision,"
    "Defect Type\n"
    "S0042,P-1,L2,2026-10-05,100,10,2,NG,刮傷\n"
)


def test_declared_encoding_reads_a_big5_file_with_english_headers(
    csv_file: MakeCsv, check: Check
) -> None:
    checked = check(csv_file("big5-english-header.csv", BIG5_ENGLISH, "big5"), encoding="big5")
    assert checked.result.encoding == "big5"
    assert checked.column("defect_type") == ["刮傷"]


def test_legacy_encoding_guessed_under_english_headers_is_noted(
    csv_file: MakeCsv, check: Check
) -> None:
    # English headers cannot tell GB18030 from Big5: the guess is named, never silent.
    checked = check(csv_file("big5-english-header.csv", BIG5_ENGLISH, "big5"))
    assert [(n.rule, n.severity, n.params) for n in checked.result.notes] == [
        ("encoding-assumed", "warning", {"encoding": "gb18030"})
    ]


def test_gbk_data_under_english_headers_is_read_and_noted(csv_file: MakeCsv, check: Check) -> None:
    lines = EN.splitlines()
    text = "\n".join([lines[0] + ",Defect Type", lines[1] + ",", lines[2] + ",划伤"]) + "\n"
    checked = check(csv_file("gbk-english-header.csv", text, "gbk"))
    _assert_two_clean_lots(checked)
    assert checked.column("defect_type") == [None, "划伤"]
    assert [n.rule for n in checked.result.notes] == ["encoding-assumed"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_one_bad_byte_is_an_issue_on_its_line_and_other_errors_are_still_reported(
    bytes_file: Callable[[str, bytes], Path], check: Check, encoding: str
) -> None:
    text = ZH + "S0042,P-1001,L2610-0003,2026-10-07,500,50,-1,合格,\n"
    lines = text.encode(encoding).split(b"\n")
    lines[2] = lines[2].replace(b"L2610-0002", b"L2610-\xff0002")  # line 3 of the file
    checked = check(bytes_file(f"bad-byte-{encoding}.csv", b"\n".join(lines)))
    assert checked.flat("row", "field", "rule", "severity") == [
        (3, None, "encoding-error", "error"),
        (4, "defects", "out-of-range", "error"),
    ]
    assert checked.result.issues[0].params == {
        "encoding": "gb18030" if encoding == "gbk" else encoding
    }
    assert checked.column("lot_id") == ["L2610-0001", "L2610-\ufffd0002", "L2610-0003"]
    assert checked.column("defect_type") == [None, "划伤", None]
    assert (checked.result.rows, checked.result.invalid_rows) == (3, 2)


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("comma.csv", ","), ("semicolon.csv", ";"), ("tab.tsv", "\t"), ("pipe.txt", "|")],
)
def test_each_delimiter(csv_file: MakeCsv, check: Check, name: str, delimiter: str) -> None:
    checked = check(csv_file(name, EN.replace(",", delimiter)))
    _assert_two_clean_lots(checked)


def test_semicolon_file_with_thousands_commas_in_cells(csv_file: MakeCsv, check: Check) -> None:
    text = "Lot No.;Supplier Code;Part No.;Received Date;Qty;Sample Size;Defects;Decision\n"
    text += "L1;S0042;P-1;2026-10-05;1,200;80;0;OK\nL2;S0042;P-1;2026-10-05;12,500;80;0;OK\n"
    checked = check(csv_file("semicolon-thousands.csv", text))
    assert checked.result.issues == []
    assert checked.column("qty_received") == [1200, 12500]


def test_sniff_delimiter_prefers_consistent_column_counts() -> None:
    assert sniff_delimiter("a;b;c\n1;2,5;3\n4;5,5;6\n") == ";"
    assert sniff_delimiter("a|b\n1|2\n") == "|"
    assert sniff_delimiter("Lot No.\tRemark\nL1\tsee a, b and c\n") == "\t"


# Provenance: an issue's row is the line a supplier sees in a text editor, header on line 1.


def test_row_is_the_editor_line_when_a_quoted_cell_spans_lines_and_blank_lines_exist(
    csv_file: MakeCsv, check: Check
) -> None:
    text = (
        EN.splitlines()[0] + ",Defect Type\n"  # 1
        'S0042,P-1,L1,2026-10-05,10,5,0,OK,"scratch\n'  # 2
        'and dent"\n'  # 3
        "\n"  # 4
        "S0042,P-1,L2,2026-10-05,10,5,-1,OK,\n"  # 5
        "\n"  # 6
        "\n"  # 7
        'S0042,P-1,L3,2026-10-05,10,5,9,OK,"a\n'  # 8
        "\n"  # 9
        'b"\n'  # 10
        "S0042,P-1,L4,2026-10-05,10,5,-2,OK,\n"  # 11
    )
    checked = check(csv_file("multiline-and-blank-lines.csv", text))
    assert checked.flat("row", "field", "rule") == [
        (5, "defects", "out-of-range"),
        (8, "defects", "row-check:defects<=sample_size"),
        (11, "defects", "out-of-range"),
    ]
    assert checked.column("_row") == [2, 5, 8, 11]
    assert checked.column("defect_type") == ["scratch\nand dent", None, "a\n\nb", None]


def test_row_is_the_editor_line_with_crlf_and_blank_lines_above_the_header(
    csv_file: MakeCsv, check: Check
) -> None:
    text = "\r\n\r\n" + EN.replace("\n", "\r\n") + "\r\nS0042,P-1001,L3,2026-10-07,5,5,-1,OK\r\n"
    checked = check(csv_file("blank-lines-above-header-crlf.csv", text))
    assert checked.tables[0].table.raw.header_row == 3
    assert checked.column("_row") == [4, 5, 7]
    assert checked.flat("row", "field", "rule") == [(7, "defects", "out-of-range")]


def test_blank_lines_above_the_header(csv_file: MakeCsv, check: Check) -> None:
    checked = check(csv_file("blank-lines-above-header.csv", "\n\n" + EN))
    assert checked.result.issues == []
    assert checked.column("_row") == [4, 5]
    assert checked.column("lot_id") == ["L2610-0001", "L2610-0002"]


def test_row_with_extra_fields_is_reported_at_its_line(csv_file: MakeCsv, check: Check) -> None:
    text = EN + 'S0042,P-1,"L\n3",2026-10-05,10,5,0,OK\nS0042,P-1,L4,2026-10-05,10,5,0,OK,extra\n'
    checked = check(csv_file("ragged-row.csv", text))
    assert checked.flat("row", "rule") == [(6, "ragged-row")]
    assert checked.result.issues[0].params == {"found": 9, "expected": 8}
    assert checked.column("_row") == [2, 3, 4, 6]
