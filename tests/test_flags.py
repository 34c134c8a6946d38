"""Each risk flag fires exactly when its condition holds, and not otherwise.

Tables are tiny Polars frames built here; each test switches on one flag of the packaged
``rules/risk.yaml`` (with its parameters adjusted where the test says so) and asserts a
projection of the flags found. Rule-file mistakes are asserted with their file and line.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from qsync.alerts.flags import evaluate
from qsync.alerts.model import Flag, alert_id
from qsync.alerts.rules import RULE_IDS, RiskRules, load_risk_rules, parse_duration
from qsync.errors import ExitCode, SpecError

D = date
MONTH = "2026-10"
TODAY = D(2026, 10, 31)


def only(rule_id: str, **params: Any) -> RiskRules:
    """The packaged rules with every flag off but ``rule_id``, its parameters updated."""
    base = load_risk_rules()
    flags = {r: base.flags.get(r).model_copy(update={"enabled": r == rule_id}) for r in RULE_IDS}
    flags[rule_id] = flags[rule_id].model_copy(update=params)
    return base.model_copy(update={"flags": base.flags.model_copy(update=flags)})


def run(
    tables: dict[str, pl.DataFrame],
    rule_id: str,
    month: str = MONTH,
    today: date = TODAY,
    **params: Any,
) -> list[Flag]:
    return evaluate(tables, month, only(rule_id, **params), today=today)


def brief(flags: list[Flag]) -> list[tuple[str, str | None, str]]:
    return [(f.supplier_id, f.part_no, f.window) for f in flags]


def lots(*specs: tuple[Any, ...], supplier: str = "S1", part: str = "P1") -> pl.DataFrame:
    """Inspections from ``(lot, received, cpk, decision, defects, qty)`` (last four optional)."""
    rows = []
    defaults: tuple[Any, ...] = (None, None, None, "accept", 0, 1000)
    for spec in specs:
        full: tuple[Any, ...] = (*spec, *defaults[len(spec) :])
        lot, received, cpk, decision, defects, qty = full
        rows.append(
            {
                "supplier_id": supplier,
                "part_no": part,
                "lot_id": lot,
                "received_date": received,
                "qty_received": qty,
                "defects": defects,
                "decision": decision,
                "cpk": cpk,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "supplier_id": pl.String,
            "part_no": pl.String,
            "lot_id": pl.String,
            "received_date": pl.Date,
            "qty_received": pl.Int64,
            "defects": pl.Int64,
            "decision": pl.String,
            "cpk": pl.Float64,
        },
    )


# --- Cpk streak ------------------------------------------------------------------------------
def test_cpk_streak_of_three_lots_below_the_limit() -> None:
    insp = lots(
        ("L1", D(2026, 10, 1), 1.2), ("L2", D(2026, 10, 5), 1.1), ("L3", D(2026, 10, 9), 1.0)
    )
    [flag] = run({"inspections": insp}, "cpk_streak")
    assert (flag.rule, flag.supplier_id, flag.part_no, flag.window) == (
        "cpk_streak",
        "S1",
        "P1",
        "L1",
    )
    assert flag.material_class == "A"  # no parts table: the default class of materials.yaml
    assert [lot["lot_id"] for lot in flag.evidence["lots"]] == ["L1", "L2", "L3"]
    assert (flag.evidence["streak"], flag.evidence["worst_cpk"]) == (3, 1.0)
    assert flag.id == alert_id("cpk_streak", "S1", "P1", None, "L1")


def test_two_low_lots_then_a_good_one_are_no_streak() -> None:
    insp = lots(
        ("L1", D(2026, 10, 1), 1.2), ("L2", D(2026, 10, 5), 1.1), ("L3", D(2026, 10, 9), 1.5)
    )
    assert run({"inspections": insp}, "cpk_streak") == []


def test_a_lot_at_the_limit_breaks_the_streak() -> None:
    insp = lots(
        ("L1", D(2026, 10, 1), 1.2), ("L2", D(2026, 10, 5), 1.33), ("L3", D(2026, 10, 9), 1.0)
    )
    assert run({"inspections": insp}, "cpk_streak") == []


def test_streak_broken_by_a_good_lot_starts_again_with_a_new_window() -> None:
    insp = lots(
        ("L1", D(2026, 10, 1), 1.2),
        ("L2", D(2026, 10, 2), 1.1),
        ("L3", D(2026, 10, 3), 1.0),
        ("L4", D(2026, 10, 4), 1.6),  # good lot: the first streak ends
        ("L5", D(2026, 10, 5), 1.0),
        ("L6", D(2026, 10, 6), 0.9),
    )
    assert brief(run({"inspections": insp}, "cpk_streak")) == [("S1", "P1", "L1")]
    more = pl.concat([insp, lots(("L7", D(2026, 10, 7), 0.8))])
    flags = run({"inspections": more}, "cpk_streak")
    assert brief(flags) == [("S1", "P1", "L1"), ("S1", "P1", "L5")]
    assert flags[0].id != flags[1].id


def test_streak_across_a_month_boundary_keeps_its_first_lot() -> None:
    insp = lots(
        ("L1", D(2026, 9, 25), 1.2), ("L2", D(2026, 10, 2), 1.1), ("L3", D(2026, 10, 8), 1.0)
    )
    [october] = run({"inspections": insp}, "cpk_streak")
    assert october.window == "L1" and october.evidence["streak"] == 3
    assert run({"inspections": insp}, "cpk_streak", month="2026-09") == []  # one lot in September
    grown = pl.concat([insp, lots(("L4", D(2026, 11, 3), 0.9))])
    [november] = run({"inspections": grown}, "cpk_streak", month="2026-11")
    assert november.id == october.id  # the same streak, grown: the same alert
    assert november.evidence["streak"] == 4


def test_streak_only_in_an_earlier_month_is_not_flagged_again() -> None:
    insp = lots(
        ("L1", D(2026, 9, 2), 1.2),
        ("L2", D(2026, 9, 9), 1.1),
        ("L3", D(2026, 9, 16), 1.0),
        ("L4", D(2026, 10, 2), 1.7),
    )
    assert run({"inspections": insp}, "cpk_streak") == []
    assert brief(run({"inspections": insp}, "cpk_streak", month="2026-09")) == [("S1", "P1", "L1")]


def test_lots_without_a_cpk_neither_extend_nor_break_a_streak() -> None:
    insp = lots(
        ("L1", D(2026, 10, 1), 1.2),
        ("L2", D(2026, 10, 2), None),
        ("L3", D(2026, 10, 3), 1.1),
        ("L4", D(2026, 10, 4), 1.0),
    )
    [flag] = run({"inspections": insp}, "cpk_streak")
    assert [lot["lot_id"] for lot in flag.evidence["lots"]] == ["L1", "L3", "L4"]


def test_streaks_are_per_supplier_part() -> None:
    insp = pl.concat(
        [
            lots(("L1", D(2026, 10, 1), 1.2), ("L2", D(2026, 10, 2), 1.1)),
            lots(("L3", D(2026, 10, 3), 1.0), part="P2"),
        ]
    )
    assert run({"inspections": insp}, "cpk_streak") == []


def test_streak_limit_and_length_come_from_the_rule() -> None:
    insp = lots(("L1", D(2026, 10, 1), 1.5), ("L2", D(2026, 10, 2), 1.6))
    flags = run({"inspections": insp}, "cpk_streak", limit=1.67, consecutive=2)
    assert brief(flags) == [("S1", "P1", "L1")]


def test_cpk_from_measurements_wins_over_the_reported_value() -> None:
    insp = lots(*[(f"L{i}", D(2026, 10, i), 2.0) for i in (1, 2, 3)])
    spread = [-0.02, -0.01, 0.0, 0.01, 0.02]  # R = 0.04: Cpk = 0.05·d2(5)/(3·0.04) = 0.9692
    measurements = pl.DataFrame(
        [
            {
                "supplier_id": "S1",
                "part_no": "P1",
                "lot_id": f"L{lot}",
                "characteristic": "OD",
                "subgroup": sub,
                "sample_no": k + 1,
                "value": 10.0 + d,
                "measured_at": datetime(2026, 10, lot, 8, sub, k),
            }
            for lot in (1, 2, 3)
            for sub in range(1, 6)
            for k, d in enumerate(spread)
        ]
    )
    parts = pl.DataFrame(
        {"part_no": ["P1"], "characteristic": ["OD"], "material_class": ["B"],
         "lsl": [9.95], "usl": [10.05]}
    )  # fmt: skip
    tables = {"inspections": insp, "measurements": measurements, "parts": parts}
    [flag] = run(tables, "cpk_streak")
    assert flag.material_class == "B"
    assert [(lot["characteristic"], lot["cpk"]) for lot in flag.evidence["lots"]] == [
        ("OD", 0.9692)
    ] * 3


# --- k of the last n lots rejected ---------------------------------------------------------
def decisions(*values: str, month: int = 10) -> pl.DataFrame:
    return lots(*[(f"L{i}", D(2026, month, i), None, v) for i, v in enumerate(values, start=1)])


def test_two_of_the_last_five_lots_rejected() -> None:
    [flag] = run(
        {"inspections": decisions("accept", "reject", "accept", "reject", "accept")},
        "lots_rejected",
    )
    assert (flag.window, flag.evidence["rejected"], flag.evidence["triggered_by"]) == (
        "L4",
        2,
        "L4",
    )
    assert [lot["lot_id"] for lot in flag.evidence["lots"]] == ["L1", "L2", "L3", "L4", "L5"]


def test_one_rejected_lot_is_not_enough() -> None:
    assert (
        run({"inspections": decisions("accept", "reject", "accept", "accept")}, "lots_rejected")
        == []
    )


def test_rejections_further_apart_than_the_window_do_not_count() -> None:
    insp = decisions("reject", "accept", "accept", "accept", "accept", "reject")
    assert run({"inspections": insp}, "lots_rejected") == []


def test_conditional_release_counts_only_when_the_rule_says_so() -> None:
    insp = decisions("reject", "conditional", "accept")
    assert run({"inspections": insp}, "lots_rejected") == []
    flags = run({"inspections": insp}, "lots_rejected", count_conditional=True)
    assert brief(flags) == [("S1", "P1", "L2")]


def test_rejections_count_across_the_month_boundary_until_they_leave_the_window() -> None:
    september = lots(
        ("Sep1", D(2026, 9, 2), None, "reject"), ("Sep2", D(2026, 9, 9), None, "reject")
    )
    october = lots(("Oct1", D(2026, 10, 3), None, "accept"))
    # Oct1 is the third of the last five lots, two of them rejected: the episode that began
    # with Sep2 in September goes on, so October flags it with the same window (same alert)
    assert brief(run({"inspections": pl.concat([september, october])}, "lots_rejected")) == [
        ("S1", "P1", "Sep2")
    ]
    august = lots(("Aug1", D(2026, 8, 3), None, "reject"), ("Aug2", D(2026, 8, 10), None, "reject"))
    accepted = lots(*[(f"Sep{i}", D(2026, 9, i), None, "accept") for i in range(1, 6)])
    # five accepted lots in September end the episode before October
    assert run({"inspections": pl.concat([august, accepted, october])}, "lots_rejected") == []


# --- PPM above the material class's limit --------------------------------------------------
PARTS = pl.DataFrame(
    {
        "part_no": ["P1", "P2"],
        "characteristic": ["OD", "OD"],
        "material_class": ["B", "C"],
    }
)


def test_ppm_above_the_limit_of_the_part_class() -> None:
    insp = pl.concat(
        [
            lots(("L1", D(2026, 10, 1), None, "accept", 6, 10_000)),  # 600 ppm > B 500
            lots(("L2", D(2026, 10, 1), None, "accept", 6, 10_000), part="P2"),  # 600 < C 2000
            lots(("L3", D(2026, 10, 1), None, "accept", 1, 10_000), part="P9"),  # 100 > A 50
            lots(("L4", D(2026, 10, 1), None, "accept", 5, 10_000), part="P1", supplier="S2"),
        ]
    )
    flags = run({"inspections": insp, "parts": PARTS}, "ppm_over_limit", min_lots=1)
    found = [(f.supplier_id, f.part_no, f.material_class, f.evidence["ppm"]) for f in flags]
    assert found == [("S1", "P1", "B", 600.0), ("S1", "P9", "A", 100.0)]
    assert [f.evidence["limit"] for f in flags] == [500.0, 50.0]


def test_ppm_window_is_the_first_month_of_the_run() -> None:
    over = [
        ("L8", D(2026, 8, 3), None, "accept", 9, 10_000),
        ("L9", D(2026, 9, 3), None, "accept", 9, 10_000),
    ]
    now = ("L10", D(2026, 10, 3), None, "accept", 9, 10_000)
    tables = {"inspections": lots(*over, now), "parts": PARTS}
    assert brief(run(tables, "ppm_over_limit", min_lots=1)) == [("S1", "P1", "2026-08")]
    gap = [
        ("L8", D(2026, 8, 3), None, "accept", 9, 10_000),
        ("L9", D(2026, 9, 3), None, "accept", 0, 10_000),
    ]
    tables = {"inspections": lots(*gap, now), "parts": PARTS}
    assert brief(run(tables, "ppm_over_limit", min_lots=1)) == [("S1", "P1", "2026-10")]


def test_ppm_needs_the_minimum_number_of_lots() -> None:
    insp = lots(("L1", D(2026, 10, 1), None, "accept", 6, 10_000))
    assert run({"inspections": insp, "parts": PARTS}, "ppm_over_limit", min_lots=2) == []


# --- on-time delivery ---------------------------------------------------------------------
def deliveries(supplier: str, month: int, on_time: int, late: int) -> pl.DataFrame:
    rows = []
    for i in range(on_time + late):
        promised = D(2026, month, 1 + i)
        delivered = promised if i < on_time else promised + timedelta(days=3)
        rows.append(
            {
                "supplier_id": supplier,
                "part_no": "P1",
                "promised_date": promised,
                "delivered_date": delivered,
            }
        )
    return pl.DataFrame(rows)


def test_otd_below_target_with_enough_deliveries() -> None:
    frame = pl.concat(
        [
            deliveries("S1", 10, on_time=3, late=2),  # 60 % of 5: flagged
            deliveries("S2", 10, on_time=1, late=3),  # 25 % but only 4 deliveries
            deliveries("S3", 10, on_time=4, late=1),  # 80 %: at the target, not below
        ]
    )
    [flag] = run({"deliveries": frame}, "otd_below_target", target=0.8, min_deliveries=5)
    assert (flag.supplier_id, flag.part_no, flag.window) == ("S1", None, "2026-10")
    assert (flag.evidence["otd"], flag.evidence["deliveries"], flag.evidence["on_time"]) == (
        0.6,
        5,
        3,
    )


def test_otd_window_is_the_first_month_below_target() -> None:
    frame = pl.concat(
        [deliveries("S1", 8, 5, 0), deliveries("S1", 9, 2, 3), deliveries("S1", 10, 1, 4)]
    )
    [flag] = run({"deliveries": frame}, "otd_below_target", target=0.8, min_deliveries=5)
    assert flag.window == "2026-09"
    assert flag.evidence["months_below"] == {"2026-09": 0.4, "2026-10": 0.2}


# --- audits, certificates, PPAP (as of the day of the run) ----------------------------------
def test_audit_overdue_as_of_the_day_of_the_run() -> None:
    audits = pl.DataFrame(
        {
            "audit_id": ["A1", "A2", "A3", "A4"],
            "supplier_id": ["S1", "S2", "S2", "S3"],
            "audit_date": [D(2025, 9, 16), D(2025, 9, 1), D(2026, 8, 20), D(2025, 10, 15)],
            "audit_type": ["process"] * 4,
            "score": [80.0] * 4,
            "next_audit_due": [D(2026, 9, 16), D(2026, 9, 1), D(2027, 8, 20), None],
        }
    )
    flags = run({"audits": audits}, "audit_overdue")
    assert [(f.supplier_id, f.window, f.evidence["days_overdue"]) for f in flags] == [
        ("S1", "2026-09-16", 45),
        ("S3", "2026-10-15", 16),  # no next date: 12 months after the audit (scorecard.yaml)
    ]
    assert run({"audits": audits}, "audit_overdue", today=D(2026, 9, 16)) == []


def test_certificates_expiring_within_the_days_or_expired() -> None:
    certs = pl.DataFrame(
        {
            "supplier_id": ["S1", "S1", "S2", "S3", "S3"],
            "cert_type": ["IATF16949", "ISO14001", "ISO9001", "ISO9001", "ISO9001"],
            "cert_no": ["C1", "C2", "C3", "C4", "C5"],
            "issued_date": [
                D(2023, 11, 19),
                D(2023, 12, 16),
                D(2023, 10, 1),
                D(2022, 12, 31),
                D(2025, 12, 1),
            ],
            "expiry_date": [
                D(2026, 11, 18),
                D(2026, 12, 15),
                D(2026, 9, 30),
                D(2025, 12, 31),
                D(2028, 11, 30),
            ],
        }
    )
    flags = run({"certificates": certs}, "certificate_expiring")
    assert [
        (f.supplier_id, f.subject, f.evidence["state"], f.evidence["days_left"]) for f in flags
    ] == [
        ("S1", "IATF16949", "expiring", 18),
        ("S2", "ISO9001", "expired", -31),
    ]
    assert flags[0].window == "C1@2026-11-18:expiring"
    later = run({"certificates": certs}, "certificate_expiring", today=D(2026, 11, 20))
    assert ("S1", "C1@2026-11-18:expired") in [(f.supplier_id, f.window) for f in later]


def test_ppap_overdue_after_the_days() -> None:
    ppap = pl.DataFrame(
        {
            "ppap_id": ["PP1", "PP2", "PP3", "PP4"],
            "supplier_id": ["S1", "S1", "S2", "S3"],
            "part_no": ["P1", "P2", "P1", "P1"],
            "submitted_date": [D(2026, 7, 8), D(2026, 10, 12), D(2026, 6, 1), D(2026, 4, 15)],
            "approved_date": [None, None, D(2026, 6, 20), None],
            "status": ["submitted", "submitted", "approved", "interim"],
        }
    )
    flags = run({"ppap": ppap, "parts": PARTS}, "ppap_overdue")
    assert [(f.supplier_id, f.part_no, f.subject, f.material_class, f.evidence["days_waiting"])
            for f in flags] == [("S1", "P1", "PP1", "B", 115)]  # fmt: skip
    assert run({"ppap": ppap}, "ppap_overdue", today=D(2026, 9, 6)) == []  # 60 days exactly


# --- grade drop ---------------------------------------------------------------------------
def test_grade_drop_against_the_previous_month() -> None:
    insp = pl.concat(
        [
            lots(("L1", D(2026, 9, 2), None), ("L2", D(2026, 9, 9), None)),
            lots(("L3", D(2026, 10, 2), None, "reject", 40), ("L4", D(2026, 10, 9), None)),
            lots(("M1", D(2026, 9, 2), None), ("M2", D(2026, 10, 2), None), supplier="S2"),
        ]
    )
    on_time = pl.concat(
        [deliveries(s, m, on_time=2, late=0) for s in ("S1", "S2") for m in (9, 10)]
    )
    tables = {"inspections": insp, "deliveries": on_time}
    [flag] = run(tables, "grade_drop")
    assert (flag.supplier_id, flag.window, flag.evidence["previous_grade"]) == (
        "S1",
        "2026-10",
        "A",
    )
    assert flag.evidence["grade"] != "A" and flag.evidence["steps"] >= 1
    assert run(tables, "grade_drop", by_at_least=4) == []


# --- Nelson rules on a measurement series ---------------------------------------------------
def series(outlier_at: int | None) -> pl.DataFrame:
    """30 subgroups of 5 (lots of 5 subgroups): 1-25 measured in September, 26-30 in October;
    means alternate ±0.005 around 10; one subgroup shifted by +0.1 when asked."""
    rows = []
    spread = [-0.02, -0.01, 0.0, 0.01, 0.02]
    for index in range(30):
        shift = 0.005 if index % 2 else -0.005
        if index == outlier_at:
            shift = 0.1
        at = datetime(2026, 9, 1 + index) if index < 25 else datetime(2026, 10, index - 20)
        for k, d in enumerate(spread):
            rows.append(
                {
                    "supplier_id": "S1",
                    "part_no": "P1",
                    "lot_id": f"L{index // 5}",
                    "characteristic": "L45",
                    "subgroup": index % 5 + 1,
                    "sample_no": k + 1,
                    "value": 10.0 + shift + d,
                    "measured_at": at + timedelta(minutes=k),
                }
            )
    return pl.DataFrame(rows)


def test_nelson_rule_1_broken_in_the_month() -> None:
    [flag] = run({"measurements": series(outlier_at=27)}, "nelson")
    assert (flag.part_no, flag.subject, flag.window) == ("P1", "L45", "R1@L5/3")
    assert flag.evidence["nelson_rule"] == 1 and flag.evidence["points_in_month"] == 1


def test_nelson_no_flag_for_a_stable_series_or_a_point_last_month() -> None:
    assert run({"measurements": series(outlier_at=None)}, "nelson") == []
    assert run({"measurements": series(outlier_at=10)}, "nelson") == []


def test_nelson_needs_enough_subgroups_for_limits() -> None:
    assert run({"measurements": series(outlier_at=27)}, "nelson", min_subgroups=31) == []


# --- complaints ---------------------------------------------------------------------------
def test_complaints_above_the_count_in_the_month() -> None:
    complaints = pl.DataFrame(
        {
            "complaint_id": ["C1", "C2", "C3", "C4"],
            "supplier_id": ["S1", "S1", "S2", "S3"],
            "received_date": [D(2026, 10, 9), D(2026, 10, 20), D(2026, 10, 5), D(2026, 9, 30)],
            "status": ["open", "contained", "rejected", "open"],
        }
    )
    [flag] = run({"complaints": complaints}, "complaints")
    assert (flag.supplier_id, flag.window, flag.evidence["complaints"]) == (
        "S1",
        "2026-10",
        ["C1", "C2"],
    )
    assert run({"complaints": complaints}, "complaints", more_than=2) == []


# --- suppliers' status --------------------------------------------------------------------
def test_flags_of_suspended_suppliers_are_dropped() -> None:
    insp = pl.concat(
        [
            lots(*[(f"L{i}", D(2026, 10, i), 1.0) for i in (1, 2, 3)], supplier=s)
            for s in ("S1", "S2", "S3")
        ]
    )
    suppliers = pl.DataFrame({"supplier_id": ["S1", "S2"], "status": ["suspended", "approved"]})
    flags = run({"inspections": insp, "suppliers": suppliers}, "cpk_streak")
    assert [f.supplier_id for f in flags] == ["S2", "S3"]  # S3 is not in the master: kept


def test_nothing_to_flag_without_tables() -> None:
    assert evaluate({}, MONTH, load_risk_rules(), today=TODAY) == []


# --- the rule file ------------------------------------------------------------------------
def test_packaged_risk_rules_load_with_their_defaults() -> None:
    rules = load_risk_rules()
    assert (rules.flags.cpk_streak.limit, rules.flags.cpk_streak.consecutive) == (1.33, 3)
    assert (rules.flags.lots_rejected.rejected, rules.flags.lots_rejected.last) == (2, 5)
    [purchasing, *_] = rules.flags.cpk_streak.tasks
    assert (purchasing.department, purchasing.deadline("A")) == ("purchasing", timedelta(hours=2))
    assert [s.to for s in rules.escalation] == ["department_manager", "plant_quality_manager"]


def test_durations() -> None:
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("1.5d") == timedelta(hours=36)
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration("2 hours")


BROKEN = """\
version: 1
contacts:
  timezone: Mars/Olympus
  plant_quality_manager: {name: QM, email: qm@plant.example.com}
  departments:
    quality:
      name: {en: Quality, zh: 质量部}
      manager: {name: SQE manager, email: sqe.manager@plant.example.com}
