"""Trace on small genealogies with known answers, stored as real Delta tables.

The plant below (``PLANT``) has every case a trace must handle::

    FG1 ─ WO1 ─┬─ SA1 ─ WO2 ─┬─ L1   supplier lot, accepted
               │             └─ L2   supplier lot, rejected (diamond: also under SA2)
               ├─ SA2 ─ WO3 ─┬─ L2
               │             └─ C1 ─ WO4 ─ LX   missing link: no inspection, nothing below
               └─ L3                 supplier lot, concession, no Cpk
    FG2 ─ WO5 ─── SA2                FG2 is never shipped (still in the plant)
    FG3 ─ WO8 ─── CY1 ─ WO6 ─ CY2 ─ WO7 ─ CY1   a cycle

FG1 is shipped to ACME (DN1, 100) and Beta (DN2, 50); FG3 to ACME (DN3, 30). Complaint
C-2026-017 names FG1; C-2026-018 names no lot.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qsync.config import Workspace, init_workspace
from qsync.errors import StoreError
from qsync.trace import TraceError, rebuild_index, trace
from qsync.trace.index import is_stale, part_path
from qsync.trace.model import Missing
from qsync.trace.output import to_csv, to_dot, to_json, to_mermaid
from qsync.trace.source import table_version

GENEALOGY = [  # parent, child, work order, operator, qty
    ("FG1", "SA1", "WO1", "E1", 10.0),
    ("FG1", "SA2", "WO1", "E1", 20.0),
    ("FG1", "L3", "WO1", "E2", 5.0),
    ("SA1", "L1", "WO2", "E3", 3.0),
    ("SA1", "L2", "WO2", "E3", 4.0),
    ("SA2", "L2", "WO3", "E4", 6.0),
    ("SA2", "C1", "WO3", "E4", 1.0),
    ("C1", "LX", "WO4", "E5", None),
    ("FG2", "SA2", "WO5", "E6", 2.0),
    ("FG3", "CY1", "WO8", "E7", 1.0),
    ("CY1", "CY2", "WO6", "E8", 1.0),
    ("CY2", "CY1", "WO7", "E9", 1.0),
]
PARTS = {"FG1": "P-9001", "FG2": "P-9001", "SA1": "P-5001", "SA2": "P-5002", "L1": "P-1001"}
INSPECTIONS = [  # lot, supplier, part, decision, cpk
    ("L1", "S0001", "P-1001", "accept", 1.67),
    ("L2", "S0002", "P-1002", "reject", 0.91),
    ("L3", "S0003", "P-1003", "conditional", None),
    ("L9", "S0009", "P-1009", "accept", 2.0),
]
SHIPMENTS = [  # delivery note, lot, customer, qty
    ("DN1", "FG1", "ACME", 100),
    ("DN2", "FG1", "Beta", 50),
    ("DN3", "FG3", "ACME", 30),
    ("DN4", "FGX", "Gamma", 7),
]
COMPLAINTS = [("C-2026-017", "FG1"), ("C-2026-018", None)]


def genealogy_frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Genealogy rows in the canonical columns of ``rules/specs/genealogy.yaml``."""
    return pl.DataFrame(
        {
            "parent_lot": [r[0] for r in rows],
            "parent_part_no": [PARTS.get(r[0]) for r in rows],
            "child_lot": [r[1] for r in rows],
            "part_no": [PARTS.get(r[1]) for r in rows],
            "work_order": [r[2] for r in rows],
            "operator": [r[3] for r in rows],
            "qty_consumed": [r[4] for r in rows],
            "consumed_at": [datetime(2026, 10, 6, 8, 15, n) for n in range(len(rows))],
            "_submission": ["sha-genealogy"] * len(rows),
        },
        schema_overrides={
            "qty_consumed": pl.Float64,
            "parent_part_no": pl.String,
            "part_no": pl.String,
        },
    )


