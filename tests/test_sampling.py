from __future__ import annotations

import doctest
import json

import pytest

from qsync import sampling
from qsync.sampling import (
    AQL_VALUES,
    code_letter,
    master_table_plan,
    plan,
    switching_state,
    tighter_acceptance_number,
)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(sampling)
    assert result.attempted > 5
    assert result.failed == 0


@pytest.mark.parametrize(
    ("lot_size", "level", "letter"),
    [
        (1250, "II", "K"),
        (1200, "II", "J"),
        (1201, "II", "K"),
        (3200, "II", "K"),
        (3201, "II", "L"),
        (2, "II", "A"),
        (8, "III", "B"),
        (151, "I", "E"),
        (281, "I", "F"),
        (500, "S-3", "D"),
        (500001, "III", "R"),
        (10**9, "S-4", "K"),
        (35000, "s-1", "C"),
        (35001, "S-1", "D"),
    ],
)
def test_table_1_code_letters(lot_size: int, level: str, letter: str) -> None:
    assert code_letter(lot_size, level) == letter


def test_normal_k_row() -> None:
    p = plan(1250, 0.65)
    assert (p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re) == ("K", "K", 125, 2, 3)
    assert (p.severity, p.table, p.sample_reaches_lot_size) == ("normal", "2-A", False)


def _row(letter: str, severity: str) -> list[str]:
    cells = []
    for aql in AQL_VALUES:
        entry = master_table_plan(letter, aql, severity)
        cells.append(f"{entry.plan_letter}{entry.sample_size}:{entry.ac}")
    return cells


def test_full_k_rows_of_the_three_tables() -> None:
    assert _row("K", "normal") == [
        "Q1250:0", "P800:0", "N500:0", "M315:0", "L200:0", "K125:0", "J80:0", "L200:1",
        "K125:1", "K125:2", "K125:3", "K125:5", "K125:7", "K125:10", "K125:14", "K125:21",
        "J80:21", "H50:21", "G32:21", "F20:21", "E13:21", "E13:30", "E13:44", "D8:44",
        "C5:44", "B3:44",
    ]  # fmt: skip
    assert _row("K", "tightened") == [
        "R2000:0", "Q1250:0", "P800:0", "N500:0", "M315:0", "L200:0", "K125:0", "M315:1",
        "L200:1", "K125:1", "K125:2", "K125:3", "K125:5", "K125:8", "K125:12", "K125:18",
        "J80:18", "H50:18", "G32:18", "F20:18", "E13:18", "E13:27", "E13:41", "D8:41",
        "C5:41", "B3:41",
    ]  # fmt: skip
    assert _row("K", "reduced") == [
        "Q500:0", "P315:0", "N200:0", "M125:0", "L80:0", "K50:0", "J32:0", "M125:1",
        "L80:1", "K50:1", "K50:2", "K50:3", "K50:5", "K50:6", "K50:8", "K50:10", "J32:10",
        "H20:10", "G13:10", "F8:10", "E5:10", "E5:14", "E5:21", "D3:21", "C2:21", "B2:30",
    ]  # fmt: skip


def test_top_rows_of_the_reduced_table() -> None:
    assert _row("A", "reduced")[14:] == [
        "A2:0", "D3:1", "C2:1", "A2:1", "A2:2", "A2:3", "A2:5", "A2:7", "A2:10", "A2:14",
        "A2:21", "A2:30",
    ]  # fmt: skip
    assert _row("C", "reduced")[12:] == [
        "C2:0", "B2:0", "E5:1", "D3:1", "C2:1", "C2:2", "C2:3", "C2:5", "C2:6", "C2:8",
        "C2:10", "C2:14", "C2:21", "B2:30",
    ]  # fmt: skip


def test_arrow_down_changes_plan_letter() -> None:
    entry = master_table_plan("A", 0.65)
    assert (entry.plan_letter, entry.sample_size, entry.ac, entry.re) == ("F", 20, 0, 1)
    p = plan(50, 0.65, level="S-1")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re) == ("A", "F", 20, 0, 1)
    assert not p.sample_reaches_lot_size


def test_arrow_up_at_aql_6_5_letter_b() -> None:
    p = plan(15, 6.5)
    assert (p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re) == ("B", "A", 2, 0, 1)