actions:
  root_cause: {en: Root cause, zh: 根本原因}
flags:
  cpk_streak:
    limt: 1.33
    tasks:
      - {department: qualty, action: root_cause, within: 4h}
      - {department: quality, action: rootcause, within: 2 hours}
  otd_below_target:
    tasks:
      - {department: quality, action: root_cause, within: {A: 2h}}
      - {department: quality, action: root_cause, within: {X: 2h, default: 1d}}
escalation:
  - {to: plant_quality_manager, after: 24h}
  - {to: department_manager, after: 0h}
"""


def test_rule_file_mistakes_are_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_risk_rules(path, "rules/risk.yaml")
    assert caught.value.exit_code == ExitCode.USAGE
    assert caught.value.details == [
        "rules/risk.yaml:3 contacts.timezone: unknown time zone 'Mars/Olympus': "
        "use a name such as Asia/Shanghai or an offset +08:00",
        "rules/risk.yaml:16 flags.cpk_streak.tasks.1.within: "
        "expected a duration such as 30m, 2h or 3d, got '2 hours'",
        "rules/risk.yaml:13 flags.cpk_streak.limt: unknown key (did you mean 'limit'?)",
    ]


def test_rule_file_cross_checks_are_reported_with_file_and_line(tmp_path: Path) -> None:
    text = BROKEN.replace("Mars/Olympus", "+08:00").replace("limt", "limit")
    text = text.replace("within: 2 hours", "within: 2h")
    path = tmp_path / "risk.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_risk_rules(path, "rules/risk.yaml")
    assert caught.value.details == [
        "rules/risk.yaml:15 flags.cpk_streak.tasks.0.department: unknown department "
        "(did you mean 'quality'?)",
        "rules/risk.yaml:16 flags.cpk_streak.tasks.1.action: 'rootcause' is not one of "
        "'actions' (did you mean 'root_cause'?)",
        "rules/risk.yaml:19 flags.otd_below_target.tasks.0.within: this flag is about a whole "
        "supplier (no material class): give one duration or a 'default'",
        "rules/risk.yaml:20 flags.otd_below_target.tasks.1.within.X: expected a material class "
        "A, B, C or default",
        "rules/risk.yaml:23 escalation.1.after: steps must be listed in time order",
    ]
