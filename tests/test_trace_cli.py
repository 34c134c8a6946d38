"""``qsync trace``: formats, exit codes, messages in both languages, and the mock recall.

Exit codes: 0 traced (cycles and missing links are part of the answer), 1 unknown lot or
complaint (the message names it and the closest ids), 2 bad usage or no genealogy in the store.
The plant is the one of ``test_trace.py`` (see its docstring).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_trace import write_store

import qsync.cli.trace  # noqa: F401  (registers the command, as qsync/cli/__init__.py will)
from qsync.config import Workspace, init_workspace
from qsync.trace.recall import LOG_FILE

Cli = Callable[..., Any]


@pytest.fixture
def plant(tmp_path: Path) -> Workspace:
    """A workspace whose store holds the plant of ``test_trace.py``."""
    ws = init_workspace(tmp_path / "plant")
    write_store(ws.folder("store"))
    return ws


def test_backward_tree_shows_supplier_lots_and_customers(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "FG1", "--lang", "en")
    assert run.code == 0
    assert "Backward from FG1: everything it is made of" in run.out
    assert "L2  P-1002  · WO WO2 · operator E3 · qty 4  supplier S0002  rejected  Cpk 0.91" in (
        run.out
    )
    assert "(see above)" in run.out  # L2 again, under SA2
    assert "missing link: LX (consumed by C1) has no inspection record" in run.out
    assert "8 lots, 3 supplier lots, 4 work orders, 2 customers, 150 shipped" in run.out
    assert "Trace index rebuilt for: genealogy, inspections, shipments" in run.err


def test_tree_speaks_chinese_by_default(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "--forward", "L2")
    assert run.code == 0
    assert "正向追溯 L2：流向的全部批次（召回范围）" in run.out
    assert "不合格" in run.out
    assert "1 个批次在厂、从未发货：FG2" in run.out


def test_json_output(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "--backward", "FG3", "--format", "json")
    assert run.code == 0
    data = json.loads(run.out)
    assert (data["root"], data["direction"], data["cycles"]) == (
        "FG3",
        "backward",
        [["CY1", "CY2", "CY1"]],
    )
    assert [(lot["lot_id"], lot["depth"]) for lot in data["lots"]] == [
        ("FG3", 0),
        ("CY1", 1),
        ("CY2", 2),
    ]


def test_complaint_is_traced_from_its_lot(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "--complaint", "C-2026-017", "--format", "json")
    assert run.code == 0
    data = json.loads(run.out)
    assert (data["root"], data["complaint"]["complaint_id"]) == ("FG1", "C-2026-017")


def test_csv_mermaid_and_dot_outputs(plant: Workspace, cli: Cli) -> None:
    csv_run = cli("-w", plant.root, "trace", "--forward", "L2", "-f", "csv")
    assert csv_run.out.splitlines()[-1] == "FG2,forward,2,P-9001,,SA2,,,,,,,,,yes,"
    mermaid = cli("-w", plant.root, "trace", "FG3", "-f", "mermaid")
    assert mermaid.out.startswith("flowchart LR\n")
    dot = cli("-w", plant.root, "trace", "FG3", "-f", "dot")
    assert '"CY2" -> "CY1" [label="WO6"];' in dot.out


def test_depth_limit(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "FG1", "--depth", "1", "-f", "json")
    assert [lot["lot_id"] for lot in json.loads(run.out)["lots"]] == ["FG1", "L3", "SA1", "SA2"]


def test_unknown_lot_exits_1_naming_the_lot_and_the_closest_ids(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "FG7", "--lang", "en")
    assert run.code == 1
    assert run.out == ""
    assert (
        'error [unknown-lot] lot "FG7" is not in the store (genealogy, inspections or shipments)'
        in run.err
    )
    assert "hint: Closest ids in the store: FG1, FG2, FG3." in run.err


def test_unknown_lot_in_chinese(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "ZZZZZZ")
    assert run.code == 1
    assert '库中没有批次 "ZZZZZZ"' in run.err
    assert "库中没有相近的编号" in run.err


def test_complaint_without_lot_exits_1(plant: Workspace, cli: Cli) -> None:
    run = cli("-w", plant.root, "trace", "--complaint", "C-2026-018", "--lang", "en")
    assert run.code == 1
    assert 'complaint "C-2026-018" names no product lot' in run.err


@pytest.mark.parametrize(
    ("args", "reference"),
    [
        (["FG1", "--forward", "L2"], "one-lot"),
        ([], "one-lot"),
        (["FG1", "--recall"], "bad-usage"),
        (["FG1", "--format", "xml"], "bad-format"),
    ],
)
def test_bad_usage_exits_2(plant: Workspace, cli: Cli, args: list[str], reference: str) -> None:
    run = cli("-w", plant.root, "trace", *args, "--lang", "en")
    assert run.code == 2
    assert f"[{reference}]" in run.err


def test_store_without_genealogy_exits_2(tmp_path: Path, cli: Cli) -> None:
    ws = init_workspace(tmp_path / "empty")
    run = cli("-w", ws.root, "trace", "FG1", "--lang", "en")
    assert run.code == 2
    assert "error [no-genealogy] " in run.err
    assert "the store has no genealogy table" in run.err


def test_mock_recall_writes_workbook_and_log(plant: Workspace, cli: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "recall"
    run = cli("-w", plant.root, "trace", "--forward", "L2", "--recall", "--out", out, "-f", "json")
    assert run.code == 0
    assert json.loads(run.out)["in_plant"] == ["FG2"]
    (workbook,) = out.glob("mock_recall_L2_*.xlsx")
    assert f"模拟召回工作簿：{workbook}" in run.err
    book = load_workbook(workbook)
    assert book.sheetnames == [
        "客户 Customers", "发货 Shipments", "在厂批次 In plant", "批次 Lots", "审计 Audit",
    ]  # fmt: skip
    customers = [row for row in book["客户 Customers"].iter_rows(values_only=True)]
    assert customers == [("客户", "数量", "发货单", "批次"), ("ACME", 100, "DN1", "FG1"),
                         ("Beta", 50, "DN2", "FG1")]  # fmt: skip
    assert [row[0] for row in book["在厂批次 In plant"].iter_rows(values_only=True)] == [
        "批次号",
        "FG2",
    ]
    audit = dict(book["审计 Audit"].iter_rows(min_row=2, values_only=True))
    assert (audit["追溯批次"], audit["追溯方向"], audit["发货总数量"]) == ("L2", "forward", 150)
    assert isinstance(audit["追溯用时（秒）"], float)
    (line,) = (plant.folder("store") / LOG_FILE).read_text(encoding="utf-8").splitlines()
    logged = json.loads(line)
    assert (logged["root"], logged["customers"], logged["workbook"]) == (
        "L2",
        2,
        str(workbook.resolve()),
    )
    assert logged["trace_seconds"] <= logged["total_seconds"]


def test_recall_sheet_names_in_english(plant: Workspace, cli: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run = cli("-w", plant.root, "trace", "--forward", "L2", "--recall", "--out", tmp_path,
              "--lang", "en", "-f", "json")  # fmt: skip
    assert run.code == 0
    (workbook,) = tmp_path.glob("*.xlsx")
    assert load_workbook(workbook).sheetnames[-1] == "Audit"


def test_one_shot_trace_with_a_fresh_index_never_imports_polars(plant: Workspace) -> None:
    from qsync.trace import rebuild_index

    rebuild_index(plant)
    script = (
        "import sys, qsync.cli, qsync.cli.trace\n"
        "from qsync.cli.app import main\n"
        f"code = main(['-w', {str(plant.root)!r}, 'trace', 'FG1', '-f', 'json'])\n"
        "print(code, 'polars' in sys.modules, 'deltalake' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1] == "0 False False"
    assert json.loads(done.stdout)["root"] == "FG1"
