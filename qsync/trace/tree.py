"""A trace for people: Rich trees (backward, forward), tables and notes, in their language.

Every word comes from the ``trace`` section of the message catalogue. A lot reached by a
second path is shown once and then marked "see above"; a link back to a lot on the current
branch is marked as a cycle, so the tree is always finite.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from qsync.i18n import Catalogue
from qsync.trace.graph import Edge
from qsync.trace.model import Lot, Shipment, SupplierLot, TraceResult

_DECISION_STYLE = {"accept": "green", "reject": "bold red", "conditional": "yellow"}


def render_trace(result: TraceResult, catalogue: Catalogue) -> Group:
    """Trees for each direction traced, then supplier lots, customers and notes."""
    view = _View(result, catalogue)
    parts: list[RenderableType] = []
    if result.complaint:
        parts.append(Text(view.t("complaint", **result.complaint), style="bold"))
    for side in ("backward", "forward"):
        if result.direction in (side, "both"):
            parts.append(view.tree(side))
    if result.supplier_lots:
        parts.append(view.suppliers())
    if result.customers:
        parts.append(view.customers())
    parts += list(view.notes())
    return Group(*parts)


def decision_text(catalogue: Catalogue, decision: str | None) -> str:
    """An inspection decision in the reader's language (``accept`` → 合格)."""
    if not decision:
        return catalogue.text("trace", "no-decision")
    return catalogue.text("trace", f"decision-{decision}")


