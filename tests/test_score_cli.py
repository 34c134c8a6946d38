"""`qsync score`, `suppliers`, `capability` and `plan` on a real store and real files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qsync.cli import main
from qsync.config import Workspace, init_workspace
from qsync.ingest import ingest_paths
from qsync.score.run import stored_scorecards
from qsync.spec import load_specs
from qsync.store import open_store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "pistonrings.csv"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def scored_ws(tmp_path: Path) -> Workspace:
    """A workspace whose store holds two suppliers' October inspections and deliveries."""
    ws = init_workspace(tmp_path / "ws")
    inspections = _write(
        tmp_path / "iqc.csv",
        "供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定\n"
        "S0001,P-1,L1,2026-10-02,1000,80,0,合格\n"
        "S0001,P-1,L2,2026-10-09,1000,80,2,特采\n"
        "S0002,P-2,L3,2026-10-03,500,50,5,不合格\n"
        "S0002,P-2,L4,2026-09-28,500,50,0,合格\n",
    )
    deliveries = _write(
        tmp_path / "dlv.csv",
        "Supplier Code,PO No.,PO Line,Part No.,Lot No.,Qty Ordered,Qty Delivered,"
        "Promised Date,Delivered Date\n"
        "S0001,4500000001,1,P-1,L1,1000,1000,2026-10-02,2026-10-01\n"
        "S0001,4500000001,2,P-1,L2,1000,1000,2026-10-08,2026-10-09\n"
        "S0002,4500000002,1,P-2,L3,500,500,2026-10-03,2026-10-03\n",
    )
    report = ingest_paths([inspections, deliveries], ws, load_specs(ws.rules_dir))
    assert [f.rows_rejected for f in report.files] == [0, 0]
    return ws