def write_store(store: Path, *, genealogy: bool = True, complaints: bool = True) -> None:
    """Write the Delta tables of ``PLANT`` into ``store``."""
    if genealogy:
        genealogy_frame(GENEALOGY).write_delta(store / "genealogy")
    pl.DataFrame(
        {
            "supplier_id": [r[1] for r in INSPECTIONS],
            "part_no": [r[2] for r in INSPECTIONS],
            "lot_id": [r[0] for r in INSPECTIONS],
            "received_date": [date(2026, 9, 28)] * len(INSPECTIONS),
            "decision": [r[3] for r in INSPECTIONS],
            "cpk": [r[4] for r in INSPECTIONS],
        },
        schema_overrides={"cpk": pl.Float64},
    ).write_delta(store / "inspections")
    pl.DataFrame(
        {
            "shipment_id": [r[0] for r in SHIPMENTS],
            "lot_id": [r[1] for r in SHIPMENTS],
            "customer": [r[2] for r in SHIPMENTS],
            "qty": [r[3] for r in SHIPMENTS],
            "shipped_date": [date(2026, 10, 9)] * len(SHIPMENTS),
        }
    ).write_delta(store / "shipments")
    if complaints:
        pl.DataFrame(
            {
                "complaint_id": [r[0] for r in COMPLAINTS],
                "customer": ["ACME"] * len(COMPLAINTS),
                "lot_id": [r[1] for r in COMPLAINTS],
                "status": ["open"] * len(COMPLAINTS),
            },
            schema_overrides={"lot_id": pl.String},
        ).write_delta(store / "complaints")


@pytest.fixture
def plant(tmp_path: Path) -> Workspace:
    """A workspace whose store holds ``PLANT``."""
    ws = init_workspace(tmp_path / "plant")
    write_store(ws.folder("store"))
    return ws


def lots(result: Any) -> dict[str, int]:
    """Lot id → depth."""
    return {lot.lot_id: lot.depth for lot in result.lots}


# Backward


def test_backward_lists_every_consumed_lot_down_to_supplier_lots(plant: Workspace) -> None:
    result = trace(plant, "FG1")
    assert lots(result) == {
        "FG1": 0, "L3": 1, "SA1": 1, "SA2": 1, "C1": 2, "L1": 2, "L2": 2, "LX": 3,
    }  # fmt: skip
    assert result.lot("FG1").children == ["L3", "SA1", "SA2"]  # type: ignore[union-attr]
    assert [(s.lot_id, s.supplier_id, s.decision, s.cpk) for s in result.supplier_lots] == [
        ("L3", "S0003", "conditional", None),
        ("L1", "S0001", "accept", 1.67),
        ("L2", "S0002", "reject", 0.91),
    ]
    assert result.work_orders == ["WO1", "WO2", "WO3", "WO4"]
    assert result.operators == ["E1", "E2", "E3", "E4", "E5"]
    assert (result.cycles, result.in_plant) == ([], [])


def test_backward_diamond_lot_appears_once_with_both_consumers(plant: Workspace) -> None:
    result = trace(plant, "FG1")
    assert [lot.lot_id for lot in result.lots].count("L2") == 1
    assert result.lot("L2").parents == ["SA1", "SA2"]  # type: ignore[union-attr]
    rejected = next(s for s in result.supplier_lots if s.lot_id == "L2")
    assert (rejected.work_orders, rejected.operators) == (["WO2", "WO3"], ["E3", "E4"])
    assert sorted((e.parent, e.child) for e in result.edges if e.child == "L2") == [
        ("SA1", "L2"),
        ("SA2", "L2"),
    ]


def test_backward_edges_keep_work_order_operator_qty_and_time(plant: Workspace) -> None:
    edge = next(e for e in trace(plant, "FG1").edges if e.child == "SA1")
    assert (edge.parent, edge.work_order, edge.operator, edge.qty) == ("FG1", "WO1", "E1", 10.0)
    assert (edge.part_no, edge.parent_part_no) == ("P-5001", "P-9001")
    assert edge.consumed_at == "2026-10-06 08:15:00"


def test_missing_link_is_reported_with_the_lot_that_consumed_it(plant: Workspace) -> None:
    assert trace(plant, "FG1").missing == [Missing("LX", "no-inspection", ["C1"])]


def test_lot_without_genealogy_is_a_missing_link_backward(plant: Workspace) -> None:
    result = trace(plant, "FGX")
    assert lots(result) == {"FGX": 0}
    assert result.missing == [Missing("FGX", "no-genealogy", [])]
    assert [(c.customer, c.qty) for c in result.customers] == [("Gamma", 7)]


def test_cycle_is_reported_once_and_not_looped_on(plant: Workspace) -> None:
    backward = trace(plant, "FG3")
    assert lots(backward) == {"FG3": 0, "CY1": 1, "CY2": 2}
    assert backward.cycles == [["CY1", "CY2", "CY1"]]
    forward = trace(plant, "CY2", direction="forward")
    assert lots(forward) == {"CY2": 0, "CY1": 1, "FG3": 2}
    assert forward.cycles == [["CY1", "CY2", "CY1"]]


