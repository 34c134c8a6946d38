"""Evaluate every flag of ``rules/risk.yaml`` on the store's tables for one month.

One function, :func:`evaluate`, runs each enabled rule (see :mod:`qsync.alerts.lots`,
:mod:`~qsync.alerts.monthly`, :mod:`~qsync.alerts.dated`, :mod:`~qsync.alerts.nelson`) and
returns the flags in a stable order. Part-level flags carry the part's material class (the
most critical declared in the parts table, else ``default_class`` of ``materials.yaml``),
which picks the deadlines of their tasks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from qsync.alerts import dated, lots, monthly, nelson
from qsync.alerts.model import Flag
from qsync.alerts.rules import RULE_IDS, RiskRules
from qsync.score.materials import MaterialRules, load_material_rules
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules, load_scorecard_rules
from qsync.score.scorecard import MonthlyScorecards, score_month
from qsync.score.tables import Tables


def evaluate(
    tables: Tables,
    month: Month | str,
    rules: RiskRules,
    *,
    today: date,
    scorecard: ScorecardRules | None = None,
    materials: MaterialRules | None = None,
    scorecards: tuple[MonthlyScorecards, MonthlyScorecards] | None = None,
) -> list[Flag]:
    """Every flag raised by the data: monthly flags for ``month``, dated ones as of ``today``.

    ``tables`` maps canonical table names to frames (a missing table raises no flag of its
    own); ``scorecards`` may pass the month's and the previous month's scorecards when the
    caller has them (else both are scored here, for the grade drop).

    >>> import polars as pl
    >>> from datetime import date
    >>> from qsync.alerts.rules import load_risk_rules
    >>> insp = pl.DataFrame({"supplier_id": ["S1"] * 3, "part_no": ["P1"] * 3,
    ...     "lot_id": ["L1", "L2", "L3"], "received_date": [date(2026, 10, d) for d in (1, 2, 3)],
    ...     "qty_received": [100] * 3, "defects": [0] * 3, "decision": ["accept"] * 3,
    ...     "cpk": [1.2, 1.1, 1.0]})
    >>> [(f.rule, f.window) for f in evaluate({"inspections": insp}, "2026-10",
    ...     load_risk_rules(), today=date(2026, 10, 31))]
    [('cpk_streak', 'L1')]
    """
    month = month if isinstance(month, Month) else Month.parse(month)
    scorecard = scorecard or load_scorecard_rules()
    materials = materials or load_material_rules()
    classes = monthly.material_classes(tables, materials)
    on = rules.flags
    found: list[Flag] = []
    if on.cpk_streak.enabled:
        sequence = lots.lot_cpk_sequence(tables, month, on.cpk_streak.lookback_months)
        found += lots.cpk_streaks(sequence, month, on.cpk_streak, classes)
    if on.lots_rejected.enabled:
        received = lots.received_lots(tables, month, on.lots_rejected.lookback_months)
        if received is not None:
            found += lots.rejection_runs(received.collect(), month, on.lots_rejected, classes)
    if on.ppm_over_limit.enabled:
        found += monthly.ppm_over_limit(tables, month, on.ppm_over_limit, materials, classes)
    if on.otd_below_target.enabled:
        found += monthly.otd_below_target(tables, month, on.otd_below_target, scorecard)
    if on.audit_overdue.enabled:
        found += dated.audits_overdue(tables, today, scorecard)
    if on.certificate_expiring.enabled:
        found += dated.certificates_expiring(tables, today, on.certificate_expiring)
    if on.grade_drop.enabled:
        current, previous = scorecards or (
            score_month(tables, month, scorecard),
            score_month(tables, month.shift(-1), scorecard),
        )
        found += monthly.grade_drops(current, previous, on.grade_drop, scorecard)
    if on.nelson.enabled:
        found += nelson.nelson_flags(tables, month, on.nelson, classes)
    if on.complaints.enabled:
        found += monthly.complaints_above(tables, month, on.complaints, scorecard)
    if on.ppap_overdue.enabled:
        found += dated.ppap_overdue(tables, today, on.ppap_overdue, classes)
    found = [_with_class(f, materials) for f in found]
    found = _active_suppliers(found, tables, rules.supplier_statuses)
    order = {rule: i for i, rule in enumerate(RULE_IDS)}
    return sorted(
        found,
        key=lambda f: (order[f.rule], f.supplier_id, f.part_no or "", f.subject or "", f.window),
    )


def _with_class(flag: Flag, materials: MaterialRules) -> Flag:
    if flag.part_no is None or flag.material_class is not None:
        return flag
    return replace(flag, material_class=materials.default_class)


def _active_suppliers(flags: list[Flag], tables: Tables, statuses: list[str]) -> list[Flag]:
    """Drop flags of suppliers whose master-data status is not one of ``statuses``."""
    suppliers = tables.get("suppliers")
    if suppliers is None or not flags:
        return flags
    frame = suppliers.lazy().select("supplier_id", "status").collect()
    status = dict(zip(frame["supplier_id"], frame["status"], strict=True))
    return [f for f in flags if status.get(f.supplier_id) in (None, *statuses)]


def flags_frame(flags: list[Flag]) -> pl.DataFrame:
    """The flags as a frame (id, rule, supplier, part, subject, window, class) for display."""
    return pl.DataFrame(
        [
            {
                "id": f.id,
                "rule": f.rule,
                "supplier_id": f.supplier_id,
                "part_no": f.part_no,
                "subject": f.subject,
                "window": f.window,
                "material_class": f.material_class,
            }
            for f in flags
        ],
        schema={
            "id": pl.String,
            "rule": pl.String,
            "supplier_id": pl.String,
            "part_no": pl.String,
            "subject": pl.String,
            "window": pl.String,
            "material_class": pl.String,
        },
    )
