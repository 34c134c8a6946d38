"""Acceptance sampling by attributes to ISO 2859-1:1999 (single sampling).

The module reproduces the three single-sampling master tables of ISO 2859-1:1999
(identical in content to BS 6001-1:1999, GB/T 2828.1-2012 and JIS Z 9015-1:2006):

* Table 1, sample size code letters for lot sizes and inspection levels S-1 to III;
* Table 2-A (normal), 2-B (tightened) and 2-C (reduced) single sampling plans;
* the switching rules of clause 9, including the 1999 switching score.

It is *not* ANSI/ASQ Z1.4 or MIL-STD-105E.  Their normal and tightened tables agree
with ISO 2859-1, but their reduced table keeps the older plans with a gap between the
acceptance and rejection numbers (for example Ac 1, Re 3) and a limit-number rule for
switching to reduced inspection.  ISO 2859-1:1999 removed both: every reduced plan here
has Re = Ac + 1 and reduced inspection is reached through the switching score.

The master tables are built from the structure of the printed tables rather than typed
cell by cell.  Along every diagonal of a master table (one code letter further down and
one AQL column further left) the acceptance number is constant, so each table is a
ladder of acceptance numbers per diagonal:

* normal:     0, ↑, ↓, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44
* tightened:  0, ↓, ↓, 1, 2, 3, 5, 8, 12, 18, 27, 41
* reduced:    0, ↑, ↓, ↓, 1, 2, 3, 5, 6, 8, 10, 14, 21

with arrows before the first plan and after the last.  The two largest acceptance
numbers of each ladder appear only for code letters A to E (n ≤ 13); further down those
cells are ↑.  Three printed details do not follow from the ladder and are reproduced
explicitly: an arrow that would run off the table points the other way (Table 2-A row A
at AQL 10, the bottom rows near AQL 0.010-0.025 of all three tables); Table 2-B has a
row S (n = 3150) used only at AQL 0.025; and in Table 2-C the letters A and B (n = 2)
carry, from AQL 25 upwards, the plans of row A of Table 2-A.  The resulting tables were
checked cell by cell against a published transcription of GB/T 2828.1-2012.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

__all__ = [
    "AQL_VALUES",
    "INSPECTION_LEVELS",
    "SEVERITIES",
    "MasterTablePlan",
    "SamplingPlan",
    "SwitchingState",
    "Transition",
    "code_letter",
    "master_table_plan",
    "plan",
    "switching_state",
    "tighter_acceptance_number",
]

SEVERITIES: tuple[str, ...] = ("normal", "tightened", "reduced")
INSPECTION_LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
AQL_VALUES: tuple[float, ...] = (
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5,
    4.0, 6.5, 10.0, 15.0, 25.0, 40.0, 65.0, 100.0, 150.0, 250.0, 400.0, 650.0, 1000.0,
)  # fmt: skip

_LETTERS = "ABCDEFGHJKLMNPQR"
_NORMAL_SIZES = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
_REDUCED_SIZES = (2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800)
_TIGHTENED_EXTRA_LETTER = "S"
_TIGHTENED_EXTRA_SIZE = 3150

# Table 1: (lowest lot size, code letters for S-1, S-2, S-3, S-4, I, II, III).
_CODE_LETTER_ROWS: tuple[tuple[int, str], ...] = (
    (2, "AAAAAAB"),
    (9, "AAAAABC"),
    (16, "AABBBCD"),
    (26, "ABBCCDE"),
    (51, "BBCCCEF"),
    (91, "BBCDDFG"),
    (151, "BCDEEGH"),
    (281, "BCDEFHJ"),
    (501, "CCEFGJK"),
    (1201, "CDEGHKL"),
    (3201, "CDFGJLM"),
    (10001, "CDFHKMN"),
    (35001, "DEGJLNP"),
    (150001, "DEGJMPQ"),
    (500001, "DEHKNQR"),
)

_UP = "up"
_DOWN = "down"
_Cell = int | str | None

# Acceptance number per diagonal (code-letter index + AQL-column index).
_NORMAL_LADDER: dict[int, int | str] = {
    14: 0, 15: _UP, 16: _DOWN, 17: 1, 18: 2, 19: 3, 20: 5, 21: 7, 22: 10, 23: 14, 24: 21,
    25: 30, 26: 44,
}  # fmt: skip
_TIGHTENED_LADDER: dict[int, int | str] = {
    15: 0, 16: _DOWN, 17: _DOWN, 18: 1, 19: 2, 20: 3, 21: 5, 22: 8, 23: 12, 24: 18,
    25: 27, 26: 41,
}  # fmt: skip
_REDUCED_LADDER: dict[int, int | str] = {
    14: 0, 15: _UP, 16: _DOWN, 17: _DOWN, 18: 1, 19: 2, 20: 3, 21: 5, 22: 6, 23: 8, 24: 10,
    25: 14, 26: 21,
}  # fmt: skip
_LAST_ROW_WITH_LARGE_AC = _LETTERS.index("E")
_NORMAL_AC_LADDER = (0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44)
_REDUCED_SMALL_N_FROM_AQL_25 = (1, 2, 3, 5, 7, 10, 14, 21, 30)
_TABLE_NAMES = {"normal": "2-A", "tightened": "2-B", "reduced": "2-C"}


def _ladder_cell(ladder: dict[int, int | str], row: int, column: int) -> _Cell:
    diagonal = row + column
    first, last = min(ladder), max(ladder)
    if diagonal < first:
        return _DOWN
    if diagonal > last:
        return _UP
    if diagonal >= last - 1 and row > _LAST_ROW_WITH_LARGE_AC:
        return _UP
    return ladder[diagonal]


def _first_plan(grid: list[list[_Cell]], row: int, column: int, step: int) -> int | None:
    row += step
    while 0 <= row < len(grid):
        if isinstance(grid[row][column], int):
            return row
        row += step
    return None


def _point_arrows_at_plans(grid: list[list[_Cell]]) -> None:
    for row, cells in enumerate(grid):
        for column, cell in enumerate(cells):
            if cell not in (_UP, _DOWN):
                continue
            step = 1 if cell == _DOWN else -1
            if _first_plan(grid, row, column, step) is None:
                cells[column] = _UP if cell == _DOWN else _DOWN


def _build_grid(severity: str) -> list[list[_Cell]]:
    ladder = {
        "normal": _NORMAL_LADDER,
        "tightened": _TIGHTENED_LADDER,
        "reduced": _REDUCED_LADDER,
    }[severity]
    grid: list[list[_Cell]] = [
        [_ladder_cell(ladder, row, column) for column in range(len(AQL_VALUES))]
        for row in range(len(_LETTERS))
    ]
    if severity == "tightened":
        only_at = AQL_VALUES.index(0.025)
        grid.append(
            [
                _ladder_cell(ladder, len(_LETTERS), column) if column == only_at else None
                for column in range(len(AQL_VALUES))
            ]
        )
    if severity == "reduced":
        first = AQL_VALUES.index(25.0)
        for row in (0, 1):
            grid[row][first:] = list(_REDUCED_SMALL_N_FROM_AQL_25)
    _point_arrows_at_plans(grid)
    return grid


def _sizes(severity: str) -> tuple[int, ...]:
    if severity == "reduced":
        return _REDUCED_SIZES
    if severity == "tightened":
        return (*_NORMAL_SIZES, _TIGHTENED_EXTRA_SIZE)
    return _NORMAL_SIZES


def _letters(severity: str) -> str:
    return _LETTERS + _TIGHTENED_EXTRA_LETTER if severity == "tightened" else _LETTERS


_GRIDS: dict[str, list[list[_Cell]]] = {severity: _build_grid(severity) for severity in SEVERITIES}


def _aql_column(aql: float | str) -> int:
    try:
        value = float(aql)
    except (TypeError, ValueError):
        raise ValueError(f"aql must be a number, got {aql!r}") from None
    for column, tabulated in enumerate(AQL_VALUES):
        if math.isclose(value, tabulated, rel_tol=1e-9):
            return column
    allowed = ", ".join(f"{v:g}" for v in AQL_VALUES)
    raise ValueError(f"aql {value:g} is not a tabulated iso 2859-1 value ({allowed})")


def _check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    return severity


@dataclass(frozen=True)
class MasterTablePlan:
    """One resolved cell of a master table: the plan letter, its sample size, Ac and Re."""

    plan_letter: str
    sample_size: int
    ac: int
    re: int


@dataclass(frozen=True)
class SamplingPlan:
    """A single sampling plan for one lot, as read from ISO 2859-1:1999."""

    lot_size: int
    aql: float
    level: str
    severity: str
    table: str
    code_letter: str
    plan_letter: str
    sample_size: int
    ac: int
    re: int
    sample_reaches_lot_size: bool

    def to_dict(self) -> dict[str, object]:
        """Return the plan as a JSON-ready dictionary."""
        return asdict(self)


def code_letter(lot_size: int, level: str = "II") -> str:
    """Return the sample size code letter of ISO 2859-1:1999 Table 1.

    The code letter depends only on the lot size and the inspection level (special
    levels S-1 to S-4, general levels I, II and III; II is the default of the standard).

    >>> code_letter(1250)
    'K'
    >>> code_letter(1250, "S-2")
    'D'
    """
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 2:
        raise ValueError(f"lot size must be an integer of at least 2, got {lot_size!r}")
    level_key = level.strip().upper()
    if level_key not in INSPECTION_LEVELS:
        raise ValueError(
            f"inspection level must be one of {', '.join(INSPECTION_LEVELS)}, got {level!r}"
        )
    letters = next(row for low, row in reversed(_CODE_LETTER_ROWS) if lot_size >= low)
    return letters[INSPECTION_LEVELS.index(level_key)]


def master_table_plan(letter: str, aql: float | str, severity: str = "normal") -> MasterTablePlan:
    """Look up a code letter and AQL in Table 2-A, 2-B or 2-C and follow any arrow.

    An arrow sends the user to the first plan below (↓) or above (↑) it in the same AQL
    column; the sample size then belongs to that plan's letter, which is returned as
    ``plan_letter``.  Lot size is not considered here (see :func:`plan`).

    >>> master_table_plan("K", 0.65)
    MasterTablePlan(plan_letter='K', sample_size=125, ac=2, re=3)
    >>> master_table_plan("A", 0.65)
    MasterTablePlan(plan_letter='F', sample_size=20, ac=0, re=1)
    """
    severity = _check_severity(severity)
    column = _aql_column(aql)
    if letter not in _LETTERS:
        raise ValueError(f"code letter must be one of {', '.join(_LETTERS)}, got {letter!r}")
    grid = _GRIDS[severity]
    row = _LETTERS.index(letter)
    cell = grid[row][column]
    if cell in (_DOWN, _UP):
        found = _first_plan(grid, row, column, 1 if cell == _DOWN else -1)
        if found is None:  # pragma: no cover - excluded when the grid is built
            raise AssertionError("arrow without a plan")
        row = found
    ac = grid[row][column]
    assert isinstance(ac, int)
    return MasterTablePlan(_letters(severity)[row], _sizes(severity)[row], ac, ac + 1)


def plan(
    lot_size: int, aql: float | str, level: str = "II", severity: str = "normal"
) -> SamplingPlan:
    """Return the ISO 2859-1:1999 single sampling plan for a lot.

    The code letter comes from Table 1; the plan from Table 2-A (normal), 2-B
    (tightened) or 2-C (reduced), following arrows to the first plan they point at.
    When the tabulated sample size equals or exceeds the lot size the standard requires
    100 % inspection: ``sample_reaches_lot_size`` is then True and ``sample_size`` is the
    lot size, with the tabulated Ac and Re kept.  AQL values above 10 are meaningful only
    for nonconformities per 100 items.

    >>> p = plan(1250, 0.65)
    >>> (p.code_letter, p.sample_size, p.ac, p.re)
    ('K', 125, 2, 3)
    >>> plan(1250, 0.65, severity="reduced").sample_size
    50
    """
    letter = code_letter(lot_size, level)
    entry = master_table_plan(letter, aql, severity)
    reaches_lot = entry.sample_size >= lot_size
    return SamplingPlan(
        lot_size=lot_size,
        aql=AQL_VALUES[_aql_column(aql)],
        level=level.strip().upper(),
        severity=severity,
        table=_TABLE_NAMES[severity],
        code_letter=letter,
        plan_letter=entry.plan_letter,
        sample_size=lot_size if reaches_lot else entry.sample_size,
        ac=entry.ac,
        re=entry.re,
        sample_reaches_lot_size=reaches_lot,
    )


def tighter_acceptance_number(normal_ac: int) -> int:
    """Return the acceptance number one AQL step tighter than a normal plan's Ac.

    Clause 9.3.3.2 adds 3 to the switching score when a lot "would have been accepted
    if the AQL had been one step tighter".  In the plan letter's row of Table 2-A the
    next tighter AQL column always holds a plan with the same sample size when Ac ≥ 2,
    so the tighter Ac is the previous rung of the ladder 0, 1, 2, 3, 5, 7, 10, 14, 21,
    30, 44.

    >>> tighter_acceptance_number(2)
    1
    >>> tighter_acceptance_number(10)
    7
    """
    if normal_ac not in _NORMAL_AC_LADDER[2:]:
        allowed = ", ".join(str(ac) for ac in _NORMAL_AC_LADDER[2:])
        raise ValueError(f"normal acceptance number must be one of {allowed}, got {normal_ac!r}")
    return _NORMAL_AC_LADDER[_NORMAL_AC_LADDER.index(normal_ac) - 1]


@dataclass(frozen=True)
class Transition:
    """A change of inspection severity caused by the lot at ``lot_index`` (0-based)."""

    lot_index: int
    from_severity: str
    to_severity: str
    reason: str
    reason_id: str


@dataclass(frozen=True)
class SwitchingState:
    """Where the switching rules leave a supplier-part after its lot history."""

    severity: str
    switching_score: int
    reason: str
    reason_id: str
    history_of_transitions: tuple[Transition, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """Return the state as a JSON-ready dictionary."""
        return asdict(self)


_REASONS = {
    "initial-normal": "inspection starts at normal",
    "two-of-five-rejected": "2 of the last 5 lots not accepted",
    "switching-score-30": "switching score reached 30",
    "lot-rejected-under-reduced": "lot not accepted under reduced inspection",
    "five-consecutive-accepted": "5 consecutive lots accepted under tightened inspection",
    "five-rejected-under-tightened": "5 lots not accepted under tightened inspection",
}


def switching_state(
    lots: Sequence[tuple[bool, int | None]],
    *,
    normal_ac: int | Sequence[int],
    reduced_permitted: bool = True,
) -> SwitchingState:
    """Apply the ISO 2859-1:1999 switching rules (clause 9) to a lot history.

    ``lots`` is the ordered history of original inspections of one supplier-part, each
    ``(accepted, defects)`` where ``defects`` is the number of nonconforming items (or
    nonconformities) found, or None if unknown.  ``normal_ac`` is the acceptance number
    of the normal plan of each lot, in the same order (one number when every lot had the
    same plan): the switching score judges a lot by its own normal plan, which depends on
    its lot size.  Inspection starts at normal with a switching score of 0, and the rules
    are:

    * normal → tightened when 2 lots in 5 or fewer consecutive lots inspected under this
      stretch of normal inspection are not accepted;
    * switching score, updated for each lot under normal: if its ``normal_ac`` ≥ 2, add 3
      when ``defects`` ≤ :func:`tighter_acceptance_number` and otherwise reset to 0 (an
      unknown defect count cannot earn credit and also resets); if its ``normal_ac`` is 0
      or 1, add 2 when the lot is accepted and otherwise reset.  A lot not accepted
      always resets the score.  The score restarts at 0 whenever normal begins;
    * normal → reduced when the score reaches 30 and ``reduced_permitted`` (production
      at a steady rate and reduced inspection approved by the responsible authority);
    * tightened → normal after 5 consecutive lots accepted under tightened inspection;
    * reduced → normal when a lot is not accepted;
    * tightened → discontinued when the cumulative number of lots not accepted during one
      stretch of tightened inspection reaches 5.  Later lots are ignored: inspection
      resumes, at tightened, only after the supplier's corrective action is accepted.

    >>> state = switching_state([(True, 0), (False, 3), (True, 1), (False, 4)], normal_ac=2)
    >>> (state.severity, state.reason_id)
    ('tightened', 'two-of-five-rejected')
    """
    given = [normal_ac] if isinstance(normal_ac, int) else list(normal_ac)
    for ac in dict.fromkeys(given):
        if ac not in _NORMAL_AC_LADDER:
            raise ValueError(f"normal acceptance number {ac!r} does not occur in table 2-a")
    acs = given * len(lots) if isinstance(normal_ac, int) else given
    if len(acs) != len(lots):
        raise ValueError(f"{len(acs)} normal acceptance numbers for {len(lots)} lots")
    severity = "normal"
    score = 0
    normal_results: list[bool] = []
    tightened_rejected = 0
    tightened_accepted_run = 0
    transitions: list[Transition] = []

    def switch(index: int, to: str, reason_id: str) -> None:
        nonlocal severity
        transitions.append(Transition(index, severity, to, _REASONS[reason_id], reason_id))
        severity = to

    for index, ((accepted, defects), ac) in enumerate(zip(lots, acs, strict=True)):
        if defects is not None and (isinstance(defects, bool) or defects < 0):
            raise ValueError(f"lot {index}: defects must be a non-negative integer or None")
        if severity == "discontinued":
            break
        if severity == "normal":
            tighter_ac = tighter_acceptance_number(ac) if ac >= 2 else None
            normal_results.append(bool(accepted))
            if not accepted:
                score = 0
            elif tighter_ac is None:
                score += 2
            elif defects is not None and defects <= tighter_ac:
                score += 3
            else:
                score = 0
            if not accepted and normal_results[-5:].count(False) >= 2:
                score = 0
                tightened_rejected = 0
                tightened_accepted_run = 0
                switch(index, "tightened", "two-of-five-rejected")
            elif score >= 30 and reduced_permitted:
                switch(index, "reduced", "switching-score-30")
        elif severity == "tightened":
            if accepted:
                tightened_accepted_run += 1
                if tightened_accepted_run == 5:
                    score = 0
                    normal_results = []
                    switch(index, "normal", "five-consecutive-accepted")
            else:
                tightened_accepted_run = 0
                tightened_rejected += 1
                if tightened_rejected == 5:
                    switch(index, "discontinued", "five-rejected-under-tightened")
        elif not accepted:
            score = 0
            normal_results = []
            switch(index, "normal", "lot-rejected-under-reduced")

    last = transitions[-1] if transitions else None
    reason_id = last.reason_id if last else "initial-normal"
    return SwitchingState(
        severity=severity,
        switching_score=score,
        reason=_REASONS[reason_id],
        reason_id=reason_id,
        history_of_transitions=tuple(transitions),
    )