def test_arrow_up_in_large_aql_columns() -> None:
    p = plan(1250, 15)
    assert (p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re) == ("K", "J", 80, 21, 22)


def test_arrows_that_would_leave_the_table_point_the_other_way() -> None:
    assert master_table_plan("A", 10) == sampling.MasterTablePlan("C", 5, 1, 2)
    assert master_table_plan("R", 0.015) == sampling.MasterTablePlan("P", 800, 0, 1)
    assert master_table_plan("R", 0.015, "tightened") == sampling.MasterTablePlan("Q", 1250, 0, 1)
    assert master_table_plan("Q", 0.025, "reduced") == sampling.MasterTablePlan("N", 200, 0, 1)
    assert master_table_plan("R", 0.025, "reduced") == sampling.MasterTablePlan("N", 200, 0, 1)


def test_tightened_letter_s() -> None:
    p = plan(500000, 0.025, level="III", severity="tightened")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.ac, p.re) == ("Q", "S", 3150, 1, 2)
    assert p.table == "2-B"


def test_three_severities_for_the_same_lot() -> None:
    normal = plan(2000, 0.65)
    tightened = plan(2000, 0.65, severity="tightened")
    reduced = plan(2000, 0.65, severity="reduced")
    assert (normal.sample_size, normal.ac, normal.re) == (125, 2, 3)
    assert (tightened.sample_size, tightened.ac, tightened.re) == (125, 1, 2)
    assert (reduced.sample_size, reduced.ac, reduced.re) == (50, 1, 2)
    assert reduced.table == "2-C"


def test_reduced_plans_have_no_gap_and_two_fifths_sample_sizes() -> None:
    letters = "ABCDEFGHJKLMNPQR"
    normal = [2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000]
    reduced = [2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800]
    for size, normal_size in zip(reduced, normal, strict=True):
        assert size == 2 or abs(size - 0.4 * normal_size) <= 0.1 * normal_size
    for letter in letters:
        for aql in AQL_VALUES:
            entry = master_table_plan(letter, aql, "reduced")
            assert entry.re == entry.ac + 1
            assert entry.sample_size == reduced[letters.index(entry.plan_letter)]


def test_hundred_percent_inspection_when_sample_reaches_lot() -> None:
    p = plan(8, 0.65)
    assert (p.code_letter, p.plan_letter) == ("A", "F")
    assert p.sample_reaches_lot_size
    assert (p.sample_size, p.ac, p.re) == (8, 0, 1)
    exact = plan(20, 0.65, level="S-1")
    assert exact.sample_reaches_lot_size and exact.sample_size == 20