@dataclass
class _View:
    result: TraceResult
    catalogue: Catalogue

    def __post_init__(self) -> None:
        self.lots = {lot.lot_id: lot for lot in self.result.lots}
        self.suppliers_by_lot = {s.lot_id: s for s in self.result.supplier_lots}
        self.shipped: dict[str, list[Shipment]] = {}
        for shipment in self.result.shipments:
            self.shipped.setdefault(shipment.lot_id, []).append(shipment)
        self.missing = {m.lot_id: m.reason for m in self.result.missing}
        self.in_plant = set(self.result.in_plant)

    def t(self, key: str, **params: object) -> str:
        return self.catalogue.text("trace", key, **params)

    def _links(self, side: str) -> dict[str, dict[str, list[Edge]]]:
        """For each lot, the next lots away from the root on ``side``, with their edges."""
        links: dict[str, dict[str, list[Edge]]] = {}
        away = "forward" if side == "backward" else "backward"
        for edge in self.result.edges:
            start, end = (
                (edge.parent, edge.child) if side == "backward" else (edge.child, edge.parent)
            )
            if self.lots[end].side != away and self.lots[start].side != away:
                links.setdefault(start, {}).setdefault(end, []).append(edge)
        return links

    def tree(self, side: str) -> Tree:
        """One direction as a tree; iterative, so deep genealogies cannot overflow the stack."""
        links = self._links(side)
        root = self.result.root
        heading = Text(self.t(f"heading-{side}", root=root), style="bold")
        top = Tree(heading)
        node = top.add(self._label(self.lots[root], []))
        expanded = {root}
        stack: list[tuple[Tree, Iterator[tuple[str, list[Edge]]], list[str]]] = [
            (node, iter(sorted(links.get(root, {}).items())), [root])
        ]
        while stack:
            parent, pending, path = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                continue
            lot_id, edges = step
            if lot_id in path:
                label = self._label(self.lots[lot_id], edges, brief=True)
                parent.add(label.append(f"  ⟲ {self.t('cycle')}", style="bold magenta"))
            elif lot_id in expanded:
                label = self._label(self.lots[lot_id], edges, brief=True)
                parent.add(label.append(f"  {self.t('see-above')}", style="dim"))
            else:
                label = self._label(self.lots[lot_id], edges)
                expanded.add(lot_id)
                child = parent.add(label)
                stack.append((child, iter(sorted(links.get(lot_id, {}).items())), [*path, lot_id]))
        return top

    def _label(self, lot: Lot, edges: list[Edge], *, brief: bool = False) -> Text:
        """The lot, how it was consumed (``edges``) and, unless ``brief``, what is known of it."""
        label = Text(lot.lot_id, style="bold")
        if lot.part_no:
            label.append(f"  {lot.part_no}", style="cyan")
        for edge in edges:
            qty = "-" if edge.qty is None else f"{edge.qty:g}"
            words = self.t(
                "edge", work_order=edge.work_order or "-", operator=edge.operator or "-", qty=qty
            )
            label.append(f"  · {words}", style="dim")
        if brief:
            return label
        supplier = self.suppliers_by_lot.get(lot.lot_id)
        if supplier:
            self._supplier_words(label, supplier)
        if lot.lot_id in self.shipped:
            label.append(f"  → {self._shipped_words(self.shipped[lot.lot_id])}", style="blue")
        if lot.lot_id in self.in_plant:
            label.append(f"  ▣ {self.t('in-plant')}", style="yellow")
        if lot.lot_id in self.missing:
            label.append(f"  ⚠ {self.t(self.missing[lot.lot_id])}", style="bold red")
        if lot.cut:
            label.append(f"  … {self.t('cut')}", style="dim")
        return label

    def _supplier_words(self, label: Text, supplier: SupplierLot) -> None:
        cpk = "-" if supplier.cpk is None else f"{supplier.cpk:.2f}"
        label.append(f"  {self.t('supplier', supplier=supplier.supplier_id or '-')}  ")
        decision = decision_text(self.catalogue, supplier.decision)
        label.append(decision, style=_DECISION_STYLE.get(supplier.decision or "", ""))
        label.append(f"  Cpk {cpk}")

    def _shipped_words(self, shipments: list[Shipment]) -> str:
        items = ", ".join(
            f"{s.customer or '?'} {s.qty if s.qty is not None else '?'} ({s.shipment_id})"
            for s in shipments
        )
        return self.t("shipped", shipments=items)

    def suppliers(self) -> Table:
        """Supplier lots with their inspection result and who consumed them."""
        table = Table(title=self.t("supplier-lots-title"), title_justify="left")
        for key in ("col-lot", "col-supplier", "col-part", "col-decision", "col-cpk"):
            table.add_column(self.t(key))
        table.add_column(self.t("col-work-orders"), overflow="fold")
        table.add_column(self.t("col-operators"), overflow="fold")
        for s in self.result.supplier_lots:
            table.add_row(
                Text(s.lot_id),
                Text(s.supplier_id or "-"),
                Text(s.part_no or "-"),
                Text(
                    decision_text(self.catalogue, s.decision),
                    style=_DECISION_STYLE.get(s.decision or "", ""),
                ),
                "-" if s.cpk is None else f"{s.cpk:.2f}",
                Text(", ".join(s.work_orders)),
                Text(", ".join(s.operators)),
            )
        return table

    def customers(self) -> Table:
        """Quantities per customer, with their delivery notes and lots."""
        table = Table(title=self.t("customers-title"), title_justify="left")
        table.add_column(self.t("col-customer"))
        table.add_column(self.t("col-qty"), justify="right")
        table.add_column(self.t("col-shipments"), overflow="fold")
        table.add_column(self.t("col-lots"), overflow="fold")
        for c in self.result.customers:
            table.add_row(
                Text(c.customer),
                f"{c.qty:,}",
                Text(", ".join(c.shipments)),
                Text(", ".join(c.lots)),
            )
        return table

    def notes(self) -> Iterator[Text]:
        """Lines for cycles, missing links, lots in the plant, and the summary."""
        for cycle in self.result.cycles:
            yield Text(f"⟲ {self.t('cycle-line', lots=' → '.join(cycle))}", style="magenta")
        for missing in self.result.missing:
            words = self.t(f"{missing.reason}-line", lot=missing.lot_id, via=", ".join(missing.via))
            yield Text(f"⚠ {words}", style="red")
        if self.result.in_plant:
            lots = ", ".join(self.result.in_plant)
            yield Text(self.t("in-plant-line", count=len(self.result.in_plant), lots=lots))
        yield Text(
            self.t(
                "summary",
                lots=len(self.result.lots),
                supplier_lots=len(self.result.supplier_lots),
                work_orders=len(self.result.work_orders),
                customers=len(self.result.customers),
                qty=f"{sum(c.qty for c in self.result.customers):,}",
            ),
            style="bold",
        )