def test_depth_limits_the_walk_and_marks_where_it_stopped(plant: Workspace) -> None:
    result = trace(plant, "FG1", max_depth=1)
    assert lots(result) == {"FG1": 0, "L3": 1, "SA1": 1, "SA2": 1}
    assert {lot.lot_id for lot in result.lots if lot.cut} == {"SA1", "SA2"}
    assert result.missing == []


# Forward


def test_forward_reaches_finished_lots_shipments_and_customer_totals(plant: Workspace) -> None:
    result = trace(plant, "L2", direction="forward")
    assert lots(result) == {"L2": 0, "SA1": 1, "SA2": 1, "FG1": 2, "FG2": 2}
    assert [(s.shipment_id, s.lot_id, s.customer, s.qty) for s in result.shipments] == [
        ("DN1", "FG1", "ACME", 100),
        ("DN2", "FG1", "Beta", 50),
    ]
    assert [(c.customer, c.qty, c.shipments) for c in result.customers] == [
        ("ACME", 100, ["DN1"]),
        ("Beta", 50, ["DN2"]),
    ]
    assert result.in_plant == ["FG2"]
    assert result.missing == []
    assert [s.lot_id for s in result.supplier_lots] == ["L2"]


def test_forward_from_a_lot_never_consumed_is_still_in_the_plant(plant: Workspace) -> None:
    result = trace(plant, "L9", direction="forward")
    assert (lots(result), result.in_plant, result.shipments) == ({"L9": 0}, ["L9"], [])


def test_both_directions_share_the_root(plant: Workspace) -> None:
    result = trace(plant, "SA2", direction="both")
    sides = {lot.lot_id: (lot.side, lot.depth) for lot in result.lots}
    assert sides == {
        "SA2": ("root", 0),
        "C1": ("backward", 1), "L2": ("backward", 1), "LX": ("backward", 2),
        "FG1": ("forward", 1), "FG2": ("forward", 1),
    }  # fmt: skip
    assert result.in_plant == ["FG2"]
    assert result.missing == [Missing("LX", "no-inspection", ["C1"])]


# Complaints and unknown ids


def test_complaint_id_resolves_to_its_product_lot(plant: Workspace) -> None:
    result = trace(plant, complaint="C-2026-017")
    assert result.root == "FG1"
    assert result.complaint is not None
    assert (result.complaint["complaint_id"], result.complaint["customer"]) == (
        "C-2026-017",
        "ACME",
    )
    assert "L2" in lots(result)


def test_complaint_without_a_lot_is_a_trace_error(plant: Workspace) -> None:
    with pytest.raises(TraceError) as caught:
        trace(plant, complaint="C-2026-018")
    assert (caught.value.reference, caught.value.exit_code) == ("complaint-without-lot", 1)


def test_unknown_complaint_names_the_closest_ids(plant: Workspace) -> None:
    with pytest.raises(TraceError) as caught:
        trace(plant, complaint="C-2026-17")
    assert caught.value.reference == "unknown-complaint"
    assert caught.value.params["closest"] == ["C-2026-017", "C-2026-018"]


def test_unknown_lot_names_the_closest_lot_ids(plant: Workspace) -> None:
    with pytest.raises(TraceError) as caught:
        trace(plant, "fg1")
    assert (caught.value.reference, caught.value.exit_code) == ("unknown-lot", 1)
    assert caught.value.params == {"lot": "fg1", "closest": ["FG1"]}


def test_store_without_genealogy_is_a_store_error(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "empty")
    write_store(ws.folder("store"), genealogy=False)
    with pytest.raises(StoreError) as caught:
        trace(ws, "FG1")
    assert caught.value.reference == "no-genealogy"


def test_absent_complaints_table_means_unknown_complaint(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "nocomplaints")
    write_store(ws.folder("store"), complaints=False)
    with pytest.raises(TraceError) as caught:
        trace(ws, complaint="C-2026-017")
    assert caught.value.params["closest"] == []


# The index


def test_index_version_is_the_delta_version(plant: Workspace) -> None:
    from deltalake import DeltaTable

    table = plant.folder("store") / "genealogy"
    genealogy_frame([("FG9", "L1", "WO9", "E1", 1.0)]).write_delta(table, mode="append")
    assert table_version(table) == DeltaTable(str(table)).version() == 1