def test_to_dict_is_json_ready() -> None:
    data = plan(1250, "0.65").to_dict()
    assert json.loads(json.dumps(data)) == {
        "lot_size": 1250,
        "aql": 0.65,
        "level": "II",
        "severity": "normal",
        "table": "2-A",
        "code_letter": "K",
        "plan_letter": "K",
        "sample_size": 125,
        "ac": 2,
        "re": 3,
        "sample_reaches_lot_size": False,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, 0.65), "lot size"),
        ((100, 0.7), "not a tabulated"),
        ((100, "abc"), "must be a number"),
        ((100, 0.65, "IV"), "inspection level"),
        ((100, 0.65, "II", "skip"), "severity"),
    ],
)
def test_invalid_plan_arguments(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        plan(*args)


def test_tighter_acceptance_numbers() -> None:
    ladder = {2: 1, 3: 2, 5: 3, 7: 5, 10: 7, 14: 10, 21: 14, 30: 21, 44: 30}
    assert {ac: tighter_acceptance_number(ac) for ac in ladder} == ladder
    with pytest.raises(ValueError):
        tighter_acceptance_number(1)


OK = (True, 0)
BAD = (False, 5)


def test_starts_at_normal() -> None:
    state = switching_state([], normal_ac=2)
    assert (state.severity, state.switching_score, state.reason_id) == (
        "normal",
        0,
        "initial-normal",
    )
    assert state.history_of_transitions == ()


def test_two_of_five_not_accepted_goes_tightened() -> None:
    state = switching_state([OK, BAD, OK, OK, BAD], normal_ac=2)
    assert state.severity == "tightened"
    assert state.reason_id == "two-of-five-rejected"
    assert state.reason == "2 of the last 5 lots not accepted"
    assert state.history_of_transitions[-1].lot_index == 4


def test_two_not_accepted_six_apart_stay_normal() -> None:
    state = switching_state([BAD, OK, OK, OK, OK, BAD], normal_ac=2)
    assert state.severity == "normal"
    assert state.switching_score == 0


def test_tightened_back_to_normal_after_five_accepted() -> None:
    lots = [BAD, BAD] + [OK] * 4
    assert switching_state(lots, normal_ac=2).severity == "tightened"
    state = switching_state([*lots, OK], normal_ac=2)
    assert state.severity == "normal"
    assert state.reason_id == "five-consecutive-accepted"
    assert state.switching_score == 0
    assert [t.to_severity for t in state.history_of_transitions] == ["tightened", "normal"]


def test_discontinue_after_five_not_accepted_under_tightened() -> None:
    under_tightened = [BAD, OK, BAD, OK, OK, OK, BAD, BAD]
    lots = [BAD, BAD, *under_tightened]
    assert switching_state(lots, normal_ac=2).severity == "tightened"
    state = switching_state([*lots, BAD, OK, OK], normal_ac=2)
    assert state.severity == "discontinued"
    assert state.reason_id == "five-rejected-under-tightened"
    assert state.history_of_transitions[-1].lot_index == len(lots)


def test_switching_score_with_acceptance_number_two_or_more() -> None:
    credit = (True, 1)
    assert switching_state([credit] * 9, normal_ac=2).switching_score == 27
    state = switching_state([credit] * 10, normal_ac=2)
    assert (state.severity, state.reason_id) == ("reduced", "switching-score-30")
    assert state.history_of_transitions[-1].lot_index == 9
    no_credit = switching_state([credit] * 9 + [(True, 2)], normal_ac=2)
    assert (no_credit.severity, no_credit.switching_score) == ("normal", 0)
    unknown = switching_state([credit] * 9 + [(True, None)], normal_ac=2)
    assert unknown.switching_score == 0


def test_switching_score_with_acceptance_number_zero_or_one() -> None:
    assert switching_state([(True, None)] * 14, normal_ac=1).switching_score == 28
    assert switching_state([(True, 1)] * 15, normal_ac=1).severity == "reduced"
    reset = switching_state([(True, 0)] * 14 + [(False, 2)], normal_ac=0)
    assert (reset.severity, reset.switching_score) == ("normal", 0)


def test_switching_score_uses_each_lot_s_own_acceptance_number() -> None:
    # Ten lots with Ac 0 earn 2 each (20), then lots with Ac 2 and 0 defects earn 3 each:
    # 20 + 3 + 3 + 3 + 3 = 32 reaches 30 at the 14th lot (index 13), not at the 10th
    # (Ac 2 throughout) and never within 14 lots (Ac 0 throughout: 28).
    lots = [(True, 0)] * 14
    per_lot = switching_state(lots, normal_ac=[0] * 10 + [2] * 4)
    assert per_lot.severity == "reduced"
    assert [t.lot_index for t in per_lot.history_of_transitions] == [13]
    assert switching_state(lots, normal_ac=2).history_of_transitions[0].lot_index == 9
    assert switching_state(lots, normal_ac=0).severity == "normal"
    with pytest.raises(ValueError, match="2 normal acceptance numbers for 14 lots"):
        switching_state(lots, normal_ac=[0, 2])
    with pytest.raises(ValueError, match="does not occur in table 2-a"):
        switching_state(lots, normal_ac=[0] * 13 + [4])


def test_reduced_needs_steady_production_and_approval() -> None:
    state = switching_state([OK] * 20, normal_ac=2, reduced_permitted=False)
    assert (state.severity, state.switching_score) == ("normal", 60)


def test_reduced_back_to_normal_on_one_lot_not_accepted() -> None:
    state = switching_state([OK] * 10 + [OK, OK, BAD], normal_ac=2)
    assert (state.severity, state.reason_id) == ("normal", "lot-rejected-under-reduced")
    assert state.switching_score == 0
    assert state.to_dict()["history_of_transitions"][-1]["lot_index"] == 12


def test_switching_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="table 2-a"):
        switching_state([OK], normal_ac=4)
    with pytest.raises(ValueError, match="defects"):
        switching_state([(True, -1)], normal_ac=2)
