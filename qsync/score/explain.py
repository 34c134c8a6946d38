"""Explain a scorecard: each metric's value, points, weight, and the rows it came from.

The rows are selected with the same filters as the metrics (:mod:`qsync.score.sources`),
narrowed to the supplier, and carry the store's provenance columns (``_submission``,
``_file``, ``_sheet``, ``_page``, ``_row``) when the input frames have them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from qsync.score import sources
from qsync.score.metrics import month_lot_cpk
from qsync.score.period import Month
from qsync.score.rules import ScorecardRules, load_scorecard_rules
from qsync.score.scorecard import Scorecard
from qsync.score.tables import Tables, get_table, provenance_columns

# Columns shown for each source table (those present), before the provenance columns.
SHOWN: dict[str, tuple[str, ...]] = {
    "inspections": (
        "lot_id", "part_no", "received_date", "qty_received", "defects", "decision", "cpk",
    ),
    "lot_cpk": ("lot_id", "part_no", "characteristic", "cpk", "n", "source", "note"),
    "deliveries": (
        "po_no", "po_line", "lot_id", "part_no", "promised_date", "delivered_date", "on_time",
    ),
    "complaints": (
        "complaint_id", "received_date", "containment_date", "closed_date", "status",
        "received_in_month", "containment_due", "containment_met", "closure_due", "closure_met",
    ),
    "price_reductions": ("part_no", "year", "period", "target_pct", "achieved_pct"),
    "audits": ("audit_id", "audit_date", "audit_type", "score", "next_due", "overdue"),
    "ppap": ("ppap_id", "part_no", "submitted_date", "approved_date", "cycle_days"),
    "esg": (
        "period", "energy_kwh", "co2_t", "water_m3", "waste_t", "recycled_pct", "incidents",
    ),
    "certificates": ("cert_type", "cert_no", "expiry_date", "status"),
}  # fmt: skip


@dataclass(frozen=True)
class Explanation:
    """A scorecard with, for each source table, the supplier-month's rows behind it."""

    scorecard: Scorecard
    sources: dict[str, pl.DataFrame]

    def to_dict(self) -> dict[str, Any]:
        """The scorecard dictionary plus ``sources``: table → list of row dicts."""
        rows = {
            table: [
                {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}
                for row in frame.iter_rows(named=True)
            ]
            for table, frame in self.sources.items()
        }
        return {"month": self.scorecard.month, **self.scorecard.to_dict(), "sources": rows}


def _selected(tables: Tables, month: Month, rules: ScorecardRules) -> dict[str, pl.LazyFrame]:
    out: dict[str, pl.LazyFrame] = {}
    builders = {
        "inspections": lambda lf: sources.month_inspections(lf, month),
        "deliveries": lambda lf: sources.month_deliveries(lf, month, rules),
        "complaints": lambda lf: sources.month_complaints(lf, month, rules),
        "price_reductions": lambda lf: sources.month_price_reductions(lf, month),
        "audits": lambda lf: sources.latest_audits(lf, month, rules),
        "ppap": lambda lf: sources.month_ppap(lf, month),
        "esg": lambda lf: sources.month_esg(lf, month),
        "certificates": lambda lf: sources.certificate_status(lf, month, rules),
    }
    for table, build in builders.items():
        frame = get_table(tables, table)
        if frame is not None:
            out[table] = build(frame)
    return out


def explain(
    scorecard: Scorecard, tables: Tables, rules: ScorecardRules | None = None
) -> Explanation:
    """The rows behind every metric of ``scorecard``, read from the same ``tables``.

    Rows are sorted by their table's first shown column(s) so the output is stable.
    """
    rules = rules or load_scorecard_rules()
    month = Month.parse(scorecard.month)
    selected = _selected(tables, month, rules)
    cpk = month_lot_cpk(tables, month)
    if cpk is not None:
        selected["lot_cpk"] = cpk
    out: dict[str, pl.DataFrame] = {}
    for table in SHOWN:
        frame = selected.get(table)
        if frame is None:
            continue
        names = frame.collect_schema().names()
        shown = [c for c in SHOWN[table] if c in names] + provenance_columns(frame)
        out[table] = (
            frame.filter(pl.col("supplier_id") == scorecard.supplier_id)
            .select(shown)
            .sort(shown[: min(3, len(shown))], nulls_last=True)
            .collect()
        )
    return Explanation(scorecard, out)
