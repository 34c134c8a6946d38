"""Normalising supplier tables: headers to canonical columns, text cells to typed values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from qsync.headers import normalise_header, split_unit
from qsync.i18n import Catalogue
from qsync.model import Issue
from qsync.resources import default_templates_dir
from qsync.spec import Spec, load_specs
from qsync.submission import CheckOptions, check_file

Check = Callable[..., Any]
MakeCsv = Callable[..., Path]

# One clean data row of the inspections standard, by English header.
ROW = {
    "Supplier Code": "S0042",
    "Part No.": "P-1001",
    "Lot No.": "L2610-0001",
    "Received Date": "2026-10-05",
    "Qty Received": "1200",
    "Sample Size": "80",
    "Defects": "0",
    "Decision": "OK",
    "AQL": "0.65",
    "Inspection Date": "2026-10-06",
    "Cpk": "1.33",
}


def _one_row(**cells: str) -> str:
    row = {**ROW, **{k.replace("_", " "): v for k, v in cells.items()}}
    return ",".join(row) + "\n" + ",".join(f'"{v}"' for v in row.values()) + "\n"


def _messages(issues: list[Issue], spec: Spec | None, lang: str) -> list[str]:
    Catalogue.load(default_templates_dir(), lang).fill(issues, spec)
    return [i.message for i in issues]


# Headers


@pytest.mark.parametrize(
    ("written", "compared"),
    [
        ("Ｌｏｔ　Ｎｏ．", "lot no"),
        ("  LOT   NO ", "lot no"),
        ("批次号：", "批次号"),
        ("Ｓｕｐｐｌｉｅｒ　ＩＤ*", "supplier id"),
    ],
)
def test_header_is_compared_after_nfkc_casefold_and_trim(written: str, compared: str) -> None:
    assert normalise_header(written) == compared


def test_unit_is_split_from_a_header() -> None:
    assert split_unit("直径(cm)") == ("直径", "cm")
    assert split_unit("直径（ｍｍ）") == ("直径", "mm")
    assert split_unit("Lot No.") == ("Lot No.", None)


def test_suppliers_header_variants_match_canonical_columns(csv_file: MakeCsv, check: Check) -> None:
    header = "ＳＵＰＰＬＩＥＲ　ＣＯＤＥ, part number ,Ｌｏｔ　Ｎｏ．,到货日期：,抽样数 Sample Size"
    header += ",Qty Received,不良数,判定 Decision"
    text = header + "\nS0042,P-1,L1,2026-10-05,80,1200,0,合格\n"
    checked = check(csv_file("header-variants.csv", text))
    assert checked.result.issues == []
    assert list(checked.tables[0].table.match.fields.values()) == [
        "supplier_id",
        "part_no",
        "lot_id",
        "received_date",
        "sample_size",
        "qty_received",
        "defects",
        "decision",
    ]
    assert checked.tables[0].table.source_headers["lot_id"] == "Ｌｏｔ　Ｎｏ．"


@pytest.mark.parametrize(
    ("header", "en", "zh"),
    [
        (
            "Inspektor",
            'column "Inspektor" is not part of the Incoming inspection standard and is ignored; '
            'did you mean "Inspector"?',
            "列“Inspektor”不属于来料检验标准，已忽略；您是否指“Inspector”？",
        ),
        (
            "检验圆",
            'column "检验圆" is not part of the Incoming inspection standard and is ignored; '
            'did you mean "检验员"?',
            "列“检验圆”不属于来料检验标准，已忽略；您是否指“检验员”？",
        ),
        (
            "Remarks",
            'column "Remarks" is not part of the Incoming inspection standard and is ignored',
            "列“Remarks”不属于来料检验标准，已忽略",
        ),
    ],
)
def test_unknown_header_is_a_warning_with_did_you_mean(
    csv_file: MakeCsv, check: Check, header: str, en: str, zh: str
) -> None:
    text = _one_row().replace("Cpk\n", f"Cpk,{header}\n").replace('"1.33"\n', '"1.33",x\n')
    checked = check(csv_file("unknown-header.csv", text))
    assert checked.flat("row", "column", "field", "rule", "severity") == [
        (1, header, None, "unknown-column", "warning")
    ]
    assert checked.result.valid
    assert _messages(checked.result.issues, checked.spec, "en") == [en]
    assert _messages(checked.result.issues, checked.spec, "zh") == [zh]


def test_missing_required_column_is_one_issue_not_one_per_row(
    csv_file: MakeCsv, check: Check
) -> None:
    text = "Supplier Code,Part No.,Lot No.,Received Date,Qty Received,Sample Size,Decision\n"
    text += "S0042,P-1,L1,2026-10-05,10,5,OK\nS0042,P-1,L2,2026-10-05,10,5,OK\n"
    text += "S0042,P-1,L3,2026-10-05,10,5,OK\n"
    checked = check(csv_file("missing-defects-column.csv", text))
    assert checked.flat("row", "column", "field", "value", "rule") == [
        (1, None, "defects", None, "missing-column")
    ]
    assert (checked.result.rows, checked.result.invalid_rows) == (3, 3)
    assert _messages(checked.result.issues, checked.spec, "en") == [
        'required column "Defects" is missing; add a column headed "Defects" or one of: '
        "不良数, 不合格数, 缺陷数, Defects"
    ]
    assert _messages(checked.result.issues, checked.spec, "zh") == [
        "缺少必填列“不良数”；请增加标题为“不良数”的列，或使用：不良数, 不合格数, 缺陷数, Defects"
    ]


# Values


@pytest.mark.parametrize(
    ("header", "text", "field", "value"),
    [
        ("Qty Received", "１２００", "qty_received", 1200),
        ("Qty Received", "1,200", "qty_received", 1200),
        ("Qty Received", " 1 200 ", "qty_received", 1200),
        ("Qty Received", "1200.0", "qty_received", 1200),
        ("AQL", "98.5%", "aql", 0.985),
        ("AQL", "０．６５", "aql", 0.65),
        ("Received Date", "2026年10月5日", "received_date", date(2026, 10, 5)),
        ("Received Date", "2026/10/6", "received_date", date(2026, 10, 6)),
        ("Received Date", "5-Oct-2026", "received_date", date(2026, 10, 5)),
        ("Received Date", "46300", "received_date", date(2026, 10, 5)),
        ("Received Date", "2026.10.07", "received_date", date(2026, 10, 7)),
        ("Decision", "特采", "decision", "conditional"),
        ("Decision", "让步接收", "decision", "conditional"),
        ("Decision", "Ｏｋ", "decision", "accept"),
        ("Decision", " rejected ", "decision", "reject"),
        ("Supplier Code", "Ｓ００４２", "supplier_id", "S0042"),
    ],
)
def test_supplier_value_forms_are_normalised(
    csv_file: MakeCsv, check: Check, header: str, text: str, field: str, value: object
) -> None:
    checked = check(csv_file("value-forms.csv", _one_row(**{header: text})))
    assert checked.result.issues == []
    assert checked.column(field) == [value]


@pytest.mark.parametrize(
    ("header", "text", "rule", "en"),
    [
        ("Qty Received", "12x", "not-an-integer", '"12x" is not a whole number'),
        ("Qty Received", "12.5", "not-an-integer", '"12.5" is not a whole number'),
        ("Cpk", "abc", "not-a-number", '"abc" is not a number'),
        (
            "Received Date",
            "2026-13-45",
            "not-a-date",
            '"2026-13-45" is not a date; write dates as 2026-10-05',
        ),
        ("Received Date", "nan", "not-a-date", '"nan" is not a date; write dates as 2026-10-05'),
        (
            "Received Date",
            "1e309",
            "not-a-date",
            '"1e309" is not a date; write dates as 2026-10-05',
        ),
        ("Cpk", "inf", "not-a-number", '"inf" is not a number'),
        ("Qty Received", "nan", "not-an-integer", '"nan" is not a whole number'),
        (
            "Decision",
            "maybe",
            "unknown-value",
            '"maybe" is not an allowed value; use one of: accept, reject, conditional',
        ),
    ],
)
def test_value_that_does_not_parse_is_an_issue_showing_the_value(
    csv_file: MakeCsv, check: Check, header: str, text: str, rule: str, en: str
) -> None:
    checked = check(csv_file("unparsable-value.csv", _one_row(**{header: text})))
    field = checked.tables[0].table.match.fields[list(ROW).index(header)]
    assert checked.flat("row", "column", "field", "value", "rule") == [
        (2, header, field, text, rule)
    ]
    assert checked.column(field) == [None]
    assert _messages(checked.result.issues, checked.spec, "en") == [en]


def test_blank_cell_in_a_typed_column_is_null_without_an_issue(
    csv_file: MakeCsv, check: Check
) -> None:
    checked = check(csv_file("blank-optional-cell.csv", _one_row(Cpk="  ")))
    assert checked.result.issues == []
    assert checked.column("cpk") == [None]


# A small custom spec: units in headers, percentages, yes/no.

GAUGES = """\
kind: gauges
table: gauges
title: {en: Gauge readings, zh: 量具读数}
key: [gauge_id]
columns:
  gauge_id:
    type: str
    required: true
    aliases: [量具编号, Gauge ID]
  diameter:
    type: float
    unit: mm
    units: {mm: 1, cm: 10}
    aliases: [直径, Diameter]
  yield_pct:
    type: float
    unit: "%"
    aliases: [合格率, Yield]
  calibrated:
    type: bool
    aliases: [已校准, Calibrated]