def test_index_is_rebuilt_when_the_genealogy_version_changes(plant: Workspace) -> None:
    store = plant.folder("store")
    first = trace(plant, "L1", direction="forward")
    assert first.store == {
        "genealogy_version": 0,
        "index_rebuilt": ["genealogy", "inspections", "shipments"],
    }
    assert trace(plant, "L1", direction="forward").store["index_rebuilt"] == []
    genealogy_frame([("FG9", "L1", "WO9", "E1", 1.0)]).write_delta(
        store / "genealogy", mode="append"
    )
    assert is_stale(store, "genealogy")
    again = trace(plant, "L1", direction="forward")
    assert again.store == {"genealogy_version": 1, "index_rebuilt": ["genealogy"]}
    assert lots(again) == {"L1": 0, "SA1": 1, "FG9": 1, "FG1": 2}


def test_rebuild_index_refreshes_every_part(plant: Workspace) -> None:
    built = rebuild_index(plant)
    assert {name: (info.version, info.rows) for name, info in built.items()} == {
        "genealogy": (0, 12),
        "inspections": (0, 4),
        "shipments": (0, 3),
        "complaints": (0, 2),
    }
    assert not any(is_stale(plant.folder("store"), name) for name in built)


def test_damaged_index_part_is_rebuilt(plant: Workspace) -> None:
    rebuild_index(plant, ["genealogy"])
    part_path(plant.folder("store"), "genealogy").write_bytes(b"not an index")
    result = trace(plant, "FG1")
    assert "genealogy" in result.store["index_rebuilt"]
    assert len(result.lots) == 8


def test_tables_with_missing_optional_columns_still_trace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "bare")
    store = ws.folder("store")
    pl.DataFrame({"parent_lot": ["A"], "child_lot": ["B"], "work_order": ["W"]}).write_delta(
        store / "genealogy"
    )
    result = trace(ws, "A")
    assert lots(result) == {"A": 0, "B": 1}
    assert (result.edges[0].operator, result.edges[0].qty, result.edges[0].consumed_at) == (
        None,
        None,
        None,
    )
    assert result.missing == [Missing("B", "no-inspection", ["A"])]


# Output formats


def test_json_has_the_documented_keys(plant: Workspace) -> None:
    data = json.loads(to_json(trace(plant, "FG1")))
    assert {"root", "direction", "lots", "supplier_lots", "work_orders", "operators"} <= set(data)
    assert {"customers", "shipments", "cycles", "missing"} <= set(data)
    assert (data["root"], data["direction"]) == ("FG1", "backward")
    assert data["lots"][0] == {
        "lot_id": "FG1", "depth": 0, "side": "root", "part_no": "P-9001",
        "parents": [], "children": ["L3", "SA1", "SA2"], "cut": False,
    }  # fmt: skip
    assert data["missing"] == [{"lot_id": "LX", "reason": "no-inspection", "via": ["C1"]}]


def test_csv_has_one_line_per_lot(plant: Workspace) -> None:
    lines = to_csv(trace(plant, "L2", direction="forward")).splitlines()
    assert lines[0].startswith("lot_id,side,depth,part_no,parents,children,supplier_id")
    assert lines[1] == "L2,root,0,P-1002,SA1|SA2,,S0002,reject,0.91,WO2|WO3,E3|E4,,,,,"
    assert lines[4] == "FG1,forward,2,P-9001,,SA1|SA2,,,,,,150,ACME|Beta,DN1|DN2,,"
    assert lines[5] == "FG2,forward,2,P-9001,,SA2,,,,,,,,,yes,"


def test_diagrams_draw_one_arrow_per_edge_from_consumed_to_made(plant: Workspace) -> None:
    result = trace(plant, "FG3")
    mermaid = to_mermaid(result)
    assert mermaid.startswith("flowchart LR\n")
    assert mermaid.count("-->") == len(result.edges) == 3
    assert '  n1 -->|"WO8"| n0' in mermaid  # CY1 went into FG3
    dot = to_dot(result)
    assert dot.count("->") == 3
    assert '"CY1" -> "FG3" [label="WO8"];' in dot


def test_diagram_text_is_escaped(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "odd")
    pl.DataFrame({"parent_lot": ['A"1'], "child_lot": ["B\\2"], "work_order": ['W"|']}).write_delta(
        ws.folder("store") / "genealogy"
    )
    result = trace(ws, 'A"1')
    assert 'n0["A#quot;1"]' in to_mermaid(result)
    assert '"B\\\\2" -> "A\\"1" [label="W\\"|"];' in to_dot(result)
