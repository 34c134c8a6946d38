"""``trace``: from a lot or a complaint to its :class:`~qsync.trace.model.TraceResult`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qsync.trace.graph import Edge, Genealogy, Lookup
from qsync.trace.index import TraceIndex
from qsync.trace.model import (
    CustomerTotal,
    Lot,
    Missing,
    Shipment,
    SupplierLot,
    TraceDirection,
    TraceResult,
)
from qsync.trace.resolve import require_lot, resolve_complaint
from qsync.trace.source import GENEALOGY, INSPECTIONS, SHIPMENTS, store_of
from qsync.trace.walk import Direction, Walk, find_cycles, walk

if TYPE_CHECKING:
    from qsync.config import Workspace


def trace(
    where: Workspace | Path,
    lot: str | None = None,
    *,
    complaint: str | None = None,
    direction: TraceDirection = "backward",
    max_depth: int | None = None,
) -> TraceResult:
    """Trace ``lot`` (or the product lot of ``complaint``) through the genealogy.

    Backward lists every consumed lot down to supplier lots, with their inspection results;
    forward lists every lot it went into up to shipped lots and customers (the recall scope);
    ``both`` does both. ``where`` is a workspace or a store folder. An unknown lot or complaint
    raises :class:`~qsync.trace.model.TraceError` (exit 1) naming the closest ids.

    Example: ``trace(find_workspace(), "FG2610-0042", direction="both").supplier_lots``
    """
    index = TraceIndex(store_of(where))
    row = None
    if complaint is not None:
        row = resolve_complaint(index, complaint)
        lot = str(row["lot_id"])
    if lot is None:
        raise ValueError("trace needs a lot or a complaint")
    graph = index.genealogy()
    require_lot(index, lot)
    code = graph.code(lot)
    sides: tuple[Direction, ...] = ("backward", "forward") if direction == "both" else (direction,)
    walks = [walk(graph, code, side, max_depth) for side in sides if code is not None]
    result = _Assembly(graph, index.lookup(INSPECTIONS), index.lookup(SHIPMENTS)).build(
        lot, direction, max_depth, walks
    )
    result.complaint = row
    result.store = {
        "genealogy_version": index.version(GENEALOGY),
        "index_rebuilt": sorted(index.rebuilt),
    }
    return result


def _sorted_unique(values: Iterable[str | None]) -> list[str]:
    return sorted({v for v in values if v})


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    return float(value) if isinstance(value, int | float) else None


@dataclass
class _Assembly:
    graph: Genealogy
    inspections: Lookup
    shipments: Lookup

    def build(
        self, root: str, direction: TraceDirection, max_depth: int | None, walks: list[Walk]
    ) -> TraceResult:
        lots: dict[str, Lot] = {root: Lot(root, 0, "root")}
        edges: dict[int, Edge] = {}
        for done in walks:
            for code, depth in done.depth.items():
                name = self.graph.lots.get(code)
                lots.setdefault(name, Lot(name, depth, done.direction))
                lots[name].cut = lots[name].cut or code in done.cut
            for number, _, _ in done.edges:
                edges.setdefault(number, self.graph.edge(number))
        for edge in edges.values():
            lots[edge.parent].children.append(edge.child)
            lots[edge.child].parents.append(edge.parent)
            lots[edge.child].part_no = lots[edge.child].part_no or edge.part_no
            lots[edge.parent].part_no = lots[edge.parent].part_no or edge.parent_part_no
        order = {"root": 0, "backward": 1, "forward": 2}
        ordered = sorted(lots.values(), key=lambda x: (order[x.side], x.depth, x.lot_id))
        for item in ordered:
            item.parents = _sorted_unique(item.parents)
            item.children = _sorted_unique(item.children)
        shipments = [s for item in ordered for s in self._shipments(item.lot_id)]
        by_child: dict[str, list[Edge]] = {}
        for edge in edges.values():
            by_child.setdefault(edge.child, []).append(edge)
        suppliers = [
            s for item in ordered if (s := self._supplier(item, by_child.get(item.lot_id, [])))
        ]
        known_parts = {s.lot_id: s.part_no for s in shipments if s.part_no}
        known_parts.update({s.lot_id: s.part_no for s in suppliers if s.part_no})
        for item in ordered:
            item.part_no = item.part_no or known_parts.get(item.lot_id)
        return TraceResult(
            root=root,
            direction=direction,
            max_depth=max_depth,
            lots=ordered,
            edges=sorted(edges.values(), key=lambda e: (e.parent, e.child, e.work_order or "")),
            supplier_lots=suppliers,
            work_orders=_sorted_unique(e.work_order for e in edges.values()),
            operators=_sorted_unique(e.operator for e in edges.values()),
            shipments=shipments,
            customers=_customers(shipments),
            in_plant=self._in_plant(direction, ordered, shipments),
            cycles=self._cycles(walks),
            missing=self._missing(root, direction, ordered, suppliers),
        )

    def _supplier(self, item: Lot, consumed: list[Edge]) -> SupplierLot | None:
        """The inspection record of ``item`` (the last when several) and who consumed it."""
        rows = self.inspections.rows(item.lot_id)
        if not rows:
            return None
        row = rows[-1]
        return SupplierLot(
            lot_id=item.lot_id,
            supplier_id=_text(row, "supplier_id"),
            part_no=_text(row, "part_no") or item.part_no,
            decision=_text(row, "decision"),
            cpk=_number(row, "cpk"),
            received_date=_text(row, "received_date"),
            work_orders=_sorted_unique(e.work_order for e in consumed),
            operators=_sorted_unique(e.operator for e in consumed),
        )

    def _shipments(self, lot_id: str) -> list[Shipment]:
        return [
            Shipment(
                shipment_id=_text(row, "shipment_id") or "",
                lot_id=lot_id,
                customer=_text(row, "customer"),
                qty=None if (qty := _number(row, "qty")) is None else int(qty),
                shipped_date=_text(row, "shipped_date"),
                ship_to=_text(row, "ship_to"),
                part_no=_text(row, "part_no"),
            )
            for row in self.shipments.rows(lot_id)
        ]

    def _in_plant(
        self, direction: TraceDirection, lots: list[Lot], shipments: list[Shipment]
    ) -> list[str]:
        """Forward end lots (nothing consumed them) that were never shipped."""
        if direction == "backward":
            return []
        shipped = {s.lot_id for s in shipments}
        ends = []
        for item in lots:
            if item.side == "backward" or item.cut or item.lot_id in shipped:
                continue
            code = self.graph.code(item.lot_id)
            if code is None or not self.graph.has_consumers(code):
                ends.append(item.lot_id)
        return ends

    def _missing(
        self, root: str, direction: TraceDirection, lots: list[Lot], suppliers: list[SupplierLot]
    ) -> list[Missing]:
        """Backward ends (nothing consumed by them) with no inspection record."""
        if direction == "forward":
            return []
        inspected = {s.lot_id for s in suppliers}
        missing = []
        for item in lots:
            if item.side == "forward" or item.cut or item.lot_id in inspected:
                continue
            code = self.graph.code(item.lot_id)
            if code is None or not self.graph.has_consumed(code):
                reason = "no-genealogy" if item.lot_id == root else "no-inspection"
                missing.append(Missing(item.lot_id, reason, item.parents))
        return missing

    def _cycles(self, walks: list[Walk]) -> list[list[str]]:
        """Each cycle once, as lots in consumption order (each consumed the next)."""
        found: dict[tuple[str, ...], list[str]] = {}
        for done in walks:
            for cycle in find_cycles(done.edges, done.root):
                names = [self.graph.lots.get(code) for code in cycle[:-1]]
                if done.direction == "forward":
                    names.reverse()
                turn = names.index(min(names))
                names = names[turn:] + names[:turn]
                found.setdefault(tuple(names), [*names, names[0]])
        return list(found.values())


def _customers(shipments: list[Shipment]) -> list[CustomerTotal]:
    """Totals per customer, largest quantity first."""
    totals: dict[str, CustomerTotal] = {}
    for s in shipments:
        name = s.customer or "?"
        total = totals.setdefault(name, CustomerTotal(name, 0, [], []))
        total.qty += s.qty or 0
        total.lots.append(s.lot_id)
        total.shipments.append(s.shipment_id)
    for total in totals.values():
        total.lots, total.shipments = _sorted_unique(total.lots), _sorted_unique(total.shipments)
    return sorted(totals.values(), key=lambda t: (-t.qty, t.customer))