"""


@pytest.fixture
def gauges(tmp_path: Path) -> dict[str, Spec]:
    specs = tmp_path / "gauge-rules" / "specs"
    specs.mkdir(parents=True)
    (specs / "gauges.yaml").write_text(GAUGES, encoding="utf-8")
    return load_specs(tmp_path / "gauge-rules")


def _gauge_check(path: Path, gauges: dict[str, Spec]) -> tuple[Any, Any]:
    result, tables, _ = check_file(path, gauges, CheckOptions())
    return result, tables[0].table.frame if tables else None


@pytest.mark.parametrize(
    ("header", "diameters"),
    [
        ("直径(cm)", [25.0, 0.5]),
        ("直径（ｃｍ）", [25.0, 0.5]),
        ("Diameter (mm)", [2.5, 0.05]),
        ("直径", [2.5, 0.05]),
    ],
)
def test_unit_in_header_is_converted_to_the_canonical_unit(
    csv_file: MakeCsv, gauges: dict[str, Spec], header: str, diameters: list[float]
) -> None:
    path = csv_file("diameter-unit.csv", f"量具编号,{header}\nG1,2.5\nG2,0.05\n")
    result, frame = _gauge_check(path, gauges)
    assert result.issues == []
    assert frame["diameter"].to_list() == pytest.approx(diameters)


def test_unknown_unit_in_header_is_one_issue(csv_file: MakeCsv, gauges: dict[str, Spec]) -> None:
    path = csv_file("diameter-in-inches.csv", "量具编号,直径(in)\nG1,2.5\nG2,1\n")
    result, _ = _gauge_check(path, gauges)
    assert [(i.row, i.column, i.field, i.value, i.rule) for i in result.issues] == [
        (1, "直径(in)", "diameter", "in", "unknown-unit")
    ]
    assert _messages(result.issues, gauges["gauges"], "en") == [
        'unit "in" is not accepted for this column; use one of: mm, cm'
    ]
    assert _messages(result.issues, gauges["gauges"], "zh") == [
        "此列不接受单位“in”；请使用：mm, cm"
    ]


def test_percent_column_keeps_percentage_points(csv_file: MakeCsv, gauges: dict[str, Spec]) -> None:
    path = csv_file("yield-percent.csv", "Gauge ID,Yield\nG1,98.5%\nG2,９９％\nG3,97\n")
    result, frame = _gauge_check(path, gauges)
    assert result.issues == []
    assert frame["yield_pct"].to_list() == [98.5, 99.0, 97.0]


def test_yes_no_values_and_one_that_is_neither(csv_file: MakeCsv, gauges: dict[str, Spec]) -> None:
    text = "Gauge ID,已校准\nG1,是\nG2,否\nG3,Yes\nG4,N\nG5,perhaps\n"
    result, frame = _gauge_check(csv_file("calibrated-yes-no.csv", text), gauges)
    assert frame["calibrated"].to_list() == [True, False, True, False, None]
    assert [(i.row, i.value, i.rule) for i in result.issues] == [(6, "perhaps", "not-a-bool")]
    assert _messages(result.issues, gauges["gauges"], "zh") == ["“perhaps”不是“是”或“否”"]