def test_score_json_has_the_hand_computed_figures(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-w", str(scored_ws.root), "score", "--month", "2026-10", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["month"] == "2026-10"
    by_id = {s["supplier_id"]: s for s in data["suppliers"]}
    s1, s2 = by_id["S0001"], by_id["S0002"]
    # S0001: 2 lots, 1 accepted (特采 counts as not accepted), 2 defects in 2000 received.
    assert (s1["lots"], s1["lots_accepted"], s1["lot_acceptance_rate"]) == (2, 1, 0.5)
    assert s1["ppm"] == pytest.approx(1_000_000 * 2 / 2000)
    assert (s1["deliveries"], s1["otd"]) == (2, 0.5)
    # S0002: the September lot is not October's; one lot rejected with 5 defects in 500.
    assert (s2["lots"], s2["lots_accepted"], s2["ppm"], s2["otd"]) == (1, 0, 10_000.0, 1.0)
    assert s1["metrics"]["complaints"]["value"] is None  # no data is not zero


def test_rescoring_a_month_replaces_it(scored_ws: Workspace) -> None:
    args = ["-w", str(scored_ws.root), "score", "--month", "2026-10", "--format", "json"]
    assert main(args) == 0 and main(args) == 0
    cards = stored_scorecards(open_store(scored_ws))
    assert cards is not None
    assert sorted(cards.filter(pl.col("month") == "2026-10")["supplier_id"].to_list()) == [
        "S0001",
        "S0002",
    ]


def test_dry_run_stores_nothing(scored_ws: Workspace) -> None:
    args = ["-w", str(scored_ws.root), "score", "--month", "2026-10", "--dry-run"]
    assert main(args) == 0
    assert stored_scorecards(open_store(scored_ws)) is None


def test_suppliers_lists_latest_grade(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["-w", str(scored_ws.root), "score", "--month", "2026-10", "--format", "json"])
    capsys.readouterr()
    assert main(["-w", str(scored_ws.root), "suppliers", "--format", "json"]) == 0
    rows = {r["supplier_id"]: r for r in json.loads(capsys.readouterr().out)["suppliers"]}
    assert rows["S0001"]["month"] == "2026-10" and rows["S0001"]["grade"] in "ABCD"


def test_suppliers_trend_names_its_months(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    for month in ("2026-09", "2026-10"):
        main(["-w", str(scored_ws.root), "score", "--month", month, "--no-alerts"])
    capsys.readouterr()
    assert main(["-w", str(scored_ws.root), "suppliers", "--format", "json"]) == 0
    rows = {r["supplier_id"]: r for r in json.loads(capsys.readouterr().out)["suppliers"]}
    # S0001 had nothing in September; S0002 only lot L4, whose two metrics carry 40 of the
    # 100 weight, below the 0.5 coverage a score needs: no grade either.
    assert rows["S0001"]["months"] == rows["S0002"]["months"] == ["2026-09", "2026-10"]
    for supplier in ("S0001", "S0002"):
        september, october = rows[supplier]["grades"]
        assert september is None and october == rows[supplier]["grade"] and october in "ABCD"
    assert main(["-w", str(scored_ws.root), "suppliers", "--lang", "en"]) == 0
    assert "Grades 2026-09 → 2026-10" in " ".join(capsys.readouterr().out.split())


def test_capability_of_the_piston_rings_matches_the_published_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rings = pl.read_csv(SHARED).filter(pl.col("subgroup") <= 25)
    path = tmp_path / "rings.csv"
    rings.write_csv(path)
    args = ["capability", str(path), "--value", "diameter", "--subgroup", "subgroup"]
    assert main([*args, "--lsl", "73.95", "--usl", "74.05", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # Montgomery / qcc: Cp 1.703, Cpk 1.663 (R-bar/d2 within sigma 0.009785).
    assert data["n"] == 125
    assert data["cp"] == pytest.approx(1.7033, abs=5e-4)
    assert data["cpk"] == pytest.approx(1.6632, abs=5e-4)
    assert data["sigma_within"] == pytest.approx(0.009785039, abs=1e-7)


def test_plan_follows_iso_2859_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--lot-size", "1250", "--aql", "0.65", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["code_letter"], data["sample_size"], data["ac"], data["re"]) == ("K", 125, 2, 3)


def test_unknown_month_is_a_usage_error(scored_ws: Workspace) -> None:
    assert main(["-w", str(scored_ws.root), "score", "--month", "2026-13"]) == 2


def test_plan_for_a_supplier_part_says_why(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-w", str(scored_ws.root), "plan", "--lot-size", "1000", "--supplier", "S0002"]
    assert main([*args, "--part", "P-2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["severity"] == "normal" and data["lots_considered"] == 2
    assert [r["id"] for r in data["reasons"]][1] == "switching-initial-normal"
    assert main([*args, "--part", "P-2", "--lang", "en"]) == 0
    assert "normal inspection: no switch in the 2 lots on record" in capsys.readouterr().out


def test_plan_for_a_supplier_part_takes_the_lot_size_of_its_last_lot(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    # S0002's lots, oldest first: L4 (500, 2026-09-28), then L3 (500, 2026-10-03).
    args = ["-w", str(scored_ws.root), "plan", "--supplier", "S0002", "--part", "P-2"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lot_size"] == 500
    assert data["reasons"][0] == {
        "id": "lot-size-from-history",
        "params": {"lot_size": 500, "lot_id": "L3"},
    }
    assert main([*args, "--lang", "en"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # as Rich wraps it at the terminal's width
    assert "lot size 500: the size of the last lot on record (L3)" in out
    # The part has no class: the default class A, whose 特采 three managers approve.
    assert "class A lot is approved by: Quality manager, Engineering manager" in out


def test_plan_for_a_supplier_part_refuses_level_aql_and_severity(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-w", str(scored_ws.root), "plan", "--supplier", "S0002", "--part", "P-2"]
    for extra in (["--aql", "0.65"], ["--level", "III"], ["--severity", "reduced"]):
        assert main([*args, *extra]) == 2
        assert "do not go with --supplier/--part" in capsys.readouterr().err
    unknown = ["-w", str(scored_ws.root), "plan", "--supplier", "S0009", "--part", "P-9"]
    assert main(unknown) == 2
    assert "no lots of S0009 P-9 on record" in capsys.readouterr().err
    assert main(["plan", "--aql", "0.65"]) == 2


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ("value\n1.0\n", "at least 2 values are required"),
        ("value\n5\n5\n5\n", "the data show no variation"),
        ("value,sg\n1,a\n2,a\n3,b\n", "size 1 cannot be mixed"),
        ("value,sg\n" + "".join(f"{10 + i % 7},a\n" for i in range(30)), "from 2 to 25, got 30"),
    ],
)
def test_capability_of_measurements_without_one_is_a_data_error(
    rows: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "bad.csv", rows)
    subgroup = ["--subgroup", "sg"] if "sg" in rows else []
    assert main(["capability", str(path), *subgroup, "--lsl", "0", "--usl", "20"]) == 1
    err = capsys.readouterr().err
    assert f"[capability-undefined] {path}: no capability from these measurements" in err
    assert reason in err


def test_capability_limits_the_wrong_way_round_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "m.csv", "value\n1\n2\n4\n")
    assert main(["capability", str(path), "--lsl", "5", "--usl", "4"]) == 2
    assert "--usl (4.0) must be greater than --lsl (5.0)" in capsys.readouterr().err


def test_explain_lists_each_source_row_with_its_file_and_row(
    scored_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["-w", str(scored_ws.root), "score", "--month", "2026-10", "--explain", "S0001"]
    assert main([*args, "--format", "json", "--no-alerts"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert main([*args, "--lang", "en", "--no-alerts"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.count("│") > 2]
    # lot L1 is line 2 of iqc.csv, L2 line 3 (the header is line 1); the deliveries likewise.
    by_first = {row[0]: row for row in cells}
    assert (by_first["L1"][-2:], by_first["L2"][-2:]) == (["iqc.csv", "2"], ["iqc.csv", "3"])
    assert [r[-1] for r in cells if r[-2] == "dlv.csv"] == ["2", "3"]
    actions = ", ".join(a["en"] for a in data["actions"])
    text = " ".join(" ".join(lines).split())
    assert data["grade"] is not None and f"Grade {data['grade']} triggers: {actions}" in text


def test_plan_for_a_discontinued_supplier_part_shows_the_severity_and_no_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = init_workspace(tmp_path / "ws")
    header = "供应商代码,物料编码,批次号,到货日期,来料数量,抽样数,不良数,判定\n"
    # Two lots not accepted tighten inspection (at L2); five more not accepted under tightened
    # inspection (L3 to L7) discontinue it.
    rows = "".join(f"S0003,P-3,L{i},2026-10-{i:02d},1000,80,3,不合格\n" for i in range(1, 8))
    report = ingest_paths(
        [_write(tmp_path / "iqc.csv", header + rows)], ws, load_specs(ws.rules_dir)
    )
    assert report.files[0].rows_rejected == 0
    args = ["-w", str(ws.root), "plan", "--supplier", "S0003", "--part", "P-3", "--lang", "en"]
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith("severity discontinued Why:")
    assert (
        "inspection discontinued: 5 lots not accepted under tightened inspection (at lot L7)" in out
    )
    assert "sample_size" not in out
