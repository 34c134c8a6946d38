"""Validation of supplier data: limits, patterns, duplicates, row checks and formula text.

Issues carry the supplier's own coordinates and a message in their language; the exact text
is asserted for the rules a supplier meets most.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qsync.i18n import Catalogue
from qsync.resources import default_templates_dir

Check = Callable[..., Any]
MakeCsv = Callable[..., Path]

HEADER = (
    "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Defects,Decision,AQL,"
    "Defect Type\n"
)
GOOD = "S0042,P-1001,L2610-0001,2026-10-05,1200,80,0,OK,0.65,\n"


def _fill(checked: Any, lang: str) -> list[str]:
    Catalogue.load(default_templates_dir(), lang).fill(checked.result.issues, checked.spec)
    return [i.message for i in checked.result.issues]


def test_clean_file_is_valid(csv_file: MakeCsv, check: Check) -> None:
    checked = check(csv_file("clean.csv", HEADER + GOOD))
    assert checked.result.valid
    assert (checked.result.rows, checked.result.valid_rows, checked.result.invalid_rows) == (
        1,
        1,
        0,
    )


def test_out_of_range_below_min_and_above_max(csv_file: MakeCsv, check: Check) -> None:
    text = HEADER + GOOD
    text += "S0042,P-1001,L2610-0002,2026-10-05,1200,80,-1,OK,2000,\n"
    text += "S0042,P-1001,L2610-0003,2026-10-05,0,0,0,OK,0.65,\n"
    checked = check(csv_file("out-of-range.csv", text))
    assert checked.flat("row", "field", "value", "rule") == [
        (3, "defects", "-1", "out-of-range"),
        (3, "aql", "2000", "out-of-range"),
        (4, "qty_received", "0", "out-of-range"),
        (4, "sample_size", "0", "out-of-range"),
    ]
    assert _fill(checked, "en") == [
        '"-1" must be 0 or more',
        '"2000" must be 1000 or less',
        '"0" must be 1 or more',
        '"0" must be 1 or more',
    ]
    assert _fill(checked, "zh") == [
        "“-1”必须大于或等于 0",
        "“2000”必须小于或等于 1000",
        "“0”必须大于或等于 1",
        "“0”必须大于或等于 1",
    ]
    assert (checked.result.rows, checked.result.invalid_rows) == (3, 2)


def test_pattern_mismatch_shows_an_example(csv_file: MakeCsv, check: Check) -> None:
    text = HEADER + GOOD.replace("S0042", "S42")
    checked = check(csv_file("supplier-code-pattern.csv", text))
    assert checked.flat("row", "column", "value", "rule") == [
        (2, "Supplier Code", "S42", "pattern-mismatch")
    ]
    assert _fill(checked, "en") == ['"S42" is not in the expected form (for example S0042)']
    assert _fill(checked, "zh") == ["“S42”格式不正确（例如 S0042）"]


def test_duplicate_key_the_later_row_is_the_error_naming_the_first(
    csv_file: MakeCsv, check: Check
) -> None:
    second = GOOD.replace("L2610-0001", "L2610-0002")
    text = HEADER + GOOD + second + second + GOOD
    checked = check(csv_file("duplicate-lot.csv", text))
    assert checked.flat("row", "column", "field", "value", "rule") == [
        (4, "Lot No.", "lot_id", "L2610-0002", "duplicate-key"),
        (5, "Lot No.", "lot_id", "L2610-0001", "duplicate-key"),
    ]
    assert [i.params["first_row"] for i in checked.result.issues] == [3, 2]
    assert _fill(checked, "en") == [
        'Lot No. "L2610-0002" already appears on row 3; each must appear once',
        'Lot No. "L2610-0001" already appears on row 2; each must appear once',
    ]
    assert _fill(checked, "zh") == [
        "批次号“L2610-0002”已在第 3 行出现；每个只能出现一次",
        "批次号“L2610-0001”已在第 2 行出现；每个只能出现一次",
    ]
    assert (checked.result.rows, checked.result.invalid_rows) == (4, 2)


def test_row_check_defects_not_above_sample_size(csv_file: MakeCsv, check: Check) -> None:
    text = HEADER + GOOD + "S0042,P-1001,L2610-0002,2026-10-05,1200,80,81,NG,0.65,\n"
    checked = check(csv_file("defects-above-sample.csv", text))
    assert checked.flat("row", "column", "field", "value", "rule", "severity") == [
        (
            3,
            "Defects",
            "defects",
            "defects=81, sample_size=80",
            "row-check:defects<=sample_size",
            "error",
        )
    ]
    assert _fill(checked, "en") == [
        "defects cannot exceed the sample size (Defects=81, Sample Size=80)"
    ]
    assert _fill(checked, "zh") == ["不良数不能大于抽样数（不良数=81, 抽样数=80）"]


def test_missing_value_in_a_required_column(csv_file: MakeCsv, check: Check) -> None:
    text = HEADER + GOOD.replace("L2610-0001", "")
    checked = check(csv_file("missing-lot.csv", text))
    assert checked.flat("row", "column", "value", "rule") == [(2, "Lot No.", None, "missing-value")]
    assert _fill(checked, "en") == ["Lot No. is required but the cell is empty"]
    assert _fill(checked, "zh") == ["批次号为必填项，但单元格为空"]


def test_formula_text_is_flagged_and_kept_as_data(csv_file: MakeCsv, check: Check) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    cell = '"' + formula.replace('"', '""') + '"'
    text = HEADER + GOOD.replace("0.65,\n", f"0.65,{cell}\n")
    text += "S0042,P-1001,L2610-0002,2026-10-05,1200,80,1,NG,0.65,-5 scratches\n"
    checked = check(csv_file("formula-in-defect-type.csv", text))
    assert checked.flat("row", "field", "value", "rule", "severity") == [
        (2, "defect_type", formula, "formula-text", "warning")
    ]
    assert checked.result.valid
    assert checked.column("defect_type") == [formula, "-5 scratches"]
    assert _fill(checked, "en") == [
        f'"{formula}" starts like a spreadsheet formula; it is kept as plain text'
    ]


def test_issue_carries_every_coordinate(csv_file: MakeCsv, check: Check) -> None:
    path = csv_file("coordinates.csv", HEADER + GOOD.replace(",0,OK", ",-3,OK"))
    checked = check(path)
    _fill(checked, "en")
    assert [i.to_dict() for i in checked.result.issues] == [
        {
            "file": str(path),
            "sheet": None,
            "page": None,
            "cell": None,
            "row": 2,
            "column": "Defects",
            "field": "defects",
            "value": "-3",
            "rule": "out-of-range",
            "severity": "error",
            "message": '"-3" must be 0 or more',
        }
    ]


@pytest.mark.parametrize(
    ("cell", "rule"),
    [("1,200", None), ("1.5", "not-an-integer"), ("", "missing-value")],
)
def test_every_error_makes_its_row_invalid_once(
    csv_file: MakeCsv, check: Check, cell: str, rule: str | None
) -> None:
    row = f'S0042,P-1001,L2610-0002,2026-10-05,"{cell}",80,-1,NG,0.65,\n'
    checked = check(csv_file("two-errors-one-row.csv", HEADER + GOOD + row))
    rules = [r for r in (rule, "out-of-range") if r]
    assert checked.flat("row", "rule") == [(3, r) for r in rules]
    assert (checked.result.rows, checked.result.invalid_rows) == (2, 1)
