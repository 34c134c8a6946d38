"""The sampling plan for the next lot of a supplier-part, and why.

The part's material class (parts table, else ``default_class`` of ``rules/materials.yaml``)
gives the ISO 2859-1 inspection level and AQL. The severity (normal, tightened, reduced, or
discontinued) comes from :func:`qsync.sampling.switching_state` over the supplier-part's lot
history, oldest first (by ``received_date``, then ``inspection_date``, then ``lot_id``). A lot
counts as accepted only when its decision is ``accept``: a conditional release (特采) is a
lot not accepted under the plan. The switching score judges each past lot by the normal plan
of its own lot size (``qty_received``), as clause 9.3.3.2 does, not by the plan of the lot
to come; a lot of one item counts as the smallest lot size of Table 1 (2 to 8).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import polars as pl

from qsync import sampling
from qsync.errors import UsageError
from qsync.score.materials import MaterialRules, load_material_rules
from qsync.score.tables import Tables, get_table


@dataclass(frozen=True)
class Reason:
    """One reason behind the plan: a stable id (for the message catalogue) and its values."""

    id: str
    params: dict[str, object]


@dataclass(frozen=True)
class PlanDecision:
    """The plan to use for a supplier-part's next lot.

    ``plan`` is None when inspection is discontinued (5 lots not accepted under tightened
    inspection: the supplier's corrective action must be accepted first). ``approvers`` are
    the role ids who must sign a conditional release for this class.
    """

    supplier_id: str
    part_no: str
    lot_size: int
    material_class: str
    level: str
    aql: float
    severity: str
    plan: sampling.SamplingPlan | None
    switching: sampling.SwitchingState
    lots_considered: int
    approvers: tuple[str, ...]
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary."""
        out = asdict(self)
        out["plan"] = self.plan.to_dict() if self.plan else None
        out["switching"] = self.switching.to_dict()
        return out


def _material_class(tables: Tables, part_no: str, materials: MaterialRules) -> tuple[str, str]:
    parts = get_table(tables, "parts")
    if parts is not None:
        declared = (
            parts.filter(pl.col("part_no") == part_no)
            .select(pl.col("material_class").drop_nulls().min())
            .collect()
            .item()
        )
        if declared in materials.classes:
            return str(declared), "parts"
    return materials.default_class, "default"


def lot_history(
    tables: Tables, supplier_id: str, part_no: str, before: date | None = None
) -> pl.DataFrame:
    """The supplier-part's inspected lots, oldest first: ``accepted``, ``defects``, ``lot_size``."""
    inspections = get_table(tables, "inspections")
    if inspections is None:
        return pl.DataFrame(
            schema={
                "lot_id": pl.String,
                "accepted": pl.Boolean,
                "defects": pl.Int64,
                "lot_size": pl.Int64,
            }
        )
    rows = inspections.filter(
        (pl.col("supplier_id") == supplier_id) & (pl.col("part_no") == part_no)
    )
    if before is not None:
        rows = rows.filter(pl.col("received_date") < pl.lit(before))
    return (
        rows.sort("received_date", "inspection_date", "lot_id", nulls_last=True)
        .select(
            "lot_id",
            accepted=pl.col("decision") == "accept",
            defects=pl.col("defects"),
            lot_size=pl.col("qty_received"),
        )
        .collect()
    )


def plan_for(
    supplier_id: str,
    part_no: str,
    lot_size: int | None,
    tables: Tables,
    materials: MaterialRules | None = None,
    *,
    before: date | None = None,
) -> PlanDecision:
    """The ISO 2859-1 plan for a lot of ``lot_size`` from a supplier-part, with the reasons.

    ``tables`` needs ``inspections`` for the lot history (none: start at normal) and
    ``parts`` for the material class; ``before`` limits the history to lots received
    before that date. Without ``lot_size`` the next lot is taken to be the size of the last
    one on record (a :class:`~qsync.errors.UsageError` when there is none).

    >>> d = plan_for("S0001", "P-1", 1250, {})
    >>> (d.material_class, d.severity, d.plan.sample_size, d.plan.ac, d.reasons[0].id)
    ('A', 'normal', 200, 0, 'material-class-default')
    """
    materials = materials or load_material_rules()
    name, origin = _material_class(tables, part_no, materials)
    rules = materials.classes[name]
    history = lot_history(tables, supplier_id, part_no, before)
    reasons = []
    sizes = history["lot_size"].drop_nulls()
    if lot_size is None:
        if sizes.is_empty():
            raise UsageError(
                f"no lots of {supplier_id} {part_no} on record to take the lot size from",
                reference="no-lot-size",
                hint="Give the size of the lot to inspect with --lot-size.",
            )
        lot_size = max(int(sizes[-1]), 2)
        last_lot = history.filter(pl.col("lot_size").is_not_null())["lot_id"][-1]
        reasons.append(Reason("lot-size-from-history", {"lot_size": lot_size, "lot_id": last_lot}))
    lots = list(zip(history["accepted"].to_list(), history["defects"].to_list(), strict=True))
    # A lot whose size is unknown (not from a qsync ingest, which requires it) is judged by
    # the plan of the lot to come, the only plan known for it.
    lot_sizes = [lot_size if size is None else max(size, 2) for size in history["lot_size"]]
    normal_ac = {
        size: sampling.plan(size, rules.aql, rules.inspection_level, "normal").ac
        for size in set(lot_sizes)
    }
    state = sampling.switching_state(
        lots,
        normal_ac=[normal_ac[size] for size in lot_sizes],
        reduced_permitted=rules.reduced_permitted,
    )
    chosen = None
    if state.severity != "discontinued":
        chosen = sampling.plan(lot_size, rules.aql, rules.inspection_level, state.severity)
    reasons.append(
        Reason(
            f"material-class-{origin}",
            {"class": name, "level": rules.inspection_level, "aql": rules.aql},
        )
    )
    last = state.history_of_transitions[-1] if state.history_of_transitions else None
    reasons.append(
        Reason(
            f"switching-{state.reason_id}",
            {
                "severity": state.severity,
                "switching_score": state.switching_score,
                "lots": len(lots),
                "lot_id": history["lot_id"][last.lot_index] if last else None,
            },
        )
    )
    if not rules.reduced_permitted:
        reasons.append(Reason("reduced-not-permitted", {"class": name}))
    return PlanDecision(
        supplier_id=supplier_id,
        part_no=part_no,
        lot_size=lot_size,
        material_class=name,
        level=rules.inspection_level,
        aql=rules.aql,
        severity=state.severity,
        plan=chosen,
        switching=state,
        lots_considered=len(lots),
        approvers=tuple(r.id for r in rules.conditional_release),
        reasons=tuple(reasons),
    )
