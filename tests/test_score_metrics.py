"""Monthly supplier metrics against figures worked out by hand from tiny tables.

The month scored is October 2026. Each expected value is computed in the test from the rows
written above it, not by the code under test.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qsync.errors import StoreError, UsageError
from qsync.score import (
    collect_metrics,
    load_material_rules,
    load_scorecard_rules,
    month_lot_cpk,
    supplier_metrics,
    supplier_part_metrics,
)
from qsync.score.rules import DeliveryRules, ScorecardRules

D = date
MONTH = "2026-10"


def frame(columns: str, rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """A frame from a space-separated column list and row tuples."""
    return pl.DataFrame(rows, schema=columns.split(), orient="row")


def inspections() -> pl.DataFrame:
    return frame(
        "supplier_id part_no lot_id received_date qty_received defects decision cpk",
        [
            ("S0001", "P-1", "L0", D(2026, 9, 30), 999, 9, "reject", None),  # September
            ("S0001", "P-1", "L1", D(2026, 10, 1), 1000, 2, "accept", 1.5),
            ("S0001", "P-1", "L2", D(2026, 10, 31), 500, 0, "conditional", 1.2),
            ("S0001", "P-2", "L3", D(2026, 10, 15), 2000, 5, "reject", None),
            ("S0001", "P-1", "L4", D(2026, 11, 1), 100, 1, "accept", None),  # November
            ("S0002", "P-3", "M1", D(2026, 10, 10), 400, 0, "accept", None),
            ("S0003", "P-3", "N1", D(2026, 9, 10), 400, 0, "accept", None),  # inactive in Oct
        ],
    )


def deliveries() -> pl.DataFrame:
    return frame(
        "supplier_id part_no promised_date delivered_date",
        [
            ("S0001", "P-1", D(2026, 10, 5), D(2026, 10, 3)),  # early: on time
            ("S0001", "P-1", D(2026, 10, 10), D(2026, 10, 10)),  # on the day
            ("S0001", "P-2", D(2026, 10, 20), D(2026, 10, 21)),  # 1 day late
            ("S0001", "P-2", D(2026, 10, 31), D(2026, 11, 2)),  # 2 days late
            ("S0001", "P-1", D(2026, 9, 30), D(2026, 9, 30)),  # promised in September
            ("S0001", "P-1", D(2026, 11, 1), D(2026, 10, 30)),  # promised in November
            ("S0004", "P-9", D(2026, 10, 15), D(2026, 10, 15)),  # deliveries only
            ("S0003", "P-3", D(2026, 11, 15), D(2026, 11, 15)),
        ],
    )


def by_supplier(result: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["supplier_id"]: row for row in result.iter_rows(named=True)}


def metrics(tables: dict[str, pl.DataFrame], rules: ScorecardRules | None = None) -> dict[str, Any]:
    return by_supplier(supplier_metrics(tables, MONTH, rules).collect())


def test_lot_counts_and_acceptance_count_a_conditional_release_as_not_accepted() -> None:
    s1 = metrics({"inspections": inspections()})["S0001"]
    # October lots of S0001: L1 accept, L2 conditional (特采), L3 reject.
    assert (s1["lots"], s1["lots_accepted"], s1["lots_conditional"], s1["lots_rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert s1["lot_acceptance_rate"] == pytest.approx(1 / 3)


def test_a_conditional_release_can_be_counted_as_accepted_by_the_rules() -> None:
    rules = load_scorecard_rules()
    lenient = rules.model_copy(
        update={"lots": rules.lots.model_copy(update={"conditional_counts_as_accepted": True})}
    )
    s1 = metrics({"inspections": inspections()}, lenient)["S0001"]
    # L1 accept and L2 conditional now count as accepted; L3 reject does not.
    assert (s1["lots"], s1["lots_accepted"], s1["lots_conditional"]) == (3, 2, 1)
    assert s1["lot_acceptance_rate"] == pytest.approx(2 / 3)


def test_the_lot_acceptance_setting_is_read_from_scorecard_yaml(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[1] / "rules" / "scorecard.yaml"
    text = shipped.read_text(encoding="utf-8")
    assert "conditional_counts_as_accepted: false" in text
    changed = tmp_path / "scorecard.yaml"
    changed.write_text(
        text.replace(
            "conditional_counts_as_accepted: false", "conditional_counts_as_accepted: true"
        ),
        encoding="utf-8",
    )
    rules = load_scorecard_rules(changed, "rules/scorecard.yaml")
    assert metrics({"inspections": inspections()}, rules)["S0001"]["lots_accepted"] == 2


def test_ppm_is_defects_per_million_received_in_the_month() -> None:
    got = metrics({"inspections": inspections()})
    defects, received = 2 + 0 + 5, 1000 + 500 + 2000  # L1, L2, L3 only
    assert got["S0001"]["ppm"] == pytest.approx(1_000_000 * defects / received)  # 2000
    assert (got["S0001"]["defects"], got["S0001"]["qty_received"]) == (defects, received)
    assert got["S0002"]["ppm"] == 0.0


def test_month_boundaries_follow_received_date_first_and_last_day_included() -> None:
    got = metrics({"inspections": inspections()})
    assert got["S0001"]["lots"] == 3  # L1 (Oct 1) and L2 (Oct 31) in; L0 (Sep 30), L4 (Nov 1) out
    september = by_supplier(supplier_metrics({"inspections": inspections()}, "2026-09").collect())
    assert september["S0001"]["lots"] == 1 and september["S0003"]["lots"] == 1


def test_otd_counts_early_as_on_time_and_uses_the_promised_month() -> None:
    got = metrics({"deliveries": deliveries()})
    s1 = got["S0001"]
    # promised in October: Oct 5 (early), Oct 10 (on the day), Oct 20 (+1), Oct 31 (+2)
    assert (s1["deliveries"], s1["deliveries_on_time"]) == (4, 2)
    assert s1["otd"] == pytest.approx(2 / 4)
    assert got["S0004"]["otd"] == 1.0


@pytest.mark.parametrize(("tolerance", "on_time"), [(0, 2), (1, 3), (2, 4)])
def test_otd_tolerance_days_come_from_the_rules(tolerance: int, on_time: int) -> None:
    rules = load_scorecard_rules()
    rules = rules.model_copy(update={"delivery": DeliveryRules(tolerance_days=tolerance)})
    s1 = metrics({"deliveries": deliveries()}, rules)["S0001"]
    assert s1["deliveries_on_time"] == on_time
    assert s1["otd"] == pytest.approx(on_time / 4)


def test_missing_tables_are_no_data_and_present_tables_without_rows_are_zero() -> None:
    empty_complaints = pl.DataFrame(
        schema={"complaint_id": pl.String, "received_date": pl.Date, "status": pl.String}
    )
    got = metrics({"inspections": inspections(), "complaints": empty_complaints})
    s2 = got["S0002"]
    assert (s2["deliveries"], s2["otd"]) == (None, None)  # no deliveries table
    assert (s2["complaints"], s2["eightd_timeliness"]) == (0, None)  # table, no rows
    assert (s2["audit_score"], s2["price_reduction_attainment"], s2["esg_incidents"]) == (
        None,
        None,
        None,
    )


def test_a_supplier_active_on_one_side_only_has_zero_counts_on_the_other() -> None:
    got = metrics({"inspections": inspections(), "deliveries": deliveries()})
    assert (got["S0002"]["deliveries"], got["S0002"]["otd"]) == (0, None)
    assert (got["S0004"]["lots"], got["S0004"]["lot_acceptance_rate"], got["S0004"]["ppm"]) == (
        0,
        None,
        None,
    )


def test_a_supplier_without_activity_in_the_month_has_no_row() -> None:
    got = metrics({"inspections": inspections(), "deliveries": deliveries()})
    assert sorted(got) == ["S0001", "S0002", "S0004"]  # S0003: September lot, November delivery
    assert supplier_metrics({}, MONTH).collect().height == 0


def measurements() -> pl.DataFrame:
    rows = []
    for subgroup, values in enumerate([[10.0, 10.2], [10.1, 10.3], [9.9, 10.1]], start=1):
        for sample, value in enumerate(values, start=1):
            for lot, characteristic in [("L1", "D1"), ("L1", "D2"), ("L0", "D1")]:
                rows.append(("S0001", "P-1", lot, characteristic, subgroup, sample, value))
    return frame("supplier_id part_no lot_id characteristic subgroup sample_no value", rows)


def parts() -> pl.DataFrame:
    return frame(
        "part_no characteristic material_class lsl usl",
        [
            ("P-1", "D1", "A", 9.5, 10.5),
            ("P-1", "D2", "A", None, None),
            ("P-2", "D1", "C", 1.0, 2.0),
            ("P-3", "D1", "B", None, 3.0),
        ],
    )


def test_cpk_from_measurements_replaces_the_reported_value_of_that_lot() -> None:
    tables = {"inspections": inspections(), "measurements": measurements(), "parts": parts()}
    # L1/D1: subgroups of 2 with ranges 0.2, 0.2, 0.2 -> sigma = R-bar/d2(2) = 0.2/1.128;
    # mean 60.6/6 = 10.1; Cpk = min(10.5 - 10.1, 10.1 - 9.5) / (3 sigma).
    sigma = 0.2 / 1.128
    measured = min(10.5 - 10.1, 10.1 - 9.5) / (3 * sigma)
    s1 = metrics(tables)["S0001"]
    # L1 reported 1.5 is replaced; L2 keeps its reported 1.2; L3 has none; D2 has no limits.
    assert s1["cpk_worst"] == pytest.approx(measured)
    assert s1["cpk_median"] == pytest.approx((measured + 1.2) / 2)
    assert s1["cpk_values"] == 2


def test_lot_cpk_table_says_where_each_value_came_from() -> None:
    tables = {"inspections": inspections(), "measurements": measurements(), "parts": parts()}
    cpk = month_lot_cpk(tables, MONTH)
    assert cpk is not None
    rows = cpk.sort("lot_id", "characteristic", nulls_last=True).collect()
    assert rows.select("lot_id", "characteristic", "source", "note").rows() == [
        ("L1", "D1", "measurements", None),
        ("L1", "D2", "measurements", "no-spec-limits"),
        ("L2", None, "reported", None),
    ]  # L0 (September) is never read


def test_a_measured_cpk_leads_back_to_its_first_measurement_row() -> None:
    sheet = measurements().with_columns(
        _file=pl.lit("spc_oct.xlsx"), _row=pl.int_range(2, measurements().height + 2)
    )
    tables = {"inspections": inspections(), "measurements": sheet, "parts": parts()}
    cpk = month_lot_cpk(tables, MONTH)
    assert cpk is not None
    rows = cpk.sort("lot_id", "characteristic", nulls_last=True).collect()
    # Rows are written subgroup by subgroup, sample by sample, each as (L1 D1, L1 D2, L0 D1):
    # L1/D1's first measurement (subgroup 1, sample 1) is on row 2, L1/D2's on row 3.
    assert rows.select("lot_id", "characteristic", "_file", "_row").rows() == [
        ("L1", "D1", "spc_oct.xlsx", 2),
        ("L1", "D2", "spc_oct.xlsx", 3),
        ("L2", None, None, None),  # reported on an inspection row without provenance here
    ]


def test_reported_cpk_is_used_without_measurements() -> None:
    s1 = metrics({"inspections": inspections()})["S0001"]
    assert (s1["cpk_worst"], s1["cpk_median"], s1["cpk_values"]) == (1.2, (1.5 + 1.2) / 2, 2)


def complaints() -> pl.DataFrame:
    return frame(
        "complaint_id supplier_id received_date containment_date closed_date status",
        [
            ("C-2026-001", "S0001", D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 20), "closed"),
            ("C-2026-002", "S0001", D(2026, 10, 10), D(2026, 10, 12), None, "open"),
            ("C-2026-003", "S0001", D(2026, 9, 10), D(2026, 9, 11), D(2026, 10, 9), "closed"),
            ("C-2026-004", "S0001", D(2026, 9, 20), D(2026, 9, 21), None, "contained"),
            ("C-2026-005", "S0001", D(2026, 10, 12), None, None, "rejected"),
            ("C-2026-006", "S0001", D(2026, 9, 30), None, None, "open"),
            ("C-2026-007", None, D(2026, 10, 2), None, None, "open"),
        ],
    )


def test_complaints_and_8d_deadlines_falling_due_in_the_month() -> None:
    s1 = metrics({"inspections": inspections(), "complaints": complaints()})["S0001"]
    # received in October, not rejected, with a supplier: 001, 002
    assert s1["complaints"] == 2
    # containment due (received + 1 day) in October: 001 (met), 002 (late), 006 (due Oct 1, none)
    assert (s1["containment_due"], s1["containment_met"]) == (3, 1)
    # closure due (received + 30 days) in October: 003 (met Oct 9), 004 (open), 006 (open)
    assert (s1["closure_due"], s1["closure_met"]) == (3, 1)
    assert s1["eightd_timeliness"] == pytest.approx((1 + 1) / (3 + 3))


def test_price_reduction_attainment_uses_the_narrowest_period_covering_the_month() -> None:
    price = frame(
        "supplier_id part_no year period target_pct achieved_pct",
        [
            ("S0001", "P-1", 2026, "FY", 3.0, 2.4),
            ("S0001", "P-1", 2026, "Q4", 1.0, 1.0),  # narrower than FY: used for P-1
            ("S0001", "P-2", 2026, "H2", 2.0, 1.0),
            ("S0001", "P-3", 2026, "Q1", 5.0, 5.0),  # does not cover October
            ("S0001", "P-4", 2025, "FY", 3.0, 3.0),  # other year
        ],
    )
    s1 = metrics({"inspections": inspections(), "price_reductions": price})["S0001"]
    assert s1["price_reduction_parts"] == 2
    assert s1["price_reduction_attainment"] == pytest.approx((1.0 + 1.0) / (1.0 + 2.0))


def test_latest_audit_by_month_end_and_whether_it_is_overdue() -> None:
    audits = frame(
        "audit_id supplier_id audit_date audit_type score next_audit_due",
        [
            ("A-2025-001", "S0001", D(2025, 9, 15), "process", 80.0, D(2026, 9, 15)),
            ("A-2026-010", "S0001", D(2026, 11, 5), "process", 95.0, None),  # after October
            ("A-2026-003", "S0002", D(2026, 3, 1), "system", 90.0, None),  # due 12 months later
        ],
    )
    got = metrics({"inspections": inspections(), "audits": audits})
    assert (got["S0001"]["audit_id"], got["S0001"]["audit_score"]) == ("A-2025-001", 80.0)
    assert (got["S0001"]["audit_next_due"], got["S0001"]["audit_overdue"]) == (
        D(2026, 9, 15),
        True,
    )
    assert (got["S0002"]["audit_next_due"], got["S0002"]["audit_overdue"]) == (
        D(2027, 3, 1),
        False,
    )


def test_ppap_cycle_time_of_submissions_approved_in_the_month() -> None:
    ppap = frame(
        "ppap_id supplier_id part_no submitted_date approved_date status",
        [
            ("PPAP-2026-001", "S0001", "P-1", D(2026, 9, 20), D(2026, 10, 10), "approved"),
            ("PPAP-2026-002", "S0001", "P-2", D(2026, 10, 1), D(2026, 10, 31), "approved"),
            ("PPAP-2026-003", "S0001", "P-2", D(2026, 10, 1), D(2026, 11, 1), "approved"),
        ],
    )
    s1 = metrics({"inspections": inspections(), "ppap": ppap})["S0001"]
    assert (s1["ppap_approved"], s1["ppap_cycle_days"]) == (2, (20 + 30) / 2)


def test_esg_figures_and_certificate_status_as_of_the_month_end() -> None:
    esg = frame(
        "supplier_id period energy_kwh incidents recycled_pct",
        [("S0001", "2026-10", 1250.0, 1, 80.0), ("S0001", "2026-09", 999.0, 5, 10.0)],
    )
    certificates = frame(
        "supplier_id cert_type cert_no expiry_date",
        [
            ("S0001", "ISO9001", "Q-1", D(2026, 10, 31)),  # ends on the last day: expired
            ("S0001", "IATF16949", "T-1", D(2027, 6, 30)),  # valid
            ("S0001", "ISO14001", "E-1", D(2027, 1, 29)),  # within 90 days of Nov 1
            ("S0001", "ISO14001", "E-0", D(2024, 1, 29)),  # superseded by E-1
        ],
    )
    tables = {"inspections": inspections(), "esg": esg, "certificates": certificates}
    s1 = metrics(tables)["S0001"]
    assert (s1["energy_kwh"], s1["esg_incidents"], s1["recycled_pct"]) == (1250.0, 1.0, 80.0)
    assert (
        s1["certificates_valid"],
        s1["certificates_expiring"],
        s1["certificates_expired"],
        s1["cert_next_expiry"],
    ) == (1, 1, 1, D(2027, 1, 29))


def test_supplier_part_metrics_carry_the_class_ppm_limit() -> None:
    tables = {"inspections": inspections(), "deliveries": deliveries(), "parts": parts()}
    got = supplier_part_metrics(tables, MONTH, materials=load_material_rules()).collect()
    rows = {(r["supplier_id"], r["part_no"]): r for r in got.iter_rows(named=True)}
    p1 = rows[("S0001", "P-1")]
    assert (p1["lots"], p1["ppm"], p1["deliveries"], p1["otd"]) == (
        2,
        1_000_000 * 2 / 1500,
        2,
        1.0,
    )
    assert (p1["material_class"], p1["ppm_limit"], p1["ppm_over_limit"]) == ("A", 50.0, True)
    p2 = rows[("S0001", "P-2")]
    assert (p2["material_class"], p2["ppm"], p2["ppm_over_limit"]) == ("C", 2500.0, True)
    assert rows[("S0004", "P-9")]["material_class"] == "A"  # unclassified: default_class


def test_the_month_filter_reaches_the_parquet_scan(tmp_path: Path) -> None:
    path = tmp_path / "inspections.parquet"
    inspections().write_parquet(path)
    query = supplier_metrics({"inspections": pl.scan_parquet(path)}, MONTH)
    plan = query.explain(optimizations=pl.QueryOptFlags(comm_subplan_elim=False))
    scans = plan.split("Parquet SCAN")[1:]
    assert len(scans) == 2  # lot counts, and the narrow read of the lots reporting a Cpk
    selections = [line for scan in scans for line in scan.splitlines() if "SELECTION" in line]
    assert len(selections) == 2
    assert all('col("received_date").is_between' in line for line in selections)
    assert any('col("cpk").is_not_null()' in line for line in selections)
    assert collect_metrics(query).equals(query.collect())


def test_a_table_without_a_required_column_is_refused() -> None:
    with pytest.raises(StoreError, match="table 'inspections' has no column 'decision'"):
        supplier_metrics({"inspections": inspections().drop("decision")}, MONTH)


def test_a_month_not_written_yyyy_mm_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="month must be written YYYY-MM"):
        supplier_metrics({}, "10/2026")
