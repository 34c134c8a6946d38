"""The rule files shipped in ``rules/specs/`` load cleanly and say what the toolkit relies on."""

from __future__ import annotations

import pytest

from qsync.resources import default_rules_dir
from qsync.spec import Spec, load_specs

KINDS = {
    "suppliers",
    "parts",
    "deliveries",
    "inspections",
    "measurements",
    "complaints",
    "audits",
    "price_reductions",
    "ppap",
    "certificates",
    "esg",
    "improvement_projects",
    "genealogy",
    "shipments",
}


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    """Every shipped spec, keyed by kind."""
    return load_specs(default_rules_dir())


def test_all_kinds_are_shipped(specs: dict[str, Spec]) -> None:
    assert set(specs) == KINDS
    for kind, spec in specs.items():
        assert spec.table == kind
        assert spec.source == f"rules/specs/{kind}.yaml"


def test_every_key_column_is_required(specs: dict[str, Spec]) -> None:
    for kind, spec in specs.items():
        assert spec.key, kind
        for name in spec.key:
            assert spec.columns[name].required, f"{kind}.{name}"


def test_shared_canonical_names_keep_one_meaning(specs: dict[str, Spec]) -> None:
    pattern = specs["inspections"].columns["supplier_id"].pattern
    for kind, spec in specs.items():
        col = spec.columns.get("supplier_id")
        if col is not None:
            assert col.type == "str", kind
            assert col.pattern == pattern, kind


def test_exact_facts(specs: dict[str, Spec]) -> None:
    decision = specs["inspections"].columns["decision"].values or {}
    assert "特采" in decision["conditional"]
    material_class = specs["parts"].columns["material_class"].values or {}
    assert "关键" in material_class["A"] and "一般" in material_class["C"]
    value = specs["measurements"].columns["value"]
    assert value.unit == "mm" and value.units["um"] == 0.001 and value.units["mm"] == 1
    assert specs["genealogy"].key == ["parent_lot", "child_lot", "work_order"]
    assert specs["deliveries"].key == ["po_no", "po_line", "lot_id"]
    assert specs["complaints"].columns["complaint_id"].example == "C-2026-017"
    certs = specs["certificates"].columns["cert_type"].values or {}
    assert {"ISO9001", "IATF16949", "ISO14001", "ISO45001"} <= set(certs)
    assert specs["ppap"].columns["submission_level"].max == 5
    lang = specs["suppliers"].columns["lang"].values or {}
    assert set(lang) == {"zh", "en"}


def test_units_include_the_canonical_unit_with_factor_one(specs: dict[str, Spec]) -> None:
    for kind, spec in specs.items():
        for name, col in spec.columns.items():
            if col.units:
                assert col.units.get(col.unit or "") == 1, f"{kind}.{name}"
